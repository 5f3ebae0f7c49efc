"""`bench/summary.py`: met and missed as the benches wrote them, a missing bench never met."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import summary
from bench.common.targets import target


def _write(folder: Path, bench: str, rows: list[dict[str, Any]], footprint: list[dict[str, Any]] | None = None) -> None:
    body: dict[str, Any] = {"targets_v3": rows}
    if footprint is not None:
        body["footprint"] = footprint
    (folder / f"{bench}.json").write_text(json.dumps(body))


def _by_figure(rows: list[summary.Row]) -> dict[str, summary.Row]:
    return {r.figure: r for r in rows}


def _footprint(mb: float) -> list[dict[str, Any]]:
    return [{"name": s, "kind": "service", "peak_rss_mb": mb} for s in summary.SERVICES] + [
        {"name": s, "kind": "server", "peak_rss_mb": 400.0} for s in summary.SERVERS
    ]


def test_met_and_missed_as_written_with_the_issues_today_figure_beside(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "intake",
        [
            target("1", "CPU-ms per accepted webhook, all processes", "7.5 CPU-ms", "≤ 8 CPU-ms", True),
            target("1", "database  round trips per accepted webhook", "3.4", "≤ 3", False),  # spaces do not matter
        ],
    )
    rows = _by_figure(summary.summarise(summary.load(tmp_path)[0]))

    cpu = rows["CPU-ms per accepted webhook, all processes"]
    assert (cpu.today, cpu.value, cpu.verdict) == ("17 CPU-ms", "7.5 CPU-ms", "met")
    trips = rows["database round trips per accepted webhook"]
    assert (trips.today, trips.value, trips.verdict) == ("5.6", "3.4", "missed")
    # The intake bench ran but wrote no such row: not reported, never met.
    assert rows["closed-loop accepted webhooks/s"].verdict == "not reported"


def test_a_bench_without_json_is_not_run_and_the_exit_status_says_so(tmp_path: Path) -> None:
    _write(tmp_path, "journey", [target("4", "all journeys completed", "10/10", "seen = expected", True)])
    rows = summary.summarise(summary.load(tmp_path)[0])
    by = _by_figure(rows)

    assert by["all journeys completed"].verdict == "met"
    for r in rows:
        if r.target in ("1", "2", "3", "6"):
            assert r.verdict == "not run", r
    # No bench sampled memory: every process of target 5 is not run, none met.
    assert {r.verdict for r in rows if r.target == "5"} == {"not run"}
    assert summary.main([str(tmp_path)]) == 3


def test_footprint_takes_each_process_s_largest_peak_over_the_benches(tmp_path: Path) -> None:
    _write(tmp_path, "intake", [], [{"name": "referral", "kind": "service", "peak_rss_mb": 120.0}])
    _write(
        tmp_path,
        "journey",
        [],
        [
            {"name": "referral", "kind": "service", "peak_rss_mb": 260.4},
            {"name": "console", "kind": "service", "peak_rss_mb": 110.0},
            {"name": "kafka", "kind": "server", "peak_rss_mb": 420.0},
        ],
    )
    by = _by_figure(summary.summarise(summary.load(tmp_path)[0]))

    assert (by["peak RSS referral"].value, by["peak RSS referral"].verdict) == ("260 MB, journey", "missed")
    assert by["peak RSS console"].verdict == "met"
    assert by["peak RSS kafka"].verdict == "figure"  # no limit for servers
    assert by["peak RSS billing"].verdict == "not run"


def test_rows_beyond_the_catalogue_are_printed_and_all_met_exits_zero(tmp_path: Path) -> None:
    written: dict[str, list[dict[str, Any]]] = {b: [] for b in summary.BENCHES}
    for f in summary.CATALOGUE:
        if f.target != "5":
            written[f.bench].append(target(f.target, f.figure, "x", f.limit, None if f.limit == "figure" else True))
    written["overload"].append(target("2", "curve at 0.5×, 1×, 2×, 4×", "see table", "figure", None))
    for bench, rows in written.items():
        _write(tmp_path, bench, rows, _footprint(150.0) if bench == "journey" else None)
    rows = summary.summarise(summary.load(tmp_path)[0])

    assert _by_figure(rows)["curve at 0.5×, 1×, 2×, 4×"].verdict == "figure"
    assert {r.verdict for r in rows} <= {"met", "figure"}
    assert [r.target for r in rows] == sorted(r.target for r in rows)
    assert summary.main([str(tmp_path)]) == 0


def test_an_unreadable_json_is_not_run(tmp_path: Path) -> None:
    (tmp_path / "notification.json").write_text("{not json")
    (tmp_path / "notification.rc").write_text("1\n")
    reports, status = summary.load(tmp_path)

    assert "notification" not in reports
    assert status["notification"].startswith("unreadable JSON")
    assert _by_figure(summary.summarise(reports))["database commands per SMS"].verdict == "not run"
