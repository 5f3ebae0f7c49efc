"""The HTTP API: roles, audited reads of personal data, CSV exports, versioned tariffs, runs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from billing_support import ApiHarness


@pytest.fixture
def api() -> ApiHarness:
    return ApiHarness()


def grant(api: ApiHarness, person: str = "p_abc", start: date = date(2024, 3, 4), length: int = 5) -> None:
    api.grant(person, start, length, granted_at=datetime(2024, 3, 1, tzinfo=UTC))


@pytest.mark.parametrize("path", ["/statements?month=2024-03", "/reports/liability?month=2024-03", "/tariffs"])
def test_every_route_needs_a_token_and_team_tokens_are_refused(api: ApiHarness, path: str) -> None:
    assert api.client.get(path).status_code == 401
    refused = api.client.get(path, headers=api.as_role("team"))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"


def test_an_issued_statement_is_read_by_an_officer_and_the_read_is_audited(api: ApiHarness) -> None:
    grant(api)
    run = api.client.post("/statement-runs/2024-03", headers=api.as_role("ops"))
    assert run.status_code == 200
    assert run.json()["statements_issued"] == 1

    response = api.client.get("/persons/p_abc/statements/2024-03", headers=api.as_role("officer"))

    assert response.status_code == 200
    body = response.json()
    assert (body["total_ore"], body["total"], body["maxtaxa_ore"]) == (92_000, "920 kr", 257_500)
    assert api.audit.records[-1].action == "read_statement"
    assert api.audit.records[-1].subjects == ("p_abc",)
    assert api.audit.records[-1].actor == "officer:dev"


def test_the_statements_export_is_csv_one_row_per_line_and_audited(api: ApiHarness) -> None:
    grant(api)
    api.client.post("/statement-runs/2024-03", headers=api.as_role("ops"))

    response = api.client.get("/statements.csv?month=2024-03", headers=api.as_role("ops"))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["person_ref"], r["days"], r["amount_ore"]) for r in rows] == [("p_abc", "5", "92000")]
    assert api.audit.records[-1].action == "export_statements"


def test_an_unknown_statement_is_404_problem_json(api: ApiHarness) -> None:
    response = api.client.get("/persons/nobody/statements/2024-03", headers=api.as_role("officer"))
    assert response.status_code == 404
    assert response.json()["title"] == "Not found"


def test_a_run_for_a_month_that_has_not_ended_is_a_conflict(api: ApiHarness) -> None:
    response = api.client.post("/statement-runs/2024-04", headers=api.as_role("ops"))
    assert response.status_code == 409


def test_running_a_month_twice_issues_nothing_the_second_time(api: ApiHarness) -> None:
    grant(api)
    api.client.post("/statement-runs/2024-03", headers=api.as_role("ops"))
    again = api.client.post("/statement-runs/2024-03", headers=api.as_role("ops"))
    assert again.json()["already_done"] is True
    listed = api.client.get("/statements?month=2024-03", headers=api.as_role("ops")).json()
    assert len(listed) == 1


def test_a_tariff_change_is_a_new_audited_version_and_the_old_one_stays_readable(api: ApiHarness) -> None:
    body = {
        "prisbasbelopp_sek": 57300,
        "fee_model": "fraction_of_maxtaxa_per_day",
        "day_fraction": "1/30",
        "note": "council 2024-05",
    }

    changed = api.client.put("/tariffs/2104/2024", json=body, headers=api.as_role("ops"))

    assert changed.status_code == 200
    book = changed.json()
    assert book["current"]["version"] == 2
    assert book["current"]["terms"]["day_fee_ore"] == 8_600
    assert book["history"][0]["terms"]["day_fee_ore"] == 18_400
    assert api.audit.records[-1].action == "change_tariff"
    assert api.audit.records[-1].subjects == ("2104:2024",)
    refused = api.client.put("/tariffs/2104/2024", json=body, headers=api.as_role("officer"))
    assert refused.status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"prisbasbelopp_sek": 57300, "fee_model": "hourly"},
        {"prisbasbelopp_sek": 57300, "fee_model": "fraction_of_maxtaxa_per_day", "day_fraction": "3/2"},
        {"prisbasbelopp_sek": 57300, "fee_model": "free", "maxtaxa_factor": "0.0"},
    ],
)
def test_a_tariff_that_cannot_be_applied_is_422(api: ApiHarness, body: dict[str, object]) -> None:
    response = api.client.put("/tariffs/2104/2024", json=body, headers=api.as_role("ops"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_the_fee_headroom_is_set_by_an_officer_and_caps_the_next_statement(api: ApiHarness) -> None:
    grant(api)
    response = api.client.put(
        "/persons/p_abc/fee-headroom",
        json={"valid_from": "2024-03", "amount_ore": 50_000},
        headers=api.as_role("officer"),
    )
    assert response.status_code == 200
    api.client.post("/statement-runs/2024-03", headers=api.as_role("ops"))

    statement = api.client.get("/persons/p_abc/statements/2024-03", headers=api.as_role("officer")).json()

    assert statement["total_ore"] == 50_000
    assert (
        api.client.put(
            "/persons/p_abc/fee-headroom", json={"valid_from": "2024-03", "amount_ore": 1}, headers=api.as_role("ops")
        ).status_code
        == 403
    )


def test_reports_and_their_exports_are_audited(api: ApiHarness) -> None:
    for path, action in [
        ("/reports/liability?month=2024-03", "read_liability_report"),
        ("/reports/liability.csv?month=2024-03", "export_liability_report"),
        ("/reports/cost?month=2024-03", "read_cost_report"),
        ("/reports/cost.csv?month=2024-03", "export_cost_report"),
    ]:
        assert api.client.get(path, headers=api.as_role("officer")).status_code == 200
        assert api.audit.records[-1].action == action
