"""Fixtures for adapters against the real servers: a fresh database per test, topic helpers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from devstack.testing import Endpoints
from trygg_shared.contracts.topics import ALL_TOPICS
from trygg_shared.kafka import ensure_topics


@pytest.fixture
async def db(servers: Endpoints) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_uri, tz_aware=True)
    name = f"it_{uuid.uuid4().hex[:12]}"
    try:
        yield client[name]
        await client.drop_database(name)
    finally:
        await client.close()


@pytest.fixture
async def topics(servers: Endpoints) -> Endpoints:
    await ensure_topics(servers.kafka_bootstrap, ALL_TOPICS)
    return servers


@pytest.fixture
async def producer(topics: Endpoints) -> AsyncIterator[KafkaBroker]:
    """A started Kafka broker client to publish with, stopped afterwards."""
    broker = KafkaBroker(topics.kafka_bootstrap)
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()
