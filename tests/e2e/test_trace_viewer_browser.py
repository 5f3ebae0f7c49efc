"""The trace viewer `make run` serves on Jaeger's query port (tools/devstack/src/devstack/jaeger_ui)
in a real browser (Debian's Chromium, headless, Playwright): list the traces of a service, find
one by its Kafka key (base64, as the spans carry it), open it, and see its spans across services
as one tree. Screenshots go to `.local/screenshots/` (git-ignored)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.async_api import Browser, expect

from devstack.cli import sample_message
from tests.e2e.test_trace_ui import KEY_TAG, webhook_trace
from tests.fixtures.e2e import System

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".local" / "screenshots"


async def test_the_trace_viewer_lists_a_services_traces_and_shows_one_across_services(
    system: System, browser: Browser
) -> None:
    body = sample_message("utskrivningsklar", f"E2E-VIEW-{uuid.uuid4().hex[:8]}")
    trace = await webhook_trace(system, body)  # complete in Jaeger (no span's parent missing)
    key = next(str(t["value"]) for s in trace["spans"] for t in s.get("tags", []) if t["key"] == KEY_TAG)
    services = {p["serviceName"] for p in trace["processes"].values()}
    page = await (await browser.new_context(viewport={"width": 1400, "height": 1000})).new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # The traces of a service: referral's, newest first, the webhook's root span named.
    await page.goto(f"{system.jaeger_query()}/search?service=referral&lookback=15m&limit=100")
    rows = page.locator("tr.trace")
    await expect(rows.first).to_be_visible(timeout=15_000)
    await expect(page.locator("select[name=service]")).to_have_value("referral")
    await expect(rows.filter(has_text="referral: POST /webhooks/lus").first).to_be_visible()

    # Narrowed to the case by its Kafka key through the form, as the console's links do.
    await page.fill("input[name=tags]", f"{KEY_TAG}={key}")
    await page.click("button[type=submit]")
    await expect(page).to_have_url(re.compile(r"/search\?.*tags="))
    await expect(rows).to_have_count(1, timeout=15_000)
    row = rows.first
    await expect(row).to_contain_text("referral: POST /webhooks/lus")
    for service in services:
        await expect(row.locator(".svc", has_text=service)).to_have_count(1)
    await page.screenshot(path=str(SCREENSHOTS / "trace-viewer-search.png"), full_page=True)

    # Open it: the waterfall of every span, one tree from the webhook's handler, across services.
    await row.click()
    await expect(page).to_have_url(re.compile(rf"/trace/{trace['traceID']}$"))
    await expect(page.locator("h2")).to_have_text(f"Trace {trace['traceID']}")
    waterfall = page.locator(".wf .row")
    await expect(waterfall.first).to_be_visible()
    # Later consumers' spans may still be joining the trace: at least those read before, each shown.
    assert await waterfall.count() >= len(trace["spans"])
    names = {n.strip() for n in await page.locator(".wf .row .name").all_inner_texts()}
    for span in trace["spans"]:
        service = trace["processes"][span["processID"]]["serviceName"]
        assert f"{service} {span['operationName']}" in names, (service, span["operationName"])
    first = waterfall.first.locator(".name")
    await expect(first).to_contain_text("POST /webhooks/lus")
    assert await first.evaluate("e => e.style.paddingLeft") == "8px"  # the root, not indented
    shown = set(await page.locator(".wf .row .name .svc").all_inner_texts())
    assert shown >= services, shown
    assert len(services) >= 2, services
    consumer = waterfall.filter(has_text="process").first
    assert int((await consumer.locator(".name").evaluate("e => e.style.paddingLeft")).removesuffix("px")) > 8

    # A span's attributes, on a click.
    await consumer.locator(".name").click()
    await expect(consumer.locator(".tags")).to_be_visible()
    await expect(consumer.locator(".tags")).to_contain_text(f"{KEY_TAG}: {key}")
    await page.screenshot(path=str(SCREENSHOTS / "trace-viewer-trace.png"), full_page=True)

    # Back to the list.
    await page.click("text=← back")
    await expect(rows).to_have_count(1)
