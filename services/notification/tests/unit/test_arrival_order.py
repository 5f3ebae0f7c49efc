"""Relatives hear the same whichever topic notification reads first.

Scheduling's period events and referral's decision and relative contacts come on three topics,
read by three consumer groups, so a visit can be handled before the decision that lets relatives
be told of it (found by the fault suite: a homecoming `visit_scheduled` handled 16 ms before its
`decision_granted` was never told). Each test runs the use cases in every order and compares
what was queued to the relatives.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

from notification_support import Harness, end_period

from notification.domain.alert import AlertRaised
from notification.domain.casefile import Relative
from notification.domain.contacts import Language, TeamContact
from notification.domain.message import MessageState
from notification.domain.templates import AlertTopic, MeetingPlace
from notification.service_layer import alerts as al
from notification.service_layer import relatives as rel
from notification.service_layer import visits as vis
from notification.service_layer.dispatch import dispatch_due

KARIN = Relative("r-karin", "+46701112233", Language.SV)
AINO = Relative("r-aino", "+358401234567", Language.FI)
DAYTIME = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm
HOMECOMING = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

Step = Callable[[Harness, str], Awaitable[object]]


def _decision(case_id: str) -> rel.GrantedDecision:
    return rel.GrantedDecision(
        case_id=case_id,
        person_ref="p",
        decision_id="d-" + case_id,
        trygg_hemgang=True,
        team_name="Team Väst",
        start_date=date(2026, 11, 25),
        relatives=[],
        by="officer:anna",
        at=DAYTIME,
        source_event_id="e-decision",
        sequence=1,
    )


def _contacts(case_id: str) -> rel.RelativeContacts:
    return rel.RelativeContacts(
        case_id=case_id,
        person_ref="p",
        decision_id="d-" + case_id,
        relatives=[KARIN, AINO],
        withdrawn=(),
        by="officer:anna",
        at=DAYTIME,
        source_event_id="e-contacts",
        sequence=2,
    )


def _visit(
    case_id: str,
    visit_id: str,
    kind: vis.VisitType,
    at: datetime,
    *,
    moved: bool = False,
    place: MeetingPlace = MeetingPlace.HOME,
) -> vis.VisitPlanned:
    return vis.VisitPlanned(case_id, "p", "per-" + case_id, "team-vast", visit_id, kind, at, place, moved)


async def decision(h: Harness, case_id: str) -> None:
    await rel.record_decision(h.deps, _decision(case_id))


async def contacts(h: Harness, case_id: str) -> None:
    await rel.record_contacts(h.deps, _contacts(case_id))


async def the_whole_period(h: Harness, case_id: str) -> None:
    """Scheduling's stream of the case, in its own order: visits, the handover, the end."""
    await vis.visit_planned(h.deps, _visit(case_id, "v-home", vis.VisitType.HOMECOMING, HOMECOMING))
    await vis.visit_planned(
        h.deps,
        _visit(
            case_id, "v-meet", vis.VisitType.FOLLOW_UP_MEETING, HOMECOMING + timedelta(days=7), place=MeetingPlace.PHONE
        ),
    )
    await vis.visit_planned(h.deps, _visit(case_id, "v-joint", vis.VisitType.HANDOVER, HOMECOMING + timedelta(days=12)))
    await vis.handed_over(h.deps, case_id, "p", "per-" + case_id, "team-vast", HOMECOMING + timedelta(days=13))
    await end_period(h.deps, case_id, date(2026, 12, 8), cause=f"period-ended:per-{case_id}")


async def _told(steps: tuple[Step, ...], case_id: str) -> dict[str, tuple[str | None, str]]:
    """Run the steps in this order; what each relative is to get: message id -> (recipient, text)."""
    h = Harness.create(now=DAYTIME)
    for step in steps:
        await step(h, case_id)
    messages = await h.deps.message_queries.for_case(case_id, 100)
    return {m.message_id: (m.recipient_id, m.text) for m in messages if m.state is not MessageState.CANCELLED}


async def test_visits_handover_and_end_reach_relatives_whichever_topic_is_read_first() -> None:
    case_id = "c-" + uuid.uuid4().hex
    in_order = await _told((decision, contacts, the_whole_period), case_id)
    # To each of the two relatives: the start with the homecoming time, a reminder of the follow-up
    # meeting and one of the handover visit, and the handover (the end is not told after it).
    assert len(in_order) == 4 * 2
    karin = sorted(text for who, text in in_order.values() if who == "r-karin")
    assert len(karin) == 4
    assert any(t.startswith("Trygg hemgång-teamet stöttar") and "onsdag 25 nov kl. 10:00" in t for t in karin)
    assert not any("avslutades" in t for t in karin)
    for order in itertools.permutations((decision, contacts, the_whole_period)):
        assert await _told(order, case_id) == in_order, [s.__name__ for s in order]


async def test_each_relative_gets_each_message_once_when_the_period_comes_first_and_everything_is_repeated() -> None:
    h = Harness.create(now=DAYTIME)
    case_id = "c-" + uuid.uuid4().hex
    for step in (the_whole_period, contacts, decision, the_whole_period, decision, contacts):
        await step(h, case_id)
    for day in range(20):  # the fortnight goes by, the dispatcher sending what is due
        h.clock.moment = DAYTIME + timedelta(days=day, hours=9)  # 19:00 in Stockholm
        await dispatch_due(h.deps)
    karin = h.provider.texts_to(KARIN.phone)
    assert len(karin) == 4, karin
    assert len(set(karin)) == 4
    assert "onsdag 25 nov kl. 10:00" in karin[0]  # the homecoming visit, in the start text


async def test_a_visit_moved_or_cancelled_before_the_decision_is_told_only_as_it_stands() -> None:
    h = Harness.create(now=DAYTIME)
    case_id = "c-" + uuid.uuid4().hex
    moved_to = HOMECOMING + timedelta(hours=4)
    await vis.visit_planned(h.deps, _visit(case_id, "v-home", vis.VisitType.HOMECOMING, HOMECOMING))
    await vis.visit_planned(h.deps, _visit(case_id, "v-home", vis.VisitType.HOMECOMING, moved_to, moved=True))
    await vis.visit_planned(
        h.deps, _visit(case_id, "v-meet", vis.VisitType.FOLLOW_UP_MEETING, HOMECOMING + timedelta(days=7))
    )
    await vis.visit_cancelled(h.deps, case_id, "p", "per-" + case_id, "team-vast", "v-meet")
    await contacts(h, case_id)
    await decision(h, case_id)
    await dispatch_due(h.deps)
    karin = h.provider.texts_to(KARIN.phone)
    assert len(karin) == 1, karin  # the start, with the homecoming at its new time
    assert "onsdag 25 nov kl. 14:00" in karin[0]
    assert "Ny tid" not in karin[0]  # she never heard the old time
    h.clock.advance(days=10)
    await dispatch_due(h.deps)
    karin = h.provider.texts_to(KARIN.phone)
    assert len(karin) == 1  # no reminder of the cancelled meeting
    assert not any("kl. 10:00" in t or "Uppföljningsmöte" in t for t in karin)


async def test_a_cancelled_visit_s_message_still_held_for_the_morning_is_not_sent() -> None:
    night = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 23:00 in Stockholm: quiet hours
    h = Harness.create(now=night)
    case_id = "c-" + uuid.uuid4().hex
    await decision(h, case_id)
    await contacts(h, case_id)
    await vis.visit_planned(h.deps, _visit(case_id, "v-meet", vis.VisitType.FOLLOW_UP_MEETING, HOMECOMING))
    # Its reminder (each relative's, for 18:00 the day before) is withdrawn.
    assert await vis.visit_cancelled(h.deps, case_id, "p", "per-" + case_id, "team-vast", "v-meet") == 2
    h.clock.advance(hours=24)
    await dispatch_due(h.deps)
    assert not any("Uppföljningsmöte" in t for t in h.provider.texts_to(KARIN.phone))


async def test_a_visit_already_past_when_relatives_can_be_told_is_not_told() -> None:
    h = Harness.create(now=DAYTIME)
    case_id = "c-" + uuid.uuid4().hex
    await vis.visit_planned(h.deps, _visit(case_id, "v-home", vis.VisitType.HOMECOMING, DAYTIME - timedelta(hours=1)))
    await decision(h, case_id)
    await contacts(h, case_id)
    await dispatch_due(h.deps)
    assert len(h.provider.texts_to(KARIN.phone)) == 1  # the start only


async def test_a_failed_sms_before_the_period_is_known_alerts_the_case_s_team_not_the_fallback() -> None:
    h = Harness.create(now=DAYTIME)
    case_id = "c-" + uuid.uuid4().hex
    await rel.configure_team(h.deps, TeamContact("team-vast", "Team Väst", "+46855500000", ()), 1)
    await decision(h, case_id)  # the decision names the team; scheduling's period is not read yet
    await al.case_alert(h.deps, "sms-failed:m_1", AlertTopic.SMS_FAILED, case_id, team_id=None)
    [raised] = h.events_of(AlertRaised)
    assert raised.team_id == "team-vast"
