"""Helpers shared by the integration and end-to-end tests: reading topics, waiting for effects."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from devstack.stack import ServiceProcess


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 30.0) -> Any:
    """Poll until `check` returns something truthy; fail with the last value after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    value = None
    while loop.time() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.25)
    raise AssertionError(f"not reached within {within}s (last value: {value!r})")


def decision_request(
    team: str,
    consenting: str,
    refusing: str | None = None,
    *,
    language: str | None = None,
    start: date | None = None,
    days: int = 10,
) -> dict[str, Any]:
    """The body of an officer's Trygg hemgång decision (referral's `POST /cases/{case_id}/decisions`):
    `days` from `start` (tomorrow unless given) for `team`, a relative Karin who consents to SMS at
    `consenting` (in `language` when given), and Olle who does not at `refusing` when given."""
    karin: dict[str, Any] = {"name": "Karin", "phone": consenting, "consent": True}
    if language is not None:
        karin["language"] = language
    relatives = [karin] if refusing is None else [karin, {"name": "Olle", "phone": refusing, "consent": False}]
    return {
        "decision_type": "trygg_hemgang",
        "start_date": (start or date.today() + timedelta(days=1)).isoformat(),
        "length_days": days,
        "team": team,
        "relatives": relatives,
    }


async def committed_offset(bootstrap: str, group: str, record: Any) -> int | None:
    """The offset a consumer group has committed on the partition of `record`."""
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await probe.start()
    try:
        offset: int | None = await probe.committed(TopicPartition(record.topic, record.partition))
        return offset
    finally:
        await probe.stop()


async def read_topic(bootstrap: str, topic: str, *, key: bytes | None = None, within: float = 5.0) -> list[Any]:
    """Every record of a topic from the beginning (optionally only one key), waiting up to `within` seconds."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        records: list[Any] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(r for r in recs if key is None or r.key == key)
            if all([await consumer.position(tp) >= end[tp] for tp in partitions]):
                break
        return records
    finally:
        await consumer.stop()


@contextmanager
def started(processes: dict[str, ServiceProcess]) -> Iterator[dict[str, ServiceProcess]]:
    """The service processes started and ready, by name, while the block runs; stopped after it (even on
    failure). Build them with `devstack.testing.service_processes` (or by hand, for settings it has no say in)."""
    try:
        for process in processes.values():
            process.start()
        for process in processes.values():
            process.wait_ready(90)
        yield processes
    finally:
        for process in processes.values():
            process.stop()
