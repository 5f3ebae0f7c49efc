"""ServiceRuntime creates topics only when its settings allow it, with their replication."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from trygg_shared import service
from trygg_shared.service import ServiceRuntime
from trygg_shared.settings import HttpSettings, KafkaSettings, MongoSettings, ServiceSettings


class FakeBroker:
    async def start(self) -> None:
        pass


def runtime(kafka: KafkaSettings) -> ServiceRuntime:
    settings = ServiceSettings(
        service_name="svc", kafka=kafka, mongo=MongoSettings(database="svc"), http=HttpSettings(port=8000)
    )
    infra: Any = SimpleNamespace(settings=settings, broker=FakeBroker(), db=None)
    return ServiceRuntime(infra=infra)


@pytest.fixture
def created(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    async def fake_ensure_topics(bootstrap: str, topics: Any, **kwargs: Any) -> None:
        calls.append({"bootstrap": bootstrap, "topics": list(topics), **kwargs})

    async def no_indexes(*_args: Any) -> None:
        pass

    monkeypatch.setattr(service, "ensure_topics", fake_ensure_topics)
    monkeypatch.setattr(service, "ensure_indexes", no_indexes)
    return calls


async def test_topics_are_created_with_the_configured_replication(created: list[dict[str, Any]]) -> None:
    await runtime(KafkaSettings(topic_replication_factor=3)).start()
    assert len(created) == 1
    assert created[0]["replication_factor"] == 3
    assert created[0]["topics"]


async def test_no_topics_are_created_when_the_platform_creates_them(created: list[dict[str, Any]]) -> None:
    await runtime(KafkaSettings(create_topics=False)).start()
    assert created == []


def test_topic_settings_default_to_local_runs() -> None:
    settings = KafkaSettings()
    assert settings.create_topics is True
    assert settings.topic_replication_factor == 1
