"""Need to know: a team token reads only the cases its teams carry out (`teams` on the token)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from referral_support import ApiHarness

from referral.config import TeamSettings
from referral.service_layer.ports import Role
from trygg_shared.auth import token_hash
from trygg_shared.tokens import ApiToken

from .test_officer_api import GRANT, OFFICER, hospital_case

TEAMS = [
    TeamSettings(team_id="team-vast", name="Team Väst"),
    TeamSettings(team_id="hofors", name="Trygg hemgång Hofors"),
]
HOFORS = ApiToken[Role](
    token_sha256=token_hash("team-hofors"), subject="team:hofors-us1", roles=[Role.TEAM], teams=["hofors"]
)
VAST = ApiToken[Role](
    token_sha256=token_hash("team-vast"), subject="team:vast-us1", roles=[Role.TEAM], teams=["team-vast"]
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def scoped() -> ApiHarness:
    return ApiHarness(teams=TEAMS, tokens=[HOFORS, VAST])


def decided(api: ApiHarness, lus_body: Any, team: str) -> str:
    case_id = hospital_case(api, lus_body)
    response = api.client.post(
        f"/cases/{case_id}/decisions", json={**GRANT, "team": team, "relatives": []}, headers=api.as_role(OFFICER)
    )
    assert response.status_code == 201, response.text
    return case_id


def test_a_team_token_is_refused_another_teams_case_and_reads_its_own(scoped: ApiHarness, lus_body: Any) -> None:
    vast = decided(scoped, lus_body, "Team Väst")
    hofors = decided(scoped, lus_body, "Trygg hemgång Hofors")

    refused = scoped.client.get(f"/cases/{vast}", headers=bearer("team-hofors"))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "Tolvan" not in refused.text
    own = scoped.client.get(f"/cases/{hofors}", headers=bearer("team-hofors"))
    assert own.status_code == 200
    assert own.json()["view"] == "team"
    assert [r.action for r in scoped.audit.records if r.actor == "team:hofors-us1"] == [
        "read_case"
    ]  # the refusal shows nothing


def test_a_team_tokens_list_holds_only_its_teams_cases(scoped: ApiHarness, lus_body: Any) -> None:
    vast = decided(scoped, lus_body, "Team Väst")
    hofors = decided(scoped, lus_body, "Trygg hemgång Hofors")
    undecided = hospital_case(scoped, lus_body)  # no decision yet: no team's case

    def listed(headers: dict[str, str]) -> set[str]:
        response = scoped.client.get("/cases?limit=200", headers=headers)
        assert response.status_code == 200
        return {c["case_id"] for c in response.json()}

    assert listed(bearer("team-hofors")) == {hofors}
    assert listed(bearer("team-vast")) == {vast}
    assert listed(scoped.as_role(OFFICER)) == {vast, hofors, undecided}
    assert listed(scoped.as_role("team")) == {vast, hofors, undecided}  # a team token without `teams`: every team


def test_the_decision_records_the_teams_id_beside_its_name(scoped: ApiHarness, lus_body: Any) -> None:
    case_id = decided(scoped, lus_body, "Trygg hemgång Hofors")
    [decision] = asyncio.run(scoped.store.load(case_id)).state.decisions  # type: ignore[union-attr]
    assert (decision.team, decision.team_id) == ("Trygg hemgång Hofors", "hofors")


def test_a_decision_stored_before_team_ids_is_still_read_by_its_teams_name(scoped: ApiHarness, lus_body: Any) -> None:
    case_id = decided(scoped, lus_body, "Team Väst")
    state, version, outbox = scoped.store.states[case_id]
    old = [dataclasses.replace(d, team_id=None) for d in state.decisions]  # as a document without `team_id`
    scoped.store.states[case_id] = (dataclasses.replace(state, decisions=old), version, outbox)

    assert scoped.client.get(f"/cases/{case_id}", headers=bearer("team-vast")).status_code == 200
    assert scoped.client.get(f"/cases/{case_id}", headers=bearer("team-hofors")).status_code == 403
    assert [c["case_id"] for c in scoped.client.get("/cases", headers=bearer("team-vast")).json()] == [case_id]


def test_officers_and_on_call_read_every_teams_case(scoped: ApiHarness, lus_body: Any) -> None:
    case_id = decided(scoped, lus_body, "Trygg hemgång Hofors")
    assert scoped.client.get(f"/cases/{case_id}", headers=scoped.as_role(OFFICER)).status_code == 200
    assert scoped.client.get(f"/cases/{case_id}", headers=scoped.as_role("oncall")).status_code == 200
