"""The officers' billing pages in a real browser (Debian's Chromium, Playwright) against the real billing
and console processes on real Kafka and FerretDB: referral's events (published as referral does) reach
billing; the running month's fees show with the cap; the region's sample invoice is uploaded through the
form, checked by billing and shown with its totals: agreed, disputed (a revoked ready notice, a holiday in
the agreement's grace days, a missing admission notice) and unknown lines.

Screenshots go to `.local/screenshots/` (git-ignored); `TRYGG_SCREENSHOT_DIR` copies the fees and invoice
pages there too (for a closing note).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from browser_support import publish_history, shot
from invoice_support import events as invoice_events
from invoice_support import sample_csv, stays
from playwright.async_api import Browser, Page, expect
from pymongo import AsyncMongoClient

from devstack.stack import ServiceSpec
from devstack.testing import Endpoints, service_processes
from tests.support import eventually, started
from trygg_shared.contracts import referral as ref
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.testing import event_record

SPECS = (ServiceSpec("billing", "BILLING_", 8004), ServiceSpec("console", "CONSOLE_", 8005))
SOURCE = "urn:trygghemgang:referral"

pytestmark = pytest.mark.timeout(900)


SUFFIX = f"_bill_{uuid.uuid4().hex[:8]}"  # this module's databases and consumer groups
BILLING_DB = f"billing{SUFFIX}"


@pytest.fixture(scope="module")
def urls(servers: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    logs = tmp_path_factory.mktemp("billing-pages-logs")
    with started(service_processes(servers, ("billing", "console"), SUFFIX, logs)) as processes:
        yield {name: p.url for name, p in processes.items()}


def this_month() -> date:
    now = datetime.now(UTC).date()
    return date(now.year, now.month, 1)


def fee_events(suffix: str) -> list[IntegrationEvent]:
    """A 20-day Trygg hemgång from the 1st of the running month: over maxtaxa, so the cap takes some off."""
    case_id, person = f"case-fees{suffix}", f"p_fees{suffix}"
    first = this_month()
    granted_at = datetime(first.year, first.month, 1, 8, tzinfo=UTC)
    return [
        ref.DecisionGranted(
            case_id=case_id,
            person_ref=person,
            decision_id=f"d-fees{suffix}",
            decision_type=ref.DecisionType.TRYGG_HEMGANG,
            start_date=first,
            length_days=20,
            team="Team Väst",
            granted_by="officer:e2e",
            granted_at=granted_at,
        ),
        ref.PersonContactRegistered(
            case_id=case_id,
            person_ref=person,
            decision_id=f"d-fees{suffix}",
            decision_type=ref.DecisionType.TRYGG_HEMGANG,
            person=ref.PersonContact(given_name="Test", family_name="Avgiftsdotter"),
            registered_at=granted_at,
        ),
    ]


@pytest.fixture(scope="module")
def history(urls: dict[str, str], servers: Endpoints) -> dict[str, str]:
    """The fee case and the invoice's stays, as referral publishes them (each case's events in order)."""

    sequences: dict[str, int] = {}
    records = []
    for event in [*fee_events(SUFFIX), *invoice_events(SUFFIX)]:
        key = event.partition_key()
        sequences[key] = sequences.get(key, 0) + 1  # each case's events in its order
        records.append((event.TOPIC, event_record(event, source=SOURCE, sequence=sequences[key])))

    async def publish() -> None:
        await publish_history(servers.kafka_bootstrap, records)
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_uri, tz_aware=True)
        try:
            db = client[BILLING_DB]
            ids = [s.case_id for s in stays(SUFFIX)]

            async def arrived() -> bool:
                discharged = await db["case_liability"].count_documents({"_id": {"$in": ids}, "liability_open": False})
                persons = await db["persons"].count_documents({"identity_key": {"$ne": None}})
                care = await db["care_cases"].count_documents({"_id": f"case-fees{SUFFIX}"})
                return discharged == len(ids) and persons >= len(ids) and care == 1

            await eventually(arrived, within=180)
            await asyncio.sleep(1.0)  # the discharges' counts are the last events of each case
        finally:
            await client.close()

    asyncio.run(publish())
    return urls


async def officer(browser: Browser, urls: dict[str, str]) -> Page:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = await context.new_page()
    await page.goto(f"{urls['console']}/login")
    await page.locator("input[name=token]").fill("dev-officer")
    await page.locator("form[action='/login'] button[type=submit]").click()
    await expect(page.locator("nav a[href='/fees']")).to_be_visible()
    return page


async def test_the_running_month_s_fees_show_each_line_and_the_cap(browser: Browser, history: dict[str, str]) -> None:
    page = await officer(browser, history)

    await page.goto(f"{history['console']}/fees")

    month = this_month()
    section = page.locator("section.fees", has_text="Avgiftsdotter")
    await expect(section).to_be_visible()
    seeded = {2026: (190, 2_660), 2025: (189, 2_642), 2024: (184, 2_575)}  # Hofors: 1/14 of maxtaxa, maxtaxa
    assert month.year in seeded, "a year the seeded tariffs do not cover"
    day_fee, maxtaxa = seeded[month.year]
    await expect(section).to_contain_text(f"Trygg hemgång 20 dagar à {day_fee} kr")
    taken_off = f"{20 * day_fee - maxtaxa:,} kr".replace(",", "\u00a0")  # Swedish: a no-break space
    await expect(section.locator("[data-capped]")).to_have_text(taken_off)
    await expect(section.locator("tfoot")).to_contain_text(f"{maxtaxa:,} kr".replace(",", "\u00a0"))
    await shot(page, "running-fees")


async def test_the_region_s_invoice_is_uploaded_checked_and_its_totals_shown(
    browser: Browser, history: dict[str, str], tmp_path: Path
) -> None:
    page = await officer(browser, history)
    invoice = tmp_path / "faktura-region-stockholm-2024-03.csv"
    invoice.write_bytes(sample_csv(SUFFIX))

    await page.goto(f"{history['console']}/invoices?month=2024-03")
    await page.locator("#region").fill("01")
    await page.locator("#upload-month").fill("2024-03")
    await page.locator("#file").set_input_files(str(invoice))
    await page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()

    await expect(page).to_have_url(re.compile(r"/invoices/[0-9a-f]{64}$"))
    totals = page.locator("#totals")
    await expect(totals.locator("tr.invoiced")).to_contain_text("158\u00a0100 kr")
    await expect(totals.locator("tr.agreed")).to_contain_text("46\u00a0500 kr")
    await expect(totals.locator("tr.disputed")).to_contain_text("65\u00a0100 kr")
    await expect(totals.locator("tr.unknown")).to_contain_text("18\u00a0600 kr")
    lines = page.locator("#lines")
    await expect(lines.locator("tr.disputed")).to_have_count(3)
    await expect(lines).to_contain_text("Utskrivningsklar återkallad (2024-03-17, 2024-03-18, 2024-03-19, 2024-03-20)")
    await expect(lines).to_contain_text("Betalningsansvaret börjar senare (2024-03-31)")
    await expect(lines).to_contain_text("Inget inskrivningsmeddelande")
    await expect(lines.locator("tr.unknown")).to_have_count(1)
    await shot(page, "invoice")
    body = await page.content()
    for digits in ("121212", "701063", "20121212", "19121231"):
        assert digits not in body  # identity numbers are never shown back
