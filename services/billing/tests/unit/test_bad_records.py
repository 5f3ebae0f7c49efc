"""One bad record never stops a batch, and a date outside the plausible window never gets in.

A case dated in the year 378 had been accepted through an API before dates were bounded; the
monthly statement run then failed for every person (`ValueError: not a month: 378-4`). Now the
run bills everyone else and reports that person; and such an event is dead-lettered at the edge.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest
from billing_support import ApiHarness, granted, subject
from prometheus_client import REGISTRY

from billing.domain.money import Month
from billing.service_layer.statements import issue_month

from .conftest import Harness
from .factories import trygg_hemgang

MARCH = Month(2024, 3)


def _failures(batch: str) -> float:
    return REGISTRY.get_sample_value("trygg_batch_record_failures_total", {"batch": batch}) or 0.0


async def test_a_person_with_a_case_in_the_year_378_is_reported_and_everyone_else_is_billed(harness: Harness) -> None:
    good = [(f"case-{uuid.uuid4().hex[:8]}", f"p_{uuid.uuid4().hex[:12]}") for _ in range(3)]
    for case_id, person in good:
        await harness.send(granted(case_id, person, date(2024, 3, 4), 5))
        await harness.send(subject(case_id, person))
    bad_person = f"p_{uuid.uuid4().hex[:12]}"
    # Stored as it was accepted before the edges bounded dates (the store holds it; no event can bring it now).
    bad = trygg_hemgang(date(378, 4, 1), date(378, 4, 14), person_ref=bad_person)
    await harness.billing.deps.care.save(bad.case_id, 0, bad, [])
    before = _failures("statement_run")

    outcome = await issue_month(harness.billing.deps, MARCH)

    assert outcome.statements_issued == 3
    assert outcome.persons_failed == (bad_person,)
    assert _failures("statement_run") == before + 1
    run = await harness.billing.deps.runs.get(MARCH)
    assert run is not None
    assert run.status == "done"
    assert run.persons_failed == (bad_person,)
    for _, person in good:
        assert [s.month for s in await harness.billing.deps.statement_queries.of_person(person)] == [MARCH]


def test_the_run_api_answers_200_and_names_the_failed_person() -> None:
    api = ApiHarness()
    case = trygg_hemgang(date(2024, 3, 4), date(2024, 3, 8), person_ref="p_good")
    bad = trygg_hemgang(date(378, 4, 1), date(378, 4, 14), person_ref="p_bad")
    for one in (case, bad):
        asyncio.run(api.deps.care.save(one.case_id, 0, one, []))

    answer = api.client.post("/statement-runs/2024-03", headers=api.as_role("ops"))

    assert answer.status_code == 200, answer.text
    assert answer.json()["statements_issued"] == 1
    assert answer.json()["persons_failed"] == ["p_bad"]
    again = api.client.get("/statement-runs/2024-03", headers=api.as_role("ops"))
    assert again.json()["persons_failed"] == ["p_bad"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("start_date", "0378-04-01"), ("decision_id", "d-\u0000")],
    ids=["a decision dated in the year 378", "a NUL in a decision id"],
)
async def test_a_decision_that_breaks_its_contract_is_dead_lettered_with_the_field(
    harness: Harness, field: str, value: str
) -> None:
    case_id, person = f"case-{uuid.uuid4().hex[:8]}", f"p_{uuid.uuid4().hex[:12]}"
    event = granted(case_id, person, date(2024, 3, 4), 5)
    data = {**event.model_dump(mode="json"), field: value}

    await harness.send(event, data=data)

    assert len(harness.dead) == 1
    assert field in harness.dead[0].headers["dlq_reason"]
    assert await harness.billing.deps.care.load(case_id) is None


def test_a_nul_in_the_note_of_a_liability_price_is_a_422_not_a_500() -> None:
    api = ApiHarness()
    response = api.client.put(
        "/liability-prices/01/2024", json={"per_day_ore": 930000, "note": "2024\u0000"}, headers=api.as_role("ops")
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["note"]


def test_a_statement_run_for_a_month_in_the_year_378_is_a_422() -> None:
    api = ApiHarness()
    assert api.client.post("/statement-runs/0378-04", headers=api.as_role("ops")).status_code == 422
    assert api.client.post("/statement-runs/2100-01", headers=api.as_role("ops")).status_code == 422


def test_a_schema_violating_price_is_refused_and_a_schema_valid_one_accepted() -> None:
    api = ApiHarness()
    ops = api.as_role("ops")
    assert api.client.put("/liability-prices/01/2024", json={"per_day_ore": False}, headers=ops).status_code == 422
    assert api.client.put("/liability-prices/01/2024", json={"per_day_ore": 930000.5}, headers=ops).status_code == 422
    assert api.client.put("/liability-prices/01/2024", json={"per_day_ore": 930000.0}, headers=ops).status_code == 200


def test_an_unknown_query_parameter_is_refused_not_ignored() -> None:
    api = ApiHarness()
    response = api.client.get("/audit", params={"limt": "5"}, headers=api.as_role("ops"))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["query.limt"]
