"""Domain rules with no fixtures: quiet hours, texts in three languages, message and alert states, consent."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from notification.domain.alert import (
    AckChannel,
    Alert,
    AlertAcknowledged,
    AlertError,
    AlertEscalated,
    AlertRaised,
    AlertResolved,
    Responder,
    Rota,
    Shift,
)
from notification.domain.casefile import CaseFile, ConsentWithdrawn, GrantedDecision, Relative, WatchState
from notification.domain.contacts import DayHours, Language, TeamContact
from notification.domain.message import (
    DeliveryStatus,
    Message,
    MessageAccepted,
    MessageError,
    MessageFailed,
    MessageState,
    MessageStatusReported,
    RecipientKind,
)
from notification.domain.quiet_hours import QuietHours
from notification.domain.templates import (
    AlertFacts,
    AlertTopic,
    Facts,
    MeetingPlace,
    MessageKind,
    render,
    render_alert,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
QUIET = QuietHours(time(21), time(8), STOCKHOLM)
TEAM = TeamContact(
    "team-vast",
    "Team Väst",
    "+46812345678",
    tuple(DayHours(d, time(7), time(17)) for d in range(5)),
)
# GSM 03.38 basic set (the characters an SMS carries at 7 bits each).
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


# --- quiet hours ---------------------------------------------------------------------------------


def test_a_message_created_in_the_evening_waits_until_eight_the_next_morning() -> None:
    assert QUIET.release_at(local(2026, 11, 23, 22, 30)) == local(2026, 11, 24, 8, 0)


def test_a_message_created_before_eight_waits_until_eight_the_same_morning() -> None:
    assert QUIET.release_at(local(2026, 11, 24, 6, 15)) == local(2026, 11, 24, 8, 0)


def test_a_message_in_daytime_goes_at_once() -> None:
    assert QUIET.release_at(local(2026, 11, 24, 12, 0)) is None
    assert QUIET.release_at(local(2026, 11, 24, 20, 59)) is None
    assert QUIET.release_at(local(2026, 11, 24, 21, 0)) is not None


def test_a_message_about_todays_visit_is_not_held_by_quiet_hours() -> None:
    assert QUIET.release_at(local(2026, 11, 24, 6, 15), about=date(2026, 11, 24)) is None
    assert QUIET.release_at(local(2026, 11, 24, 6, 15), about=date(2026, 11, 25)) == local(2026, 11, 24, 8, 0)


def test_quiet_hours_follow_local_time_across_the_change_to_summer_time() -> None:
    # 29 March 2026: clocks go from 02:00 to 03:00 in Stockholm; 08:00 local is 06:00 UTC.
    release = QUIET.release_at(datetime(2026, 3, 28, 22, 0, tzinfo=UTC))
    assert release is not None
    assert release.astimezone(UTC) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


# --- texts ---------------------------------------------------------------------------------------

ALL_RELATIVE_KINDS = [
    (MessageKind.SERVICE_STARTED, Facts(day=date(2026, 11, 25))),
    (MessageKind.HOMECOMING_SCHEDULED, Facts(at=local(2026, 11, 25, 10, 0))),
    (MessageKind.HOMECOMING_CHANGED, Facts(at=local(2026, 11, 25, 13, 30))),
    (MessageKind.FOLLOW_UP_MEETING, Facts(at=local(2026, 12, 1, 14, 0), place=MeetingPlace.DIGITAL)),
    (MessageKind.HANDOVER_VISIT, Facts(at=local(2026, 12, 7, 9, 0))),
    (MessageKind.HANDED_OVER, Facts(day=date(2026, 12, 8), call_phone="+46855566677")),
    (MessageKind.PERIOD_ENDED, Facts(day=date(2026, 12, 8))),
]


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize(("kind", "facts"), ALL_RELATIVE_KINDS)
def test_every_message_to_a_relative_carries_the_teams_phone_and_hours_in_gsm7(
    kind: MessageKind, facts: Facts, language: Language
) -> None:
    text = render(kind, facts, language, TEAM)
    assert "+46812345678" in text
    assert TEAM.hours_text(language) in text
    assert set(text) <= GSM7, sorted(set(text) - GSM7)
    assert len(text) <= 3 * 153  # at most three SMS parts


def test_the_homecoming_message_says_day_and_time_in_each_language() -> None:
    facts = Facts(at=local(2026, 11, 25, 10, 0))
    sv = render(MessageKind.HOMECOMING_SCHEDULED, facts, Language.SV, TEAM)
    fi = render(MessageKind.HOMECOMING_SCHEDULED, facts, Language.FI, TEAM)
    en = render(MessageKind.HOMECOMING_SCHEDULED, facts, Language.EN, TEAM)
    assert "onsdag 25 nov kl. 10:00" in sv
    assert "mån-fre 07:00-17:00" in sv
    assert "i hemmet" in sv
    assert "keskiviikkona 25.11. klo 10.00" in fi
    assert "ma-pe 07:00-17:00" in fi
    assert "kotona" in fi
    assert "Wednesday 25 Nov at 10:00" in en
    assert "Mon-Fri 07:00-17:00" in en
    assert len({sv, fi, en}) == 3


def test_the_handover_message_says_whom_to_call() -> None:
    text = render(MessageKind.HANDED_OVER, Facts(day=date(2026, 12, 8), call_phone="+46855566677"), Language.SV, TEAM)
    assert "Ring hemtjänsten på +46855566677" in text


def test_no_text_carries_health_words_or_identity_numbers() -> None:
    health = re.compile(r"(?i)diagnos|medicin|sjukdom|fall|demens|stroke|cancer|lääk|medication|diagnos")
    identity = re.compile(r"\d{6}[-+]?\d{4}")
    for kind, facts in ALL_RELATIVE_KINDS:
        for language in Language:
            text = render(kind, facts, language, TEAM)
            assert not health.search(text), text
            assert not identity.search(text.replace("+46812345678", "").replace("+46855566677", "")), text


def test_hours_every_day_are_written_as_every_day() -> None:
    hofors = TeamContact("t", "Hofors", "+4629012345", tuple(DayHours(d, time(7), time(15, 30)) for d in range(7)))
    assert hofors.hours_text(Language.SV) == "alla dagar 07:00-15:30"
    assert hofors.hours_text(Language.FI) == "joka päivä 07:00-15:30"


def test_an_on_call_alert_names_the_case_reference_and_how_to_acknowledge() -> None:
    text = render_alert(
        AlertTopic.LIABILITY_NO_DECISION,
        AlertFacts(case_ref="a81ac505", at=local(2026, 11, 25, 0, 0)),
        Language.SV,
        ack_code="K7QX3M2P",
        ack_link="https://n.example.se/ack/K7QX3M2P",
        escalated=False,
    )
    assert "betalningsansvar från onsdag 25 nov kl. 00:00" in text
    assert "a81ac505" in text
    assert "svara K7QX3M2P" in text
    assert "https://n.example.se/ack/K7QX3M2P" in text


# --- messages ------------------------------------------------------------------------------------

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def message(**kw: object) -> Message:
    values: dict[str, object] = {
        "message_id": "m1",
        "kind": MessageKind.HOMECOMING_SCHEDULED,
        "recipient": RecipientKind.RELATIVE,
        "recipient_id": "r1",
        "to": "+46701112233",
        "text": "x",
        "language": Language.SV,
        "created_at": T0,
        "not_before": T0,
        "case_id": "c1",
    }
    values.update(kw)
    return Message(**values)  # type: ignore[arg-type]


def test_only_one_dispatcher_can_claim_a_message_and_a_lapsed_claim_must_reconcile() -> None:
    m = message()
    assert m.claim(T0, "a", timedelta(seconds=60))
    assert not m.claim(T0 + timedelta(seconds=30), "b", timedelta(seconds=60))
    assert m.claim(T0 + timedelta(seconds=61), "b", timedelta(seconds=60))
    assert m.reconcile
    assert m.attempts == 2
    with pytest.raises(MessageError):
        m.accepted(1, "p", "pid", DeliveryStatus.ACCEPTED, T0)  # the first attempt's dispatcher lost the message


def test_delivery_statuses_only_move_forward_and_a_failure_is_final() -> None:
    m = message()
    m.claim(T0, "a", timedelta(seconds=60))
    assert isinstance(m.accepted(1, "p", "pid", DeliveryStatus.ACCEPTED, T0)[0], MessageAccepted)
    assert m.report(DeliveryStatus.DELIVERED, "pid", T0) == [
        MessageStatusReported(m.ref, DeliveryStatus.DELIVERED, "p", T0)
    ]
    assert m.report(DeliveryStatus.SENT, "pid", T0) is None
    assert m.state is MessageState.DELIVERED
    with pytest.raises(MessageError):
        m.report(DeliveryStatus.FAILED, "someone-else", T0)


def test_a_report_that_overtakes_the_record_of_the_send_is_kept() -> None:
    m = message()
    m.claim(T0, "a", timedelta(seconds=60))
    assert m.report(DeliveryStatus.DELIVERED, "pid", T0) == []
    m.accepted(1, "p", "pid", DeliveryStatus.ACCEPTED, T0)
    assert m.state is MessageState.DELIVERED


def test_retries_end_in_a_final_failure_after_the_last_attempt() -> None:
    m = message()
    events: list[object] = []
    for attempt in range(3):
        now = T0 + timedelta(minutes=attempt)
        m.not_before = now
        assert m.claim(now, f"t{attempt}", timedelta(seconds=60))
        events = m.retry_later(
            attempt + 1, "http_503", now, timedelta(seconds=5), max_attempts=3, ambiguous=False, provider="p"
        )
    assert m.state is MessageState.FAILED
    assert isinstance(events[0], MessageFailed)
    assert events[0].attempts == 3


def test_a_sent_message_cannot_be_cancelled() -> None:
    m = message()
    m.claim(T0, "a", timedelta(seconds=60))
    m.accepted(1, "p", "pid", DeliveryStatus.ACCEPTED, T0)
    from notification.domain.message import CancelReason

    assert m.cancel(CancelReason.CONSENT_WITHDRAWN, T0) is None


# --- consent -------------------------------------------------------------------------------------


def decision(
    *, trygg_hemgang: bool = True, team_name: str | None = None, relatives: tuple[Relative, ...] = (), by: str = "o"
) -> GrantedDecision:
    """Case c1's decision d1, granted at T0 (event e1)."""
    return GrantedDecision("c1", "p1", "d1", trygg_hemgang, team_name, None, list(relatives), by, T0, "e1")


def test_a_relative_missing_from_the_changed_decision_is_withdrawn_and_logged() -> None:
    case = CaseFile("c1", "p1")
    karin, olle = Relative("r1", "+46701112233", Language.SV), Relative("r2", "+46701112244", Language.FI)
    case.decision_granted(decision(team_name="Team Väst", relatives=(karin, olle), by="officer:a"))
    assert case.may_message("r1") == karin
    _, events = case.set_relatives([olle], by="officer:b", at=T0, source_event_id="e2")
    assert events == [ConsentWithdrawn("c1", ("r1",))]
    assert case.may_message("r1") is None
    assert case.may_message("r2") == olle
    assert [(e.relative_id, e.change, e.recorded_by) for e in case.consent_log] == [
        ("r1", "given", "officer:a"),
        ("r2", "given", "officer:a"),
        ("r1", "withdrawn", "officer:b"),
    ]
    assert case.set_relatives([olle], by="officer:b", at=T0, source_event_id="e2")[1] == []  # a repeat


def test_an_older_list_of_relatives_never_brings_back_a_withdrawn_relative() -> None:
    case = CaseFile("c1", "p1")
    karin, olle = Relative("r1", "+46701112233", Language.SV), Relative("r2", "+46701112244", Language.FI)
    case.decision_granted(decision())
    assert case.may_message("r1") is None  # a decision names no relatives: their list comes on its own

    assert case.consent_withdrawn(("r1",), sequence=5, by="officer:b", at=T0, source_event_id="e5") == []
    added, events = case.contacts_changed([karin, olle], sequence=2, by="o", at=T0, source_event_id="e2")
    assert (added, events) == ([], [])  # older than the withdrawal: ignored
    added, events = case.contacts_changed([olle], ("r1",), sequence=6, by="o", at=T0, source_event_id="e6")
    assert added == [olle]
    assert case.may_message("r1") is None
    assert case.may_message("r2") == olle
    assert case.relatives_sequence == 6
    _, events = case.contacts_changed([karin, olle], sequence=9, by="o", at=T0, source_event_id="e9")
    assert events == []
    assert case.may_message("r1") == karin  # consent given again later counts


def test_relatives_of_a_decision_that_is_not_trygg_hemgang_are_never_messaged() -> None:
    case = CaseFile("c1", "p1")
    case.decision_granted(decision(trygg_hemgang=False, relatives=(Relative("r1", "+46701112233", Language.SV),)))
    assert case.may_message("r1") is None


def test_the_liability_watch_is_armed_by_the_ready_notice_and_disarmed_by_a_decision() -> None:
    case = CaseFile("c1", "p1")
    starts = T0 + timedelta(days=3)
    assert case.ready_for_discharge(T0, starts, timedelta(hours=24))
    assert not case.ready_for_discharge(T0, starts, timedelta(hours=24))  # the same notice again
    assert case.watch_due(starts - timedelta(hours=25)) is None
    assert case.watch_due(starts - timedelta(hours=24)) is not None
    case.decision_granted(decision())
    assert case.watch is not None
    assert case.watch.state is WatchState.DISARMED
    assert not case.ready_for_discharge(T0 + timedelta(days=1), starts, timedelta(hours=24))


# --- alerts --------------------------------------------------------------------------------------


def test_an_alert_escalates_down_the_rota_until_nobody_is_left_and_stops_when_acknowledged() -> None:
    people = (Responder("anna", "+46700000001"), Responder("bo", "+46700000002"))
    alert, raised = Alert.raise_(
        "a1",
        AlertTopic.VISIT_MISSED,
        AlertFacts(at=T0 + timedelta(hours=2)),
        now=T0,
        ack_code="ABCDEFGH",
        responders=people,
        ack_timeout=timedelta(minutes=15),
        case_id="c1",
        team_id="team-vast",
        rota="team-vast",
    )
    about = ("a1", AlertTopic.VISIT_MISSED, "c1", "team-vast")
    assert raised == [AlertRaised(*about, T0, 2, T0 + timedelta(hours=2), "team-vast")]
    assert alert.escalate(T0 + timedelta(minutes=14), timedelta(minutes=15)) is None
    escalated = alert.escalate(T0 + timedelta(minutes=15), timedelta(minutes=15))
    assert escalated == [AlertEscalated(*about, 1, T0 + timedelta(minutes=15), False)]
    assert alert.level == 1
    assert alert.notify_pending
    last = alert.escalate(T0 + timedelta(minutes=30), timedelta(minutes=15))
    assert last == [AlertEscalated(*about, -1, T0 + timedelta(minutes=30), True)]
    assert alert.exhausted
    assert alert.escalate_at is None
    acked = alert.acknowledge("oncall:bo", AckChannel.API, T0 + timedelta(minutes=31))
    assert acked == [AlertAcknowledged(*about, "oncall:bo", AckChannel.API, T0 + timedelta(minutes=31), T0)]
    with pytest.raises(AlertError):
        alert.acknowledge("oncall:anna", AckChannel.API, T0 + timedelta(minutes=32))


def test_an_alert_whose_cause_is_gone_resolves_once_and_says_why() -> None:
    alert, _ = Alert.raise_(
        "a2",
        AlertTopic.LIABILITY_NO_DECISION,
        AlertFacts(),
        now=T0,
        ack_code="ABCDEFGH",
        responders=(),
        ack_timeout=timedelta(minutes=15),
        case_id="c2",
    )
    resolved = alert.resolve("decision_granted", T0 + timedelta(hours=1))
    assert resolved == [
        AlertResolved(
            "a2", AlertTopic.LIABILITY_NO_DECISION, "c2", None, "decision_granted", T0 + timedelta(hours=1), T0
        )
    ]
    assert alert.resolve("decision_granted", T0 + timedelta(hours=2)) is None


def test_the_rota_answers_who_is_on_call_at_a_moment() -> None:
    anna = Responder("anna", "+46700000001")
    rota = Rota("t", (Shift(T0, T0 + timedelta(hours=12), (anna,)),))
    assert rota.on_call(T0 + timedelta(hours=1)) == (anna,)
    assert rota.on_call(T0 + timedelta(hours=12)) == ()
