"""What the console's browser tests share: the events they put on the session's Kafka before they look at
the pages, and their screenshots."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from faststream.kafka import KafkaBroker
from playwright.async_api import Page

from trygg_shared.contracts.topics import ALL_TOPICS
from trygg_shared.envelope import KafkaRecord
from trygg_shared.kafka import ensure_topics
from trygg_shared.testing import publish_record

SCREENSHOTS = Path(__file__).resolve().parents[3] / ".local" / "screenshots"


async def publish_history(bootstrap: str, records: Iterable[tuple[str, KafkaRecord]]) -> None:
    """Records (topic, the encoded event) on the session's Kafka, in order, as the services published them."""
    await ensure_topics(bootstrap, ALL_TOPICS)
    broker = KafkaBroker(bootstrap)
    await broker.start()
    try:
        for topic, record in records:
            await publish_record(broker, topic, record)
    finally:
        await broker.stop()


async def shot(page: Page, name: str) -> None:
    """The whole page to `.local/screenshots/console-<name>.png` (git-ignored), and to
    `$TRYGG_SCREENSHOT_DIR/<name>.png` when that is set (screenshots for a closing note)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=True)
    extra = os.environ.get("TRYGG_SCREENSHOT_DIR")
    if extra:
        await page.screenshot(path=str(Path(extra) / f"{name}.png"), full_page=True)
