"""The officers' billing pages over billing's real API (in process): the running month's fees, the region's
invoice uploaded, checked and shown with its totals, the dispute list; refusals, roles, audit, Origin."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, date, datetime

import httpx
import pytest
from billing_support import ApiHarness
from console_support import ConsoleHarness
from invoice_support import sample_csv, seed

from console.adapters.billing_client import HttpBilling


@pytest.fixture
def pair() -> tuple[ConsoleHarness, ApiHarness]:
    api = ApiHarness(datetime(2024, 4, 10, 8, tzinfo=UTC))
    asyncio.run(seed(api.deps))
    api.grant("p_fees", date(2024, 4, 1), 20)
    billing = HttpBilling("http://billing", "dev-officer", timeout=10, transport=httpx.ASGITransport(api.app))
    return ConsoleHarness(datetime(2024, 4, 10, 8, tzinfo=UTC), billing=billing), api


def upload(client: httpx.Client, content: bytes, month: str = "2024-03") -> httpx.Response:
    files = {"file": ("faktura.csv", content, "text/csv")}
    return client.post("/invoices", data={"region": "01", "month": month}, files=files)


def test_an_officer_sees_the_running_month_s_fees_with_the_cap(pair: tuple[ConsoleHarness, ApiHarness]) -> None:
    console, _ = pair
    officer = console.login("officer")

    page = officer.get("/fees")

    assert page.status_code == 200, page.text
    assert "Avgifter för 2024-04" in page.text  # Swedish first: amounts as Swedish writes them (no-break space)
    assert "Trygg hemgång 20 dagar à 184 kr" in page.text
    assert "3\xa0680 kr" in page.text  # 20 days
    assert "1\xa0105 kr" in page.text  # taken off by the cap
    assert "2\xa0575 kr" in page.text  # maxtaxa 2024: the total
    assert console.audit.records[-1].action == "view_running_fees"
    assert console.audit.records[-1].case_ids == ("case-p_fees",)
    officer.post("/language", data={"language": "en", "next": "/fees"})
    english = officer.get("/fees").text
    assert "Fees for 2024-04" in english
    assert "1,105 kr" in english  # taken off by the cap, as English writes it


def test_an_invoice_is_uploaded_checked_and_shown_with_its_totals(pair: tuple[ConsoleHarness, ApiHarness]) -> None:
    console, api = pair
    officer = console.login("officer")

    imported = upload(officer, sample_csv())

    assert imported.status_code == 303, imported.text
    invoice_url = imported.headers["location"]
    page = officer.get(invoice_url)
    assert page.status_code == 200
    totals = page.text[page.text.index('id="totals"') : page.text.index("</table>")]
    assert "158\xa0100 kr" in totals  # invoiced
    assert "46\xa0500 kr" in totals  # agreed
    assert "65\xa0100 kr" in totals  # disputed, in question
    assert "18\xa0600 kr" in totals  # unknown
    assert "Utskrivningsklar återkallad" in page.text  # the reason, in Swedish
    assert "2024-03-31" in page.text
    assert console.audit.records[-1].action == "view_invoice"
    assert api.audit.records[-1].action == "read_invoice"
    again = upload(officer, sample_csv())
    assert again.headers["location"] == invoice_url  # the same file: the same invoice
    listed = officer.get("/invoices?month=2024-03")
    assert invoice_url in listed.text
    disputes = officer.get("/invoice-disputes.csv?month=2024-03")
    assert disputes.status_code == 200
    assert [r["line_no"] for r in csv.DictReader(io.StringIO(disputes.text))] == ["3", "4", "5", "6"]


def test_a_bad_file_is_shown_with_each_line_s_problem_and_no_personal_data(
    pair: tuple[ConsoleHarness, ApiHarness],
) -> None:
    console, api = pair
    officer = console.login("officer")

    refused = upload(officer, sample_csv().replace(b"19701063-2391", b"19701063-2392"))

    assert refused.status_code == 422
    assert "Rad 4, personnummer: inte ett giltigt personnummer eller samordningsnummer" in refused.text
    assert "19701063" not in refused.text
    assert api.stores.invoices.states == {}


def test_only_officers_reach_the_billing_pages_and_uploads_need_the_console_s_origin(
    pair: tuple[ConsoleHarness, ApiHarness],
) -> None:
    console, _ = pair
    for role in ("team", "oncall", "ops"):
        client = console.login(role)
        assert client.get("/fees").status_code == 403
        assert client.get("/invoices").status_code == 403
        assert upload(client, sample_csv()).status_code == 403
        console.client.cookies.clear()
    officer = console.login("officer")
    foreign = officer.post(
        "/invoices",
        data={"region": "01", "month": "2024-03"},
        files={"file": ("f.csv", sample_csv(), "text/csv")},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    assert "Månadens avgifter" in officer.get("/fees").text  # in the officer's navigation


def test_billing_down_is_a_502_page(pair: tuple[ConsoleHarness, ApiHarness]) -> None:
    down = ConsoleHarness(billing=HttpBilling("http://127.0.0.1:9", "dev-officer", timeout=1))
    officer = down.login("officer")

    assert officer.get("/fees").status_code == 502
    assert upload(officer, sample_csv()).status_code == 502


def test_an_incomplete_upload_form_is_the_page_again_not_json(pair: tuple[ConsoleHarness, ApiHarness]) -> None:
    console, api = pair
    officer = console.login("officer")

    for data, files in (
        ({"region": "Stockholm", "month": "2024-03"}, {"file": ("f.csv", sample_csv(), "text/csv")}),
        ({"region": "01", "month": "2024-13"}, {"file": ("f.csv", sample_csv(), "text/csv")}),
        ({"region": "01", "month": "2024-03", "file": "not a file"}, None),
    ):
        answer = officer.post("/invoices", data=data, files=files)
        assert answer.status_code == 422
        assert answer.headers["content-type"].startswith("text/html")
    assert api.stores.invoices.states == {}
