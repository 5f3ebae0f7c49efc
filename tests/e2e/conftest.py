"""The services as real processes (uvicorn) against the session's Kafka and MongoDB wire; their
spans go to the session's Jaeger when one runs (`servers.otlp_endpoint`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.cli import sample_message, sign
from devstack.servers import free_port
from devstack.stack import SERVICES, ServiceProcess, service_env
from devstack.testing import Endpoints
from referral.config import LOCAL_DEV_SENDER_SECRET


@dataclass
class System:
    endpoints: Endpoints
    processes: dict[str, ServiceProcess]
    suffix: str

    def url(self, service: str) -> str:
        return self.processes[service].url

    def database(self, service: str) -> str:
        return f"{service}{self.suffix}"

    def send(
        self,
        message_type: str = "utskrivningsklar",
        *,
        episode_id: str | None = None,
        webhook_id: str | None = None,
        secret: str = LOCAL_DEV_SENDER_SECRET,
        body: dict[str, Any] | None = None,
    ) -> httpx.Response:
        payload = json.dumps(body or sample_message(message_type, episode_id or f"E2E-{uuid.uuid4().hex[:10]}"))
        headers = sign(secret, webhook_id or f"msg_{uuid.uuid4().hex}", payload.encode())
        return httpx.post(f"{self.url('referral')}/webhooks/lus", content=payload, headers=headers, timeout=15)


@pytest.fixture(scope="session")
def system(servers: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    suffix = f"_e2e_{uuid.uuid4().hex[:8]}"
    logs: Path = tmp_path_factory.mktemp("service-logs")
    processes: dict[str, ServiceProcess] = {}
    ports = {spec.name: free_port() for spec in SERVICES}
    for spec in SERVICES:
        port = ports[spec.name]
        env = service_env(
            spec,
            kafka=servers.kafka_bootstrap,
            mongo_uri=servers.mongo_uri,
            port=port,
            database=f"{spec.name}{suffix}",
            postgres_url=servers.postgres_url,
            otlp_endpoint=servers.otlp_endpoint,
            peers=ports,
            jaeger_url=servers.jaeger_query_url,
            group_suffix=suffix,  # other fixtures on this Kafka run the same services in their own groups
        )
        env[f"{spec.env_prefix}OUTBOX__POLL_INTERVAL_SECONDS"] = "0.2"
        env["OTEL_BSP_SCHEDULE_DELAY"] = "200"  # export spans within 0.2 s (default 5 s)
        processes[spec.name] = ServiceProcess(spec, port, env, logs)
    try:
        for process in processes.values():
            process.start()
        for process in processes.values():
            process.wait_ready(90)
        yield System(servers, processes, suffix)
    finally:
        for process in processes.values():
            process.stop()


# Modules that start services in consumer groups of their own run first: a new group reads every
# event already on the session's shared Kafka before the module's own, so they go while it is short.
_OWN_GROUPS_FIRST = ("test_console_browser.py", "test_scheduling_e2e.py", "test_notification_sms.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    positions = [i for i, item in enumerate(items) if "e2e" in Path(str(item.fspath)).parts]

    def rank(item: pytest.Item) -> int:
        name = Path(str(item.fspath)).name
        return _OWN_GROUPS_FIRST.index(name) if name in _OWN_GROUPS_FIRST else len(_OWN_GROUPS_FIRST)

    ordered = sorted((items[i] for i in positions), key=rank)  # stable: each module keeps its order
    for i, item in zip(positions, ordered, strict=True):
        items[i] = item
