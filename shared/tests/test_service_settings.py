"""What every service's settings get from `ServiceSettings(service=..., port=...)`, and the consumer-group table."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import Field

from trygg_shared.memory import MemoryHandledEvents
from trygg_shared.service import consumer_groups, swept
from trygg_shared.settings import KafkaSettings, MongoSettings, ServiceSettings

pytestmark = pytest.mark.unit


class Shop(ServiceSettings, service="shop", port=8123):
    consumer_group: str = Field("shop", description="The group.")


class Named(ServiceSettings, service="named", port=8124):
    service_name: str = Field("other name", description="Declared by the service itself.")


def test_a_service_gets_its_prefix_name_database_and_port() -> None:
    settings = Shop()
    assert Shop.model_config["env_prefix"] == "SHOP_"
    assert (settings.service_name, settings.mongo.database, settings.http.port) == ("shop", "shop", 8123)
    assert list(Shop.model_fields)[:3] == ["service_name", "kafka", "mongo"]  # the chassis' order, as before


def test_a_part_set_from_the_environment_keeps_the_services_other_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_MONGO__URI", "mongodb://db.example:27017/")
    monkeypatch.setenv("SHOP_HTTP__HOST", "0.0.0.0")
    settings = Shop()
    assert (settings.mongo.uri, settings.mongo.database) == ("mongodb://db.example:27017/", "shop")
    assert (settings.http.host, settings.http.port) == ("0.0.0.0", 8123)


def test_the_parts_are_the_services_own_and_what_it_declares_is_kept() -> None:
    assert Shop.model_fields["mongo"].annotation is not Named.model_fields["mongo"].annotation
    assert isinstance(Shop().mongo, MongoSettings)
    assert Named().service_name == "other name"
    assert Named().mongo.database == "named"


class _Consumer:
    def __init__(self, broker: Any, deps: Any, guard: Any, kafka: KafkaSettings, group: str) -> None:
        self.deps, self.guard, self.kafka, self.group = deps, guard, kafka, group


def test_consumer_groups_make_one_consumer_and_guard_per_group() -> None:
    kafka = KafkaSettings()
    infra: Any = SimpleNamespace(broker=object(), db=None, settings=SimpleNamespace(kafka=kafka))
    made: list[str] = []

    def guard(group: str) -> MemoryHandledEvents:
        made.append(group)
        return MemoryHandledEvents()

    table = [("", _Consumer), ("-b", _Consumer)]
    consumers, guards = consumer_groups(infra, "deps", "g", table, guard)  # type: ignore[arg-type]
    assert made == ["g", "g-b"]
    assert [(c.group, c.guard, c.deps, c.kafka) for c in consumers] == [  # type: ignore[attr-defined]
        ("g", guards[0], "deps", kafka),
        ("g-b", guards[1], "deps", kafka),
    ]
    assert swept(guards) == []  # nothing kept in a database to sweep
