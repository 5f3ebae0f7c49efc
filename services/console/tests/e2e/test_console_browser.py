"""The console in a real browser (Debian's Chromium, headless, driven by Playwright) against the real
referral, notification and console processes on real Kafka and FerretDB.

Every role signs in through the form and sees its pages; a signed webhook makes a case appear on
the Cases page without a reload and its countdown ticks; on-call acknowledges an alert the
notification service raised (from referral's events on Kafka) through notification's API.
Screenshots go to `.local/screenshots/` (git-ignored).
Run `deploy/local/install-browser.sh` first (it installs /usr/bin/chromium when missing).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from console_support import march_2026, publish_broken_billing_event, with_cover_order
from faststream.kafka import KafkaBroker
from playwright.async_api import Browser, Locator, Page, Route, expect

from devstack.cli import sample_message, sign
from devstack.testing import Endpoints, service_processes
from referral.config import LOCAL_DEV_SENDER_SECRET
from tests.support import started
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.contracts.billing import LiabilityDaysAccrued
from trygg_shared.contracts.topics import ALL_TOPICS
from trygg_shared.envelope import EventMeta, encode
from trygg_shared.kafka import ensure_topics

SCREENSHOTS = Path(__file__).resolve().parents[4] / ".local" / "screenshots"
NAMES = ("referral", "notification", "console")

pytestmark = pytest.mark.timeout(900)  # the backlog below, on top of the tests' own work

# Every e2e module shares one Kafka: these services' new consumer groups first read every event
# the earlier tests published (hundreds, on 2 shared cores). Waits for events allow for that.
BACKLOG_MS = 180_000


@dataclass
class Running:
    urls: dict[str, str]
    endpoints: Endpoints

    def send(self, message_type: str, episode_id: str) -> httpx.Response:
        payload = json.dumps(sample_message(message_type, episode_id))
        headers = sign(LOCAL_DEV_SENDER_SECRET, f"msg_{uuid.uuid4().hex}", payload.encode())
        return httpx.post(f"{self.urls['referral']}/webhooks/lus", content=payload, headers=headers, timeout=15)


@pytest.fixture(scope="module")
def running(servers: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    suffix = f"_ui_{uuid.uuid4().hex[:8]}"
    logs = tmp_path_factory.mktemp("console-logs")
    extra = {
        "NOTIFICATION_LIABILITY_ALERT_LEAD_HOURS": "1000",  # alert at once for a ready notice
        "CONSOLE_COSTS__TEAM_HOUR_SEK": "600",
        "CONSOLE_COSTS__SHORT_TERM_STAY_DAY_SEK": "1500",
    }
    # Each other's URLs: the console acknowledges through notification and reads every service's
    # /readyz and /metrics for its ops page.
    with started(service_processes(servers, NAMES, suffix, logs, extra_env=extra)) as processes:
        yield Running({name: p.url for name, p in processes.items()}, servers)


@pytest.fixture(scope="module")
def history(running: Running) -> Running:
    """February and March 2026 as the other services would have published them (real contracts)."""

    asyncio.run(publish(running, march_2026().items))
    return running


async def publish(running: Running, items: list[tuple[IntegrationEvent, EventMeta]]) -> None:
    """Events on Kafka as their producers would have published them."""
    await ensure_topics(running.endpoints.kafka_bootstrap, ALL_TOPICS)
    broker = KafkaBroker(running.endpoints.kafka_bootstrap)
    await broker.start()
    try:
        for event, meta in items:
            record = encode(meta, event.model_dump(mode="json"))
            await broker.publish(
                record.value,
                topic=event.TOPIC,
                key=record.key,
                headers={k: v.decode() for k, v in record.headers.items()},
            )
    finally:
        await broker.stop()


async def signed_in(browser: Browser, running: Running, role: str) -> Page:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = await context.new_page()
    await page.goto(f"{running.urls['console']}/login")
    await page.get_by_label("Rollnyckel").fill(f"dev-{role}")  # Swedish unless the user chooses English
    await page.get_by_role("button", name="Logga in").click()
    await expect(page.get_by_text(f"Inloggad som {role}:dev")).to_be_visible()
    return page


async def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=True)


async def test_on_call_acknowledges_an_alert_the_notification_service_raised(
    browser: Browser, history: Running
) -> None:
    # Case D of the history is ready for discharge with no decision: the notification service
    # (lead time 1000 h here) raised a liability alert from referral's event on Kafka.
    page = await signed_in(browser, history, "oncall")
    await page.goto(f"{history.urls['console']}/alerts")

    open_alerts = page.locator("#live table").first
    raised_by_notification = 'tr[data-alert-id^="liability:D:"]'  # its ids: liability:<case>:<due time>
    alert_row = open_alerts.locator(raised_by_notification)
    await expect(alert_row).to_be_visible(timeout=BACKLOG_MS)
    await expect(alert_row).to_contain_text("Betalningsansvar snart, inget beslut")
    await shot(page, "alerts")

    # The page after the acknowledgement opens its event stream late on purpose: the event that
    # notification publishes is then handled before the stream opens, and must still show up.
    async def late(route: Route) -> None:
        await asyncio.sleep(3)
        await route.continue_()

    await page.route("**/events*", late)
    await alert_row.get_by_role("button", name=re.compile("^Kvittera")).click()
    await expect(page).to_have_url(f"{history.urls['console']}/alerts")
    acknowledged = page.locator("#live table").nth(1).locator(raised_by_notification)
    await expect(acknowledged).to_contain_text("oncall:", timeout=BACKLOG_MS)  # notification's event, back over Kafka
    await expect(open_alerts.locator(raised_by_notification)).to_have_count(0)
    await shot(page, "alerts-acknowledged")


@pytest.mark.parametrize(
    ("role", "pages", "hidden"),
    [
        ("officer", ["Ärenden", "Nyckeltal"], ["I dag", "Larm", "Åtkomstlogg", "Drift"]),
        ("team", ["Ärenden", "I dag", "Larm", "Nyckeltal"], ["Åtkomstlogg", "Drift"]),
        ("oncall", ["Ärenden", "I dag", "Larm"], ["Nyckeltal", "Åtkomstlogg", "Drift"]),
        ("ops", ["Drift", "Nyckeltal", "Åtkomstlogg"], ["Ärenden", "I dag", "Larm"]),
    ],
)
async def test_each_role_signs_in_and_sees_its_pages(
    browser: Browser, history: Running, role: str, pages: list[str], hidden: list[str]
) -> None:
    page = await signed_in(browser, history, role)
    nav = page.get_by_role("navigation", name="Sidor")
    for name in pages:
        await expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    for name in hidden:
        await expect(nav.get_by_role("link", name=name, exact=True)).to_have_count(0)
    await shot(page, f"start-{role}")
    response = await page.goto(f"{history.urls['console']}/audit")
    assert response is not None
    assert response.status == (200 if role == "ops" else 403)


async def test_a_case_appears_and_counts_down_after_a_webhook(browser: Browser, history: Running) -> None:
    page = await signed_in(browser, history, "officer")
    await page.goto(f"{history.urls['console']}/cases")
    # Its event stream is open (the text then says "Live" or, after any change, "Uppdaterad <time>").
    await expect(page.get_by_role("status")).to_have_attribute("data-state", "live", timeout=10_000)

    response = history.send("utskrivningsklar", f"UI-{uuid.uuid4().hex[:8]}")
    assert response.status_code == 202, response.text
    case_id = response.json()["case_id"]

    row = page.locator(f'tr[data-case-id="{case_id}"]')
    await expect(row).to_be_visible(timeout=BACKLOG_MS)  # no reload: the page listens on /events
    countdown = row.locator("time.countdown")
    first = await countdown.text_content()
    assert first is not None
    assert re.search(r"\d\d:\d\d:\d\d kvar", first), first
    await page.wait_for_timeout(2200)
    later = await countdown.text_content()
    assert later != first
    assert _seconds(later or "") < _seconds(first)
    await expect(row.get_by_text("Inväntar beslut")).to_be_visible()
    await shot(page, "cases")

    await row.get_by_role("link").click()
    await expect(page.get_by_role("heading", name="Tidslinje")).to_be_visible()
    await expect(page.locator(".timeline .what", has_text="Utskrivningsklar")).to_be_visible()
    link = await page.get_by_role("link", name="Ärendets spårningar i Jaeger").get_attribute("href")
    assert link is not None
    assert link.startswith("http://127.0.0.1:16686/search?service=referral")
    await shot(page, "case")


def _seconds(text: str) -> int:
    match = re.search(r"(?:(\d+) d )?(\d\d):(\d\d):(\d\d)", text)
    assert match, text
    days, h, m, s = (int(g) if g else 0 for g in match.groups())
    return ((days * 24 + h) * 60 + m) * 60 + s


async def test_the_team_lead_sees_the_day_and_the_figures(browser: Browser, history: Running) -> None:
    page = await signed_in(browser, history, "team")
    await page.goto(f"{history.urls['console']}/today?day=2026-03-28")
    await expect(page.get_by_role("heading", name="Team Väst")).to_be_visible(timeout=BACKLOG_MS)
    await expect(page.locator('tr.missed[data-visit-id="V-G-3"]')).to_be_visible()
    await expect(page.locator('tr.unstaffed[data-visit-id="V-G-4"]')).to_be_visible()
    await shot(page, "today")

    await page.goto(f"{history.urls['console']}/figures?from=2026-02&to=2026-03")
    await expect(page.get_by_role("heading", name="Definitioner")).to_be_visible()
    await expect(page.get_by_role("img", name=re.compile("^Personer som fått insatsen per månad"))).to_be_visible()
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Ladda ner CSV").click()
    download = await download_info.value
    assert download.suggested_filename == "trygg-hemgang-figures-2026-02-2026-03.csv"
    await shot(page, "figures")


async def _reload_until_visible(page: Page, target: Locator, timeout_ms: int = BACKLOG_MS) -> None:
    """The ops page reads the services when loaded (no live region): reload until `target` shows."""
    deadline = asyncio.get_running_loop().time() + timeout_ms / 1000
    while not await target.count():
        assert asyncio.get_running_loop().time() < deadline, f"never shown: {target}"
        await page.wait_for_timeout(1000)
        await page.reload()
    await expect(target.first).to_be_visible()


async def test_ops_lands_on_the_ops_page_sees_a_dead_letter_and_an_unrouted_alert_and_replays(
    browser: Browser, running: Running
) -> None:
    # An alert that reaches nobody: notification (no rota here) raises a liability alert at once.
    response = running.send("utskrivningsklar", f"OPS-{uuid.uuid4().hex[:8]}")
    assert response.status_code == 202, response.text
    case_id = response.json()["case_id"]
    poison_key = f"ops-poison-{uuid.uuid4().hex[:8]}"
    await publish_broken_billing_event(running.endpoints.kafka_bootstrap, poison_key)

    page = await signed_in(browser, running, "ops")
    await expect(page).to_have_url(f"{running.urls['console']}/ops")  # the ops role lands here
    health = page.locator("#health")
    for service in ("referral", "notification", "console"):
        await expect(health.locator(f'tr[data-service="{service}"]')).to_contain_text("mongo: ok")
    unrouted = page.locator(f'#unrouted tr[data-alert-id^="liability:{case_id}:"]')
    await _reload_until_visible(page, unrouted)
    await expect(unrouted).to_contain_text("Betalningsansvar snart, inget beslut")
    letter = page.locator("#dead-letter-table tr[data-letter-id]", has_text=poison_key)
    await _reload_until_visible(page, letter)
    await expect(letter).to_contain_text("contract violation")
    await expect(letter).to_contain_text(LiabilityDaysAccrued.EVENT_TYPE)
    key_link = await letter.get_by_role("link", name="Spårningar efter Kafka-nyckel").get_attribute("href")
    assert key_link is not None
    assert "service=console" in key_link, key_link
    await expect(page.locator("#lag tbody tr").first).to_be_visible()
    await expect(page.locator("#outbox tbody tr").first).to_be_visible()
    await shot(page, "ops")

    # Replay: published once to its topic, still broken, so dead-lettered again and back on the page.
    await letter.get_by_role("button", name=re.compile("^Spela upp igen")).click()
    await expect(page).to_have_url(re.compile(r"/ops#dead-letters$"))
    replayed = page.locator("#dead-letter-table tr[data-letter-id]", has_text=poison_key)
    await expect(replayed.filter(has_text="Uppspelat av ops:dev")).to_have_count(1)
    await _reload_until_visible(page, replayed.filter(has_text="Misslyckades igen efter uppspelning"))
    await expect(replayed.filter(has_text="Uppspelat av ops:dev")).to_have_count(1)
    await shot(page, "ops-replayed")


async def test_an_alert_row_says_who_and_where_most_urgent_first(browser: Browser, history: Running) -> None:
    page = await signed_in(browser, history, "oncall")
    await page.goto(f"{history.urls['console']}/alerts")
    open_alerts = page.locator("#live table").first
    missed = open_alerts.locator('tr[data-alert-id="missed:V-G-3"]')
    await expect(missed).to_be_visible(timeout=BACKLOG_MS)
    await expect(missed.locator("td.who")).to_have_text("Test Person G")  # on-call must reach the person
    await expect(missed).to_contain_text("Team Väst")
    await expect(missed).to_contain_text("månader sedan")  # raised in March 2026 (Swedish first)
    liability = open_alerts.locator('tr[data-alert-id="liability:D"]')
    await expect(liability).to_contain_text("Geriatriska kliniken avd 61")  # no team yet: the ward
    await expect(liability.locator("td.who")).to_have_text("Person pD")  # no decision: no name known yet
    first = open_alerts.locator("tbody tr").first
    await expect(first).to_have_attribute("data-topic", "liability_no_decision")  # liability soonest first
    await shot(page, "alerts-who-where")


async def test_a_cover_order_shows_its_windows_and_prints_without_navigation(
    browser: Browser, history: Running
) -> None:
    # Case G's cover order and handover, published after the history (the same case's next events).
    await publish(history, with_cover_order(march_2026()).items[-2:])
    page = await signed_in(browser, history, "officer")
    url = f"{history.urls['console']}/cases/G/cover-order"
    windows = page.locator("table.cover-windows tbody tr")
    for _ in range(BACKLOG_MS // 2000):  # the page is not live: reload until the order arrived
        await page.goto(url)
        if await windows.count():
            break
        await page.wait_for_timeout(2000)
    await expect(windows).to_have_count(4)
    await expect(windows.nth(0)).to_contain_text("Kväll, efter teamets arbetstid")
    await expect(windows.nth(1)).to_contain_text("Natt")
    await expect(windows.nth(2)).to_contain_text("Helg")
    await expect(windows.nth(3)).to_contain_text("Helgdag: Långfredagen")
    await expect(page.get_by_text("mån–fre 08:00–16:30")).to_be_visible()
    await shot(page, "cover-order")
    await page.emulate_media(media="print")
    await expect(page.locator("header.site")).to_be_hidden()
    await expect(page.get_by_role("link", name="Ladda ner som CSV")).to_be_hidden()
    await expect(windows.nth(3)).to_be_visible()
    await shot(page, "cover-order-print")


NBSP = "\u00a0"
SWEDISH_DATETIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")  # sv_SE; English (en_GB) writes 28/03/2026, 08:00
ENGLISH_DATETIME = re.compile(r"\d\d/\d\d/\d{4}, \d\d:\d\d")

# Per role: a page of theirs, its Swedish and English heading, and text only the Swedish page has
# that Babel formats (dates, numbers); the history is February and March 2026.
ROLE_PAGES = {
    "officer": ("/cases", "Ärenden", "Cases", SWEDISH_DATETIME),
    "team": ("/today?day=2026-03-28", "Besök lördag 28 mars 2026", "Visits Saturday, 28 March 2026", "Obemannat"),
    "oncall": ("/alerts", "Jourlarm", "On-call alerts", SWEDISH_DATETIME),
    "ops": ("/figures?from=2026-02&to=2026-03", "Nyckeltal", "Follow-up figures", f"33{NBSP}% (1/3)"),
}


@pytest.mark.parametrize("role", sorted(ROLE_PAGES))
async def test_each_role_reads_swedish_and_english_once_chosen_sticks_for_that_user(
    browser: Browser, history: Running, role: str
) -> None:
    path, swedish, english, formatted = ROLE_PAGES[role]
    console = history.urls["console"]
    page = await signed_in(browser, history, role)  # the browser asks for en-GB: Swedish all the same
    await page.goto(f"{console}{path}")
    await expect(page.locator("html")).to_have_attribute("lang", "sv")
    await expect(page.get_by_role("heading", level=1)).to_have_text(swedish, timeout=BACKLOG_MS)
    await expect(page.locator("main")).to_contain_text(formatted, timeout=BACKLOG_MS)
    if role == "ops":
        await expect(page.locator("main")).to_contain_text("mars 2026")
        source = "Källa: Ärendetjänstens räkning enligt regionens överenskommelse"
        await expect(page.locator("dl.definitions")).to_contain_text(source)
    await shot(page, f"sv-{role}")

    await page.get_by_role("button", name="English").click()
    await expect(page).to_have_url(f"{console}{path}")  # back on the same page
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("heading", level=1)).to_have_text(english)
    if formatted is SWEDISH_DATETIME:
        await expect(page.locator("#live")).to_contain_text(ENGLISH_DATETIME)
        await expect(page.locator("#live")).not_to_contain_text(SWEDISH_DATETIME)
    else:
        await expect(page.locator("main")).not_to_contain_text(formatted)

    # It sticks: other pages, and signing out and in again, stay English for this user.
    await page.goto(f"{console}/")
    await expect(page.get_by_role("navigation", name="Pages")).to_be_visible()
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.get_by_label("Role token").fill(f"dev-{role}")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_text(f"Signed in as {role}:dev")).to_be_visible()
    await page.goto(f"{console}{path}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(english)

    # Another user (another browser) still gets Swedish; and this one can switch back.
    other = await signed_in(browser, history, role)
    await other.goto(f"{console}{path}")
    await expect(other.get_by_role("heading", level=1)).to_have_text(swedish)
    await page.get_by_role("button", name="Svenska").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(swedish)
    await expect(page.locator("html")).to_have_attribute("lang", "sv")
