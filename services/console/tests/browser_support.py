"""What a console browser test puts on the session's Kafka before it looks at the pages."""

from __future__ import annotations

from collections.abc import Iterable

from faststream.kafka import KafkaBroker

from trygg_shared.contracts.topics import ALL_TOPICS
from trygg_shared.envelope import KafkaRecord
from trygg_shared.kafka import ensure_topics
from trygg_shared.testing import publish_record


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
