"""`bench/journey/run.py`: the cost per journey less the idle rate, what an incomplete run may claim,
and when the wait for a burst's effects ends."""

from __future__ import annotations

from typing import Any

from bench.common.pgstats import COUNTER_HEADINGS, COUNTERS, counters_table
from bench.journey import run


def test_the_idle_rate_is_taken_off_the_phase_before_dividing_by_the_journeys() -> None:
    idle = run.Cost(5.0, {"ferretdb": 0.5}, 400, {"notification": {"alerts": {"inserted": 0, "seq_scans": 50}}})
    phase = run.Cost(
        10.0,
        {"ferretdb": 3.0, "referral": 0.2},
        3800,
        {"notification": {"alerts": {"inserted": 400, "seq_scans": 300}, "rotas": {"seq_scans": 10}}},
    )

    cpu, commands, rows = phase.per_journey(10, idle)

    assert cpu == {"ferretdb": 200.0, "referral": 20.0}  # (3.0 - 0.5 × 2) / 10 s → ms
    assert commands == 300.0  # (3800 - 400 × 2) / 10
    assert rows == {"notification": {"alerts": {"inserted": 40.0, "seq_scans": 20.0}, "rotas": {"seq_scans": 1.0}}}


def test_commands_by_name_are_per_journey_less_the_idle_rate_largest_first() -> None:
    idle = run.Cost(5.0, {}, 0, by_command={"find": 100, "hello": 10})
    phase = run.Cost(10.0, {}, 0, by_command={"find": 1200, "update": 500, "hello": 20})

    assert list(phase.commands_per_journey(10, idle).items()) == [("find", 100.0), ("update", 50.0)]  # hello: 0


def _result(complete: bool) -> dict[str, Any]:
    figure = {"figure": "x", "p50_ms": 1.0, "p99_ms": 2.0, "seen": 1, "expected": 1 if complete else 2}
    return {
        "journeys": 200,
        "achieved_rate": 19.9,
        "figures": {"console": figure},
        "complete": complete,
        "drain": {"outcome": "completed" if complete else "stalled", "seconds": 41.0},
        "capacity": {
            "completed": 200 if complete else 150,
            "seconds": 50.0,
            "journeys_per_second": 4.0 if complete else 3.0,
            "effects_seen": 1,
            "effects_expected": 1 if complete else 2,
        },
        "cost": {"cpu_ms_per_journey_all": 500.0, "ferretdb_commands_per_journey": 300.0},
    }


def test_a_complete_run_says_what_rate_its_cost_allows_and_what_it_sustained() -> None:
    rows = {r["figure"]: r for r in run.targets(_result(complete=True))}

    assert rows["CPU-ms per journey, all processes"]["value"].startswith("500 CPU-ms (")
    assert "journeys/s" in rows["CPU-ms per journey, all processes"]["value"]
    assert rows["FerretDB commands per journey"]["value"] == "300"
    assert rows["all journeys completed"]["met"] is True
    assert rows["all journeys completed"]["value"].startswith("1/1 effects seen, the last 41 s after the last journey")
    assert "200 journeys offered at 19.9/s" in rows["all journeys completed"]["value"]
    sustained = rows["journeys completed per second, whole run"]
    assert (sustained["value"], sustained["limit"], sustained["met"]) == ("4.0/s (200 of 200 in 50 s)", "figure", None)


def test_an_incomplete_run_gives_its_cost_as_a_lower_bound_and_no_rate() -> None:
    rows = {r["figure"]: r for r in run.targets(_result(complete=False))}

    cpu = rows["CPU-ms per journey, all processes"]["value"]
    assert cpu.startswith("≥ 500 CPU-ms")
    assert "journeys/s" not in cpu
    assert rows["FerretDB commands per journey"]["value"].startswith("≥ 300")
    assert rows["all journeys completed"]["met"] is False
    assert rows["all journeys completed"]["value"].startswith("1/2 effects seen; the drain ended (stalled) 41 s")
    assert rows["journeys completed per second, whole run"]["value"].startswith("3.0/s (150 of 200 in 50 s), not all")


def test_the_drain_ends_when_every_effect_arrived() -> None:
    drain = run.Drain(started=100.0, limit=600.0, stall=60.0)

    assert drain.outcome(101.0, 10, 30) is None
    assert drain.outcome(102.0, 30, 30) == "completed"


def test_the_drain_gives_up_at_its_limit_even_while_effects_still_arrive() -> None:
    drain = run.Drain(started=0.0, limit=50.0, stall=60.0, window=1000.0)  # no projection within the limit

    assert all(drain.outcome(float(t), t, 1000) is None for t in range(1, 50))
    assert drain.outcome(50.0, 50, 1000) == "limit"


def test_the_drain_gives_up_when_nothing_arrived_for_the_stall_time() -> None:
    drain = run.Drain(started=0.0, limit=600.0, stall=60.0)

    assert drain.outcome(1.0, 5, 10) is None  # progress at 1 s
    assert drain.outcome(60.0, 5, 10) is None
    assert drain.outcome(61.0, 5, 10) == "stalled"


def test_the_drain_gives_up_early_when_the_rate_measured_cannot_finish_within_the_limit() -> None:
    drain = run.Drain(started=0.0, limit=600.0, stall=60.0, window=30.0)
    outcomes = [drain.outcome(float(t), t // 10, 1000) for t in range(1, 40)]  # 0.1 effects/s, 996 to go

    assert outcomes[:29] == [None] * 29  # the first window is not judged
    assert "projected" in outcomes


def test_the_drain_waits_on_while_the_rate_measured_finishes_within_the_limit() -> None:
    drain = run.Drain(started=0.0, limit=600.0, stall=60.0, window=30.0)

    assert [drain.outcome(float(t), 10 * t, 4000) for t in range(1, 200)] == [None] * 199  # 10/s: done at 400 s


def test_the_drain_limit_leaves_the_bench_time_to_report_within_its_budget() -> None:
    assert run.drain_limit(600.0, 840.0, 60.0) == 600.0
    assert run.drain_limit(600.0, 840.0, 300.0) == 840.0 - run.REPORT_RESERVE - 300.0
    assert run.drain_limit(600.0, 240.0, 300.0) == 0.0


def test_a_counters_table_gives_the_names_then_every_counter_in_order_at_the_digits_asked() -> None:
    rows = [(("billing", "cases"), {"inserted": 3, "seq_rows": 12.345}), (("console", "visits"), {"idx_scans": 2.5})]
    table = counters_table("idle", ("database", "collection"), rows, digits=2)
    assert [c.header for c in table.columns] == ["database", "collection", *(COUNTER_HEADINGS[k] for k in COUNTERS)]
    assert [list(c.cells) for c in table.columns[:3]] == [["billing", "console"], ["cases", "visits"], ["3.00", "0.00"]]
    assert list(table.columns[-2].cells) == ["12.35", "0.00"]  # rows read by sequential scans
    assert list(table.columns[-1].cells) == ["0.00", "2.50"]  # index scans
