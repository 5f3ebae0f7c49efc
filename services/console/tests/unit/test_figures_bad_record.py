"""One case the figures cannot be computed for never takes the figures down: it is left out and reported."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from console_support import ConsoleHarness, march_2026
from prometheus_client import REGISTRY

from console.domain.access import Actor
from console.domain.cases import CaseState, Decision
from console.domain.figures import ALL_TEAMS
from console.service_layer import pages

OPS = Actor("ops:test", frozenset({"ops"}))


def _left_out() -> float:
    return REGISTRY.get_sample_value("trygg_batch_record_failures_total", {"batch": "figures"}) or 0.0


async def test_a_case_dated_at_the_end_of_time_is_left_out_and_the_others_still_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    harness = ConsoleHarness()
    await harness.replay(march_2026().items)
    deps = harness.console.deps
    good = list(await deps.read_model.cases())
    # Accepted before dates were bounded: its service span overflows the calendar.
    bad = CaseState(
        "case-bad",
        person_ref="p_bad",
        decision=Decision("d-bad", "trygg_hemgang", date(9999, 12, 31), 14, None, "Team Väst", "o", datetime.now(UTC)),
    )
    expected = await pages.figures(deps, OPS, first="2026-03", last="2026-03")

    async def with_bad() -> list[CaseState]:
        return [*good[:2], bad, *good[2:]]

    monkeypatch.setattr(deps.read_model, "cases", with_bad)
    before = _left_out()

    page = await pages.figures(deps, OPS, first="2026-03", last="2026-03")

    assert page.cases_left_out == ("case-bad",)
    assert _left_out() == before + 1
    march = {r.team: r for r in page.rows}[ALL_TEAMS]
    assert march.values == {r.team: r for r in expected.rows}[ALL_TEAMS].values
