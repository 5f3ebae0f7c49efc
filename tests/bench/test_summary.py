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


def test_rows_named_in_the_benches_own_words_find_their_figures(tmp_path: Path) -> None:
    """The shapes intake, overload and scale-out write: the target as text ("#21.1 ...", "overload: ..."),
    numbers for value and limit, one row per consumer group."""
    _write(
        tmp_path,
        "intake",
        [
            {
                "target": "#21.1 intake CPU ≤ 8 ms per accepted webhook, all servers",
                "figure": "CPU-ms per accepted webhook: referral + FerretDB + PostgreSQL + Kafka (closed loop)",
                "value": 7.25,
                "limit": 8.0,
                "met": True,
            },
            {
                "target": "#21.1 ≤ 3 database round trips per webhook",
                "figure": "MongoDB commands per accepted webhook, FerretDB's counters (closed loop)",
                "value": 3.4,
                "limit": 3.0,
                "met": False,
            },
        ],
    )
    _write(
        tmp_path,
        "overload",
        [
            {
                "target": "overload: 503 + Retry-After p99 ≤ 50 ms at 2× the sustained rate",
                "figure": "503 p99 at 180/s offered, ms; 0 without Retry-After",
                "value": 12.0,
                "limit": 50.0,
                "met": True,
            },
            {
                "target": "overload: nothing accepted is lost (every phase)",
                "figure": "accepted webhooks without their case or their ready event on Kafka, all phases",
                "value": 0,
                "limit": 0,
                "met": True,
            },
        ],
    )
    _write(
        tmp_path,
        "scaleout",
        [
            target("6", f"{group}: duplicate effects (one and two instances)", 0, 0, True)
            for group in ("scheduling", "billing")
        ]
        + [target("6", "console: consumer lag at the end", 3, 0, False)],
    )
    rows = summary.summarise(summary.load(tmp_path)[0])
    by = _by_figure(rows)

    cpu = by["CPU-ms per accepted webhook, all processes"]
    assert (cpu.target, cpu.value, cpu.limit, cpu.verdict) == ("1", "7.25", "≤ 8 CPU-ms", "met")
    assert cpu.detail.startswith("#21.1 intake CPU")  # the bench's own words under the figure
    assert by["database round trips per accepted webhook"].verdict == "missed"
    assert by["closed-loop accepted webhooks/s"].verdict == "not reported"
    assert (by["503 answer time at 2× sustained, p99"].value, by["503 answer time at 2× sustained, p99"].verdict) == (
        "12",
        "met",
    )
    assert by["accepted webhooks lost"].verdict == "met"
    assert by["accepted p99 at 2× sustained"].verdict == "not reported"
    duplicates = [r for r in rows if r.figure == "duplicate effects with two instances"]
    assert [(r.detail, r.verdict) for r in duplicates] == [
        ("scheduling: duplicate effects (one and two instances)", "met"),
        ("billing: duplicate effects (one and two instances)", "met"),
    ]
    lag = by["console: consumer lag at the end"]  # beyond the catalogue: printed as written
    assert (lag.target, lag.value, lag.limit, lag.verdict) == ("6", "3", "0", "missed")
    assert by["partitions divided between two instances"].verdict == "not reported"


def test_the_idle_benchs_rows_are_printed_under_target_5_beside_the_footprint(tmp_path: Path) -> None:
    _write(tmp_path, "journey", [], _footprint(150.0))
    _write(
        tmp_path,
        "idle",
        [
            target("5", "idle database commands/s, all services", 5.2, None, None),
            target("5", "peak RSS referral", "999 MB", "≤ 250 MB", False),  # target 5's RSS comes from footprints
        ],
    )
    rows = summary.summarise(summary.load(tmp_path)[0])
    by = _by_figure(rows)

    idle = by["idle database commands/s, all services"]
    assert (idle.target, idle.value, idle.limit, idle.verdict) == ("5", "5.2", "figure", "figure")
    assert by["peak RSS referral"].value.startswith("150 MB")
    assert [r.target for r in rows] == sorted(r.target for r in rows)
