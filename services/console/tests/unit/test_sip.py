"""SIP on the console: the case page's SIP line (due, lapsed, invited), the lapse alert's title, and the
two SIP figures by hand, all folded from referral's and notification's events in any order."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from console_support import ConsoleHarness, Stream, _Case, raise_alert, utc

from console.domain.sip import SipChanged, SipLapsed, fold_sip
from console.entrypoints import translate as t
from trygg_shared.contracts import notification as nt
from trygg_shared.contracts import referral as rf

READY = utc(2026, 11, 23, 8)  # Monday 09:00 in Stockholm
DEADLINE = utc(2026, 11, 26, 23)  # the end of Thursday


def sip_status(case: _Case, at: datetime, *, deadline: datetime | None = DEADLINE, **invitation: Any) -> None:
    """Referral's whole SIP picture; `invitation` gives invited_at, meeting_at, place (and in_time)."""
    in_time = invitation.pop("in_time", None)
    invited = (
        rf.SipInvitation(invitation_id=f"sip-{case.case_id}", source=rf.SipSource.LUS, **invitation)
        if invitation
        else None
    )
    case.stream.add(
        rf.SipStatusChanged(
            **case.ids,
            ready_at=READY if deadline else None,
            deadline=deadline,
            invitation=invited,
            invited_in_time=in_time,
        ),
        at,
    )


def sip_lapsed(case: _Case, at: datetime) -> None:
    case.stream.add(rf.SipDeadlineLapsed(**case.ids, ready_at=READY, deadline=DEADLINE, lapsed_at=at), at)


def owed(s: Stream, case_id: str) -> _Case:
    """A case ready on Monday with a fast vårdkontakt: referral's deadline picture follows at once."""
    case = _Case(s, case_id, f"p{case_id}")
    case.ready(READY, utc(2026, 11, 25, 23))
    sip_status(case, READY + timedelta(minutes=1))
    return case


def invite(case: _Case, day: int, meeting_day: int, place: rf.SipPlace, *, in_time: bool) -> None:
    """The invitation (sent at 09 UTC on `day`, the meeting at 12 UTC on `meeting_day`, November)."""
    at = utc(2026, 11, day, 9)
    sip_status(case, at, invited_at=at, meeting_at=utc(2026, 11, meeting_day, 12), place=place, in_time=in_time)


def story() -> Stream:
    """November 2026: four cases owing a SIP by the same deadline, one waiting, one without a fast vårdkontakt."""
    s = Stream()
    a = owed(s, "A")  # invited in time, the meeting at home; discharged home in November
    invite(a, 24, 27, rf.SipPlace.HOME, in_time=True)
    a.discharge(utc(2026, 11, 25, 10), 0)
    b = owed(s, "B")  # invited in time, the meeting at the hospital
    invite(b, 25, 26, rf.SipPlace.HOSPITAL, in_time=True)
    b.discharge(utc(2026, 11, 27, 10), 1)
    c = owed(s, "C")  # the deadline lapsed (on-call alerted); invited late, at home, then discharged home
    sip_lapsed(c, DEADLINE + timedelta(seconds=2))
    alerted = DEADLINE + timedelta(seconds=3)
    raise_alert(s, "C", None, "sip:C:1", nt.AlertTopic.SIP_DEADLINE_LAPSED, at=alerted, due_at=None, responders=1)
    invite(c, 27, 30, rf.SipPlace.HOME, in_time=False)
    c.discharge(utc(2026, 11, 28, 10), 2)
    d = owed(s, "D")  # lapsed, no invitation yet
    sip_lapsed(d, DEADLINE + timedelta(seconds=2))
    e = _Case(s, "E", "pE")  # still waiting: its deadline is in December
    e.ready(utc(2026, 11, 30, 8), utc(2026, 12, 2, 23))
    sip_status(e, utc(2026, 11, 30, 8, 1), deadline=utc(2026, 12, 3, 23))
    f = _Case(s, "F", "pF")  # no SIP owed at all
    f.ready(READY, utc(2026, 11, 25, 23))
    f.discharge(utc(2026, 11, 24, 10), 0)
    return s


async def harness(stream: Stream, *, shuffle: bool = False) -> ConsoleHarness:
    h = ConsoleHarness(utc(2026, 12, 1, 9))
    items = list(stream.items)
    if shuffle:
        random.Random(7).shuffle(items)
    await h.replay(items)
    return h


async def test_the_case_page_shows_the_sip_deadline_its_lapse_and_the_invitation() -> None:
    h = await harness(story())
    client = h.login("officer")
    due = client.get("/cases/E").text
    assert "Kallelse senast" in due
    assert "2026-12-04 00:00" in due  # the end of Thursday 3 December, local time
    lapsed = client.get("/cases/D").text
    assert "Ingen kallelse: fristen har gått ut" in lapsed
    invited = client.get("/cases/A").text
    assert "mötet 2026-11-27 13:00 i hemmet" in invited
    late = client.get("/cases/C").text
    assert "efter fristen" in late
    assert "SIP-kallelse saknas: fristen har gått ut" in late  # the lapse alert, on the officer's case page
    assert "SIP" not in client.get("/cases/F").text.split("<h2>")[0].split("</h1>")[1]


async def test_the_lapse_alert_has_its_own_title_on_the_alerts_page() -> None:
    h = await harness(story())
    page = h.login("oncall").get("/alerts").text
    assert "SIP-kallelse saknas: fristen har gått ut" in page  # Swedish first


async def test_the_sip_figures_by_hand_in_any_order() -> None:
    for shuffle in (False, True):
        h = await harness(story(), shuffle=shuffle)
        body = h.client.get(
            "/api/figures?from=2026-11&to=2026-12", headers={"Authorization": "Bearer dev-officer"}
        ).json()
        by_month = {r["month"]: r["values"] for r in body["rows"] if r["team"] == "*"}
        # Discharged home in November with the meeting at home: A and C (B's is at the hospital, F has none).
        assert by_month["2026-11"]["sip_home_at_discharge"]["value"] == 2
        # Deadlines in November, settled: A, B in time; C late; D lapsed. E's deadline is in December, still open.
        within = by_month["2026-11"]["sip_within_3_days"]
        assert (within["numerator"], within["denominator"]) == (2, 4)
        assert by_month["2026-12"]["sip_within_3_days"]["denominator"] == 0
        keys = {d["key"] for d in body["definitions"]}
        assert {"sip_home_at_discharge", "sip_within_3_days"} <= keys


def test_a_lapse_is_kept_when_the_picture_changes_later_and_a_new_deadline_clears_it() -> None:
    picture = SipChanged(READY, DEADLINE, None, None, None, None, None, None)
    line = fold_sip(fold_sip(None, picture), SipLapsed(DEADLINE, DEADLINE))
    assert line.lapsed
    invited = SipChanged(READY, DEADLINE, "s", DEADLINE, DEADLINE, "home", "lus", False)
    assert fold_sip(line, invited).lapsed  # still: the deadline passed without one
    moved = SipChanged(READY + timedelta(days=2), DEADLINE + timedelta(days=2), None, None, None, None, None, None)
    assert not fold_sip(line, moved).lapsed  # a new ready notice, a new deadline
    assert fold_sip(None, SipLapsed(DEADLINE, DEADLINE)).deadline is None
    assert date(2026, 11, 26) == DEADLINE.date()


def test_referrals_sip_picture_becomes_one_fact_with_the_invitations_fields_or_none() -> None:
    s = Stream()
    case = owed(s, "A")
    invite(case, 24, 25, rf.SipPlace.HOSPITAL, in_time=True)
    pictures = [e for e, _ in s.items if isinstance(e, rf.SipStatusChanged)]

    assert [t.sip_changed(p) for p in pictures] == [
        SipChanged(READY, DEADLINE, None, None, None, None, None, None),
        SipChanged(READY, DEADLINE, "sip-A", utc(2026, 11, 24, 9), utc(2026, 11, 25, 12), "hospital", "lus", True),
    ]
