"""From referral's and scheduling's events to statements and liability, through the real subscribers."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from billing_support import HOFORS_ADDRESS, granted, subject

from billing.domain.fees import ItemKind, Recipient, StatementIssued
from billing.domain.liability import LiabilityDaysAccrued, PeriodStatus
from billing.domain.money import Month
from billing.service_layer import reads
from billing.service_layer.ports import Actor
from billing.service_layer.statements import MonthNotEnded, RunHeldElsewhere, issue_month
from trygg_shared.contracts import referral as ref
from trygg_shared.contracts import scheduling as sch
from trygg_shared.testing import sample_ready_for_discharge

from .conftest import Harness

MARCH = Month(2024, 3)
OPS = Actor("ops:test", ("ops",))


def ids() -> tuple[str, str]:
    return f"case-{uuid.uuid4().hex[:8]}", f"p_{uuid.uuid4().hex[:12]}"


async def test_a_granted_five_day_decision_becomes_one_statement_line_of_920_kr(harness: Harness) -> None:
    case_id, person = ids()
    await harness.send(granted(case_id, person, date(2024, 3, 4), 5))
    await harness.send(subject(case_id, person))

    outcome = await issue_month(harness.billing.deps, MARCH)

    assert outcome.statements_issued == 1
    [statement] = harness.stores.statements.events()
    assert isinstance(statement, StatementIssued)
    [line] = statement.statement.lines
    assert (line.kind, line.days, line.amount_ore) == (ItemKind.TRYGG_HEMGANG_DAYS, 5, 92_000)
    assert statement.statement.recipient is not None
    assert statement.statement.recipient.family_name == "Lindqvist"


@pytest.mark.parametrize(
    ("address", "street", "postal_code", "city"),
    [(HOFORS_ADDRESS, "Exempelgatan 4", "81330", "Hofors"), (None, None, None, None)],
)
async def test_the_billing_subject_is_the_recipient_with_its_address_or_none(
    harness: Harness, address: ref.Address | None, street: str | None, postal_code: str | None, city: str | None
) -> None:
    case_id, person = ids()
    await harness.send(subject(case_id, person, address=address))

    account, _version, _position = harness.stores.persons.states[person]
    assert account.recipient == Recipient(
        "personnummer", "194010092387", "Astrid", "Lindqvist", street, postal_code, city
    )


async def test_billing_keeps_no_relative_and_no_phone_number_of_a_decision(harness: Harness) -> None:
    case_id, person = ids()
    await harness.send(granted(case_id, person, date(2024, 3, 4), 5))

    stored = repr(harness.stores.care.states) + repr(harness.stores.persons.states)
    assert "+4670" not in stored
    assert "Karin" not in stored


async def test_the_same_events_delivered_twice_give_one_line(harness: Harness) -> None:
    case_id, person = ids()
    grant = granted(case_id, person, date(2024, 3, 4), 5)
    first = await harness.send(grant)
    await harness.send(grant, event_id=first)  # a redelivery: same id
    await harness.send(grant)  # the same fact again under a new id (a replay)

    await issue_month(harness.billing.deps, MARCH)
    await issue_month(harness.billing.deps, MARCH)  # and the run again

    statements = await harness.billing.deps.statement_queries.of_person(person)
    assert [len(s.lines) for s in statements] == [1]


async def test_a_decision_extended_after_the_statement_is_corrected_in_the_next_month(harness: Harness) -> None:
    case_id, person = ids()
    grant = granted(case_id, person, date(2024, 3, 25), 5)
    await harness.send(grant)
    await issue_month(harness.billing.deps, MARCH)

    await harness.send(
        ref.DecisionChanged(
            case_id=case_id,
            person_ref=person,
            decision_id=grant.decision_id,
            changes=(ref.DecisionChangeKind.EXTENDED,),
            length_days=10,
            changed_by="officer:anna",
            changed_at=datetime(2024, 4, 2, 9, tzinfo=UTC),
        )
    )
    harness.clock.moment = datetime(2024, 5, 1, 8, tzinfo=UTC)
    await issue_month(harness.billing.deps, Month(2024, 4))

    april = await reads.statement_of(harness.billing.deps, OPS, person, Month(2024, 4))
    assert april is not None
    assert [(line.service_month, line.days, line.correction) for line in april.lines] == [
        (MARCH, 2, True),
        (Month(2024, 4), 3, False),
    ]


async def test_a_month_that_has_not_ended_is_not_issued(harness: Harness) -> None:
    with pytest.raises(MonthNotEnded):
        await issue_month(harness.billing.deps, Month(2024, 4))


async def test_a_run_held_by_another_process_is_not_run_twice(harness: Harness) -> None:
    deps = harness.billing.deps
    assert await deps.runs.claim(MARCH, "other-process", harness.clock.now(), timedelta(minutes=10))

    with pytest.raises(RunHeldElsewhere):
        await issue_month(deps, MARCH)

    harness.clock.moment += timedelta(minutes=11)  # the other process died: its lease lapses
    assert (await issue_month(deps, MARCH)).already_done is False


def ready_in_hofors(case_id: str, person: str, **more: object) -> ref.ReadyForDischarge:
    """Ready on Monday 4 March 2024, liable from Thursday 7 March (Stockholm), a Hofors resident."""
    return sample_ready_for_discharge(case_id, person).model_copy(
        update={
            "ready_at": datetime(2024, 3, 4, 9, tzinfo=UTC),
            "liability_starts_at": datetime(2024, 3, 6, 23, tzinfo=UTC),
            "municipality_code": "2104",
            **more,
        }
    )


def discharged(case_id: str, person: str, at: datetime, days: int, month: str, **more: object) -> ref.Discharged:
    """Referral's discharge with its count: `days` liable days, all in `month`, at 9,300 kr a day."""
    return ref.Discharged.model_validate(
        {
            "case_id": case_id,
            "person_ref": person,
            "discharged_at": at,
            "liable_days": days,
            "daily_price_sek": 9300,
            "liable_months": (ref.LiableMonth(month=month, days=days, amount_sek=days * 9300),),
            **more,
        }
    )


def revoked(case_id: str, person: str, at: datetime, ready_at: datetime, days: int, **more: object) -> ref.ReadyRevoked:
    """Referral's revocation of the ready notice of `ready_at`, after `days` liable days."""
    return ref.ReadyRevoked.model_validate(
        {"case_id": case_id, "person_ref": person, "revoked_at": at, "ready_at": ready_at, "liable_days": days, **more}
    )


async def test_a_stay_discharged_after_the_limit_accrues_liability_days_at_the_agreed_price(harness: Harness) -> None:
    case_id, person = ids()
    ready = ready_in_hofors(case_id, person)
    await harness.send(ready)
    await harness.send(discharged(case_id, person, datetime(2024, 3, 9, 10, tzinfo=UTC), 3, "2024-03"))

    [accrued] = harness.stores.liabilities.events(case_id)
    assert isinstance(accrued, LiabilityDaysAccrued)
    assert (accrued.days, accrued.amount_ore, accrued.region_code) == (3, 3 * 930_000, "21")
    report = await reads.liability_report_of(harness.billing.deps, OPS, MARCH, None)
    assert [(r.case_id, r.days) for r in report.rows] == [(case_id, 3)]
    assert report.regions[0].liability_days == 3


async def test_a_stale_ready_notice_does_not_reopen_a_discharged_stay(harness: Harness) -> None:
    case_id, person = ids()
    ready = sample_ready_for_discharge(case_id, person)
    ready = ready.model_copy(update={"liability_starts_at": ready.ready_at + timedelta(days=3)})
    await harness.send(ready, sequence=1)
    await harness.send(
        ref.Discharged(case_id=case_id, person_ref=person, discharged_at=ready.ready_at + timedelta(hours=5)),
        sequence=2,
    )
    await harness.send(ready, sequence=1)  # replayed from a dead-letter topic, say

    loaded = await harness.stores.liabilities.load(case_id)
    assert loaded is not None
    assert [p.status for p in loaded.state.case.periods] == [PeriodStatus.CLOSED]
    assert loaded.state.case.home_in_time


async def test_a_revoked_notice_whose_revocation_is_withdrawn_and_that_a_later_notice_replaced_counts_no_days(
    harness: Harness,
) -> None:
    # Referral's story: r1 revoked after 2 liable days; r3 follows; the revocation is then withdrawn
    # (makulering), so r1 ran until r3 replaced it and never counted: 5 days, all r3's.
    case_id, person = ids()
    sample = sample_ready_for_discharge(case_id, person)
    r1 = sample.model_copy(
        update={
            "ready_at": datetime(2026, 11, 20, 9, tzinfo=UTC),
            "liability_starts_at": datetime(2026, 11, 22, 23, tzinfo=UTC),
        }
    )
    r3 = sample.model_copy(
        update={
            "ready_at": datetime(2026, 11, 27, 12, tzinfo=UTC),
            "liability_starts_at": datetime(2026, 11, 30, 23, tzinfo=UTC),
        }
    )
    nov = (ref.LiableMonth(month="2026-11", days=2, amount_sek=2 * 9300),)  # referral's count: r1's 2 days
    await harness.send(r1.model_copy(update={"counting_ready_at": (r1.ready_at,), "liable_months": ()}))
    at = datetime(2026, 11, 24, 8, tzinfo=UTC)
    await harness.send(
        revoked(case_id, person, at, r1.ready_at, 2, counting_ready_at=(r1.ready_at,), liable_months=nov)
    )
    await harness.send(r3.model_copy(update={"counting_ready_at": (r1.ready_at, r3.ready_at), "liable_months": nov}))
    await harness.send(
        ref.MessageCancelled(
            case_id=case_id,
            person_ref=person,
            cancelled_message_id="rev1",
            cancelled_message_type="aterkallad_utskrivningsklar",
            counting_ready_at=(r3.ready_at,),
            liable_months=(),
        )
    )
    await harness.send(r3.model_copy(update={"counting_ready_at": (r3.ready_at,), "liable_months": ()}))  # again
    at = datetime(2026, 12, 5, 10, tzinfo=UTC)
    await harness.send(discharged(case_id, person, at, 5, "2026-12", counting_ready_at=(r3.ready_at,)))

    loaded = await harness.stores.liabilities.load(case_id)
    assert loaded is not None
    assert [p.ready_at for p in loaded.state.case.periods] == [r3.ready_at]
    accrued = harness.stores.liabilities.events(case_id)[-1]
    assert isinstance(accrued, LiabilityDaysAccrued)
    assert accrued.days == accrued.referral_liable_days == 5
    assert [(m.month, m.days) for m in accrued.months] == [(Month(2026, 12), 5)]  # 1-5 Dec


async def test_a_withdrawn_ready_notice_stops_counting_even_when_no_other_clock_event_follows(harness: Harness) -> None:
    case_id, person = ids()
    ready = sample_ready_for_discharge(case_id, person).model_copy(
        update={"liability_starts_at": datetime(2026, 11, 25, 23, tzinfo=UTC)}
    )
    await harness.send(ready)
    await harness.send(revoked(case_id, person, datetime(2026, 11, 28, 8, tzinfo=UTC), ready.ready_at, 3))
    await harness.send(
        ref.MessageCancelled(case_id=case_id, person_ref=person, cancelled_message_id="r1", counting_ready_at=())
    )

    loaded = await harness.stores.liabilities.load(case_id)
    assert loaded is not None
    assert loaded.state.case.periods == ()
    assert loaded.state.announced == ()


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("decision_type", "free_lunch", r".*decision_type.*"),  # the contract's own error, naming the field
        ("granted_at", "2024-03-01T09:00:00", r"a time without a time zone"),
    ],
)
async def test_a_malformed_event_goes_to_the_dead_letter_topic_not_retried_and_the_next_one_is_handled(
    harness: Harness, field: str, value: str, reason: str
) -> None:
    case_id, person = ids()
    grant = granted(case_id, person, date(2024, 3, 4), 5)
    await harness.send(grant, data={**grant.model_dump(mode="json"), field: value})
    await harness.send(granted(case_id, person, date(2024, 3, 11), 5))

    assert len(harness.dead) == 1
    assert re.fullmatch(reason, harness.dead[0].headers["dlq_reason"], re.DOTALL)
    loaded = await harness.stores.care.load(case_id)
    assert loaded is not None
    assert len(loaded.state.decisions) == 1


async def test_completed_visits_give_the_cost_of_the_period_beside_short_term_stay_and_hospital(
    harness: Harness,
) -> None:
    case_id, person = ids()
    grant = granted(case_id, person, date(2024, 3, 4), 5)
    await harness.send(grant)
    src = "urn:trygghemgang:scheduling"
    of_period = {"case_id": case_id, "person_ref": person, "period_id": "per-1", "team_id": "team-1"}
    period = sch.PeriodPlanned(
        **of_period,
        decision_id=grant.decision_id,
        period_kind=sch.PeriodKind.DAYS,
        start_date=date(2024, 3, 4),
        end_date=date(2024, 3, 8),
        visits_planned=5,
        status=sch.PeriodStatus.PLANNED,
        hemtjanst_cover_ordered=True,
        planned_at=datetime(2024, 3, 2, tzinfo=UTC),
    )
    await harness.send(period, source=src)
    for day in range(4, 9):
        start = datetime(2024, 3, day, 9, tzinfo=UTC)
        await harness.send(
            sch.VisitCompleted(
                **of_period,
                visit_id=f"v{day}",
                kind=sch.VisitKind.DAILY,
                staff_id="s1",
                by_contact_person=True,
                planned_start=start,
                started_at=start,
                ended_at=start + timedelta(minutes=45),
                duration_minutes=45,
            ),
            source=src,
        )
    huddinge = harness.billing.deps
    huddinge.municipality_code = "0126"  # external provider 532 kr/h

    report = await reads.cost_report_of(huddinge, OPS, MARCH)

    [row] = report.periods
    assert (row.days, row.visits, row.visit_minutes) == (5, 5, 225)
    assert row.hour_cost_source == "external"
    assert row.visit_cost_ore == 199_500  # 3.75 h × 532 kr
    assert row.hospital_liability_cost_ore == 5 * 930_000  # the national price, latest year known (2022)
    assert row.short_term_stay_cost_ore is None  # no unit cost configured


def test_every_decision_type_referral_can_send_is_known_to_billing() -> None:
    from billing.domain.care import DecisionType

    assert {t.value for t in ref.DecisionType} <= {t.value for t in DecisionType}


def test_billing_s_narrow_views_of_decisions_read_only_fields_referral_s_contracts_have() -> None:
    from billing.entrypoints.events import DecisionChangedTerms, DecisionGrantedTerms

    for view, contract in [(DecisionGrantedTerms, ref.DecisionGranted), (DecisionChangedTerms, ref.DecisionChanged)]:
        assert view.EVENT_TYPE == contract.EVENT_TYPE
        for name, field in view.model_fields.items():
            assert name in contract.model_fields, name
            assert field.annotation == contract.model_fields[name].annotation, name
        assert "relatives" not in view.model_fields
        assert "person" not in view.model_fields


async def test_a_gotland_hemgangsbeslut_is_billed_as_trygg_hemgang(harness: Harness) -> None:
    case_id, person = ids()
    await harness.send(granted(case_id, person, date(2024, 3, 4), 5, kind=ref.DecisionType.HEMGANGSBESLUT))

    await issue_month(harness.billing.deps, MARCH)

    [statement] = await harness.billing.deps.statement_queries.of_person(person)
    assert [(line.kind, line.days) for line in statement.lines] == [(ItemKind.TRYGG_HEMGANG_DAYS, 5)]
    assert harness.dead == []


async def test_the_liability_report_is_exactly_the_count_referral_published_and_billing_counts_nothing(
    harness: Harness,
) -> None:
    # The ready notice says 9 300 kr a day from 7 March; referral's counts say otherwise (its
    # agreement priced those days at 7 800 kr, and it counted until the 20th): billing reports
    # referral's figures, never its own count of the period up to now.
    case_id, person = ids()
    ready = ready_in_hofors(case_id, person, liable_months=())
    await harness.send(ready)

    def counted(days: int) -> ref.LiabilityDaysCounted:
        return ref.LiabilityDaysCounted(
            case_id=case_id,
            person_ref=person,
            counted_until=datetime(2024, 3, 6 + days, 8, tzinfo=UTC),
            liable_days=days,
            liable_months=(ref.LiableMonth(month="2024-03", days=days, amount_sek=days * 7800),),
            counting_ready_at=(ready.ready_at,),
        )

    first = await harness.send(counted(14), sequence=3)
    await harness.send(counted(14), event_id=first, sequence=3)  # redelivered
    await harness.send(counted(14), sequence=3)  # the same count under another id
    await harness.send(counted(10), sequence=2)  # an older count, late: stale

    harness.clock.moment = datetime(2024, 4, 2, 8, tzinfo=UTC)  # billing's "now" is long after
    report = await reads.liability_report_of(harness.billing.deps, OPS, MARCH, None)

    assert [(r.case_id, r.days, r.amount_ore, r.running) for r in report.rows] == [(case_id, 14, 14 * 780_000, True)]
    assert (report.regions[0].liability_days, report.regions[0].amount_ore) == (14, 14 * 780_000)
