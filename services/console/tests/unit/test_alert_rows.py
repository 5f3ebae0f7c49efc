"""The Alerts page's rows: who (name or initials as the role may see), where (team or care unit), what
and how long ago, most urgent first (liability soonest, then missed visits, then the rest by age)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from console_support import TEAM, TEAM_NAME, ConsoleHarness, Stream, _Case, march_2026, raise_alert, utc

from console.domain.access import Actor
from console.domain.alerts import AlertRow, AlertState, PersonShown, initials, person_label, urgency
from trygg_shared.contracts import notification as nt

NOW = utc(2026, 3, 28, 9)


def test_initials_take_the_first_letter_of_each_name_and_of_each_part_of_a_double_name() -> None:
    assert initials("Anna", "Karlsson") == "A. K."
    assert initials("Karl-Erik", "Svensson") == "K.-E. S."
    assert initials("Anna Maria", "Berg") == "A. B."
    assert initials(None, None) is None


def test_the_person_label_is_the_name_or_the_initials() -> None:
    assert person_label("Anna", "Karlsson", PersonShown.NAME) == "Anna Karlsson"
    assert person_label("Anna", "Karlsson", PersonShown.INITIALS) == "A. K."
    assert person_label(None, None, PersonShown.NAME) is None


@pytest.mark.parametrize(
    ("roles", "topic", "shown"),
    [
        (("team",), "liability_no_decision", PersonShown.NAME),  # its own client
        (("team",), "sms_failed", PersonShown.NAME),
        (("oncall",), "visit_missed", PersonShown.NAME),  # on-call must reach the person
        (("oncall",), "readmitted_during_period", PersonShown.NAME),
        (("oncall",), "liability_no_decision", PersonShown.INITIALS),  # on-call reaches the officer
        (("oncall",), "team_at_capacity", PersonShown.INITIALS),
        (("oncall",), "sms_failed", PersonShown.INITIALS),
    ],
)
def test_how_much_of_the_person_a_role_sees_depends_on_what_the_alert_needs(
    roles: tuple[str, ...], topic: str, shown: PersonShown
) -> None:
    assert Actor("x", roles).alert_person(topic) is shown


def _row(alert_id: str, topic: str, raised: datetime, liability: datetime | None = None) -> AlertRow:
    alert = AlertState(alert_id, topic, "case", None, raised, due_at=liability)
    return AlertRow(alert, None, None, None, None, liability)


def test_liability_soonest_first_then_missed_visits_then_the_rest_oldest_first() -> None:
    h = timedelta(hours=1)
    rows = [
        _row("capacity-old", "team_at_capacity", NOW - 20 * h),
        _row("missed-new", "visit_missed", NOW - 1 * h),
        _row("liability-later", "liability_no_decision", NOW - 1 * h, NOW + 30 * h),
        _row("sms-new", "sms_failed", NOW - 2 * h),
        _row("missed-old", "visit_missed", NOW - 3 * h),
        _row("liability-soon", "liability_no_decision", NOW - 0.5 * h, NOW + 2 * h),
        _row("liability-past", "liability_no_decision", NOW - 40 * h, NOW - 1 * h),  # already liable
    ]
    assert [r.alert.alert_id for r in sorted(rows, key=urgency)] == [
        "liability-past",
        "liability-soon",
        "liability-later",
        "missed-old",
        "missed-new",
        "capacity-old",
        "sms-new",
    ]


# --- the page ------------------------------------------------------------------------------------------


def _stream() -> Stream:
    """March 2026 plus L: ready, its liability at 12:00 today (before D's at 23:00), decided for Team Väst
    but its liability alert not yet closed, and its team full; and an SMS to G's relative that failed."""
    s = march_2026()
    case = _Case(s, "L", "pL")
    case.admit(utc(2026, 3, 25, 8), expected=date(2026, 3, 28))
    case.ready(utc(2026, 3, 26, 9), utc(2026, 3, 28, 11))
    case.decide(utc(2026, 3, 28, 8, 55), "trygg_hemgang", start=date(2026, 3, 29), days=14, team=TEAM_NAME)
    raise_alert(
        s, "L", None, "liability:L", nt.AlertTopic.LIABILITY_NO_DECISION,
        at=utc(2026, 3, 28, 8, 50), due_at=utc(2026, 3, 28, 11), responders=2,
    )  # fmt: skip
    raise_alert(s, "G", TEAM, "sms:G", nt.AlertTopic.SMS_FAILED, at=utc(2026, 3, 27, 18), due_at=None, responders=1)
    capacity_at = utc(2026, 3, 28, 8, 55)
    raise_alert(s, "L", TEAM, "capacity:L", nt.AlertTopic.TEAM_AT_CAPACITY, at=capacity_at, due_at=None, responders=1)
    return s


@pytest.fixture
async def h() -> ConsoleHarness:
    harness = ConsoleHarness()
    await harness.replay(_stream())
    return harness


def _open_rows(page: str) -> list[str]:
    table = page.split('id="open-heading"', 1)[1].split("</table>", 1)[0]
    return [chunk.split("</tr>", 1)[0] for chunk in table.split("<tr data-alert-id=")[1:]]


def test_on_call_sees_the_most_urgent_first_with_who_and_where(h: ConsoleHarness) -> None:
    rows = _open_rows(h.login("oncall").get("/alerts").text)
    order = [r.split('"')[1] for r in rows]
    assert order == ["liability:L", "liability:D", "missed:V-G-3", "sms:G", "capacity:L"]
    liability_l, liability_d, missed, sms, capacity = rows
    assert "T. P." in liability_l
    assert "Test Person L" not in liability_l
    assert TEAM_NAME in liability_l
    assert "Geriatriska kliniken avd 61" in liability_l
    assert "Person pD" in liability_d  # no decision yet: no name known, the pseudonym
    assert "Geriatriska kliniken avd 61" in liability_d
    assert "Test Person G" in missed  # on-call must reach the person
    assert TEAM_NAME in missed
    assert "T. P." in sms
    assert 'class="countdown"' in liability_l
    assert 'class="countdown"' not in capacity  # L's clock runs, but only a liability alert shows it
    assert "för 10 minuter sedan" in liability_l  # raised 08:50, now 09:00 (Swedish first)
    assert "för 15 timmar sedan" in sms


def test_the_team_sees_its_clients_names(h: ConsoleHarness) -> None:
    rows = _open_rows(h.login("team").get("/alerts").text)
    assert "Test Person L" in rows[0]
    assert "Test Person G" in rows[3]


def test_the_read_is_audited_with_what_the_rows_showed(h: ConsoleHarness) -> None:
    h.login("oncall").get("/alerts")
    record = h.audit.records[-1]
    assert record.action == "view_alerts"
    assert {"alerts", "name", "initials", "care_unit"} <= set(record.fields)
    assert set(record.case_ids) >= {"L", "D", "G"}
