"""Bad input at scheduling's edge is a 422 naming the field: a NUL in a team's name gave 500 (PostgreSQL
refuses U+0000 in JSONB); dates outside 2000-2099 are refused and the OpenAPI document says so."""

from __future__ import annotations

from typing import Any

import pytest
from scheduling_support import TEAM_BODY, ApiHarness

TEAM = TEAM_BODY


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json().get("errors", [])]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "Team\u0000Väst"}, "name"),
        ({"name": "Team\u0085Väst"}, "name"),
        ({"municipality_profile": "huddinge\u0000"}, "municipality_profile"),
        ({"members": [{"staff_id": "t-us1", "display_name": "US\u00001"}]}, "members.0.display_name"),
    ],
)
def test_a_control_character_in_a_team_is_a_422_naming_the_field(change: dict[str, Any], field: str) -> None:
    h = ApiHarness()
    response = h.client.put("/teams/test-team", json={**TEAM, **change}, headers=h.as_role("ops"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert _fields(response) == [field]


def test_the_team_is_stored_without_a_control_character() -> None:
    h = ApiHarness()
    assert h.client.put("/teams/test-team", json=TEAM, headers=h.as_role("ops")).status_code == 200


def test_an_absence_in_the_year_378_is_a_422_and_the_openapi_document_states_the_window() -> None:
    h = ApiHarness()
    h.client.put("/teams/test-team", json=TEAM, headers=h.as_role("ops"))
    response = h.client.post(
        "/teams/test-team/absences",
        json={"staff_id": "t-us1", "first_day": "0378-04-01", "last_day": "0378-04-02"},
        headers=h.as_role("ops"),
    )
    assert response.status_code == 422
    schema = h.client.get("/openapi.json").json()["components"]["schemas"]["AbsenceIn"]
    assert schema["properties"]["first_day"]["pattern"] == "^20[0-9]{2}-"
