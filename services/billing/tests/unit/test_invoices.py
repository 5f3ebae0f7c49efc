"""The region's invoice checked against our count (#20 §1): agreed, disputed with the reason and the days
in question, unknown; the totals side by side; the dispute list; bad files and repeated files."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pytest
from billing_support import ApiHarness
from invoice_support import MONTH, REGION, events, sample_csv, seed

from billing.service_layer import invoices
from billing.service_layer.ports import Actor

from .conftest import Harness

OFFICER = {"Authorization": "Bearer dev-officer", "Content-Type": "text/csv"}


@pytest.fixture
def api() -> ApiHarness:
    harness = ApiHarness()
    asyncio.run(seed(harness.deps))
    return harness


def post(api: ApiHarness, content: bytes, region: str = REGION, month: str = "2024-03") -> object:
    return api.client.post(f"/invoices?region={region}&month={month}", content=content, headers=OFFICER)


def test_each_line_is_agreed_disputed_with_its_reason_and_days_or_unknown(api: ApiHarness) -> None:
    response = post(api, sample_csv())

    assert response.status_code == 201, response.text
    body = response.json()
    lines = {line["line_no"]: line for line in body["lines"]}
    shown = {
        n: (line["status"], line["reason"], line["disputed_days"], line["disputed_dates"], line["case_id"])
        for n, line in lines.items()
    }
    assert shown == {
        2: ("agreed", None, 0, [], "case-a"),
        3: ("disputed", "ready_notice_revoked", 4, ["2024-03-17", "2024-03-18", "2024-03-19", "2024-03-20"], "case-r"),
        4: ("disputed", "liability_starts_later", 1, ["2024-03-31"], "case-h"),
        5: ("disputed", "admission_notice_missing", 2, [], "case-n"),
        6: ("unknown", "no_episode", 0, [], None),
    }
    assert (lines[4]["since"], lines[4]["agreement"]) == ("2024-04-04", "sll-2024-working v2")
    assert "holidays" in lines[4]["detail"]
    assert lines[3]["since"] == "2024-03-16"  # the revocation
    assert (lines[3]["our_days"], lines[3]["disputed_amount_ore"]) == (3, 3_720_000)
    assert lines[3]["person_ref"] == "p_tolv"  # the identity number matched to our person reference
    assert body["totals"] == {
        "invoiced": {"lines": 5, "days": 17, "amount_ore": 15_810_000},
        "agreed": {"lines": 1, "days": 5, "amount_ore": 4_650_000},
        "disputed": {"lines": 3, "days": 7, "amount_ore": 6_510_000},
        "unknown": {"lines": 1, "days": 2, "amount_ore": 1_860_000},
    }
    record = api.audit.records[-1]
    assert record.action == "import_invoice"
    assert set(record.subjects) == {"p_astrid", "p_tolv", "p_sam", "p_nils"}


def test_no_identity_number_is_stored_or_answered(api: ApiHarness) -> None:
    body = post(api, sample_csv()).text
    [invoice] = api.stores.invoices.states.values()
    stored = repr(invoice)
    for digits in ("19121212", "121212", "701063", "20121212", "19121231", "2340", "2391"):
        assert digits not in body
        assert digits not in stored


def test_the_same_file_twice_changes_nothing(api: ApiHarness) -> None:
    first = post(api, sample_csv())
    again = post(api, sample_csv())

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["repeated"] is True
    assert again.json()["invoice_id"] == first.json()["invoice_id"]
    assert again.json()["lines"] == first.json()["lines"]
    assert len(api.stores.invoices.states) == 1
    listed = api.client.get("/invoices?month=2024-03", headers=OFFICER).json()
    assert [i["invoice_id"] for i in listed] == [first.json()["invoice_id"]]
    elsewhere = post(api, sample_csv(), month="2024-02")
    assert elsewhere.status_code == 409


def test_a_bad_file_is_refused_whole_with_each_line_and_field_and_no_personal_data(api: ApiHarness) -> None:
    content = (
        sample_csv().replace(b"19701063-2391", b"19701063-2392").replace(b";2;18 600,00\n1912", b";x;18 600,00\n1912")
    )

    response = post(api, content)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == ["lines.4.identity_number", "lines.5.days"]
    assert "19701063" not in response.text
    assert api.stores.invoices.states == {}
    assert api.client.get("/invoices?month=2024-03", headers=OFFICER).json() == []


def test_the_dispute_list_is_csv_with_formulas_neutralised_and_audited(api: ApiHarness) -> None:
    content = sample_csv().replace("Södertälje sjukhus avd 2".encode(), b"=HYPERLINK(1)")
    post(api, content)

    response = api.client.get("/invoice-disputes.csv?month=2024-03", headers=OFFICER)

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["line_no"], r["status"], r["reason"], r["disputed_days"]) for r in rows] == [
        ("3", "disputed", "ready_notice_revoked", "4"),
        ("4", "disputed", "liability_starts_later", "1"),
        ("5", "disputed", "admission_notice_missing", "2"),
        ("6", "unknown", "no_episode", "0"),
    ]
    assert rows[1]["disputed_dates"] == "2024-03-31"
    assert rows[3]["care_unit"] == "'=HYPERLINK(1)"
    assert api.audit.records[-1].action == "export_invoice_disputes"


def test_one_invoice_is_read_back_audited_and_only_officers_import(api: ApiHarness) -> None:
    invoice_id = post(api, sample_csv()).json()["invoice_id"]

    read = api.client.get(f"/invoices/{invoice_id}", headers=api.as_role("ops"))

    assert read.status_code == 200
    assert read.json()["totals"]["agreed"]["days"] == 5
    assert api.audit.records[-1].action == "read_invoice"
    assert api.client.get(f"/invoices/{'0' * 64}", headers=api.as_role("ops")).status_code == 404
    refused = api.client.post(
        "/invoices?region=01&month=2024-03", content=sample_csv(), headers={**OFFICER, **api.as_role("ops")}
    )
    assert refused.status_code == 403


def test_an_invoice_charging_no_more_than_we_count_at_a_higher_price_is_disputed_for_the_money(api: ApiHarness) -> None:
    header = sample_csv().split(b"\n")[0]
    content = header + b"\n;EPI-A;Avd 12;2024-03-04;2024-03-11;5;50 000,00\n"

    [line] = post(api, content).json()["lines"]

    assert (line["status"], line["reason"], line["disputed_days"], line["disputed_amount_ore"]) == (
        "disputed",
        "price_differs",
        0,
        350_000,
    )


def test_a_region_s_layout_comes_from_the_settings() -> None:
    from billing.config import Settings

    layouts = {
        "*": {"columns": {"episode_id": "ep", "care_unit": "u", "ready_date": "r", "days": "d", "amount": "a"}},
        "25": {
            "columns": {"identity_number": "Pnr", "care_unit": "Enhet", "ready_date": "Klar", "days": "Dagar",
                        "amount": "Belopp"},
            "delimiter": ",",
            "decimal_comma": False,
        },
    }  # fmt: skip
    settings = Settings.model_validate({"invoice_layouts": layouts})
    assert settings.invoice_layouts["25"].layout().delimiter == ","
    with pytest.raises(ValueError, match="identity_number or episode_id"):
        Settings.model_validate({"invoice_layouts": {"*": {"columns": {"care_unit": "u"}}}})
    assert json.loads(Settings().model_dump_json())["invoice_layouts"]["*"]["delimiter"] == ";"


async def test_referral_s_events_through_the_subscribers_give_the_same_check(harness: Harness) -> None:
    for event in events():
        await harness.send(event)
    officer = Actor("officer:anna", ("officer",))

    imported = await invoices.import_invoice(harness.billing.deps, officer, REGION, MONTH, sample_csv())

    outcome = [
        (line.line_no, line.status.value, line.reason.value if line.reason else None) for line in imported.invoice.lines
    ]
    assert outcome == [
        (2, "agreed", None),
        (3, "disputed", "ready_notice_revoked"),
        (4, "disputed", "liability_starts_later"),
        (5, "disputed", "admission_notice_missing"),
        (6, "unknown", "no_episode"),
    ]
    assert harness.dead == []
