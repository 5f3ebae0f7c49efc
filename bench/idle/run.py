"""Database commands per second with nothing to do, per service (#21, what polling costs).

Starts throwaway PostgreSQL (durable, as `make run`), FerretDB and Kafka on free loopback ports
(`devstack.stack.Stack`, no Jaeger), then each of the five services **alone** (log level WARNING,
otherwise its defaults): after it is ready and `--settle` s more (start-up work: indexes, consumer
group joins), FerretDB's `ferretdb_client_requests_total` counters are read over `--seconds` of
idling, and the service is stopped. Last, all five together for the same window. FerretDB counts
every client's commands without naming the database, so one service at a time is what attributes
them; the run of all five is the figure the other benches see as their idle rate.

    .venv/bin/python bench/idle/run.py [--seconds 20] [--settle 5] [--json PATH]

Prints, per service, the commands/s and the commands it sent most. Exit status 0, 1 when it failed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rich.console import Console
from rich.table import Table

from bench.common.targets import target
from devstack.servers import free_port
from devstack.stack import SERVICES, Stack

console = Console(width=140)
ALL = "all five"


def window(stack: Stack, seconds: float) -> dict[str, float]:
    """Commands per second per command name over `seconds` of idling."""
    before = stack.ferretdb.command_counts()
    start = time.monotonic()
    time.sleep(seconds)
    after = stack.ferretdb.command_counts()
    took = time.monotonic() - start
    rates = {name: (count - before.get(name, 0)) / took for name, count in after.items()}
    return {name: rate for name, rate in rates.items() if rate > 0}


def measure(args: argparse.Namespace, workdir: Path) -> dict[str, dict[str, float]]:
    ports = {s.name: free_port() for s in SERVICES}
    stack = Stack(workdir, service_ports=ports, jaeger=False)
    found: dict[str, dict[str, float]] = {}
    try:
        stack.start_servers()
        for spec in SERVICES:
            stack.service(spec.name).env[f"{spec.env_prefix}LOGGING__LEVEL"] = "WARNING"
        groups: list[tuple[str, tuple[str, ...]]] = [(s.name, (s.name,)) for s in SERVICES]
        groups.append((ALL, tuple(s.name for s in SERVICES)))
        for label, names in groups:
            stack.start_services(names)
            time.sleep(args.settle)
            found[label] = window(stack, args.seconds)
            for name in names:
                stack.service(name).stop()
            console.print(f"  {label}: {sum(found[label].values()):.1f} commands/s")
    finally:
        stack.stop()
    return found


def report(found: dict[str, dict[str, float]], args: argparse.Namespace) -> dict[str, Any]:
    per = {label: round(sum(rates.values()), 2) for label, rates in found.items()}
    rows = [target("5", "idle database commands/s, all services", per.get(ALL), None, None)]
    rows += [
        target("5", f"idle database commands/s, {label}", value, None, None)
        for label, value in per.items()
        if label != ALL
    ]
    return {
        "bench": "idle",
        "seconds": args.seconds,
        "settle": args.settle,
        "commands_per_second": per,
        "by_command": {label: {k: round(v, 2) for k, v in sorted(r.items())} for label, r in found.items()},
        "targets_v3": rows,
    }


def show(result: dict[str, Any]) -> None:
    table = Table(title=f"Idle database commands/s per service ({result['seconds']:.0f} s each, FerretDB counters)")
    for col in ("service", "commands/s", "by command"):
        table.add_column(col)
    for label, value in result["commands_per_second"].items():
        by = result["by_command"][label]
        top = ", ".join(f"{k} {v:.1f}" for k, v in sorted(by.items(), key=lambda kv: -kv[1]) if v >= 0.05)
        table.add_row(label, f"{value:.1f}", top)
    console.print(table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="idle window per service")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after a service is ready before the window")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="trygg-idle-"))
    try:
        result = report(measure(args, workdir), args)
    except Exception:  # noqa: BLE001 - the bench failed: say why, exit 1
        traceback.print_exc()
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    show(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
