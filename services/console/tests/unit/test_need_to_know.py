"""Need to know on the console's pages: a team token sees its teams' cases and alerts only; the SMS-cap
alert to ops is shown to on-call staff."""

from __future__ import annotations

from datetime import date

import pytest
from console_support import ConsoleHarness, Stream, _Case, march_2026, raise_alert, team_configured, utc

from console.domain.access import Role
from trygg_shared.auth import token_hash
from trygg_shared.contracts import notification as nt
from trygg_shared.tokens import ApiToken, local_dev_tokens


def _sms_cap_alert(s: Stream) -> Stream:
    at = utc(2026, 3, 28, 8, 40)
    raise_alert(
        s, "A", None, "sms-cap:per_case:A:2026-03-28", nt.AlertTopic.SMS_CAP_CASE, at=at, due_at=None, responders=1
    )
    return s


async def test_an_sms_cap_alert_is_shown_to_on_call_with_its_title() -> None:
    h = ConsoleHarness()
    await h.replay(_sms_cap_alert(march_2026()))

    page = h.login("oncall").get("/alerts").text

    assert 'data-alert-id="sms-cap:per_case:A:2026-03-28"' in page
    assert "Sms-tak nått: för många samtyckande anhöriga på ett beslut (nekat)" in page  # Swedish by default


# --- team scope: the Cases and Alerts pages of a team token -----------------------------------------------


def _two_teams() -> Stream:
    """March 2026 (Team Väst, id `vast`) and a case of Hofors' team with a missed visit's alert."""
    s = _sms_cap_alert(march_2026())
    s.add(team_configured("hofors", "Trygg hemgång Hofors", (("h1", "Hedda"),), clients_per_day=5), utc(2026, 1, 1))
    h = _Case(s, "H", "pH")
    h.admit(utc(2026, 3, 26, 8), expected=date(2026, 3, 30))
    h.ready(utc(2026, 3, 27, 9), utc(2026, 3, 30, 0))
    h.decide(utc(2026, 3, 27, 12), "trygg_hemgang", start=date(2026, 3, 30), days=14, team="Trygg hemgång Hofors")
    at = utc(2026, 3, 28, 8, 50)
    raise_alert(
        s, "H", "hofors", "missed:V-H-1", nt.AlertTopic.VISIT_MISSED, at=at, due_at=utc(2026, 3, 28, 8), responders=1
    )
    return s


def _team_token(token: str, teams: list[str]) -> ApiToken[Role]:
    return ApiToken[Role](token_sha256=token_hash(token), subject=f"team:{token}", roles=[Role.TEAM], teams=teams)


@pytest.fixture
async def teams() -> ConsoleHarness:
    h = ConsoleHarness(
        tokens=[*local_dev_tokens(Role), _team_token("hofors-lead", ["hofors"]), _team_token("vast-lead", ["vast"])]
    )
    await h.replay(_two_teams())
    return h


def _as(h: ConsoleHarness, token: str) -> None:
    h.client.cookies.clear()
    assert h.client.post("/login", data={"token": token}).status_code == 303


def test_the_alerts_page_of_a_team_token_lists_only_its_teams_alerts(teams: ConsoleHarness) -> None:
    _as(teams, "hofors-lead")
    page = teams.client.get("/alerts").text
    assert 'data-alert-id="missed:V-H-1"' in page
    assert "missed:V-G-3" not in page  # Team Väst's
    assert "capacity:F" not in page
    assert "sms-cap:" not in page  # an ops alert: no team's
    assert "liability:D" not in page  # a case without a team yet
    assert teams.audit.records[-1].case_ids == ("H",)

    _as(teams, "vast-lead")
    page = teams.client.get("/alerts").text
    assert 'data-alert-id="missed:V-G-3"' in page
    assert "missed:V-H-1" not in page

    _as(teams, "dev-oncall")  # on-call: every team's, and the ops alert
    page = teams.client.get("/alerts").text
    for alert_id in ("missed:V-H-1", "missed:V-G-3", "sms-cap:per_case:A:2026-03-28", "liability:D"):
        assert f'data-alert-id="{alert_id}"' in page


def test_the_cases_page_of_a_team_token_lists_only_its_teams_cases(teams: ConsoleHarness) -> None:
    _as(teams, "hofors-lead")
    page = teams.client.get("/cases").text
    assert 'href="/cases/H"' in page
    assert 'href="/cases/D"' not in page  # no decision yet: no team's case
    assert 'href="/cases/F"' not in page  # Team Väst's (waiting list)
    assert set(teams.audit.records[-1].case_ids) == {"H"}

    _as(teams, "vast-lead")
    page = teams.client.get("/cases").text
    assert 'href="/cases/H"' not in page
    assert 'href="/cases/F"' in page

    _as(teams, "dev-officer")
    page = teams.client.get("/cases").text
    assert 'href="/cases/H"' in page
    assert 'href="/cases/D"' in page


def test_a_team_token_is_refused_another_teams_case_page(teams: ConsoleHarness) -> None:
    _as(teams, "hofors-lead")
    assert teams.client.get("/cases/H").status_code == 200
    refused = teams.client.get("/cases/G")
    assert refused.status_code == 403
    assert "Person G" not in refused.text
    assert teams.audit.records[-1].case_ids == ("H",)  # the refused read wrote nothing
