"""Bad input is a 4xx naming the field at every edge of referral, never a 500 or a 503 retried for ever.

PostgreSQL refuses U+0000 in JSONB: a signed webhook with a NUL in a name was answered 503 with
`Retry-After` on every retry, and `POST /cases` notes or relatives' names in `PATCH` with one
gave 500. Control characters are refused by the shared field types (`trygg_shared.fields`), dates
outside 2000-2099 too; and a store that refuses content for good is a 422, not a 503.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from trygg_shared.aggregate import StorageRejected

from .test_officer_api import GRANT, OFFICER, OPS, PERSON, open_case
from .test_webhook_intake import Intake


@pytest.fixture
def intake() -> Intake:
    return Intake()


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json().get("errors", [])]


@pytest.mark.parametrize("control", ["\u0000", "\u0007", "\u001b", "\u007f", "\u0085", "\u009f"])
def test_a_control_character_in_a_name_at_the_webhook_is_a_422_naming_the_field(
    intake: Intake, lus_body: Any, control: str
) -> None:
    body = lus_body("utskrivningsklar")
    body["patient"]["given_name"] = f"As{control}trid"

    response = intake.post(body)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "retry-after" not in response.headers
    assert _fields(response) == ["patient.given_name"]
    assert "Astrid" not in response.text
    assert "As" + control not in response.text
    assert intake.inbox.records == {}


def test_a_ready_time_in_the_year_378_at_the_webhook_is_a_422_naming_the_field(intake: Intake, lus_body: Any) -> None:
    response = intake.post(lus_body("utskrivningsklar", ready_at="0378-04-01T10:00:00+01:00"))
    assert response.status_code == 422
    assert _fields(response) == ["ready_at"]


def test_an_expected_discharge_date_in_2100_at_the_webhook_is_a_422(intake: Intake, lus_body: Any) -> None:
    response = intake.post(lus_body("inskrivningsmeddelande", expected_discharge_date="2100-01-01"))
    assert response.status_code == 422
    assert _fields(response) == ["expected_discharge_date"]


def test_a_needs_summary_may_hold_line_breaks_but_no_nul(intake: Intake, lus_body: Any) -> None:
    assert intake.post(lus_body("utskrivningsklar", needs_summary="Rad ett.\nRad två.\tSlut.")).status_code == 202
    refused = intake.post(lus_body("utskrivningsklar", needs_summary="Rad\u0000ett"))
    assert refused.status_code == 422
    assert _fields(refused) == ["needs_summary"]


def test_content_the_store_refuses_for_good_is_a_422_not_a_503(
    intake: Intake, lus_body: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(record: Any) -> None:
        raise StorageRejected("OperationFailure code 1")

    monkeypatch.setattr(intake.inbox, "add", refuse)

    response = intake.post(lus_body("utskrivningsklar"))

    assert response.status_code == 422
    assert "retry-after" not in response.headers
    assert response.json()["type"] == "urn:trygg:problem:store-rejected"


def test_a_nul_in_the_audit_trails_case_id_is_refused_as_the_openapi_document_says(api: Any) -> None:
    """The query parameter carries the shared no-control-characters rule (a documented pattern), so a NUL is
    refused at the edge, not by the store (schemathesis took `case_id=%00a9` for schema-valid)."""
    response = api.client.get("/audit", params={"case_id": "\u0000a9"}, headers=api.as_role(OPS))
    assert response.status_code == 422
    assert response.json()["type"] != "urn:trygg:problem:store-rejected"
    assert _fields(response) == ["query.case_id"]
    parameter = next(p for p in api.app.openapi()["paths"]["/audit"]["get"]["parameters"] if p["name"] == "case_id")
    assert "pattern" in json.dumps(parameter["schema"])


def test_a_nul_in_the_notes_of_a_new_case_is_a_422(api: Any) -> None:
    response = api.client.post(
        "/cases",
        json={"reason": "already_at_home", "person": PERSON, "notes": "Bor ensam\u0000"},
        headers=api.as_role(OFFICER),
    )
    assert response.status_code == 422
    assert _fields(response) == ["notes"]


def test_notes_of_a_new_case_may_hold_line_breaks(api: Any) -> None:
    response = api.client.post(
        "/cases",
        json={"reason": "already_at_home", "person": PERSON, "notes": "Bor ensam.\nFöll i maj."},
        headers=api.as_role(OFFICER),
    )
    assert response.status_code == 201, response.text


def test_a_nul_in_a_persons_name_of_a_new_case_is_a_422(api: Any) -> None:
    person = {**PERSON, "family_name": "Tolvans\u0000son"}
    response = api.client.post(
        "/cases", json={"reason": "already_at_home", "person": person}, headers=api.as_role(OFFICER)
    )
    assert response.status_code == 422
    assert _fields(response) == ["person.family_name"]


def test_a_nul_in_a_relatives_name_in_a_decision_change_is_a_422(api: Any) -> None:
    case_id = open_case(api)
    decision = api.client.post(f"/cases/{case_id}/decisions", json=GRANT, headers=api.as_role(OFFICER)).json()
    url = f"/cases/{case_id}/decisions/{decision['decision_id']}"

    response = api.client.patch(
        url,
        json={"relatives": [{"name": "Ka\u0000rin", "phone": "+46701112233", "consent": True}]},
        headers=api.as_role(OFFICER),
    )

    assert response.status_code == 422
    assert any(f.endswith(".name") for f in _fields(response)), response.text


def test_a_decision_starting_in_the_year_378_is_a_422(api: Any) -> None:
    case_id = open_case(api)
    response = api.client.post(
        f"/cases/{case_id}/decisions", json={**GRANT, "start_date": "0378-04-01"}, headers=api.as_role(OFFICER)
    )
    assert response.status_code == 422
    assert any("start_date" in f for f in _fields(response)), response.text
