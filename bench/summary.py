"""One table of every figure of issue #21: the issue's "today", this run's figure, the target, met/missed.

`make bench` runs every bench with `--json <folder>/<bench>.json` (and writes its exit status to
`<folder>/<bench>.rc`), then this script with that folder:

    .venv/bin/python bench/summary.py .local/bench/<run>

Each bench's JSON holds `targets_v3`: rows `{"target": "1".."6", "figure", "value", "limit",
"met": true | false | null}` (`bench/common/targets.py`), and, when it sampled memory, `footprint`
(`bench/common/footprint.py`). The table has one row per figure of the issue (`CATALOGUE`, matched
by target number and figure name, case and spaces aside), then any other row a bench wrote. Target 5
is gathered from every bench's `footprint`: each service's and server's largest peak over all benches.

A figure whose bench has no JSON in the folder is **not run**; one its bench did not write is **not
reported**; neither is ever counted as met. Exit status 0 when every target with a limit was met,
3 otherwise (missed, not run or not reported).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

BENCHES = ("intake", "overload", "notification", "journey", "scaleout")
SERVICES = ("referral", "scheduling", "notification", "billing", "console")
SERVERS = ("kafka", "ferretdb", "postgresql")
SERVICE_LIMIT_MB = 250.0


@dataclass(frozen=True)
class Figure:
    """One figure of the issue: which bench measures it, what it was on 2026-12-05, its target."""

    bench: str
    target: str
    figure: str
    today: str
    limit: str


CATALOGUE: tuple[Figure, ...] = (
    Figure("intake", "1", "CPU-ms per accepted webhook, all processes", "17 CPU-ms", "≤ 8 CPU-ms"),
    Figure("intake", "1", "database round trips per accepted webhook", "5.6", "≤ 3"),
    Figure("intake", "1", "closed-loop accepted webhooks/s", "89/s (HTTP p99 313 ms)", "≥ 200/s"),
    Figure("overload", "2", "503 answer time at 2× sustained, p99", "nothing refused", "≤ 50 ms"),
    Figure("overload", "2", "accepted p99 at 2× sustained", "25 s (at 100/s)", "≤ 1 s"),
    Figure("overload", "2", "accepted webhooks lost", "1 connection reset", "0"),
    Figure("notification", "3", "database commands per SMS", "25", "≤ 10"),
    Figure("notification", "3", "SMS/s offered 100 events/s", "24.5/s (p99 30 s)", "≥ 60/s"),
    Figure("notification", "3", "decision → SMS p99 at 20 events/s", "400 ms", "≤ 1 s"),
    Figure("journey", "4", "webhook → case on the console", "not measured", "figure"),
    Figure("journey", "4", "decision → relative SMS", "not measured", "figure"),
    Figure("journey", "4", "decision → visits planned", "not measured", "figure"),
    Figure("journey", "4", "missed visit → on-call SMS", "not measured", "figure"),
    Figure("journey", "4", "CPU-ms per journey, all processes", "not measured", "figure"),
    Figure("journey", "4", "FerretDB commands per journey", "not measured", "figure"),
    Figure("journey", "4", "all journeys completed", "not measured", "seen = expected"),
    *(Figure("*", "5", f"peak RSS {name}", "not measured", f"≤ {SERVICE_LIMIT_MB:.0f} MB") for name in SERVICES),
    *(Figure("*", "5", f"peak RSS {name}", "not measured", "figure") for name in SERVERS),
    Figure("scaleout", "6", "duplicate effects with two instances", "not measured", "0"),
    Figure("scaleout", "6", "partitions divided between two instances", "not measured", "every instance works"),
    Figure("scaleout", "6", "throughput one vs two instances", "not measured", "figure"),
)


@dataclass
class Row:
    target: str
    figure: str
    today: str
    value: str
    limit: str
    verdict: str  # met, missed, figure, not run, not reported


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("->", "→")).strip().lower()


def verdict(met: Any, limit: str) -> str:
    if met is None:
        return "figure" if limit == "figure" else "not reported"
    return "met" if met else "missed"


def load(folder: Path) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The JSON of each bench that wrote one, and each bench's exit status (where recorded)."""
    reports: dict[str, dict[str, Any]] = {}
    status: dict[str, str] = {}
    for bench in BENCHES:
        path = folder / f"{bench}.json"
        if path.is_file():
            try:
                reports[bench] = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                status[bench] = f"unreadable JSON: {type(exc).__name__}"
                continue
        rc = folder / f"{bench}.rc"
        if rc.is_file():
            status.setdefault(bench, f"exit {rc.read_text().strip()}")
    return reports, status


def footprint_rows(reports: dict[str, dict[str, Any]]) -> dict[str, Row]:
    """Target 5: each process's largest peak RSS over every bench that sampled it."""
    peaks: dict[str, dict[str, Any]] = {}
    for bench, report in reports.items():
        for r in report.get("footprint") or []:
            name, mb = r.get("name"), r.get("peak_rss_mb")
            if not isinstance(name, str) or not isinstance(mb, int | float):
                continue
            if name not in peaks or mb > peaks[name]["peak_rss_mb"]:
                peaks[name] = {**r, "bench": bench}
    rows = {}
    for name, r in peaks.items():
        mb = float(r["peak_rss_mb"])
        service = r.get("kind") == "service" or name in SERVICES
        limit = f"≤ {SERVICE_LIMIT_MB:.0f} MB" if service else "figure"
        met = (mb <= SERVICE_LIMIT_MB) if service else None
        value = f"{mb:.0f} MB"
        if (r.get("processes") or 1) > 1 and isinstance(r.get("peak_pss_mb"), int | float):
            # A tree's RSS sum counts shared pages once per process (PostgreSQL's shared buffers): PSS does not.
            value += f" (PSS {r['peak_pss_mb']:.0f} MB, {r['processes']} processes)"
        rows[_key(f"peak RSS {name}")] = Row("5", f"peak RSS {name}", "", f"{value}, {r['bench']}", limit, "")
        rows[_key(f"peak RSS {name}")].verdict = verdict(met, limit)
    return rows


def summarise(reports: dict[str, dict[str, Any]]) -> list[Row]:
    footprint = footprint_rows(reports)
    written: dict[tuple[str, str], dict[str, Any]] = {}
    order: list[tuple[str, str]] = []
    for bench in BENCHES:
        for t in (reports.get(bench) or {}).get("targets_v3") or []:
            key = (str(t.get("target", "?")), _key(str(t.get("figure", ""))))
            if key[0] == "5":
                continue  # gathered from the footprints, over every bench
            if key not in written:
                order.append(key)
            written[key] = t
    rows: list[Row] = []
    used: set[tuple[str, str]] = set()
    for f in CATALOGUE:
        key = (f.target, _key(f.figure))
        if f.target == "5":
            row = footprint.pop(key[1], None)
            if row is None:
                rows.append(Row(f.target, f.figure, f.today, "–", f.limit, "not run"))
            else:
                row.today = f.today
                rows.append(row)
            continue
        t = written.get(key)
        used.add(key)
        if t is None:
            state = "not run" if f.bench not in reports else "not reported"
            rows.append(Row(f.target, f.figure, f.today, "–", f.limit, state))
            continue
        limit = str(t.get("limit") or f.limit)
        rows.append(Row(f.target, f.figure, str(t.get("today") or f.today), str(t.get("value")), limit, ""))
        rows[-1].verdict = verdict(t.get("met"), limit)
    for key in order:  # what the benches wrote beyond the catalogue
        if key in used:
            continue
        t = written[key]
        limit = str(t.get("limit") or "figure")
        row = Row(key[0], str(t.get("figure")), str(t.get("today") or "–"), str(t.get("value")), limit, "")
        row.verdict = verdict(t.get("met"), limit)
        rows.append(row)
    rows += list(footprint.values())  # processes beyond the catalogue (e.g. jaeger)
    rows.sort(key=lambda r: r.target)  # stable: the catalogue's order within a target
    return rows


def table(rows: Sequence[Row], title: str) -> Table:
    styles = {"met": "green", "missed": "bold red", "not run": "yellow", "not reported": "yellow", "figure": "dim"}
    out = Table(title=title)
    for col in ("#", "figure", "today (issue, 2026-12-05)", "this run", "target", "met?"):
        out.add_column(col)
    last = None
    for r in rows:
        if last is not None and r.target != last:
            out.add_section()
        last = r.target
        cells = (r.target, r.figure, r.today, r.value, r.limit)  # plain text: a value may hold "[...]"
        out.add_row(*(Text(c) for c in cells), Text(r.verdict, style=styles[r.verdict]))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="One table of every #21 figure from the benches' JSON files.")
    parser.add_argument("folder", type=Path, help="where the benches wrote <bench>.json (and <bench>.rc)")
    args = parser.parse_args(argv)
    reports, status = load(args.folder)
    rows = summarise(reports)
    console = Console(width=190)
    console.print(table(rows, f"Performance v3 (#21): every target, {args.folder}"))
    for bench in BENCHES:
        state = "wrote figures" if bench in reports else "not run"
        console.print(f"  {bench}: {state}{'; ' + status[bench] if bench in status else ''}")
    counts = {v: sum(1 for r in rows if r.verdict == v) for v in ("met", "missed", "not run", "not reported")}
    console.print("  " + ", ".join(f"{n} {v}" for v, n in counts.items()))
    return 0 if counts["missed"] == counts["not run"] == counts["not reported"] == 0 else 3


if __name__ == "__main__":
    sys.exit(main())
