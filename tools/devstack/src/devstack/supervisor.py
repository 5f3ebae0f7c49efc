"""`trygg run`'s supervisor: a child process that dies is started again, the others keep running.

Each child (a service, or a server: Kafka, PostgreSQL, FerretDB, Jaeger) that exits is started
again after a pause that doubles with each failure in a row (1 s, 2 s, 4 s ... capped at 30 s),
with jitter, and resets once the child has stayed up for a while (60 s). A child that needed
`crash_loop_restarts` restarts within `crash_loop_window` seconds is in a *crash loop*: said
loudly once, shown by `trygg status`, and still retried at the capped pause (a crash loop caused
by a server that is down heals itself when the server is back).

The supervisor writes its view (`supervisor.json` in the run's work folder) after every change;
`trygg status` reads it to show each child's restarts and last exit.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

STATE_FILE = "supervisor.json"

Kind = Literal["service", "server"]


@dataclass(frozen=True)
class RestartPolicy:
    initial: float = 1.0  # seconds before the first restart
    cap: float = 30.0  # never longer than this
    factor: float = 2.0
    stable_after: float = 60.0  # up this long: the next failure starts again from `initial`
    crash_loop_restarts: int = 5
    crash_loop_window: float = 300.0

    def delay(self, failures_in_a_row: int, rand: float) -> float:
        """The pause before restart number `failures_in_a_row` (1-based) of a run of failures:
        exponential, capped, with "equal jitter" (between half and all of the nominal pause)."""
        nominal = min(self.initial * self.factor ** (failures_in_a_row - 1), self.cap)
        return nominal / 2 + rand * nominal / 2


class Child(Protocol):
    """What the supervisor needs of a process it looks after."""

    def alive(self) -> bool: ...

    def returncode(self) -> int | None: ...

    def pid(self) -> int | None: ...

    def start(self) -> None: ...


def describe_exit(code: int | None) -> str:
    """`exit 1`, `killed by SIGKILL`, or `unknown`."""
    if code is None:
        return "unknown"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit {code}"


@dataclass
class ChildState:
    name: str
    kind: Kind
    restarts: int = 0
    failures_in_a_row: int = 0
    started_at: float = 0.0
    last_exit: int | None = None
    last_exit_at: str | None = None
    restart_at: float | None = None  # monotonic time of the planned restart, while backing off
    crash_loop: bool = False
    last_error: str | None = None  # a start that raised
    recent: deque[float] = field(default_factory=deque)  # monotonic times of recent failures

    def as_json(self, now: float, pid: int | None) -> dict[str, Any]:
        if self.restart_at is not None:
            state = "crash-loop" if self.crash_loop else "restarting"
        else:
            state = "crash-loop" if self.crash_loop else "running"
        return {
            "kind": self.kind,
            "state": state,
            "pid": pid,
            "restarts": self.restarts,
            "last_exit": describe_exit(self.last_exit) if self.last_exit_at else None,
            "last_exit_at": self.last_exit_at,
            "restart_in_seconds": round(max(self.restart_at - now, 0.0), 1) if self.restart_at is not None else None,
            "crash_loop": self.crash_loop,
            "last_error": self.last_error,
        }


class Supervisor:
    """Looks after children; call `tick()` regularly from the main thread (children are started
    from it, so they die with this process)."""

    def __init__(
        self,
        children: dict[str, tuple[Kind, Child]],
        *,
        policy: RestartPolicy | None = None,
        state_path: Path | None = None,
        report: Callable[[str, str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.children = {name: child for name, (_kind, child) in children.items()}
        self.policy = policy or RestartPolicy()
        self.state_path = state_path
        self._report = report or (lambda _level, _text: None)
        self._clock = clock
        self._rand = rand
        now = clock()
        self.states = {name: ChildState(name, kind, started_at=now) for name, (kind, _child) in children.items()}
        self.write_state()

    def tick(self) -> None:
        now = self._clock()
        changed = False
        for name, child in self.children.items():
            state = self.states[name]
            if state.restart_at is None:
                if child.alive():
                    if state.failures_in_a_row and now - state.started_at >= self.policy.stable_after:
                        state.failures_in_a_row = 0
                        if state.crash_loop:
                            state.crash_loop = False
                            up = self.policy.stable_after
                            self._report("info", f"{name} has stayed up {up:.0f} s: out of its crash loop")
                        changed = True
                    continue
                changed = True
                self._exited(state, child.returncode(), now)
            if state.restart_at is not None and now >= state.restart_at:
                changed = True
                self._start(state, child, now)
        if changed:
            self.write_state()

    def _exited(self, state: ChildState, code: int | None, now: float) -> None:
        state.last_exit = code
        state.last_exit_at = datetime.now(UTC).isoformat(timespec="seconds")
        self._plan_restart(state, now, f"{state.kind} {state.name} died ({describe_exit(code)})")

    def _plan_restart(self, state: ChildState, now: float, what: str) -> None:
        state.failures_in_a_row += 1
        state.recent.append(now)
        while state.recent and now - state.recent[0] > self.policy.crash_loop_window:
            state.recent.popleft()
        pause = self.policy.delay(state.failures_in_a_row, self._rand())
        state.restart_at = now + pause
        if not state.crash_loop and len(state.recent) >= self.policy.crash_loop_restarts:
            state.crash_loop = True
            self._report(
                "error",
                f"{state.name} is in a CRASH LOOP: {len(state.recent)} failures within "
                f"{self.policy.crash_loop_window:.0f} s; still retrying every ≤{self.policy.cap:.0f} s — see its log",
            )
        self._report("warning", f"{what}; restart {state.restarts + 1} in {pause:.1f} s")

    def _start(self, state: ChildState, child: Child, now: float) -> None:
        state.restart_at = None
        try:
            child.start()
        except Exception as exc:  # noqa: BLE001 - a start that fails is one more failure, not the end
            state.last_error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
            self._plan_restart(state, now, f"{state.kind} {state.name} did not start ({state.last_error})")
            return
        state.restarts += 1
        state.started_at = now
        state.last_error = None
        self._report("info", f"{state.kind} {state.name} started again (restart {state.restarts})")

    def snapshot(self) -> dict[str, Any]:
        now = self._clock()
        return {
            "supervisor_pid": os.getpid(),
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "children": {
                name: state.as_json(now, self.children[name].pid() if self.children[name].alive() else None)
                for name, state in self.states.items()
            },
        }

    def write_state(self) -> None:
        if self.state_path is None:
            return
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.snapshot(), indent=2))
        tmp.replace(self.state_path)  # atomic: `trygg status` never reads half a file


def read_state(path: Path) -> dict[str, Any] | None:
    """The supervisor's last written view, with `running` False when its process is gone."""
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    pid = data.get("supervisor_pid")
    data["running"] = isinstance(pid, int) and _pid_alive(pid)
    return data


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
