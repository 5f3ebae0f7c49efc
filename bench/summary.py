"""One table of every figure of issue #21: the issue's "today", this run's figure, the target, met/missed.

`make bench` runs every bench with `--json <folder>/<bench>.json` (and writes its exit status to
`<folder>/<bench>.rc`), then this script with that folder:

    .venv/bin/python bench/summary.py .local/bench/<run>

Each bench's JSON holds `targets_v3`: rows `{"target": "1".."6", "figure", "value", "limit",
"met": true | false | null}` (`bench/common/targets.py`), and, when it sampled memory, `footprint`
(`bench/common/footprint.py`). The table has one row per figure of the issue (`CATALOGUE`): a
bench's row is that figure's when it has the same target number (a number, "#21.<n> ...", or else
the bench's own target) and either the same name (case and spaces aside) or all the figure's `keys`
in its target and figure text; a figure may get several rows (one per consumer group), each shown
with the bench's own words under the figure's name. Rows no figure claims follow under their
target. Target 5 is gathered from every bench's `footprint`: each service's and server's largest
peak over all benches.

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

BENCHES = ("intake", "overload", "notification", "journey", "scaleout", "idle")
SERVICES = ("referral", "scheduling", "notification", "billing", "console")
SERVERS = ("kafka", "ferretdb", "postgresql")
SERVICE_LIMIT_MB = 250.0


@dataclass(frozen=True)
class Figure:
    """One figure of the issue: which bench measures it, what it was on 2026-12-05, its target, and
    the words (`keys`, all of them, case aside) by which a bench's row is recognised as this figure
    when its name is not the same."""

    bench: str
    target: str
    figure: str
    today: str
    limit: str
    keys: tuple[str, ...] = ()


CATALOGUE: tuple[Figure, ...] = (
    Figure("intake", "1", "CPU-ms per accepted webhook, all processes", "17 CPU-ms", "≤ 8 CPU-ms", ("cpu",)),
    Figure("intake", "1", "database round trips per accepted webhook", "5.6", "≤ 3", ("round trip",)),
    Figure("intake", "1", "closed-loop accepted webhooks/s", "89/s (HTTP p99 313 ms)", "≥ 200/s", ("accepted/s",)),
    Figure("overload", "2", "503 answer time at 2× sustained, p99", "nothing refused", "≤ 50 ms", ("503",)),
    Figure("overload", "2", "accepted p99 at 2× sustained", "25 s (at 100/s)", "≤ 1 s", ("accepted p99",)),
    Figure("overload", "2", "accepted webhooks lost", "1 connection reset", "0", ("lost",)),
    Figure("notification", "3", "database commands per SMS", "25", "≤ 10", ("commands per sms",)),
    Figure("notification", "3", "SMS/s offered 100 events/s", "24.5/s (p99 30 s)", "≥ 60/s", ("sms/s",)),
    Figure("notification", "3", "decision → SMS p99 at 20 events/s", "400 ms", "≤ 1 s", ("p99",)),
    # Target 4 sets no number for its four latencies: figures. They are the p50/p99 only when
    # they cover every journey offered at 20/s, hence the one limit, "all journeys completed".
    Figure("journey", "4", "webhook → case on the console", "not measured", "figure"),
    Figure("journey", "4", "decision → relative SMS", "not measured", "figure"),
    Figure("journey", "4", "decision → visits planned", "not measured", "figure"),
    Figure("journey", "4", "missed visit → on-call SMS", "not measured", "figure"),
    Figure("journey", "4", "all journeys completed", "not measured", "seen = expected"),
    Figure("journey", "4", "journeys completed per second, whole run", "not measured", "figure", ("per second",)),
    Figure("journey", "4", "CPU-ms per journey, all processes", "not measured", "figure"),
    Figure("journey", "4", "FerretDB commands per journey", "not measured", "figure"),
    *(Figure("*", "5", f"peak RSS {name}", "not measured", f"≤ {SERVICE_LIMIT_MB:.0f} MB") for name in SERVICES),
    *(Figure("*", "5", f"peak RSS {name}", "not measured", "figure") for name in SERVERS),
    Figure("scaleout", "6", "duplicate effects with two instances", "not measured", "0", ("duplicate",)),
    Figure("scaleout", "6", "partitions divided between two instances", "not measured", "2", ("partitions divided",)),
    Figure("scaleout", "6", "throughput one vs two instances", "not measured", "figure", ("throughput",)),
)
# The target a bench's rows belong to when their `target` is text rather than a number.
BENCH_TARGET = {"intake": "1", "overload": "2", "notification": "3", "journey": "4", "scaleout": "6", "idle": "5"}


@dataclass
class Row:
    target: str
    figure: str
    today: str
    value: str
    limit: str
    verdict: str  # met, missed, figure, not run, not reported
    detail: str = ""  # the bench's own words for the figure, when they are not the catalogue's


@dataclass(frozen=True)
class Written:
    """One `targets_v3` row as a bench wrote it."""

    bench: str
    target: str  # the target number
    text: str  # its `target` and `figure`, for recognising it
    row: dict[str, Any]


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("->", "→")).strip().lower()


def number(raw: Any, bench: str) -> str:
    """The target number of a row: "3", "#21.1 ...", or the bench's own target for any other text."""
    text = str(raw if raw is not None else "").strip()
    if text.isdigit():
        return text
    found = re.search(r"#?21\.(\d)\b", text)
    return found.group(1) if found else BENCH_TARGET.get(bench, "?")


def shown(value: Any) -> str:
    """A value or limit as printed: numbers grouped and without trailing zeros, text as it is."""
    if isinstance(value, bool) or value is None:
        return "–" if value is None else str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


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
        figure = f"peak RSS {name}"
        rows[_key(figure)] = Row("5", figure, "", f"{value}, {r['bench']}", limit, verdict(met, limit))
    return rows


def written_rows(reports: dict[str, dict[str, Any]]) -> list[Written]:
    """Every `targets_v3` row of every bench but target 5's peak RSS rows (gathered from the
    footprints instead); target 5's other rows (the idle benches' commands/s) are printed as written."""
    out = []
    for bench in BENCHES:
        for t in (reports.get(bench) or {}).get("targets_v3") or []:
            if not isinstance(t, dict):
                continue
            n = number(t.get("target"), bench)
            if n != "5" or not _key(str(t.get("figure", ""))).startswith("peak rss"):
                out.append(Written(bench, n, _key(f"{t.get('target', '')} {t.get('figure', '')}"), t))
    return out


def _matches(f: Figure, w: Written) -> bool:
    if f.target != w.target or f.bench not in (w.bench, "*"):
        return False
    return _key(str(w.row.get("figure", ""))) == _key(f.figure) or (bool(f.keys) and all(k in w.text for k in f.keys))


def _row(f: Figure | None, w: Written) -> Row:
    t = w.row
    limit = shown(t.get("limit")) if t.get("limit") is not None else (f.limit if f else "figure")
    if f is not None and isinstance(t.get("limit"), int | float):
        limit = f.limit  # the wording (≤, ≥, unit) of the same number
    figure = f.figure if f else str(t.get("figure"))
    own = str(t.get("figure", ""))
    if f is not None and str(t.get("target", "")) and not str(t.get("target")).isdigit():
        own = f"{t.get('target')}: {own}"
    detail = "" if _key(own) == _key(figure) else own
    today = str(t.get("today") or (f.today if f else "–"))
    return Row(w.target, figure, today, shown(t.get("value")), limit, verdict(t.get("met"), limit), detail)


def summarise(reports: dict[str, dict[str, Any]]) -> list[Row]:
    footprint = footprint_rows(reports)
    written = written_rows(reports)
    claimed: dict[int, Figure] = {}
    for i, w in enumerate(written):  # each row to the first figure it matches, in the catalogue's order
        f = next((f for f in CATALOGUE if _matches(f, w)), None)
        if f is not None:
            claimed[i] = f
    rows: list[Row] = []
    for f in CATALOGUE:
        if f.target == "5":
            row = footprint.pop(_key(f.figure), None)
            if row is None:
                rows.append(Row(f.target, f.figure, f.today, "–", f.limit, "not run"))
            else:
                row.today = f.today
                rows.append(row)
            continue
        mine = [w for i, w in enumerate(written) if claimed.get(i) is f]
        if not mine:
            state = "not run" if f.bench not in reports else "not reported"
            rows.append(Row(f.target, f.figure, f.today, "–", f.limit, state))
        rows += [_row(f, w) for w in mine]
    rows += [_row(None, w) for i, w in enumerate(written) if i not in claimed]  # beyond the catalogue
    rows += list(footprint.values())  # processes beyond the catalogue (e.g. jaeger)
    rows.sort(key=lambda r: r.target)  # stable: the catalogue's order within a target
    return rows


def table(rows: Sequence[Row], title: str) -> Table:
    styles = {"met": "green", "missed": "bold red", "not run": "yellow", "not reported": "yellow", "figure": "dim"}
    out = Table(title=title)
    for col in ("#", "figure", "today (issue, 2026-12-05)", "this run", "target", "met?"):
        out.add_column(col, max_width=70 if col == "figure" else None)
    last = None
    for r in rows:
        if last is not None and r.target != last:
            out.add_section()
        last = r.target
        figure = Text(r.figure)
        if r.detail:
            figure.append("\n" + r.detail, style="dim")
        cells = (r.target, r.today, r.value, r.limit)  # plain text: a value may hold "[...]"
        texts = [Text(c) for c in cells]
        out.add_row(texts[0], figure, *texts[1:], Text(r.verdict, style=styles[r.verdict]))
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
