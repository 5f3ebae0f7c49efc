"""Peak memory of the processes a bench starts: each service and each server (#21 target 5).

A daemon thread reads `/proc` every `interval` seconds (no psutil: it is not in uv.lock). Each
watched process counts with all its descendants (PostgreSQL: the postmaster and every backend;
a server started through a shell script: the JVM under it), found by their parent ids in
`/proc/<pid>/stat` at each sample, so backends that come and go are counted while they live.

Per watched name it keeps:
- **peak RSS**: the largest sum of `VmRSS` over the tree at one sample, or the largest `VmHWM`
  (the kernel's own high-water mark of one process's resident set, so a spike between two samples
  of a one-process service is not missed) of any member, whichever is larger. For a tree this sum
  counts shared pages (PostgreSQL's shared buffers) once per process that touched them: an upper
  bound;
- **CPU**: user + system time of the tree from the first sample to the last (the root's exited
  children included, through its `cutime`/`cstime`), and that as % of one core: which process was
  saturated while the memory was measured;
- **peak PSS** (where `/proc/<pid>/smaps_rollup` is readable, i.e. our own user's processes):
  shared pages divided among the processes that share them, so the tree's sum is what it really
  takes. `None` when unreadable (PostgreSQL runs as `nobody` when the bench runs as root).

Use (a bench that runs a `devstack.stack.Stack`, or its own servers and `ServiceProcess`es):

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))   # the repository root, in bench/<x>/run.py
    from bench.common.footprint import Footprint
    footprint = Footprint()
    footprint.watch_stack(stack)                      # or footprint.watch("referral", pid, "service")
    footprint.start()
    ...                                               # the bench
    footprint.stop()
    console.print(footprint.table())
    report["footprint"] = footprint.rows()            # in the --json output: `bench/summary.py` reads it
    report["targets_v3"] += footprint.targets()       # ≤ 250 MB per service, met / missed

A process restarted during the bench (new pid) is watched again with `watch(name, new_pid)`: the
peaks of both runs are kept under the name.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from rich.table import Table

Kind = Literal["service", "server"]
SERVICE_LIMIT_MB = 250.0  # issue #21 target 5: peak RSS per service
PROC = Path("/proc")


class _HasPid(Protocol):
    def pid(self) -> int | None: ...


def _kib(pid: int, file: str, *keys: str) -> dict[str, int] | None:
    """The `key: <n> kB` lines of /proc/<pid>/<file> asked for; None when unreadable (gone, not ours)."""
    try:
        text = (PROC / str(pid) / file).read_text()
    except OSError:
        return None
    found = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in keys:
            found[key] = int(rest.split()[0])
    return found


def _status_kib(pid: int) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) in KiB of one process, None when it is gone (or a kernel thread)."""
    found = _kib(pid, "status", "VmRSS", "VmHWM")
    if not found or "VmRSS" not in found:
        return None
    return found["VmRSS"], found.get("VmHWM", found["VmRSS"])


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int, *, reaped: bool) -> int | None:
    """User + system CPU of one process in clock ticks; with `reaped`, also its children that exited."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # fields 3.. of proc(5): utime is 14, stime 15, cutime 16, cstime 17
    used = int(fields[11]) + int(fields[12])
    return used + int(fields[13]) + int(fields[14]) if reaped else used


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of one process so far (Linux `/proc`), None when it cannot be read."""
    ticks = None if pid is None else _cpu_ticks(pid, reaped=False)
    return None if ticks is None else ticks / TICKS


def _pss_kib(pid: int) -> int | None:
    return (_kib(pid, "smaps_rollup", "Pss") or {}).get("Pss")


def _children() -> dict[int, list[int]]:
    """Parent pid → child pids, for every process on the machine (one pass over /proc)."""
    out: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1:
            out.setdefault(int(fields[1]), []).append(int(entry.name))
    return out


def tree(pid: int, children: dict[int, list[int]]) -> list[int]:
    """`pid` and all its descendants."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, ()))
    return found


@dataclass
class Peak:
    name: str
    kind: Kind
    pids: list[int] = field(default_factory=list)
    rss_kib: int = 0  # largest tree sum of VmRSS at one sample, or a member's VmHWM
    pss_kib: int | None = None  # largest tree sum of Pss at one sample (None: never readable)
    processes: int = 0  # most processes in the tree at one sample
    samples: int = 0
    cpu_first: int | None = None  # CPU ticks of the tree at the first sample
    cpu_last: int = 0  # ... and at the latest
    first_at: float = 0.0
    last_at: float = 0.0

    @property
    def rss_mb(self) -> float:
        return self.rss_kib / 1024

    @property
    def pss_mb(self) -> float | None:
        return None if self.pss_kib is None else self.pss_kib / 1024

    @property
    def cpu_seconds(self) -> float:
        return 0.0 if self.cpu_first is None else (self.cpu_last - self.cpu_first) / TICKS

    @property
    def cpu_share(self) -> float | None:
        """CPU between the first and the latest sample, in % of one core."""
        wall = self.last_at - self.first_at
        return None if wall <= 0 else 100 * self.cpu_seconds / wall


class Footprint:
    """Samples the resident memory of named process trees in a daemon thread; see the module text."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.peaks: dict[str, Peak] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- what to watch -----------------------------------------------------------------------

    def watch(self, name: str, pid: int | None, kind: Kind = "service") -> None:
        if pid is None:
            return
        with self._lock:
            peak = self.peaks.setdefault(name, Peak(name, kind))
            if pid not in peak.pids:
                peak.pids.append(pid)

    def watch_process(self, name: str, process: _HasPid, kind: Kind = "service") -> None:
        """Anything with a `pid()` (a `devstack` server or `ServiceProcess`)."""
        self.watch(name, process.pid(), kind)

    def watch_stack(self, stack: Any) -> None:
        """Every server and started service of a `devstack.stack.Stack`."""
        if stack.postgres is not None:
            self.watch_process("postgresql", stack.postgres, "server")
        self.watch_process("ferretdb", stack.ferretdb, "server")
        self.watch_process("kafka", stack.kafka, "server")
        if stack.tracing is not None:
            self.watch_process("jaeger", stack.tracing, "server")
        for name, svc in stack.services.items():
            self.watch_process(name, svc, "service")

    # --- sampling ----------------------------------------------------------------------------

    def sample(self) -> None:
        children = _children()
        with self._lock:
            for peak in self.peaks.values():
                rss = pss = count = cpu = 0
                pss_known = False
                for root in peak.pids:
                    for pid in tree(root, children):
                        status = _status_kib(pid)
                        if status is None:
                            continue
                        count += 1
                        # The root with its exited (reaped) children, each live descendant on its own.
                        cpu += _cpu_ticks(pid, reaped=pid == root) or 0
                        rss += status[0]
                        peak.rss_kib = max(peak.rss_kib, status[1])
                        p = _pss_kib(pid)
                        if p is not None:
                            pss += p
                            pss_known = True
                if count == 0:
                    continue
                peak.samples += 1
                now = time.monotonic()
                if peak.cpu_first is None:
                    peak.cpu_first, peak.first_at = cpu, now
                peak.cpu_last, peak.last_at = max(peak.cpu_last, cpu), now
                peak.rss_kib = max(peak.rss_kib, rss)
                peak.processes = max(peak.processes, count)
                if pss_known:
                    peak.pss_kib = max(peak.pss_kib or 0, pss)

    def cpu_now(self) -> dict[str, float]:
        """Each watched tree's CPU seconds so far: the difference of two is a phase's CPU per process."""
        self.sample()
        with self._lock:
            return {name: p.cpu_last / TICKS for name, p in self.peaks.items()}

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(Exception):  # a process vanishing mid-read: the next sample
                self.sample()
            self._stop.wait(self.interval)

    def start(self) -> Footprint:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="footprint", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        with contextlib.suppress(Exception):
            self.sample()  # a last look: VmHWM holds each live process's peak since it started

    def __enter__(self) -> Footprint:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what to print -----------------------------------------------------------------------

    def rows(self) -> list[dict[str, Any]]:
        """One dict per watched name (for the --json output; `bench/summary.py` reads these)."""
        with self._lock:
            return [
                {
                    "name": p.name,
                    "kind": p.kind,
                    "peak_rss_mb": round(p.rss_mb, 1),
                    "peak_pss_mb": None if p.pss_mb is None else round(p.pss_mb, 1),
                    "processes": p.processes,
                    "samples": p.samples,
                    "cpu_seconds": round(p.cpu_seconds, 1),
                    "cpu_percent": None if p.cpu_share is None else round(p.cpu_share, 1),
                }
                for p in sorted(self.peaks.values(), key=lambda p: (p.kind != "service", p.name))
            ]

    def targets(self) -> list[dict[str, Any]]:
        """The `targets_v3` rows of target 5: each service's peak RSS against 250 MB."""
        return [service_target(r["name"], r["peak_rss_mb"]) for r in self.rows() if r["kind"] == "service"]

    def table(self, title: str = "Peak memory during the bench (target 5: ≤ 250 MB RSS per service)") -> Table:
        table = Table(title=title)
        for col in ("process", "kind", "peak RSS", "peak PSS", "processes", "CPU s", "CPU % of a core", "target"):
            table.add_column(col, justify="left" if col in ("process", "kind", "target") else "right")
        for r in self.rows():
            verdict = ""
            if r["kind"] == "service":
                verdict = "met" if r["peak_rss_mb"] <= SERVICE_LIMIT_MB else "MISSED"
            table.add_row(
                r["name"],
                r["kind"],
                f"{r['peak_rss_mb']:.1f} MB",
                "–" if r["peak_pss_mb"] is None else f"{r['peak_pss_mb']:.1f} MB",
                str(r["processes"]),
                f"{r['cpu_seconds']:.1f}",
                "–" if r["cpu_percent"] is None else f"{r['cpu_percent']:.0f}",
                verdict,
            )
        return table


def service_target(name: str, peak_rss_mb: float) -> dict[str, Any]:
    return {
        "target": "5",
        "figure": f"peak RSS {name}",
        "value": f"{peak_rss_mb:.0f} MB",
        "limit": f"≤ {SERVICE_LIMIT_MB:.0f} MB",
        "met": peak_rss_mb <= SERVICE_LIMIT_MB,
    }
