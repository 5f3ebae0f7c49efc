"""The person's fees, table-driven from the seeds' figures (DOMAIN.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest

from billing.domain.care import DecisionType, TeamPeriod
from billing.domain.fees import (
    CAPPED_KINDS,
    ItemKind,
    MissingTariff,
    compose_statement,
    due_items,
    fee_days,
)
from billing.domain.money import Month, round_to_krona
from billing.domain.tariffs import FeeDayRules, FeeModel, Tariff, TariffError, seed_tariffs

from .factories import T0, case_with, hofors, period_for, trygg_hemgang, used, visit

MARCH = Month(2024, 3)
ISSUED = datetime(2024, 4, 1, 6, tzinfo=UTC)


def no_headroom(_month: Month) -> None:
    return None


@pytest.mark.parametrize(
    ("year", "maxtaxa_kr"),
    [(2024, 2_575), (2025, 2_642), (2026, 2_660)],
)
def test_maxtaxa_is_0_5392_of_the_prisbasbelopp_over_twelve_as_domain_md_tabulates(year: int, maxtaxa_kr: int) -> None:
    assert seed_tariffs()[f"2104:{year}"].maxtaxa_ore == maxtaxa_kr * 100


@pytest.mark.parametrize(
    ("fraction", "year", "day_fee_kr"),
    [
        (Fraction(1, 14), 2024, 184),  # Hofors: 2 575 / 14 = 183.93 -> 184 kr
        (Fraction(1, 9), 2024, 286),  # Hofors short-term stay: 286.11 -> 286 kr
        (Fraction(1, 30), 2024, 86),  # the common short-term stay fraction: 85.83 -> 86 kr
        (Fraction(1, 14), 2026, 190),  # 2 660 / 14 = 190.00
    ],
)
def test_a_day_fee_is_a_fraction_of_maxtaxa_rounded_half_up_to_whole_kronor(
    fraction: Fraction, year: int, day_fee_kr: int
) -> None:
    tariff = Tariff(
        prisbasbelopp_sek=seed_tariffs()[f"2104:{year}"].prisbasbelopp_sek,
        fee_model=FeeModel.FRACTION_OF_MAXTAXA_PER_DAY,
        day_fraction=fraction,
    )
    assert tariff.day_fee_ore == day_fee_kr * 100


@pytest.mark.parametrize(("ore", "rounded"), [(18_349, 18_300), (18_350, 18_400), (18_392, 18_400), (0, 0)])
def test_the_one_rounding_rule_is_half_up_to_whole_kronor(ore: int, rounded: int) -> None:
    assert round_to_krona(ore) == rounded


def test_a_five_day_trygg_hemgang_in_hofors_2024_costs_five_times_184_kr() -> None:
    case = trygg_hemgang(date(2024, 3, 4), date(2024, 3, 8))

    statement = compose_statement("p1", MARCH, [case], [], lambda m: hofors(), no_headroom, issued_at=ISSUED)

    assert statement is not None
    [line] = statement.lines
    assert (line.kind, line.days, line.unit_price_ore, line.amount_ore) == (
        ItemKind.TRYGG_HEMGANG_DAYS,
        5,
        18_400,
        92_000,
    )
    assert line.description == "Trygg hemgång 5 dagar à 184 kr"
    assert not line.correction


def test_a_fourteen_day_period_hits_the_cap_and_the_month_costs_exactly_maxtaxa() -> None:
    case = trygg_hemgang(date(2024, 3, 1), date(2024, 3, 14))  # 14 × 184 = 2 576 > 2 575

    statement = compose_statement("p1", MARCH, [case], [], lambda m: hofors(), no_headroom, issued_at=ISSUED)

    assert statement is not None
    assert [line.kind for line in statement.lines] == [ItemKind.TRYGG_HEMGANG_DAYS, ItemKind.CAP]
    assert statement.lines[0].amount_ore == 257_600
    assert statement.lines[1].amount_ore == -100
    assert statement.total_ore == 257_500


def test_the_fee_headroom_caps_the_month_when_it_is_lower_than_maxtaxa() -> None:
    case = trygg_hemgang(date(2024, 3, 4), date(2024, 3, 8))

    statement = compose_statement("p1", MARCH, [case], [], lambda m: hofors(), lambda m: 50_000, issued_at=ISSUED)

    assert statement is not None
    assert statement.total_ore == 50_000
    assert statement.headroom_ore[MARCH] == 50_000


def test_food_at_a_short_term_stay_is_charged_outside_the_cap() -> None:
    case = case_with((DecisionType.SHORT_TERM_STAY, date(2024, 3, 1), date(2024, 3, 31)))  # 31 × 286 kr > cap

    statement = compose_statement("p1", MARCH, [case], [], lambda m: hofors(), no_headroom, issued_at=ISSUED)

    assert statement is not None
    by_kind = {line.kind: line for line in statement.lines}
    assert by_kind[ItemKind.SHORT_TERM_STAY_DAYS].amount_ore == 31 * 28_600
    assert by_kind[ItemKind.SHORT_TERM_STAY_FOOD].amount_ore == 31 * 13_000
    capped = sum(line.amount_ore for line in statement.lines if line.kind in CAPPED_KINDS)
    assert capped == 257_500
    assert statement.total_ore == 257_500 + 31 * 13_000


def test_a_decision_extended_after_the_statement_gives_a_correction_line_in_the_next_one() -> None:
    case = trygg_hemgang(date(2024, 3, 25), date(2024, 3, 29))
    march = compose_statement("p1", MARCH, [case], [], lambda m: hofors(), no_headroom, issued_at=ISSUED)
    assert march is not None
    decision = next(iter(case.decisions))

    case.change_decision(decision, end_date=date(2024, 4, 3), as_of=ISSUED + timedelta(days=1))
    april = compose_statement(
        "p1",
        Month(2024, 4),
        [case],
        [march],
        lambda m: hofors(),
        no_headroom,
        issued_at=datetime(2024, 5, 1, tzinfo=UTC),
    )

    assert april is not None
    correction, current = april.lines
    assert (correction.service_month, correction.days, correction.amount_ore, correction.correction) == (
        MARCH,
        2,
        36_800,
        True,
    )
    assert correction.description.startswith("Rättelse 2024-03: ")
    assert (current.service_month, current.days, current.correction) == (Month(2024, 4), 3, False)
    assert march.lines[0].days == 5  # the issued statement is untouched


def test_a_shortened_decision_gives_a_negative_correction() -> None:
    case = trygg_hemgang(date(2024, 3, 4), date(2024, 3, 17))
    march = compose_statement("p1", MARCH, [case], [], lambda m: hofors(), no_headroom, issued_at=ISSUED)
    assert march is not None
    case.change_decision(next(iter(case.decisions)), end_date=date(2024, 3, 8), as_of=ISSUED + timedelta(days=1))

    april = compose_statement("p1", Month(2024, 4), [case], [march], lambda m: hofors(), no_headroom, issued_at=ISSUED)

    assert april is not None
    assert sum(line.amount_ore for line in april.lines) == 92_000 - 257_500
    assert all(line.correction for line in april.lines)


def test_a_tariff_changed_after_the_statement_is_not_applied_to_its_month() -> None:
    case = trygg_hemgang(date(2024, 3, 4), date(2024, 3, 8))
    march = compose_statement("p1", MARCH, [case], [], lambda m: hofors(), no_headroom, issued_at=ISSUED)
    assert march is not None
    cheaper = used(Tariff(prisbasbelopp_sek=57_300, fee_model=FeeModel.FREE))

    april = compose_statement("p1", Month(2024, 4), [case], [march], lambda m: cheaper, no_headroom, issued_at=ISSUED)

    assert april is None  # nothing changed in March under March's own tariff


def test_nothing_to_charge_gives_no_statement() -> None:
    free = used(Tariff(prisbasbelopp_sek=57_300, fee_model=FeeModel.FREE))  # Järfälla
    case = trygg_hemgang(date(2024, 3, 4), date(2024, 3, 8))

    assert compose_statement("p1", MARCH, [case], [], lambda m: free, no_headroom, issued_at=ISSUED) is None


def test_the_hourly_model_charges_home_visit_time_within_the_pot_of_hours() -> None:
    tariff = used(Tariff(prisbasbelopp_sek=57_300, fee_model=FeeModel.HOURLY, hourly_rate_ore=30_000))
    case = trygg_hemgang(date(2024, 3, 4), date(2024, 3, 17))
    period = period_for(case, date(2024, 3, 4), date(2024, 3, 17), hours=2.0)
    visit(case, period, date(2024, 3, 4), 45, kind="homecoming")
    visit(case, period, date(2024, 3, 5), 50)
    visit(case, period, date(2024, 3, 6), 40)  # only 25 minutes of the pot are left
    visit(case, period, date(2024, 3, 3), 30, kind="hospital_visit")  # not home-care time

    [item] = due_items([case], MARCH, tariff.tariff, None)

    assert (item.kind, item.minutes) == (ItemKind.TRYGG_HEMGANG_HOURS, 120)
    assert item.amount_ore == 60_000


@pytest.mark.parametrize(
    ("rules", "expected_days"),
    [
        (FeeDayRules(), 5),
        (FeeDayRules(count_first_day=False), 4),
        (FeeDayRules(count_last_day=False), 4),
        (FeeDayRules(count_first_day=False, count_last_day=False), 3),
    ],
)
def test_the_counting_rules_decide_whether_the_part_days_are_fee_days(rules: FeeDayRules, expected_days: int) -> None:
    case = trygg_hemgang(date(2024, 3, 4), date(2024, 3, 8))

    assert len(fee_days(case, next(iter(case.decisions.values())), rules, MARCH)) == expected_days


def test_the_actual_period_limits_the_fee_days_when_the_team_ended_early() -> None:
    case = trygg_hemgang(date(2024, 3, 4), date(2024, 3, 17))
    period_for(case, date(2024, 3, 5), date(2024, 3, 17), ended_on=date(2024, 3, 9))

    days = fee_days(case, next(iter(case.decisions.values())), FeeDayRules(), MARCH)

    assert days == [date(2024, 3, d) for d in range(5, 10)]


def test_a_second_end_of_the_same_period_moves_the_fee_days_and_a_late_copy_of_the_first_does_not() -> None:
    # A decision changed after its period ended makes scheduling send period_ended again.
    case = trygg_hemgang(date(2024, 3, 4), date(2024, 3, 17))
    decision = next(iter(case.decisions))
    first_end = TeamPeriod("per-1", decision, date(2024, 3, 5), date(2024, 3, 17), date(2024, 3, 9), None, T0)
    second_end = TeamPeriod(
        "per-1", decision, date(2024, 3, 5), date(2024, 3, 17), date(2024, 3, 12), None, T0 + timedelta(days=4)
    )
    assert case.record_period(first_end)
    assert case.record_period(second_end)
    assert not case.record_period(first_end)  # redelivered late: older, ignored
    assert not case.record_period(second_end)  # redelivered: nothing new

    days = fee_days(case, case.decisions[decision], FeeDayRules(), MARCH)

    assert days == [date(2024, 3, d) for d in range(5, 13)]  # one period, to its latest end


def test_without_a_reported_period_no_day_counts_when_the_rules_require_one() -> None:
    case = trygg_hemgang(date(2024, 3, 4), date(2024, 3, 8))

    assert fee_days(case, next(iter(case.decisions.values())), FeeDayRules(require_actual_period=True), MARCH) == []


def test_a_period_across_a_month_end_is_billed_in_each_month() -> None:
    case = trygg_hemgang(date(2024, 3, 28), date(2024, 4, 10))

    assert [i.days for i in due_items([case], MARCH, hofors().tariff, None)] == [4]
    assert [i.days for i in due_items([case], Month(2024, 4), hofors().tariff, None)] == [10]


def test_a_month_with_fees_but_no_tariff_cannot_be_billed() -> None:
    case = trygg_hemgang(date(2027, 3, 4), date(2027, 3, 8))

    with pytest.raises(MissingTariff):
        compose_statement("p1", Month(2027, 3), [case], [], lambda m: None, no_headroom, issued_at=ISSUED)


@pytest.mark.parametrize(
    "terms",
    [
        {"fee_model": FeeModel.FRACTION_OF_MAXTAXA_PER_DAY},
        {"fee_model": FeeModel.HOURLY},
        {"fee_model": FeeModel.FREE, "short_term_stay_day_fraction": Fraction(0)},
        {"fee_model": FeeModel.FREE, "team_hour_cost_ore": -1},
    ],
)
def test_a_tariff_that_cannot_be_applied_is_refused(terms: dict[str, object]) -> None:
    with pytest.raises(TariffError):
        Tariff(prisbasbelopp_sek=57_300, **terms)  # type: ignore[arg-type]


def test_a_period_cancelled_before_its_first_day_costs_nothing_and_has_no_cost_report_days() -> None:
    from billing.domain.reports import cost_report

    case = trygg_hemgang(date(2024, 3, 4), date(2024, 3, 8))
    # scheduling's period_ended of a period that never began: ended_on is the day before its first day
    period_for(case, date(2024, 3, 4), date(2024, 3, 8), ended_on=date(2024, 3, 3))

    statement = compose_statement("p1", MARCH, [case], [], lambda m: hofors(), no_headroom, issued_at=ISSUED)
    assert statement is None or all(line.days == 0 for line in statement.lines)
    report = cost_report([case], MARCH, hofors().tariff, lambda _region, _year: 9300_00)
    assert report.days == 0
    assert report.periods == ()
