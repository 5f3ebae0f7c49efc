"""Real Kafka, MongoDB-wire and Jaeger servers for integration and end-to-end tests.

Chosen in this order:
1. `KAFKA_BOOTSTRAP_SERVERS` and `MONGODB_URI` from the environment (servers someone runs;
   optionally `POSTGRES_URL` behind a FerretDB, and `JAEGER_QUERY_URL` with
   `OTLP_TRACES_ENDPOINT` for a Jaeger);
2. testcontainers (`apache/kafka`, `mongo` and `jaegertracing/jaeger` images) when a Docker
   engine answers a ping (an installed `docker` command alone does not count);
3. otherwise throwaway local servers: PostgreSQL, FerretDB on it (or on SQLite with
   `TRYGG_STORE=sqlite`), the Kafka broker and Jaeger that `deploy/local/install.sh`
   installed, on free loopback ports, in a temporary folder.
Never a mock: these tests exist to meet the real wire protocols.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack import paths
from devstack.servers import (
    LOOPBACK,
    FerretDBServer,
    JaegerServer,
    KafkaServer,
    PostgresServer,
    default_store,
    free_port,
    start_in_order,
    stop_in_order,
)
from devstack.stack import SERVICES, ServiceProcess, service_env

JAEGER_IMAGE = "jaegertracing/jaeger:2.12.0"  # the same source as `.local/bin/jaeger` (module v1.75.0)


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap: str
    mongo_uri: str
    origin: str  # "environment", "testcontainers" or "local"
    # The PostgreSQL behind FerretDB (for `<PREFIX>MONGO__POSTGRES_URL` and `explain` checks);
    # None for MongoDB, FerretDB on SQLite, or servers from the environment without it.
    postgres_url: str | None = None
    # Jaeger's query API and UI (`/api/traces?service=...`) and its OTLP/HTTP traces endpoint
    # for `<PREFIX>TELEMETRY__OTLP_ENDPOINT`; None when no Jaeger runs.
    jaeger_query_url: str | None = None
    otlp_endpoint: str | None = None


def docker_engine_answers() -> bool:
    """True only when a Docker engine responds (not merely when the CLI is installed)."""
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - no engine, no socket, no permission: all mean "no"
        return False


@contextmanager
def _from_testcontainers() -> Iterator[Endpoints]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs
    from testcontainers.mongodb import MongoDbContainer

    port = free_port()
    kafka = (
        DockerContainer("apache/kafka:4.1.0")
        .with_bind_ports(9092, port)
        .with_env("KAFKA_NODE_ID", "1")
        .with_env("KAFKA_PROCESS_ROLES", "broker,controller")
        .with_env("KAFKA_LISTENERS", "PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093")
        .with_env("KAFKA_ADVERTISED_LISTENERS", f"PLAINTEXT://{LOOPBACK}:{port}")
        .with_env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
        .with_env("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT")
        .with_env("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
        .with_env("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
        .with_env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
        .with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
    )
    query_port, otlp_port = free_port(), free_port()
    jaeger = DockerContainer(JAEGER_IMAGE).with_bind_ports(16686, query_port).with_bind_ports(4318, otlp_port)
    with kafka, MongoDbContainer("mongo:7") as mongo, jaeger:
        wait_for_logs(kafka, "Kafka Server started", timeout=90)
        yield Endpoints(
            f"{LOOPBACK}:{port}",
            mongo.get_connection_url(),
            "testcontainers",
            jaeger_query_url=f"http://{LOOPBACK}:{query_port}",
            otlp_endpoint=f"http://{LOOPBACK}:{otlp_port}/v1/traces",
        )


@contextmanager
def _local(workdir: Path) -> Iterator[Endpoints]:
    store = default_store()
    kafka = KafkaServer(workdir / "kafka")
    postgres = PostgresServer(workdir / "postgres", durable=False) if store == "postgresql" else None
    ferret = FerretDBServer(workdir / "ferretdb", postgres_url=postgres.url if postgres else None)
    jaeger = JaegerServer(workdir / "jaeger", max_traces=5_000) if paths.jaeger_binary().is_file() else None
    others = [jaeger] if jaeger is not None else []
    try:
        start_in_order(kafka, ferret, postgres, others)
        yield Endpoints(
            kafka.bootstrap_servers,
            ferret.uri,
            "local",
            postgres_url=postgres.url if postgres else None,
            jaeger_query_url=jaeger.query_url if jaeger else None,
            otlp_endpoint=jaeger.otlp_endpoint if jaeger else None,
        )
    finally:
        stop_in_order(kafka, ferret, postgres, others)


@contextmanager
def real_servers(workdir: Path) -> Iterator[Endpoints]:
    """Kafka, a MongoDB-wire server and Jaeger for one test session, stopped afterwards even on failure."""
    kafka_env, mongo_env = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("MONGODB_URI")
    if kafka_env and mongo_env:
        yield Endpoints(
            kafka_env,
            mongo_env,
            "environment",
            postgres_url=os.environ.get("POSTGRES_URL") or None,
            jaeger_query_url=os.environ.get("JAEGER_QUERY_URL") or None,
            otlp_endpoint=os.environ.get("OTLP_TRACES_ENDPOINT") or None,
        )
    elif docker_engine_answers():
        with _from_testcontainers() as endpoints:
            yield endpoints
    else:
        with _local(workdir) as endpoints:
            yield endpoints


def service_processes(
    endpoints: Endpoints, names: Iterable[str], suffix: str, logs: Path, *, extra_env: Mapping[str, str] | None = None
) -> dict[str, ServiceProcess]:
    """Some of the services as processes (not started) on the test session's servers: their own
    databases and consumer groups (`suffix`), each other's URLs (the console's ops page, its
    acknowledgements), a fast outbox, and `extra_env` (variables under any service's prefix)."""
    chosen = [spec for spec in SERVICES if spec.name in set(names)]
    ports = {spec.name: free_port() for spec in chosen}
    processes: dict[str, ServiceProcess] = {}
    for spec in chosen:
        env = service_env(
            spec,
            kafka=endpoints.kafka_bootstrap,
            mongo_uri=endpoints.mongo_uri,
            port=ports[spec.name],
            database=f"{spec.name}{suffix}",
            postgres_url=endpoints.postgres_url,
            peers=ports,
            group_suffix=suffix,
        )
        env[f"{spec.env_prefix}OUTBOX__POLL_INTERVAL_SECONDS"] = "0.2"
        env.update(extra_env or {})
        processes[spec.name] = ServiceProcess(spec, ports[spec.name], env, logs)
    return processes
