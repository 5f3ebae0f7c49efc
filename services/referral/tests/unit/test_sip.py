"""SIP tracked: the deadline (3 calendar days after the ready notice's day), its lapse told once, the
invitation from the hospital (`sip_kallelse`) or an officer (audited, idempotent)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from referral_support import AGREEMENTS, ApiHarness

from devstack.cli import sign
from referral.config import LOCAL_DEV_SENDER_SECRET
from referral.domain import events as de
from referral.domain.case import Case
from referral.domain.messages import HospitalMessage
from referral.domain.sip import SipInvitation, SipPlace, SipSource, sip_deadline
from referral.entrypoints.lus_format import parse_lus, to_domain
from referral.service_layer.sip import next_sip_due, report_lapsed_sips
from trygg_shared.contracts import referral as ev

STHLM = ZoneInfo("Europe/Stockholm")
OFFICER = {"Authorization": "Bearer dev-officer"}
FVK = {"unit_name": "Vårdcentral Jakobsberg", "hsa_id": "SE2321000016-7PQR", "phone": "+4686001234"}
READY_AT = "2026-11-23T09:00:00+01:00"  # Monday
DEADLINE = datetime(2026, 11, 27, 0, 0, tzinfo=STHLM)  # the end of Thursday


# --- the rule -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ready_at", "deadline"),
    [
        # The day of the notice is not counted; three calendar days after it, to their end.
        (datetime(2026, 11, 23, 9, 0, tzinfo=STHLM), datetime(2026, 11, 27, 0, 0, tzinfo=STHLM)),
        (datetime(2026, 11, 23, 23, 59, tzinfo=STHLM), datetime(2026, 11, 27, 0, 0, tzinfo=STHLM)),
        (datetime(2026, 11, 23, 0, 0, tzinfo=STHLM), datetime(2026, 11, 27, 0, 0, tzinfo=STHLM)),
        # Calendar days, not working days: a Friday's notice is owed by Monday 24:00.
        (datetime(2026, 11, 27, 14, 0, tzinfo=STHLM), datetime(2026, 12, 1, 0, 0, tzinfo=STHLM)),
        # Local days: 23:30 UTC on a Sunday is Monday in Stockholm.
        (datetime(2026, 11, 22, 23, 30, tzinfo=UTC), datetime(2026, 11, 27, 0, 0, tzinfo=STHLM)),
        # Across the switch to summer time (29 March 2026): still local midnight.
        (datetime(2026, 3, 27, 10, 0, tzinfo=STHLM), datetime(2026, 3, 31, 0, 0, tzinfo=STHLM)),
        # Christmas is not skipped either.
        (datetime(2026, 12, 23, 10, 0, tzinfo=STHLM), datetime(2026, 12, 27, 0, 0, tzinfo=STHLM)),
    ],
)
def test_the_deadline_is_the_end_of_the_third_calendar_day_after_the_ready_notice(
    ready_at: datetime, deadline: datetime
) -> None:
    assert sip_deadline(ready_at) == deadline
    assert sip_deadline(ready_at).utcoffset() == deadline.utcoffset()


# --- the case -------------------------------------------------------------------------------------


def msg(lus_body: Any, message_type: str, message_id: str | None = None, **fields: Any) -> HospitalMessage:
    return to_domain(message_id or f"msg-{uuid.uuid4().hex[:8]}", parse_lus(lus_body(message_type, **fields)))


def ready_case(lus_body: Any, *, fast_vardkontakt: bool = True) -> Case:
    case = Case(case_id=str(uuid.uuid4()), person_ref="p_test", episode_id="TC-2026-004711", region_code="01")
    extra = {"fast_vardkontakt": FVK} if fast_vardkontakt else {}
    case.receive(msg(lus_body, "utskrivningsklar", ready_at=READY_AT, **extra), AGREEMENTS, person_ref="p_test")
    return case


def sip_events(case: Case) -> list[Any]:
    return [e for e in case.take_events() if isinstance(e, de.SipStatusChanged | de.SipDeadlineLapsed)]


def test_a_ready_notice_with_a_fast_vardkontakt_owes_a_sip_by_the_deadline(lus_body: Any) -> None:
    case = ready_case(lus_body)
    [changed] = sip_events(case)
    assert isinstance(changed, de.SipStatusChanged)
    assert changed.deadline == DEADLINE
    assert changed.invitation is None
    assert case.sip_due_at(AGREEMENTS) == DEADLINE


def test_without_a_fast_vardkontakt_no_sip_is_owed(lus_body: Any) -> None:
    case = ready_case(lus_body, fast_vardkontakt=False)
    assert sip_events(case) == []
    assert case.sip(AGREEMENTS).deadline is None
    assert case.sip_due_at(AGREEMENTS) is None
    assert not case.report_sip_lapse(AGREEMENTS, DEADLINE + timedelta(days=10))


def test_the_lapse_is_told_once_at_the_deadline_and_not_before(lus_body: Any) -> None:
    case = ready_case(lus_body)
    case.take_events()
    assert not case.report_sip_lapse(AGREEMENTS, DEADLINE - timedelta(seconds=1))
    assert case.report_sip_lapse(AGREEMENTS, DEADLINE)
    [lapsed] = sip_events(case)
    assert isinstance(lapsed, de.SipDeadlineLapsed)
    assert (lapsed.deadline, lapsed.lapsed_at) == (DEADLINE, DEADLINE)
    assert not case.report_sip_lapse(AGREEMENTS, DEADLINE + timedelta(hours=5))  # once
    assert case.sip_due_at(AGREEMENTS) is None  # the timer is done with it
    assert sip_events(case) == []


def test_an_invitation_by_the_deadline_means_no_lapse(lus_body: Any) -> None:
    case = ready_case(lus_body)
    case.take_events()
    invited = msg(
        lus_body, "sip_kallelse", invited_at="2026-11-26T23:59:00+01:00", meeting_at="2026-11-30T13:00:00+01:00"
    )
    assert case.receive(invited, AGREEMENTS, person_ref="p_test")
    [changed] = sip_events(case)
    assert isinstance(changed, de.SipStatusChanged)
    assert changed.invitation is not None
    assert changed.invitation.place is SipPlace.HOME
    assert changed.invitation.source is SipSource.LUS
    assert changed.invited_in_time is True
    assert not case.report_sip_lapse(AGREEMENTS, DEADLINE + timedelta(days=1))
    assert case.sip_due_at(AGREEMENTS) is None
    assert not case.receive(invited, AGREEMENTS, person_ref="p_test")  # the same message twice: recorded once
    assert sip_events(case) == []


def test_a_late_invitation_is_recorded_as_late(lus_body: Any) -> None:
    case = ready_case(lus_body)
    assert case.report_sip_lapse(AGREEMENTS, DEADLINE + timedelta(hours=1))
    case.take_events()
    late = msg(lus_body, "sip_kallelse", invited_at="2026-11-27T08:00:00+01:00", place="hospital")
    case.receive(late, AGREEMENTS, person_ref="p_test")
    [changed] = sip_events(case)
    assert isinstance(changed, de.SipStatusChanged)
    assert changed.invited_in_time is False


def test_a_withdrawn_invitation_and_a_revoked_ready_notice_change_the_picture(lus_body: Any) -> None:
    case = ready_case(lus_body)
    invited = msg(lus_body, "sip_kallelse", "sip-1")
    case.receive(invited, AGREEMENTS, person_ref="p_test")
    case.take_events()
    case.receive(msg(lus_body, "makulering", cancels_message_id="sip-1"), AGREEMENTS, person_ref="p_test")
    [withdrawn] = sip_events(case)
    assert isinstance(withdrawn, de.SipStatusChanged)
    assert withdrawn.invitation is None
    assert withdrawn.deadline == DEADLINE
    revoked = msg(lus_body, "aterkallad_utskrivningsklar", revoked_at="2026-11-24T09:00:00+01:00")
    case.receive(revoked, AGREEMENTS, person_ref="p_test")
    [gone] = sip_events(case)
    assert isinstance(gone, de.SipStatusChanged)
    assert gone.deadline is None
    assert not case.report_sip_lapse(AGREEMENTS, DEADLINE + timedelta(days=1))


def test_an_officers_invitation_recorded_twice_is_recorded_once(lus_body: Any) -> None:
    case = ready_case(lus_body)
    case.take_events()
    at = datetime(2026, 11, 24, 10, 0, tzinfo=STHLM)
    first = SipInvitation("sip-a", at, at + timedelta(days=2), SipPlace.HOME, SipSource.OFFICER, "officer:a", at)
    again = SipInvitation("sip-b", at, at + timedelta(days=2), SipPlace.HOME, SipSource.OFFICER, "officer:b", at)
    assert case.record_sip_invitation(first, AGREEMENTS) == (first, True)
    assert case.record_sip_invitation(again, AGREEMENTS) == (first, False)
    [changed] = sip_events(case)
    assert isinstance(changed, de.SipStatusChanged)
    assert changed.invitation == first


# --- the API, the timer and the webhook -----------------------------------------------------------


def hospital_ready(api: ApiHarness, lus_body: Any) -> str:
    body = lus_body("utskrivningsklar", ready_at=READY_AT, fast_vardkontakt=FVK)
    body["episode"]["episode_id"] = f"TC-{uuid.uuid4().hex[:8]}"
    response = post_webhook(api, body)
    assert response.status_code == 202, response.text
    return str(response.json()["case_id"])


def post_webhook(api: ApiHarness, body: dict[str, Any], webhook_id: str | None = None) -> Any:
    raw = json.dumps(body).encode()
    headers = sign(LOCAL_DEV_SENDER_SECRET, webhook_id or f"msg_{uuid.uuid4().hex}", raw, datetime.now(UTC))
    return api.client.post("/webhooks/lus", content=raw, headers=headers)


def published(api: ApiHarness, kind: type) -> list[Any]:
    return [e for e in api.events if isinstance(e, kind)]


def test_the_lapse_timer_tells_each_lapse_once_whoever_runs_it(api: ApiHarness, lus_body: Any) -> None:
    case_id = hospital_ready(api, lus_body)
    deps = api.referral.deps
    assert asyncio.run(next_sip_due(deps)) == DEADLINE
    api.clock.moment = DEADLINE - timedelta(minutes=1)
    assert asyncio.run(report_lapsed_sips(deps)) == 0
    api.clock.moment = DEADLINE + timedelta(minutes=1)
    assert asyncio.run(report_lapsed_sips(deps)) == 1
    assert asyncio.run(report_lapsed_sips(deps)) == 0  # a second replica's round, or a restart
    [lapsed] = published(api, ev.SipDeadlineLapsed)
    assert lapsed.case_id == case_id
    assert lapsed.deadline == DEADLINE
    assert asyncio.run(next_sip_due(deps)) is None
    read = api.client.get(f"/cases/{case_id}", headers=OFFICER).json()
    assert read["sip"]["lapsed"] is True
    assert read["sip"]["invitation"] is None


def test_an_officer_records_an_invitation_audited_and_idempotent(api: ApiHarness, lus_body: Any) -> None:
    case_id = hospital_ready(api, lus_body)
    body = {"invited_at": "2026-11-24T10:00:00+01:00", "meeting_at": "2026-11-27T13:00:00+01:00", "place": "home"}
    first = api.client.post(f"/cases/{case_id}/sip-invitations", json=body, headers=OFFICER)
    assert first.status_code == 201, first.text
    assert first.json()["sip"]["invited_in_time"] is True
    assert first.json()["sip"]["deadline"] == "2026-11-27T00:00:00+01:00"
    again = api.client.post(f"/cases/{case_id}/sip-invitations", json=body, headers=OFFICER)
    assert again.status_code == 200
    assert again.json()["invitation"]["invitation_id"] == first.json()["invitation"]["invitation_id"]
    changes = published(api, ev.SipStatusChanged)
    assert [c.invitation is not None for c in changes] == [False, True]  # the deadline, then the one invitation
    assert changes[-1].invitation.source is ev.SipSource.OFFICER
    records = [r for r in api.audit.records if r.action == "record_sip_invitation"]
    assert [(r.actor, r.case_ids) for r in records] == [("officer:dev", (case_id,))] * 2
    read = api.client.get(f"/cases/{case_id}", headers=OFFICER).json()
    assert read["sip"]["invitation"]["place"] == "home"
    api.clock.moment = DEADLINE + timedelta(days=1)
    assert asyncio.run(report_lapsed_sips(api.referral.deps)) == 0


@pytest.mark.parametrize("role", ["team", "oncall", "ops"])
def test_only_officers_record_invitations(api: ApiHarness, lus_body: Any, role: str) -> None:
    case_id = hospital_ready(api, lus_body)
    body = {"invited_at": "2026-11-24T10:00:00+01:00", "meeting_at": "2026-11-27T13:00:00+01:00", "place": "home"}
    response = api.client.post(f"/cases/{case_id}/sip-invitations", json=body, headers=api.as_role(role))
    assert response.status_code == 403


def test_an_unknown_case_and_a_bad_place_are_refused(api: ApiHarness) -> None:
    body = {"invited_at": "2026-11-24T10:00:00+01:00", "meeting_at": "2026-11-27T13:00:00+01:00", "place": "home"}
    assert api.client.post("/cases/nope/sip-invitations", json=body, headers=OFFICER).status_code == 404
    for bad in ({**body, "place": "phone"}, {**body, "meeting_at": "2026-11-24T09:59:00+01:00"}):
        response = api.client.post("/cases/nope/sip-invitations", json=bad, headers=OFFICER)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
    assert api.audit.records == []


def test_the_sip_kallelse_webhook_is_accepted_like_the_others(api: ApiHarness, lus_body: Any) -> None:
    case_id = hospital_ready(api, lus_body)
    read = api.client.get(f"/cases/{case_id}", headers=OFFICER).json()
    episode = read["episode_id"]
    body = lus_body("sip_kallelse")
    body["episode"]["episode_id"] = episode
    first = post_webhook(api, body, "sip-msg-1")
    assert first.status_code == 202, first.text
    assert first.json()["case_id"] == case_id
    repeat = post_webhook(api, body, "sip-msg-1")
    assert (repeat.status_code, repeat.json()) == (200, first.json())
    changes = published(api, ev.SipStatusChanged)
    assert changes[-1].invitation is not None
    assert changes[-1].invitation.invitation_id == "sip-msg-1"
    assert changes[-1].invited_in_time is True
    assert len(changes) == 2  # the deadline, then the invitation: the repeat recorded nothing
    bad = {**body, "place": "phone"}
    assert post_webhook(api, bad).status_code == 422
    missing = {k: v for k, v in body.items() if k != "meeting_at"}
    assert post_webhook(api, missing).status_code == 422
