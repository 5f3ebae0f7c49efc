"""`bench/journey/run.py`: the cost per journey less the idle rate, and what an incomplete run may claim."""

from __future__ import annotations

from typing import Any

from bench.journey import run


def test_the_idle_rate_is_taken_off_the_phase_before_dividing_by_the_journeys() -> None:
    idle = run.Cost(5.0, {"ferretdb": 0.5}, 400, {"notification": {"inserted": 0, "scans": 50}})
    phase = run.Cost(10.0, {"ferretdb": 3.0, "referral": 0.2}, 3800, {"notification": {"inserted": 400, "scans": 300}})

    cpu, commands, rows = phase.per_journey(10, idle)

    assert cpu == {"ferretdb": 200.0, "referral": 20.0}  # (3.0 - 0.5 × 2) / 10 s → ms
    assert commands == 300.0  # (3800 - 400 × 2) / 10
    assert rows == {"notification": {"inserted": 40.0, "scans": 20.0}}


def _result(complete: bool) -> dict[str, Any]:
    figure = {"figure": "x", "p50_ms": 1.0, "p99_ms": 2.0, "seen": 1, "expected": 1 if complete else 2}
    return {
        "figures": {"console": figure},
        "complete": complete,
        "cost": {"cpu_ms_per_journey_all": 500.0, "ferretdb_commands_per_journey": 300.0},
    }


def test_a_complete_run_says_what_rate_its_cost_allows() -> None:
    rows = {r["figure"]: r for r in run.targets(_result(complete=True))}

    assert rows["CPU-ms per journey, all processes"]["value"].startswith("500 CPU-ms (")
    assert "journeys/s" in rows["CPU-ms per journey, all processes"]["value"]
    assert rows["FerretDB commands per journey"]["value"] == "300"
    assert rows["all journeys completed"]["met"] is True


def test_an_incomplete_run_gives_its_cost_as_a_lower_bound_and_no_rate() -> None:
    rows = {r["figure"]: r for r in run.targets(_result(complete=False))}

    cpu = rows["CPU-ms per journey, all processes"]["value"]
    assert cpu.startswith("≥ 500 CPU-ms")
    assert "journeys/s" not in cpu
    assert rows["FerretDB commands per journey"]["value"].startswith("≥ 300")
    assert rows["all journeys completed"]["met"] is False
    assert rows["all journeys completed"]["value"] == "1/2 effects seen"
