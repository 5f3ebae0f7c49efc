"""`trygg run`'s supervisor: restart policy, crash loops and the state `trygg status` reads (fakes, no processes)."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from devstack.status import Health, render
from devstack.supervisor import STATE_FILE, RestartPolicy, Supervisor, describe_exit, read_state


class FakeChild:
    def __init__(self) -> None:
        self.running = True
        self.code: int | None = None
        self.starts = 0
        self.fail_starts = 0

    def alive(self) -> bool:
        return self.running

    def returncode(self) -> int | None:
        return None if self.running else self.code

    def pid(self) -> int | None:
        return 1000 + self.starts if self.running else None

    def start(self) -> None:
        if self.fail_starts:
            self.fail_starts -= 1
            raise RuntimeError("port in use")
        self.starts += 1
        self.running = True

    def die(self, code: int = -signal.SIGKILL) -> None:
        self.running, self.code = False, code


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def supervised(tmp_path: Path, rand: float = 1.0, **policy: Any) -> tuple[Supervisor, dict[str, FakeChild], Clock]:
    clock = Clock()
    children = {"scheduling": FakeChild(), "billing": FakeChild(), "kafka": FakeChild()}
    reports: list[tuple[str, str]] = []
    sup = Supervisor(
        {
            "scheduling": ("service", children["scheduling"]),
            "billing": ("service", children["billing"]),
            "kafka": ("server", children["kafka"]),
        },
        policy=RestartPolicy(**policy),
        state_path=tmp_path / STATE_FILE,
        report=lambda level, text: reports.append((level, text)),
        clock=clock,
        rand=lambda: rand,
    )
    sup.reports = reports  # type: ignore[attr-defined]
    return sup, children, clock


@pytest.mark.parametrize(("failures", "nominal"), [(1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 30.0), (20, 30.0)])
def test_the_pause_doubles_from_one_second_to_a_cap_of_thirty_with_jitter(failures: int, nominal: float) -> None:
    policy = RestartPolicy()
    assert policy.delay(failures, 0.0) == pytest.approx(nominal / 2)
    assert policy.delay(failures, 1.0) == pytest.approx(nominal)
    assert nominal / 2 < policy.delay(failures, 0.5) < nominal


def test_a_dead_service_is_started_again_after_its_pause_and_the_others_are_left_alone(tmp_path: Path) -> None:
    sup, children, clock = supervised(tmp_path)
    children["scheduling"].die()
    clock.now = 10.0
    sup.tick()
    assert children["scheduling"].starts == 0  # pausing first
    clock.now = 10.9
    sup.tick()
    assert children["scheduling"].starts == 0
    clock.now = 11.0
    sup.tick()
    assert children["scheduling"].starts == 1
    assert children["billing"].starts == 0
    assert children["kafka"].starts == 0
    state = sup.snapshot()["children"]["scheduling"]
    assert state["restarts"] == 1
    assert state["last_exit"] == "killed by SIGKILL"
    assert state["state"] == "running"


def test_failures_in_a_row_back_off_exponentially_and_reset_after_a_stable_run(tmp_path: Path) -> None:
    sup, children, clock = supervised(tmp_path, stable_after=60.0, crash_loop_restarts=100)
    child = children["billing"]
    pauses: list[float] = []
    for _ in range(4):
        child.die(1)
        sup.tick()
        died_at = clock.now
        while child.starts == len(pauses):
            clock.now += 0.25
            sup.tick()
        pauses.append(clock.now - died_at)
    assert pauses == [1.0, 2.0, 4.0, 8.0]
    clock.now += 60.0  # stayed up long enough
    sup.tick()
    child.die(1)
    sup.tick()
    clock.now += 1.0
    sup.tick()
    assert child.starts == 5  # back to the first pause


def test_a_crash_loop_is_reported_loudly_once_and_still_retried(tmp_path: Path) -> None:
    sup, children, clock = supervised(tmp_path, crash_loop_restarts=3, crash_loop_window=300.0)
    child = children["scheduling"]
    for _ in range(5):
        child.die(1)
        sup.tick()
        clock.now += 31.0
        sup.tick()
    errors = [text for level, text in sup.reports if level == "error"]  # type: ignore[attr-defined]
    assert len(errors) == 1
    assert "CRASH LOOP" in errors[0]
    assert child.starts == 5
    state = json.loads((tmp_path / STATE_FILE).read_text())["children"]["scheduling"]
    assert state["crash_loop"] is True
    assert state["state"] == "crash-loop"


def test_a_start_that_fails_counts_as_one_more_failure_and_is_retried(tmp_path: Path) -> None:
    sup, children, clock = supervised(tmp_path)
    child = children["kafka"]
    child.fail_starts = 1
    child.die(137)
    sup.tick()
    clock.now += 1.0
    sup.tick()
    assert child.starts == 0
    assert sup.snapshot()["children"]["kafka"]["last_error"] == "RuntimeError: port in use"
    clock.now += 2.0
    sup.tick()
    assert child.starts == 1
    assert sup.snapshot()["children"]["kafka"]["last_error"] is None


def test_status_shows_restarts_last_exit_and_servers_from_the_state_file(tmp_path: Path) -> None:
    sup, children, clock = supervised(tmp_path)
    children["scheduling"].die()
    sup.tick()
    clock.now += 1.0
    sup.tick()
    state = read_state(tmp_path / STATE_FILE)
    assert state is not None
    assert state["running"] is True
    out = Console(width=250, record=True)
    render([Health("scheduling", "http://x", "ready", "ok")], [], None, out, state)
    text = out.export_text()
    assert "killed by SIGKILL" in text
    assert "kafka" in text  # servers have their own table
    row = next(line for line in text.splitlines() if "scheduling" in line)
    assert "│ 1 " in row


def test_exit_descriptions() -> None:
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(3) == "exit 3"
    assert describe_exit(None) == "unknown"
