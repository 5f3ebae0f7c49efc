"""Use cases through bootstrap with in-memory stores: from a granted decision to the period's end."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from scheduling_support import grant_command as grant
from scheduling_support import seeded

from scheduling.domain import events as ev
from scheduling.domain.plan import DecisionChange, VisitNotes
from scheduling.domain.vocab import PeriodStatus, SupportLevel, VisitKind, VisitStatus
from scheduling.service_layer import field as fuc
from scheduling.service_layer import planning as uc
from scheduling.service_layer.ports import Actor


def new_id() -> str:
    return uuid.uuid4().hex[:12]


async def test_a_granted_decision_is_planned_with_staffed_visits_follow_ups_and_a_cover_order() -> None:
    h = await seeded()
    case_id = new_id()
    await uc.record_ready(h.deps, case_id, f"p_{case_id}", h.clock.now(), datetime(2026, 11, 25, 10, tzinfo=UTC))
    await uc.grant_decision(h.deps, grant(case_id))
    events = h.events(case_id)
    planned = [e for e in events if isinstance(e, ev.PeriodPlanned)]
    assert len(planned) == 1
    assert planned[0].contact_person_id is not None
    kinds = [e.kind for e in events if isinstance(e, ev.VisitScheduled)]
    assert kinds.count(VisitKind.HOMECOMING) == 1
    assert kinds.count(VisitKind.HOSPITAL_VISIT) == 1
    assert kinds.count(VisitKind.FOLLOW_UP_MEETING) == 1
    assert kinds.count(VisitKind.HANDOVER) == 1
    assert kinds.count(VisitKind.FOLLOW_UP_CALL) == 1
    assert all(e.staff_id is not None for e in events if isinstance(e, ev.VisitScheduled))
    homecoming = next(e for e in events if isinstance(e, ev.VisitScheduled) and e.kind == VisitKind.HOMECOMING)
    assert homecoming.planned_start == datetime(2026, 11, 25, 11, tzinfo=UTC)  # discharge 10:00 + an hour
    (cover,) = [e for e in events if isinstance(e, ev.HemtjanstCoverOrdered)]
    # From the end of the team's day of homecoming (16:30 local) to the end of the period.
    # Team Väst works 08:00-16:30: the evening to 22:00, the night to 07:00, the morning until 08:00.
    assert [(w.start, w.end, w.cause.value) for w in cover.windows[:3]] == [
        (datetime(2026, 11, 25, 15, 30, tzinfo=UTC), datetime(2026, 11, 25, 21, 0, tzinfo=UTC), "evening"),
        (datetime(2026, 11, 25, 21, 0, tzinfo=UTC), datetime(2026, 11, 26, 6, 0, tzinfo=UTC), "night"),
        (datetime(2026, 11, 26, 6, 0, tzinfo=UTC), datetime(2026, 11, 26, 7, 0, tzinfo=UTC), "morning"),
    ]
    weekend = [w for w in cover.windows if w.reason.value == "team_day_off"]
    assert {w.cause.value for w in weekend} == {"weekend"}
    assert weekend[0].start == datetime(2026, 11, 27, 23, 0, tzinfo=UTC)  # Saturday and Sunday, local midnights
    assert weekend[0].end == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    assert cover.windows[-1].end == datetime(2026, 12, 8, 23, 0, tzinfo=UTC)  # midnight after the last day


async def test_the_same_decision_delivered_twice_plans_one_period() -> None:
    h = await seeded()
    case_id = new_id()
    await uc.grant_decision(h.deps, grant(case_id))
    before = len(h.events(case_id))
    await uc.grant_decision(h.deps, grant(case_id))
    assert len(h.events(case_id)) == before


async def test_completing_the_handover_visit_hands_over_with_a_needs_summary_from_the_notes() -> None:
    h = await seeded()
    case_id = new_id()
    await uc.grant_decision(h.deps, grant(case_id, length=5))
    plan = await h.plan(case_id)
    actor = Actor("team:stockholm-us1", ("team",))
    home = [v for v in plan.ordered_visits() if v.kind != VisitKind.FOLLOW_UP_CALL]
    for visit in home:
        h.clock.moment = visit.planned_start
        notes = VisitNotes(
            food=SupportLevel.SOME_HELP, aids_in_use=("rollator",), worry=4 if visit.kind == VisitKind.HOMECOMING else 2
        )
        await fuc.complete_visit(
            h.deps,
            actor,
            case_id,
            visit.visit_id,
            visit.planned_start,
            visit.planned_start + timedelta(minutes=40),
            notes,
            None,
        )
    handed = [e for e in h.events(case_id) if isinstance(e, ev.HandedOverToHemtjanst)]
    assert len(handed) == 1
    assert handed[0].needs.food == SupportLevel.SOME_HELP
    assert handed[0].needs.aids_in_use == ("rollator",)
    assert handed[0].needs.worry_trend.value == "falling"


async def test_the_period_end_timer_fires_once_and_ends_the_period_with_its_figures() -> None:
    h = await seeded()
    case_id = new_id()
    await uc.grant_decision(h.deps, grant(case_id, length=5))
    plan = await h.plan(case_id)
    h.clock.moment = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    await uc.fire_timers(h.deps, case_id)
    await uc.fire_timers(h.deps, case_id)
    ended = [e for e in h.events(case_id) if isinstance(e, ev.PeriodEnded)]
    assert len(ended) == 1
    assert ended[0].follow_up_call_planned
    missed = [e for e in h.events(case_id) if isinstance(e, ev.VisitMissed)]
    assert len(missed) == sum(1 for v in plan.visits.values() if v.kind != VisitKind.FOLLOW_UP_CALL)
    assert (await h.plan(case_id)).period.status == PeriodStatus.ENDED  # type: ignore[union-attr]
    assert (await h.plan(case_id)).visits[next(iter(plan.visits))].status == VisitStatus.MISSED


async def test_a_hemgangsbeslut_is_planned_as_a_pot_of_hours() -> None:
    h = await seeded()
    case_id = new_id()
    await uc.grant_decision(h.deps, grant(case_id, decision_type="hemgangsbeslut", hours=6.0))
    (planned,) = [e for e in h.events(case_id) if isinstance(e, ev.PeriodPlanned)]
    assert planned.kind.value == "hours_pot"
    assert planned.hours_granted == 6.0


async def test_an_extended_decision_moves_the_team_s_booking_with_the_period() -> None:
    h = await seeded()
    case_id = new_id()
    await uc.grant_decision(h.deps, grant(case_id, length=5))
    await uc.change_decision(
        h.deps,
        uc.ChangeDecision(
            case_id,
            f"p_{case_id}",
            DecisionChange(f"d-{case_id}", 10, date(2026, 12, 4), None, True, datetime(2026, 11, 23, 10, tzinfo=UTC)),
        ),
    )
    changed = [e for e in h.events(case_id) if isinstance(e, ev.PeriodChanged)]
    assert [c.change.value for c in changed] == ["extended"]
    team = await h.deps.teams.load("team-vast")
    assert team is not None
    assert team.state.bookings[case_id].last_day == date(2026, 12, 4)


async def test_a_decision_other_than_trygg_hemgang_plans_nothing() -> None:
    h = await seeded()
    case_id = new_id()
    await uc.grant_decision(h.deps, grant(case_id, decision_type="short_term_stay"))
    assert h.events(case_id) == []


async def test_visits_recorded_from_a_token_naming_no_member_count_for_the_member_who_made_them() -> None:
    """`trygg demo` completed every visit as `dev-team` (subject `team:dev`, no member): the figures then
    showed one "staff" per client and 0 % by the contact person. Such a token records the planned member;
    a member's own token records that member."""
    h = await seeded()
    case_id = new_id()
    await uc.grant_decision(h.deps, grant(case_id, length=5))
    plan = await h.plan(case_id)
    assert plan.period is not None
    contact = plan.period.contact_person_id
    home = [v for v in plan.ordered_visits() if v.kind != VisitKind.FOLLOW_UP_CALL and v.staff_id is not None]
    lead, member = Actor("team:dev", ("team",)), Actor("team:stockholm-us2", ("team",))
    first, *rest = home
    h.clock.moment = first.planned_start
    await fuc.complete_visit(
        h.deps,
        member,
        case_id,
        first.visit_id,
        first.planned_start,
        first.planned_start + timedelta(minutes=30),
        None,
        None,
    )
    for visit in rest:
        h.clock.moment = visit.planned_start + timedelta(minutes=30)
        await fuc.start_visit(h.deps, lead, case_id, visit.visit_id, visit.planned_start)
        await fuc.complete_visit(h.deps, lead, case_id, visit.visit_id, None, None, None, None)
    done = {e.visit_id: e for e in h.events(case_id) if isinstance(e, ev.VisitCompleted)}
    assert done[first.visit_id].staff_id == "stockholm-us2"  # a member records themself
    for visit in rest:
        assert done[visit.visit_id].staff_id == visit.staff_id  # the planned member, never "dev"
        assert done[visit.visit_id].by_contact_person == (visit.staff_id == contact)
    assert any(done[v.visit_id].by_contact_person for v in rest)
