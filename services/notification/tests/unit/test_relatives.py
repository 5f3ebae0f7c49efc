"""Messages to relatives through the use cases (memory adapters, fixed clock, fake provider)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from notification_support import Harness, end_period, make_settings

from notification.domain.casefile import Relative
from notification.domain.contacts import DayHours, Language, TeamContact
from notification.domain.message import MessageAccepted, MessageCancelled, MessageState
from notification.domain.templates import MeetingPlace
from notification.service_layer import relatives as rel
from notification.service_layer import visits as vis
from notification.service_layer.dispatch import dispatch_due

KARIN = Relative("r-karin", "+46701112233", Language.SV)
AINO = Relative("r-aino", "+358401234567", Language.FI)
JOHN = Relative("r-john", "+4741234567", Language.EN)  # English, with a Norwegian mobile
DAYTIME = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm


def granted(case_id: str, relatives: list[Relative], *, trygg_hemgang: bool = True) -> rel.GrantedDecision:
    return rel.GrantedDecision(
        case_id=case_id,
        person_ref="p_" + uuid.uuid4().hex,
        decision_id="d-" + case_id,
        trygg_hemgang=trygg_hemgang,
        team_name="Team Väst",
        start_date=date(2026, 11, 25),
        relatives=relatives,
        by="officer:anna",
        at=DAYTIME,
        source_event_id=str(uuid.uuid4()),
    )


def listed(
    case_id: str, relatives: list[Relative], *, by: str = "officer:anna", sequence: int | None = None
) -> rel.RelativeContacts:
    """Referral's relative-contacts event: the full list of relatives with consent."""
    return rel.RelativeContacts(
        case_id=case_id,
        person_ref="p",
        decision_id="d-" + case_id,
        relatives=relatives,
        withdrawn=(),
        by=by,
        at=DAYTIME,
        source_event_id=str(uuid.uuid4()),
        sequence=sequence,
    )


async def decide(h: Harness, case_id: str, relatives: list[Relative]) -> None:
    """A Trygg hemgång decision and its relatives' contacts, each on its own topic."""
    await rel.record_decision(h.deps, granted(case_id, []))
    await rel.record_contacts(h.deps, listed(case_id, relatives))


def homecoming(case_id: str, at: datetime, *, visit_id: str = "v1", moved: bool = False) -> vis.VisitPlanned:
    return vis.VisitPlanned(
        case_id=case_id,
        person_ref="p",
        period_id="per-" + case_id,
        team_id="team-vast",
        visit_id=visit_id,
        visit_type=vis.VisitType.HOMECOMING,
        planned_start=at,
        place=MeetingPlace.HOME,
        moved=moved,
    )


@pytest.mark.parametrize(
    ("trygg_hemgang", "consenting"),
    [
        pytest.param(True, [], id="no recorded consent"),
        # The contacts of a decision that is not Trygg hemgång are kept but never messaged.
        pytest.param(False, [KARIN], id="not trygg hemgang"),
    ],
)
async def test_nothing_is_sent_to_relatives_without_recorded_consent_or_for_another_decision(
    trygg_hemgang: bool, consenting: list[Relative]
) -> None:
    h = Harness.create(now=DAYTIME)
    case_id = str(uuid.uuid4())
    assert await rel.record_decision(h.deps, granted(case_id, [], trygg_hemgang=trygg_hemgang)) == 0
    if consenting:
        await rel.record_contacts(h.deps, listed(case_id, consenting))
    await vis.visit_planned(h.deps, homecoming(case_id, DAYTIME + timedelta(days=2)))
    await dispatch_due(h.deps)
    assert h.provider.sent == []


async def test_a_consented_relative_gets_one_message_per_event_even_when_it_arrives_twice() -> None:
    h = Harness.create(now=DAYTIME)
    case_id = str(uuid.uuid4())
    await rel.record_contacts(h.deps, listed(case_id, [KARIN]))  # read before its decision
    command = granted(case_id, [])
    assert await rel.record_decision(h.deps, command) == 1
    assert await rel.record_decision(h.deps, command) == 0
    await rel.record_contacts(h.deps, listed(case_id, [KARIN]))  # and again after it
    await dispatch_due(h.deps)
    await dispatch_due(h.deps)
    assert len(h.provider.texts_to(KARIN.phone)) == 1
    assert h.provider.sent[0].sender == "TryggHem"
    assert "onsdag 25 nov" in h.provider.sent[0].text
    assert [type(e) for e in h.events()] == [MessageAccepted]


async def test_each_relative_gets_the_message_in_their_own_language() -> None:
    h = Harness.create(now=DAYTIME)
    case_id = str(uuid.uuid4())
    await decide(h, case_id, [KARIN, AINO, JOHN])
    await vis.visit_planned(h.deps, homecoming(case_id, datetime(2026, 11, 25, 9, 0, tzinfo=UTC)))
    await dispatch_due(h.deps)
    # One text each: the start and the homecoming visit's time.
    [karin], [aino], [john] = (h.provider.texts_to(r.phone) for r in (KARIN, AINO, JOHN))
    assert karin.startswith("Trygg hemgång-teamet stöttar din närstående efter hemkomsten från onsdag 25 nov.")
    assert "Teamet möter din närstående i hemmet onsdag 25 nov kl. 10:00" in karin
    assert "Tiimi tapaa läheisesi kotona keskiviikkona 25.11. klo 10.00" in aino
    assert "The team will meet your relative at home on Wednesday 25 Nov at 10:00" in john


async def test_the_teams_own_phone_and_hours_from_scheduling_are_in_the_message() -> None:
    h = Harness.create(now=DAYTIME)
    case_id = str(uuid.uuid4())
    hofors = TeamContact(
        "team-vast", "Trygg hemgång Hofors", "+4629012345", tuple(DayHours(d, time(7), time(15, 30)) for d in range(7))
    )
    assert await rel.configure_team(h.deps, hofors, 2)
    assert not await rel.configure_team(h.deps, TeamContact("team-vast", "old", "+461", ()), 1)  # older version
    await decide(h, case_id, [KARIN])
    await vis.visit_planned(h.deps, homecoming(case_id, DAYTIME + timedelta(days=2)))
    await dispatch_due(h.deps)
    assert "Trygg hemgång Hofors, tel +4629012345 (alla dagar 07:00-15:30)" in h.provider.texts_to(KARIN.phone)[-1]


async def test_a_withdrawn_consent_stops_a_held_message_and_everything_after_it_and_is_logged() -> None:
    evening = datetime(2026, 11, 23, 21, 30, tzinfo=UTC)  # 22:30 in Stockholm: quiet hours
    h = Harness.create(now=evening)
    case_id = str(uuid.uuid4())
    await decide(h, case_id, [KARIN, AINO])
    await dispatch_due(h.deps)
    assert h.provider.sent == []  # both held until the morning

    await rel.record_contacts(h.deps, listed(case_id, [AINO], by="officer:bo"))
    await vis.visit_planned(h.deps, homecoming(case_id, datetime(2026, 11, 25, 9, 0, tzinfo=UTC)))
    h.clock.moment = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 in Stockholm
    await dispatch_due(h.deps)

    assert h.provider.texts_to(KARIN.phone) == []
    [aino] = h.provider.texts_to(AINO.phone)  # the start with the homecoming time, in one text
    assert "klo 10.00" in aino
    cancelled = h.events_of(MessageCancelled)
    assert [(e.ref.case_id, e.reason.value) for e in cancelled] == [
        (case_id, "consent_withdrawn"),
        (case_id, "superseded"),  # Aino's start text without the time, replaced by the one with it
    ]
    karin_messages = [m for m in await h.deps.message_queries.for_case(case_id, 10) if m.recipient_id == "r-karin"]
    assert [m.state for m in karin_messages] == [MessageState.CANCELLED]
    log = (await h.deps.cases.load(case_id)).state.consent_log
    assert [(e.relative_id, e.change, e.recorded_by) for e in log][-1] == ("r-karin", "withdrawn", "officer:bo")


async def test_a_withdrawal_recorded_while_a_message_waits_to_be_sent_stops_it_at_the_send() -> None:
    h = Harness.create(now=DAYTIME)
    case_id = str(uuid.uuid4())
    await decide(h, case_id, [KARIN])

    # The consent is gone from the case file, but the queued message was not cancelled yet.
    case = await h.deps.cases.load(case_id)
    case.state.set_relatives([], by="officer:bo", at=DAYTIME, source_event_id="e")
    await h.deps.cases.save(case_id, case.version, case.state, [], last_sequence=case.last_sequence)

    await dispatch_due(h.deps)
    assert h.provider.sent == []
    assert [e.reason.value for e in h.events_of(MessageCancelled)] == ["consent_withdrawn"]


async def test_quiet_hours_hold_messages_until_morning_but_not_about_todays_visit() -> None:
    early = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)  # 06:00 in Stockholm
    h = Harness.create(now=early)
    case_id = str(uuid.uuid4())
    await decide(h, case_id, [KARIN])  # about nothing today: held
    await dispatch_due(h.deps)
    assert h.provider.sent == []

    h.clock.advance(minutes=30)  # the homecoming visit today: the start text, now with it, goes at once
    await vis.visit_planned(h.deps, homecoming(case_id, datetime(2026, 11, 25, 10, 0, tzinfo=UTC)))
    await dispatch_due(h.deps)
    [text] = [s.text for s in h.provider.sent]
    assert "stöttar din närstående" in text
    assert "kl. 11:00" in text

    h.clock.moment = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 08:00: nothing else was held
    await dispatch_due(h.deps)
    assert len(h.provider.sent) == 1


async def test_a_newer_time_for_the_homecoming_replaces_the_one_still_held_for_the_morning() -> None:
    h = Harness.create(now=datetime(2026, 11, 23, 21, 0, tzinfo=UTC))
    case_id = str(uuid.uuid4())
    await decide(h, case_id, [KARIN])
    await vis.visit_planned(h.deps, homecoming(case_id, datetime(2026, 11, 25, 9, 0, tzinfo=UTC)))
    h.clock.advance(minutes=30)
    await vis.visit_planned(h.deps, homecoming(case_id, datetime(2026, 11, 25, 12, 0, tzinfo=UTC), moved=True))
    h.clock.moment = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    await dispatch_due(h.deps)
    [text] = h.provider.texts_to(KARIN.phone)  # she heard no time before: no "new time"
    assert "Ny tid" not in text
    assert "kl. 13:00" in text
    assert "kl. 10:00" not in text
    # the start text without the time, then the one with 10:00, each replaced before it went
    assert [e.reason.value for e in h.events_of(MessageCancelled)] == ["superseded", "superseded"]


async def test_nothing_more_goes_out_once_the_person_has_died() -> None:
    h = Harness.create(now=datetime(2026, 11, 23, 21, 0, tzinfo=UTC))
    case_id = str(uuid.uuid4())
    await decide(h, case_id, [KARIN])
    await rel.record_decision_end(h.deps, case_id, "p", deceased=True)
    await vis.visit_planned(h.deps, homecoming(case_id, datetime(2026, 11, 25, 9, 0, tzinfo=UTC)))
    h.clock.moment = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    await dispatch_due(h.deps)
    assert h.provider.sent == []


async def test_the_handover_message_tells_whom_to_call_and_the_end_is_not_told_after_it() -> None:
    h = Harness.create(now=DAYTIME, settings=make_settings(hemtjanst_phone="+46855566677"))
    case_id = str(uuid.uuid4())
    await decide(h, case_id, [KARIN])
    await vis.handed_over(h.deps, case_id, "p", "per-1", "team-vast", DAYTIME)
    for _ in range(2):
        await end_period(h.deps, case_id, date(2026, 12, 8))
    await dispatch_due(h.deps)
    texts = h.provider.texts_to(KARIN.phone)
    assert len(texts) == 2  # the start, the handover: it says who helps from now on
    assert "Ring hemtjänsten på +46855566677" in texts[1]
    assert not any("avslutades" in t for t in texts)


async def test_the_end_of_a_period_without_a_handover_is_told_once() -> None:
    h = Harness.create(now=DAYTIME)
    case_id = str(uuid.uuid4())
    await decide(h, case_id, [KARIN])
    for _ in range(2):
        await end_period(h.deps, case_id, date(2026, 11, 27))
    await dispatch_due(h.deps)
    texts = h.provider.texts_to(KARIN.phone)
    assert len(texts) == 2
    assert "avslutades fredag 27 nov" in texts[1]


async def test_the_handover_message_gives_the_hemtjanst_unit_the_team_hands_over_to() -> None:
    h = Harness.create(now=DAYTIME, settings=make_settings(hemtjanst_phone="+46855566677"))
    vast = TeamContact("team-vast", "Team Väst", "+46701740605", (), hemtjanst_phone="+46858512345")
    await rel.configure_team(h.deps, vast, 1)
    case_id = str(uuid.uuid4())
    await decide(h, case_id, [KARIN])
    await vis.handed_over(h.deps, case_id, "p", "per-1", "team-vast", DAYTIME)
    await vis.handed_over(h.deps, case_id, "p", "per-1", "team-vast", DAYTIME)  # redelivered
    await dispatch_due(h.deps)
    texts = [t for t in h.provider.texts_to(KARIN.phone) if "tagit över" in t]
    assert len(texts) == 1
    assert "Ring hemtjänsten på +46858512345" in texts[0]  # the team's unit, not the deployment's default


async def test_a_recipients_daily_cap_stops_a_flood() -> None:
    h = Harness.create(now=DAYTIME, settings=make_settings(relative_daily_cap=2))
    case_id = str(uuid.uuid4())
    await decide(h, case_id, [KARIN])
    await dispatch_due(h.deps)  # the start, without a time
    for hours in (0, 1, 2):  # the homecoming set, then moved twice, each told as it happens
        h.clock.advance(minutes=5)
        await vis.visit_planned(h.deps, homecoming(case_id, DAYTIME + timedelta(days=2, hours=hours), moved=hours > 0))
        await dispatch_due(h.deps)
    assert len(h.provider.texts_to(KARIN.phone)) == 2
    cancelled = h.events_of(MessageCancelled)
    assert [e.reason.value for e in cancelled] == ["daily_cap_reached", "daily_cap_reached"]
    states = [m.state for m in await h.deps.message_queries.for_case(case_id, 10)]
    assert states.count(MessageState.CANCELLED) == 2

    h.clock.advance(days=1)  # a new day: the cap starts over
    await vis.visit_planned(h.deps, homecoming(case_id, DAYTIME + timedelta(days=3), moved=True))
    await dispatch_due(h.deps)
    assert len(h.provider.texts_to(KARIN.phone)) == 3


async def test_contacts_read_after_their_decision_tell_the_relative_the_decisions_first_day_once() -> None:
    h = Harness.create(now=DAYTIME)
    case_id = str(uuid.uuid4())
    await rel.record_decision(h.deps, granted(case_id, []))
    for _ in range(2):
        await rel.record_contacts(h.deps, listed(case_id, [KARIN], sequence=2))
    await dispatch_due(h.deps)
    assert len(h.provider.texts_to(KARIN.phone)) == 1
    assert "onsdag 25 nov" in h.provider.sent[0].text


async def test_a_withdrawal_on_case_events_takes_effect_before_the_new_list_and_an_older_list_is_ignored() -> None:
    h = Harness.create(now=DAYTIME)
    case_id = str(uuid.uuid4())
    await rel.record_decision(h.deps, granted(case_id, []))
    await rel.record_contacts(h.deps, listed(case_id, [KARIN, AINO], sequence=2))
    withdrawal = rel.ChangedDecision(
        case_id, "p", "d-" + case_id, [], "officer:bo", DAYTIME, str(uuid.uuid4()), withdrawn=("r-karin",), sequence=5
    )
    await rel.record_decision_change(h.deps, withdrawal)
    await rel.record_decision_change(h.deps, withdrawal)  # delivered twice: logged once
    await rel.record_contacts(h.deps, listed(case_id, [KARIN, AINO], sequence=4))  # older, read late
    await vis.visit_planned(h.deps, homecoming(case_id, DAYTIME + timedelta(days=2)))
    await dispatch_due(h.deps)

    assert len(h.provider.texts_to(KARIN.phone)) == 0  # the start message was cancelled before it went
    assert len(h.provider.texts_to(AINO.phone)) == 1  # the start, with the homecoming time
    log = (await h.deps.cases.load(case_id)).state.consent_log
    assert [(e.relative_id, e.change, e.recorded_by) for e in log] == [
        ("r-karin", "given", "officer:anna"),
        ("r-aino", "given", "officer:anna"),
        ("r-karin", "withdrawn", "officer:bo"),
    ]


async def test_a_number_off_the_sms_allow_list_is_recorded_and_never_sent() -> None:
    """Defence in depth: referral refuses such numbers when consent is recorded; one that reached
    notification anyway (an older event, an allow-list narrowed since) is not sent."""
    h = Harness.create(now=DAYTIME)
    case_id = str(uuid.uuid4())
    satellite = Relative("r-sat", "+881612345678", Language.SV)
    premium = Relative("r-premium", "+46900123456", Language.SV)

    await decide(h, case_id, [KARIN, satellite, premium])
    await dispatch_due(h.deps)

    assert len(h.provider.texts_to(KARIN.phone)) == 1
    assert h.provider.texts_to(satellite.phone) == []
    assert h.provider.texts_to(premium.phone) == []
    refused = [r for r in h.deps.audit.records if r.action == "sms_number_refused"]
    assert [r.subject for r in refused] == [f"case:{case_id}"] * 2
