"""The homecoming checklist in the console: folded from scheduling's snapshots in any order, shown on
the case page, titled on the alerts, and counted by the figure "homecomings with a complete checklist"."""

from __future__ import annotations

import asyncio
from datetime import date

from checklist_support import LABELS, april, snapshot
from console_support import TEAM, TEAM_NAME, ConsoleHarness, Stream, _Case, team_configured, utc

from console.domain.alerts import TOPICS
from console.domain.figures import ALL_TEAMS, FIGURE_KEYS, FIGURES, compute


async def _figure(items: list) -> tuple[float | None, float | None, int | None]:  # type: ignore[type-arg]
    harness = ConsoleHarness(utc(2026, 4, 30, 9))
    await harness.replay(items)
    model = harness.console.deps.read_model
    rows = compute(await model.cases(), await model.teams(), ["2026-04"])
    (row,) = [r for r in rows if r.team == ALL_TEAMS]
    v = row.values["homecoming_checklist_complete"]
    return v.value, v.numerator, v.denominator


async def test_the_share_counts_checklists_complete_when_the_homecoming_began_in_any_arrival_order() -> None:
    items = april().items
    assert await _figure(items) == (1 / 3, 1, 3)  # H1 of H1, H2, H3; H4 has no checklist
    assert await _figure(list(reversed(items))) == (1 / 3, 1, 3)
    assert await _figure(items + items) == (1 / 3, 1, 3)
    assert "homecoming_checklist_complete" in FIGURE_KEYS
    (definition,) = [f for f in FIGURES if f.key == "homecoming_checklist_complete"]
    assert definition.unit == "share"
    assert "was ticked when the visit began" in definition.definition


def test_the_case_page_shows_the_checklist_with_who_ticked_and_the_deadline() -> None:
    harness = ConsoleHarness(utc(2026, 4, 8, 9))
    s = Stream()
    s.add(team_configured(TEAM, TEAM_NAME, (("a1", "Anna"),), clients_per_day=4), utc(2026, 1, 1))
    case = _Case(s, "K", "pK")
    case.decide(utc(2026, 4, 7, 9), "trygg_hemgang", start=date(2026, 4, 9), days=7, team=TEAM_NAME)
    case.plan(utc(2026, 4, 7, 10), date(2026, 4, 9), date(2026, 4, 15), "a1", 7)
    case.schedule(1, "homecoming", utc(2026, 4, 9, 11), "a1", 90, contact=True)
    snapshot(case, utc(2026, 4, 7, 10), 0, change="opened")
    snapshot(case, utc(2026, 4, 7, 12, 30), 2)
    asyncio.run(harness.replay(s))
    page = harness.login("team").get("/cases/K").text
    assert "Checklista inför hemkomsten" in page  # Swedish first
    assert "3 av 5 inte klara" in page
    for label in LABELS:
        assert label in page
    # Times in Stockholm: the visit 13:00 on 9 April, the deadline a day before; ticked 14:30 on the 7th by a1.
    assert "Hembesök vid hemkomsten 2026-04-09 13:00" in page
    assert "2026-04-08 13:00" in page
    assert "2026-04-07 14:30" in page
    assert page.count(">a1<") == 2


def test_the_alert_has_a_title() -> None:
    assert TOPICS["homecoming_checklist_open"].startswith("Homecoming checklist not complete")
