"""The folds behind the pages: a case's status and clock, a visit's fate, a team's waiting list, alerts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from console_support import ConsoleHarness, march_2026, utc

from console.domain.access import Actor, Page
from console.domain.alerts import fold_alert
from console.domain.cases import CaseStatus, DecisionState, Period, fold_case
from console.domain.facts import (
    AlertAcknowledged,
    AlertRaised,
    Discharged,
    PeriodChanged,
    PeriodEnded,
    PeriodPlanned,
    ReadyNoticed,
    ReadyRevoked,
    Recorded,
    SelfRating,
    VisitCompleted,
    VisitMissed,
    VisitRescheduled,
    VisitScheduled,
    WaitingListChanged,
)
from console.domain.teams import fold_team
from console.domain.timeline import timeline
from console.domain.visits import VisitState, VisitStatus, fold_visit


def rec(n: int, fact: object, source: str = "urn:trygghemgang:referral") -> Recorded[object]:
    return Recorded(f"e{n}", source, utc(2026, 3, 1, n), n, None, fact)


def ready(at_hour: int) -> ReadyNoticed:
    return ReadyNoticed(
        "p1", "EP1", "Avd 61", "somatic", utc(2026, 3, 1, at_hour), None, utc(2026, 3, 3, 23), 9300, None
    )


def test_a_ready_notice_runs_the_clock_and_puts_the_case_on_the_board() -> None:
    case = fold_case("c1", [rec(1, ready(8))])

    assert case.status is CaseStatus.READY
    assert case.clock_running
    assert case.on_board
    assert case.liability_starts_at == utc(2026, 3, 3, 23)
    assert case.decision_state is DecisionState.AWAITING


def test_a_revoked_ready_notice_stops_the_clock_but_keeps_the_case_on_the_board() -> None:
    case = fold_case("c1", [rec(1, ready(8)), rec(2, ReadyRevoked("p1", utc(2026, 3, 1, 12), utc(2026, 3, 1, 8), 0))])

    assert case.status is CaseStatus.READY_REVOKED
    assert not case.clock_running
    assert case.on_board


def test_a_revocation_of_an_older_ready_notice_does_not_stop_a_newer_clock() -> None:
    older_revoked = ReadyRevoked("p1", utc(2026, 3, 1, 12), utc(2026, 3, 1, 7), 0)
    case = fold_case("c1", [rec(2, ready(9)), rec(3, older_revoked)])

    assert case.clock_running


def test_a_discharge_takes_the_case_off_the_board_whatever_order_the_events_came_in() -> None:
    facts = [rec(1, ready(8)), rec(5, Discharged("p1", utc(2026, 3, 2, 10), "home", 0, 9300))]

    for order in (facts, list(reversed(facts))):
        case = fold_case("c1", order)
        assert case.status is CaseStatus.DISCHARGED
        assert not case.on_board
        assert not case.clock_running


def test_a_period_ended_twice_is_one_period_with_its_latest_end() -> None:
    # A decision changed after its period ended makes scheduling send period_ended again.
    planned = PeriodPlanned(
        "p1", "P1", "vast", "D1", date(2026, 3, 2), date(2026, 3, 15), "a1", 14, "planned", 0, utc(2026, 3, 1, 12)
    )
    first = PeriodEnded(
        "p1", "P1", "vast", date(2026, 3, 2), date(2026, 3, 9), "ended_early", 7, 300, utc(2026, 3, 9, 16)
    )
    second = PeriodEnded(
        "p1", "P1", "vast", date(2026, 3, 2), date(2026, 3, 12), "ended_early", 10, 420, utc(2026, 3, 12, 16)
    )
    s = "urn:trygghemgang:scheduling"
    facts = [
        Recorded("e1", s, utc(2026, 3, 1, 12), 1, None, planned),
        Recorded("e2", s, utc(2026, 3, 9, 16), 20, None, first),
        Recorded("e3", s, utc(2026, 3, 12, 16), 31, None, second),
    ]

    for order in (facts, [facts[0], facts[2], facts[1]]):
        case = fold_case("c1", order)
        assert case.period is not None
        assert (case.period.period_id, case.period.ended_on) == ("P1", date(2026, 3, 12))


def test_a_period_known_only_from_its_change_or_its_end_is_shown_from_that_fact() -> None:
    # Reordered events: the period's change or end came before its plan (which will still follow).
    changed = PeriodChanged(
        person_ref="p1",
        period_id="P1",
        team_id="vast",
        change="contact_person",
        status="active",
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 15),
        contact_person_id="a2",
        changed_at=utc(2026, 3, 3, 9),
    )
    ended = PeriodEnded(
        "p1", "P1", "vast", date(2026, 3, 2), date(2026, 3, 12), "decision_ended", 9, 270, utc(2026, 3, 12, 9)
    )

    assert fold_case("c1", [rec(1, changed)]).period == Period(
        "P1", "vast", "active", date(2026, 3, 2), date(2026, 3, 15), "a2", waited_days=0
    )
    assert fold_case("c1", [rec(1, ended)]).period == Period(
        "P1", "vast", "ended", date(2026, 3, 2), date(2026, 3, 12), None, 0, date(2026, 3, 12), "decision_ended"
    )


def visit_scheduled(staff: str | None) -> VisitScheduled:
    return VisitScheduled(
        "c1", "p1", "P1", "vast", "V1", "daily", utc(2026, 3, 2, 8), utc(2026, 3, 2, 8, 30), "home", staff, False
    )


missed = VisitMissed(
    "c1", "p1", "P1", "vast", "V1", "daily", "a1", utc(2026, 3, 2, 8), utc(2026, 3, 2, 8, 30), utc(2026, 3, 2, 9)
)
completion = VisitCompleted(
    "c1",
    "p1",
    "P1",
    "vast",
    "V1",
    "daily",
    "a1",
    True,
    utc(2026, 3, 2, 8),
    utc(2026, 3, 2, 9, 10),
    utc(2026, 3, 2, 9, 40),
    30,
    None,
)


def test_a_visit_completed_after_it_was_reported_missed_counts_as_completed() -> None:
    facts = [rec(1, visit_scheduled("a1")), rec(9, missed), rec(10, completion)]

    for order in (facts, list(reversed(facts))):
        visit = fold_visit(order)  # type: ignore[arg-type]
        assert visit is not None
        assert visit.status is VisitStatus.COMPLETED


def test_a_rescheduled_visit_keeps_its_new_times_and_its_place_and_shows_what_its_completion_says() -> None:
    moved = VisitRescheduled(
        "c1", "p1", "P1", "vast", "V1", "daily", utc(2026, 3, 2, 10), utc(2026, 3, 2, 11), "b2", True, "staff_absent"
    )
    rating = SelfRating("last_visit", 1, 2, 1, 2, 1, 80, 2, 5)
    done = replace(
        completion,
        staff_id="c3",
        by_contact_person=False,
        started_at=utc(2026, 3, 2, 10, 5),
        ended_at=utc(2026, 3, 2, 10, 50),
        duration_minutes=45,
        self_rating=rating,
    )  # its plan still says 08:00
    facts = [rec(1, visit_scheduled("a1")), rec(2, moved), rec(3, done)]

    for order in (facts, list(reversed(facts))):
        visit = fold_visit(order)  # type: ignore[arg-type]
        assert visit == VisitState(
            visit_id="V1",
            case_id="c1",
            person_ref="p1",
            period_id="P1",
            team_id="vast",
            kind="daily",
            planned_start=utc(2026, 3, 2, 10),  # as rescheduled: the completion's plan does not move it back
            planned_end=utc(2026, 3, 2, 11),
            location="home",
            staff_id="c3",
            by_contact_person=False,
            status=VisitStatus.COMPLETED,
            started_at=utc(2026, 3, 2, 10, 5),
            ended_at=utc(2026, 3, 2, 10, 50),
            duration_minutes=45,
            self_rating=rating,
        )
    rescheduled_only = fold_visit([rec(1, visit_scheduled("a1")), rec(2, moved)])  # type: ignore[list-item]
    assert rescheduled_only is not None
    assert (rescheduled_only.planned_start, rescheduled_only.planned_end) == (utc(2026, 3, 2, 10), utc(2026, 3, 2, 11))
    assert (rescheduled_only.staff_id, rescheduled_only.by_contact_person) == ("b2", True)
    assert (rescheduled_only.status, rescheduled_only.location) == (VisitStatus.SCHEDULED, "home")


def test_a_visit_known_only_from_a_later_fact_is_planned_unstaffed_until_its_schedule_arrives() -> None:

    only_missed = fold_visit([rec(9, missed)])  # type: ignore[list-item]
    only_completed = fold_visit([rec(10, completion)])  # type: ignore[list-item]

    assert only_missed is not None
    assert only_completed is not None
    assert (only_missed.status, only_missed.staff_id, only_missed.location) == (VisitStatus.MISSED, None, None)
    assert (only_missed.planned_end, only_missed.by_contact_person, only_missed.started_at) == (
        utc(2026, 3, 2, 8, 30),
        False,
        None,
    )
    assert only_completed == replace(
        only_missed,
        staff_id="a1",
        by_contact_person=True,
        planned_end=utc(2026, 3, 2, 9, 40),  # no plan yet: until its end
        status=VisitStatus.COMPLETED,
        started_at=utc(2026, 3, 2, 9, 10),
        ended_at=utc(2026, 3, 2, 9, 40),
        duration_minutes=30,
    )


def test_a_visit_nobody_was_assigned_to_is_unstaffed_on_its_local_day() -> None:
    visit = fold_visit([rec(1, visit_scheduled(None))])  # type: ignore[list-item]

    assert visit is not None
    assert visit.unstaffed
    assert visit.day == date(2026, 3, 2)


def test_a_waiting_list_keeps_the_latest_change_per_case_in_first_come_order() -> None:
    def change(n: int, case: str, kind: str) -> Recorded[object]:
        return rec(n, WaitingListChanged("vast", case, "p", kind, None, utc(2026, 3, 1, n), None, utc(2026, 3, 1, n)))

    team = fold_team("vast", [change(1, "c1", "added"), change(2, "c2", "added"), change(3, "c1", "planned")])  # type: ignore[list-item]

    assert [w.case_id for w in team.waiting_list()] == ["c2"]


def test_an_alert_is_open_until_acknowledged_and_an_early_acknowledgement_waits_for_its_raise() -> None:
    raised = AlertRaised("A1", "visit_missed", "c1", "vast", utc(2026, 3, 1, 9), None, 2)
    acked = AlertAcknowledged("A1", "oncall:lena", "api", utc(2026, 3, 1, 9, 5))

    assert fold_alert("A1", [rec(2, acked)]) is None  # type: ignore[list-item]
    alert = fold_alert("A1", [rec(2, acked), rec(1, raised)])  # type: ignore[list-item]
    assert alert is not None
    assert not alert.open
    assert alert.acknowledged_by == "oncall:lena"
    assert fold_alert("A1", [rec(1, raised)]).open  # type: ignore[union-attr, list-item]


async def test_case_a_has_a_timeline_across_every_service() -> None:
    harness = ConsoleHarness()
    await harness.replay(march_2026())
    found = await harness.console.deps.read_model.case("A")
    assert found is not None
    case, entries = found
    assert {e.category for e in entries} >= {"message", "decision", "plan", "visit", "notification"}
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    assert case.name == "Test Person A"
    assert case.follow_up_call_at == utc(2026, 3, 22, 10, 15)
    assert timeline([]) == []


def test_each_role_sees_only_its_pages() -> None:
    pages = {
        role: {p for p in Page if Actor(f"{role}:x", (role,)).may_see(p)}
        for role in ("officer", "team", "oncall", "ops")
    }

    assert pages["officer"] == {Page.CASES, Page.FIGURES, Page.FEES, Page.INVOICES}
    assert pages["team"] == {Page.CASES, Page.TODAY, Page.ALERTS, Page.FIGURES}
    assert pages["oncall"] == {Page.CASES, Page.TODAY, Page.ALERTS}
    assert pages["ops"] == {Page.OPS, Page.FIGURES, Page.AUDIT}
    assert Actor("oncall:x", ("oncall",)).may_acknowledge()
    assert not Actor("team:x", ("team",)).may_acknowledge()
