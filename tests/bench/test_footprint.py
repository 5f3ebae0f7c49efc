"""`bench/common/footprint.py`: a process tree's resident memory and CPU, children included, against 250 MB."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from bench.common.footprint import Footprint, Peak, service_target

# A parent holding ~60 MB and a child holding ~40 MB, both resident (written, not just reserved).
HOLDING = (
    "import subprocess, sys, time; a = bytearray(60 * 2**20); "
    "c = subprocess.Popen([sys.executable, '-c', 'import time; b = bytearray(40 * 2**20); time.sleep(30)']); "
    "time.sleep(30)"
)
# A parent whose child spends a second of CPU, then sleeps.
BUSY_CHILD = (
    "import subprocess, sys; "
    "subprocess.run([sys.executable, '-c', 'import time\\nt = time.process_time()\\n"
    "while time.process_time() - t < 1.0: pass\\ntime.sleep(30)'])"
)


def watched(code: str, until: Callable[[Peak], bool]) -> Footprint:
    """Run `code` as a process tree, watched as "tree" until `until(peak)` (at most 20 s); then kill it."""
    parent = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    footprint = Footprint(interval=0.1)
    try:
        footprint.watch("tree", parent.pid, "service")
        footprint.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not until(footprint.peaks["tree"]):
            time.sleep(0.1)
        time.sleep(0.3)
    finally:
        os.killpg(parent.pid, signal.SIGKILL)  # the parent and the child it started
        parent.wait()
        footprint.stop()  # the tree is gone: its peaks stay
    return footprint


def test_a_tree_counts_its_children_and_keeps_the_peak_after_they_exit() -> None:
    footprint = watched(HOLDING, lambda peak: peak.processes >= 2)
    [row] = footprint.rows()

    assert row["processes"] == 2
    assert row["peak_rss_mb"] >= 100, row  # both members' bytes, not the parent's alone
    assert row["samples"] >= 2
    assert footprint.targets() == [service_target("tree", row["peak_rss_mb"])]
    assert footprint.targets()[0]["met"] is True


def test_cpu_counts_a_busy_child_of_the_tree() -> None:
    footprint = watched(BUSY_CHILD, lambda peak: peak.cpu_seconds >= 0.9)
    [row] = footprint.rows()

    assert row["cpu_seconds"] >= 0.9, row  # the child's second of CPU, though only the parent was named
    assert row["cpu_percent"] is not None
    assert row["cpu_percent"] > 0
    assert footprint.cpu_now()["tree"] >= 0.9  # CPU so far (a phase's cost is the difference of two)


def test_a_service_over_250_mb_misses_the_target() -> None:
    assert service_target("referral", 250.0)["met"] is True
    missed = service_target("referral", 250.4)
    assert missed == {
        "target": "5",
        "figure": "peak RSS referral",
        "value": "250 MB",
        "limit": "≤ 250 MB",
        "met": False,
    }


def test_a_process_that_is_gone_before_the_first_sample_is_not_counted() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    footprint = Footprint()
    footprint.watch("gone", gone.pid, "server")
    footprint.watch("nothing", None)
    footprint.sample()

    assert footprint.rows() == [
        {
            "name": "gone",
            "kind": "server",
            "peak_rss_mb": 0.0,
            "peak_pss_mb": None,
            "processes": 0,
            "samples": 0,
            "cpu_seconds": 0.0,
            "cpu_percent": None,
        }
    ]
