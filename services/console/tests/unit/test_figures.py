"""Every follow-up figure, from a fixed event stream built from the real contracts, against values
computed by hand; and the same figures whatever the order, however often the stream is replayed.

The stream (`console_support.march_2026`), months in Swedish local time, team "vast" (Team Väst):

- E (pE): ready 24 Feb 08:00, liability from 26 Feb 23:00, home 27 Feb 11:00 (1 liable day); period
  27 Feb-12 Mar, contact a3; visits by a3, a3, a2, a3 (60+30+30+30 min). A February discharge, a March period end.
- A (pA): ready 3 Mar 09:00, liability 5 Mar 23:00, home 5 Mar 12:00 (0 days); period 5-8 Mar, contact a1;
  visits a1, a1, a2, a1 (60+45+30+45); EQ VAS 50 -> 70, level sum 12 -> 8; follow-up call 22 Mar.
- B (pB): ready 10 Mar 08:00, liability 12 Mar 23:00, home 14 Mar 10:00 (2 days); period 14-17 Mar, contact
  a2; visits a2, a3, a1, a2 (60+30+30+30); VAS 40 -> 65, level sum 15 -> 13; readmitted 25 Mar (case B2);
  follow-up call 28 Mar.
- C (pC): ready 17 Mar 08:00, liability 19 Mar 23:00, home 21 Mar 09:00 (2 days); hemtjänst only, no team.
- D (pD): ready, clock running, no decision: on the board.  F (pF): granted, start 2 Apr, on the waiting list.
- G (pG): at home already (no hospital message); period from 26 Mar: served and new in March.

Unit costs in the harness: 600 kr per team hour, 1 500 kr per short-term-stay day.
"""

from __future__ import annotations

import random

import pytest
from console_support import ConsoleHarness, march_2026

from console.domain.figures import ALL_TEAMS, FIGURE_KEYS, Row, UnitCosts, compute

COSTS = UnitCosts(team_hour_sek=600, short_term_stay_day_sek=1500)


async def figures_after(items: list) -> dict[tuple[str, str], Row]:  # type: ignore[type-arg]
    harness = ConsoleHarness()
    await harness.replay(items)
    model = harness.console.deps.read_model
    rows = compute(await model.cases(), await model.teams(), ["2026-02", "2026-03"], COSTS)
    return {(r.month, r.team): r for r in rows}


def values(row: Row) -> dict[str, tuple[float | None, float | None, int | None]]:
    return {k: (v.value, v.numerator, v.denominator) for k, v in row.values.items()}


async def test_every_march_figure_for_all_teams_matches_the_hand_computation() -> None:
    rows = await figures_after(march_2026().items)
    march = values(rows[("2026-03", ALL_TEAMS)])

    assert march["people_served"][0] == 4  # pA, pB, pE (until 12 Mar), pG; pF waits, pC got hemtjänst
    assert march["people_new"][0] == 3  # pA 5 Mar, pB 14 Mar, pG 26 Mar
    assert march["home_before_liability"] == (pytest.approx(1 / 3), 1, 3)  # A yes; B, C after
    # A 2 d 3 h = 2.125, B 4 d 2 h = 4.0833, C 4 d 1 h = 4.0417: mean 10.25 / 3 = 3.42
    assert march["days_ready_to_home"] == (3.4, pytest.approx(10.25), 3)
    assert march["liability_days"][0] == 4  # A 0 + B 2 + C 2
    assert march["liability_cost"][0] == 4 * 9300
    assert march["service_share"] == (pytest.approx(2 / 3), 2, 3)  # A and B of A, B, C
    # periods ended in March: A {a1, a2}, B {a2, a3, a1}, E {a3, a2}: 7 / 3
    assert march["distinct_staff"] == (2.33, 7.0, 3)
    # by the contact person: A 3 of 4, B 2 of 4, E 3 of 4
    assert march["contact_person_share"] == (pytest.approx(8 / 12), 8, 12)
    # calls: A (at home), B (readmitted 25 Mar, before the call on 28 Mar)
    assert march["living_at_home"] == (0.5, 1, 2)
    # service discharges in March: A (no), B (readmitted after 11 days)
    assert march["readmitted_30d"] == (0.5, 1, 2)
    # VAS: A +20, B +25; level sum: A 8 - 12 = -4, B 13 - 15 = -2
    assert march["eq5d_vas_change"] == (22.5, 45.0, 2)
    assert march["eq5d_level_change"] == (-3.0, -6.0, 2)
    # team hours: A 180 min, B 150, E 150 -> 1800 + 1500 + 1500 kr
    assert march["cost_per_period"] == (1600.0, 4800.0, 3)
    # days: A 5-8 Mar = 4, B 14-17 Mar = 4, E 27 Feb-12 Mar = 14 -> 6000 + 6000 + 21000 kr
    assert march["short_term_stay_cost"] == (11000.0, 33000.0, 3)
    assert set(march) == set(FIGURE_KEYS)


async def test_the_team_row_counts_only_the_teams_cases_and_maps_the_decisions_team_name() -> None:
    rows = await figures_after(march_2026().items)
    team = values(rows[("2026-03", "vast")])

    assert rows[("2026-03", "vast")].team_label == "Team Väst"
    assert team["people_served"][0] == 4
    assert team["home_before_liability"] == (0.5, 1, 2)  # C has no team
    assert team["days_ready_to_home"] == (3.1, pytest.approx(6.208333, abs=1e-5), 2)
    assert team["liability_days"][0] == 2
    assert team["liability_cost"][0] == 18600
    assert team["service_share"] == (None, None, None)  # a municipality-wide figure
    assert team["contact_person_share"] == (pytest.approx(8 / 12), 8, 12)


async def test_february_counts_the_february_discharge_and_has_no_period_figures_yet() -> None:
    rows = await figures_after(march_2026().items)
    feb = values(rows[("2026-02", ALL_TEAMS)])

    assert feb["people_served"][0] == 1
    assert feb["people_new"][0] == 1
    assert feb["home_before_liability"] == (0.0, 0, 1)  # E went home 12 h into liability
    assert feb["days_ready_to_home"] == (3.1, pytest.approx(3.125), 1)
    assert feb["liability_days"][0] == 1
    assert feb["distinct_staff"][0] is None
    assert feb["cost_per_period"][0] is None


async def test_replaying_the_same_stream_twice_gives_the_same_figures() -> None:
    once = await figures_after(march_2026().items)
    twice = await figures_after(march_2026().items + march_2026().items)

    assert {k: values(r) for k, r in twice.items()} == {k: values(r) for k, r in once.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_any_arrival_order_gives_the_same_figures(seed: int) -> None:
    in_order = await figures_after(march_2026().items)
    items = march_2026().items
    random.Random(seed).shuffle(items)
    shuffled = await figures_after(items)

    assert {k: values(r) for k, r in shuffled.items()} == {k: values(r) for k, r in in_order.items()}


async def test_no_unit_costs_configured_means_no_cost_figures() -> None:
    harness = ConsoleHarness()
    await harness.replay(march_2026())
    model = harness.console.deps.read_model
    rows = compute(await model.cases(), await model.teams(), ["2026-03"], UnitCosts())

    assert rows[0].values["cost_per_period"].value is None
    assert rows[0].values["short_term_stay_cost"].value is None


async def test_a_period_cancelled_before_its_first_day_counts_zero_days_and_nobody_served() -> None:
    from datetime import date

    from console_support import TEAM_NAME, _Case, utc

    stream = march_2026()
    h = _Case(stream, "H", "pH")
    h.decide(utc(2026, 3, 18, 10), "trygg_hemgang", start=date(2026, 3, 20), days=14, team=TEAM_NAME)
    h.plan(utc(2026, 3, 18, 11), date(2026, 3, 20), date(2026, 4, 2), "a1", 0)
    h.end_period(utc(2026, 3, 19, 9), date(2026, 3, 20), date(2026, 3, 19), date(2026, 4, 2))  # 0 days
    march = values((await figures_after(stream.items))[("2026-03", ALL_TEAMS)])

    assert march["people_served"][0] == 4  # as without H: pA, pB, pE, pG
    assert march["people_new"][0] == 3
    assert march["short_term_stay_cost"] == (11000.0, 33000.0, 3)  # H is no period with days
