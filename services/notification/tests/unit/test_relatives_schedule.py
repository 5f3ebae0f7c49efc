"""The relatives' message schedule (`domain.schedule`), through the pure rules and the use cases.

The report: the consenting relative of a person whose period starts in 13 days got four SMS within
0.9 s of the decision ("you will get a text when...", the homecoming time, the follow-up meeting,
the joint handover). Now: one text at the decision with the start and the homecoming time, a
reminder the evening before the follow-up meeting and the handover visit, a text when a time the
relative heard changes, nothing else.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from notification_support import Harness, make_settings

from notification.domain.casefile import Notice, Relative
from notification.domain.contacts import Language
from notification.domain.message import MessageState
from notification.domain.schedule import Decision, Rules, Said, schedule
from notification.domain.templates import MeetingPlace, MessageKind
from notification.service_layer import relatives as rel
from notification.service_layer import visits as vis
from notification.service_layer.dispatch import dispatch_due

STOCKHOLM = ZoneInfo("Europe/Stockholm")
KARIN = Relative("r-karin", "+46701112233", Language.SV)
DECIDED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Stockholm
START = date(2026, 12, 6)  # the period starts in 13 days
HOME_AT = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)  # Sunday 11:00
MEETING_AT = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)  # Thursday 10:00
HANDOVER_AT = datetime(2026, 12, 18, 13, 0, tzinfo=UTC)  # Friday 14:00
RULES = Rules(STOCKHOLM, timedelta(minutes=10), time(18, 0), 1)


def local(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=STOCKHOLM)


# --- the pure rules ------------------------------------------------------------------------------

DECISION = Decision("d1", START, DECIDED)
HOME = Notice("visit:v-home", MessageKind.HOMECOMING_SCHEDULED, "visit:v-home:1", at=HOME_AT)
MEETING = Notice(
    "visit:v-meet", MessageKind.FOLLOW_UP_MEETING, "visit:v-meet:1", at=MEETING_AT, place=MeetingPlace.HOME
)
HANDOVER = Notice("visit:v-joint", MessageKind.HANDOVER_VISIT, "visit:v-joint:1", at=HANDOVER_AT)


def went(topic: str, announces: datetime | None, at: datetime, mid: str = "") -> Said:
    return Said(mid or f"m-{topic}-{announces}", topic, announces, at, went=True, waiting=False)


def test_at_the_decision_one_text_with_the_start_and_the_homecoming_then_reminders_the_evening_before() -> None:
    texts = schedule(DECISION, [HOME, MEETING, HANDOVER], [], DECIDED, RULES)

    assert [(t.kind, t.at, t.send_at) for t in texts] == [
        (MessageKind.SERVICE_STARTED, HOME_AT, None),  # the homecoming time is known: at once
        (MessageKind.FOLLOW_UP_MEETING, MEETING_AT, local(2026, 12, 9, 18)),
        (MessageKind.HANDOVER_VISIT, HANDOVER_AT, local(2026, 12, 17, 18)),
    ]
    assert texts[0].day == START
    assert all(not t.new_time for t in texts)


def test_without_the_homecoming_time_the_start_text_waits_for_it_then_goes_alone() -> None:
    texts = schedule(DECISION, [MEETING], [], DECIDED, RULES)
    assert [(t.kind, t.at, t.send_at) for t in texts] == [
        (MessageKind.SERVICE_STARTED, None, DECIDED + timedelta(minutes=10)),
        (MessageKind.FOLLOW_UP_MEETING, MEETING_AT, local(2026, 12, 9, 18)),
    ]
    later = schedule(DECISION, [MEETING], [], DECIDED + timedelta(minutes=11), RULES)
    assert [(t.kind, t.send_at) for t in later] == [
        (MessageKind.SERVICE_STARTED, None),
        (MessageKind.FOLLOW_UP_MEETING, local(2026, 12, 9, 18)),
    ]


def test_a_start_text_that_went_before_the_homecoming_was_known_is_followed_by_one_text_with_it() -> None:
    said = [went("start:d1", None, DECIDED + timedelta(minutes=1))]
    later = DECIDED + timedelta(hours=3)

    texts = schedule(DECISION, [HOME], said, later, RULES)

    assert [(t.kind, t.at, t.send_at) for t in texts] == [(MessageKind.HOMECOMING_SCHEDULED, HOME_AT, None)]


def test_a_homecoming_time_moved_after_the_relative_heard_it_is_one_new_time_text_and_a_no_op_is_nothing() -> None:
    said = [went("start:d1", HOME_AT, DECIDED + timedelta(minutes=1))]
    moved = Notice(HOME.key, HOME.kind, "visit:v-home:2", at=HOME_AT + timedelta(hours=2))

    assert [t.kind for t in schedule(DECISION, [moved], said, DECIDED + timedelta(days=1), RULES)] == [
        MessageKind.HOMECOMING_CHANGED
    ]
    assert schedule(DECISION, [HOME], said, DECIDED + timedelta(days=1), RULES) == []  # the time she heard


def test_a_meeting_moved_before_its_reminder_went_moves_the_reminder_and_says_nothing_now() -> None:
    moved = Notice(MEETING.key, MEETING.kind, "visit:v-meet:2", at=MEETING_AT + timedelta(days=1))
    said = [went("start:d1", HOME_AT, DECIDED)]

    texts = schedule(DECISION, [moved], said, DECIDED + timedelta(days=2), RULES)

    assert [(t.kind, t.at, t.send_at, t.new_time) for t in texts] == [
        (MessageKind.FOLLOW_UP_MEETING, moved.at, local(2026, 12, 10, 18), False)
    ]


def test_a_meeting_moved_after_its_reminder_went_is_a_new_time_text_now_and_a_reminder_only_on_a_later_day() -> None:
    reminded = went("remind:visit:v-meet", MEETING_AT, local(2026, 12, 9, 18))
    started = went("start:d1", HOME_AT, DECIDED)
    later = Notice(MEETING.key, MEETING.kind, "visit:v-meet:2", at=MEETING_AT + timedelta(days=3))
    same_day = Notice(MEETING.key, MEETING.kind, "visit:v-meet:3", at=MEETING_AT + timedelta(hours=4))
    morning = local(2026, 12, 10, 8)

    texts = schedule(DECISION, [later], [started, reminded], morning, RULES)
    assert [(t.topic, t.new_time, t.send_at) for t in texts] == [
        ("visit:v-meet", True, None),  # now
        ("remind:visit:v-meet", False, local(2026, 12, 12, 18)),  # and the evening before the new day
    ]
    texts = schedule(DECISION, [same_day], [started, reminded], morning, RULES)
    assert [(t.topic, t.new_time, t.send_at) for t in texts] == [("visit:v-meet", True, None)]  # that is all


def test_a_meeting_first_known_after_its_reminders_moment_is_told_at_once_and_a_past_one_never() -> None:
    evening = local(2026, 12, 9, 20)
    texts = schedule(DECISION, [MEETING], [went("start:d1", HOME_AT, DECIDED)], evening, RULES)
    assert [(t.kind, t.send_at) for t in texts] == [(MessageKind.FOLLOW_UP_MEETING, None)]

    after = MEETING_AT + timedelta(minutes=1)
    assert schedule(DECISION, [MEETING], [went("start:d1", HOME_AT, DECIDED)], after, RULES) == []


def test_the_end_is_told_only_without_a_handover() -> None:
    said = [went("start:d1", HOME_AT, DECIDED)]
    now = local(2026, 12, 20, 10)
    end = Notice("period-ended", MessageKind.PERIOD_ENDED, "period-ended:p1", day=date(2026, 12, 19))
    handover = Notice("handover", MessageKind.HANDED_OVER, "handover:p1", day=date(2026, 12, 18))

    assert [t.kind for t in schedule(DECISION, [end], said, now, RULES)] == [MessageKind.PERIOD_ENDED]
    assert [t.kind for t in schedule(DECISION, [handover, end], said, now, RULES)] == [MessageKind.HANDED_OVER]


def test_the_reminders_moment_is_configurable() -> None:
    rules = Rules(STOCKHOLM, timedelta(0), time(17, 30), 2)
    texts = schedule(DECISION, [MEETING], [went("start:d1", HOME_AT, DECIDED)], DECIDED, rules)
    assert [t.send_at for t in texts] == [local(2026, 12, 8, 17, 30)]


# --- through the use cases ----------------------------------------------------------------------


def _granted(case_id: str) -> rel.GrantedDecision:
    return rel.GrantedDecision(
        case_id, "p", "d-" + case_id, True, "Team Väst", START, [], "officer:anna", DECIDED, str(uuid.uuid4())
    )


def _visit(case_id: str, visit_id: str, kind: vis.VisitType, at: datetime, *, moved: bool = False) -> vis.VisitPlanned:
    place = MeetingPlace.DIGITAL if kind is vis.VisitType.FOLLOW_UP_MEETING else MeetingPlace.HOME
    return vis.VisitPlanned(case_id, "p", "per-1", "team-vast", visit_id, kind, at, place, moved)


async def _decision_and_plan(h: Harness, case_id: str) -> None:
    """What the report saw: the decision, its relatives' list, scheduling's plan, within a second."""
    await rel.record_decision(h.deps, _granted(case_id))
    contacts = rel.RelativeContacts(
        case_id, "p", "d-" + case_id, [KARIN], (), "officer:anna", DECIDED, str(uuid.uuid4())
    )
    await rel.record_contacts(h.deps, contacts)
    h.clock.advance(seconds=0.4)
    await vis.visit_planned(h.deps, _visit(case_id, "v-home", vis.VisitType.HOMECOMING, HOME_AT))
    await vis.visit_planned(h.deps, _visit(case_id, "v-meet", vis.VisitType.FOLLOW_UP_MEETING, MEETING_AT))
    await vis.visit_planned(h.deps, _visit(case_id, "v-joint", vis.VisitType.HANDOVER, HANDOVER_AT))
    h.clock.advance(seconds=0.5)


async def _run_until(
    h: Harness, until: datetime, step: timedelta = timedelta(minutes=30)
) -> list[tuple[datetime, str]]:
    """The dispatcher running until `until`: what Karin got, and when."""
    got: list[tuple[datetime, str]] = []
    while h.clock.now() < until:
        h.clock.advance(seconds=step.total_seconds())
        before = len(h.provider.sent)
        await dispatch_due(h.deps)
        got += [(h.clock.now(), s.text) for s in h.provider.sent[before:] if s.to == KARIN.phone]
    return got


async def test_the_reported_case_one_text_at_the_decision_then_a_reminder_the_evening_before_each_meeting() -> None:
    h = Harness.create(now=DECIDED, settings=make_settings(start_text_wait_seconds=600))
    case_id = "c-" + uuid.uuid4().hex
    await rel.record_decision(h.deps, _granted(case_id))
    contacts = rel.RelativeContacts(case_id, "p", "d-" + case_id, [KARIN], (), "officer:anna", DECIDED, "e1")
    await rel.record_contacts(h.deps, contacts)
    await dispatch_due(h.deps)
    assert h.provider.sent == []  # waits for the homecoming time
    h.clock.moment = DECIDED
    await _decision_and_plan(h, case_id)  # the same events again, then scheduling's plan
    await dispatch_due(h.deps)
    [first] = h.provider.texts_to(KARIN.phone)  # within the second of the decision: one text

    got = await _run_until(h, local(2026, 12, 19, 12))

    assert [(at.astimezone(STOCKHOLM).strftime("%d %H:%M"), text.split(".")[0]) for at, text in got] == [
        ("09 18:00", "Uppföljningsmöte för Trygg hemgång torsdag 10 dec kl"),
        ("17 18:00", "Trygg hemgång-teamet och hemtjänsten gör ett gemensamt hembesök fredag 18 dec kl"),
    ]
    assert first.startswith("Trygg hemgång-teamet stöttar din närstående efter hemkomsten från söndag 6 dec.")
    assert "Teamet möter din närstående i hemmet söndag 6 dec kl. 11:00" in first
    assert "digitalt" in got[0][1]
    assert not any("Du får ett sms" in text for text in [first, *(t for _, t in got)])  # no filler


async def test_the_start_text_goes_alone_when_no_homecoming_time_is_known_and_the_time_follows_in_one_text() -> None:
    h = Harness.create(now=DECIDED, settings=make_settings(start_text_wait_seconds=600))
    case_id = "c-" + uuid.uuid4().hex
    await rel.record_decision(h.deps, _granted(case_id))
    await rel.record_contacts(
        h.deps, rel.RelativeContacts(case_id, "p", "d-" + case_id, [KARIN], (), "officer:anna", DECIDED, "e1")
    )
    h.clock.advance(seconds=599)
    await dispatch_due(h.deps)
    assert h.provider.sent == []
    h.clock.advance(seconds=1)  # the team is full: nothing planned within the wait
    await dispatch_due(h.deps)
    [start] = h.provider.texts_to(KARIN.phone)
    assert start.startswith("Trygg hemgång-teamet stöttar din närstående efter hemkomsten från söndag 6 dec. Frågor")

    h.clock.advance(days=2)  # a place: scheduling plans the period
    await vis.visit_planned(h.deps, _visit(case_id, "v-home", vis.VisitType.HOMECOMING, HOME_AT))
    await vis.visit_planned(h.deps, _visit(case_id, "v-home", vis.VisitType.HOMECOMING, HOME_AT))  # repeated
    await dispatch_due(h.deps)
    assert h.provider.texts_to(KARIN.phone)[1:] == [
        "Trygg hemgång-teamet möter din närstående i hemmet söndag 6 dec kl. 11:00. "
        "Frågor: Trygg hemgång, tel +4687000000 (mån-fre 08:00-16:00)."
    ]


async def test_a_moved_meeting_after_its_reminder_is_one_new_time_text_per_change_and_none_for_a_no_op() -> None:
    h = Harness.create(now=DECIDED)
    case_id = "c-" + uuid.uuid4().hex
    await _decision_and_plan(h, case_id)
    await _run_until(h, local(2026, 12, 9, 19))  # the start and the meeting's reminder went
    sent = len(h.provider.texts_to(KARIN.phone))
    assert sent == 2

    moved = MEETING_AT + timedelta(days=1)
    for _ in range(2):  # the same move, delivered twice
        await vis.visit_planned(h.deps, _visit(case_id, "v-meet", vis.VisitType.FOLLOW_UP_MEETING, moved, moved=True))
    await dispatch_due(h.deps)
    new = h.provider.texts_to(KARIN.phone)[sent:]
    assert len(new) == 1
    assert new[0].startswith("Ny tid: Uppföljningsmöte för Trygg hemgång fredag 11 dec kl. 10:00 digitalt.")

    await vis.visit_planned(h.deps, _visit(case_id, "v-meet", vis.VisitType.FOLLOW_UP_MEETING, moved, moved=True))
    got = await _run_until(h, local(2026, 12, 11, 12))
    # no text for the repeat; the reminder of the new day went the evening before (Thursday 18:00)
    assert [(at.astimezone(STOCKHOLM).strftime("%d %H:%M"), text[:25]) for at, text in got] == [
        ("10 18:00", "Uppföljningsmöte för Tryg")
    ]


async def test_reminders_are_withdrawn_when_the_visit_is_cancelled_or_the_decision_ends() -> None:
    h = Harness.create(now=DECIDED)
    case_id = "c-" + uuid.uuid4().hex
    await _decision_and_plan(h, case_id)
    await dispatch_due(h.deps)
    assert await vis.visit_cancelled(h.deps, case_id, "p", "per-1", "team-vast", "v-meet") == 1
    # Ended early, its last day before the handover visit (the meeting's day would stand).
    await rel.record_decision_end(h.deps, case_id, "p", deceased=False, last_day=date(2026, 12, 12))
    await vis.visit_planned(h.deps, _visit(case_id, "v-joint", vis.VisitType.HANDOVER, HANDOVER_AT))  # read late

    got = await _run_until(h, local(2026, 12, 19, 12), step=timedelta(hours=6))

    assert got == []
    states = {m.topic: m.state for m in await h.deps.message_queries.for_case(case_id, 50)}
    assert states["remind:visit:v-meet"] is MessageState.CANCELLED
    assert states["remind:visit:v-joint"] is MessageState.CANCELLED


async def test_a_reminder_survives_a_restart_and_goes_once_with_two_replicas() -> None:
    h = Harness.create(now=DECIDED)
    case_id = "c-" + uuid.uuid4().hex
    await _decision_and_plan(h, case_id)
    await dispatch_due(h.deps)

    # A restart: a new process on the same database, its timers nowhere but in the documents.
    restarted = Harness.create(share_backend_with=h)
    second = Harness.create(share_backend_with=h)  # and a second replica
    restarted.clock.moment = local(2026, 12, 9, 18) + timedelta(seconds=1)
    await dispatch_due(restarted.deps)
    await dispatch_due(second.deps)
    await dispatch_due(restarted.deps)

    reminders = [t for t in h.provider.texts_to(KARIN.phone) if t.startswith("Uppföljningsmöte")]
    assert len(reminders) == 1


async def test_no_consent_no_texts_and_consent_withdrawn_withdraws_the_reminders() -> None:
    h = Harness.create(now=DECIDED)
    case_id = "c-" + uuid.uuid4().hex
    await _decision_and_plan(h, case_id)
    await dispatch_due(h.deps)
    withdrawal = rel.ChangedDecision(
        case_id, "p", "d-" + case_id, [], "officer:bo", DECIDED, str(uuid.uuid4()), withdrawn=(KARIN.relative_id,)
    )
    await rel.record_decision_change(h.deps, withdrawal)
    got = await _run_until(h, local(2026, 12, 19, 12), step=timedelta(hours=6))
    assert got == []

    nobody = Harness.create(now=DECIDED)
    await rel.record_decision(nobody.deps, _granted(case_id))
    await vis.visit_planned(nobody.deps, _visit(case_id, "v-meet", vis.VisitType.FOLLOW_UP_MEETING, MEETING_AT))
    nobody.clock.moment = local(2026, 12, 9, 18, 30)
    await dispatch_due(nobody.deps)
    assert nobody.provider.sent == []
