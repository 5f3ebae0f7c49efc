"""Real Kafka and MongoDB-wire servers for integration and end-to-end tests.

Chosen in this order:
1. `KAFKA_BOOTSTRAP_SERVERS` and `MONGODB_URI` from the environment (servers someone runs);
2. testcontainers (`apache/kafka` and `mongo` images) when a Docker engine answers a ping
   (an installed `docker` command alone does not count);
3. otherwise throwaway local servers: the Kafka broker and FerretDB that
   `deploy/local/install.sh` installed, on free loopback ports, in a temporary folder.
Never a mock: these tests exist to meet the real wire protocols.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack.servers import LOOPBACK, FerretDBServer, KafkaServer, free_port


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap: str
    mongo_uri: str
    origin: str  # "environment", "testcontainers" or "local"


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
    with kafka, MongoDbContainer("mongo:7") as mongo:
        wait_for_logs(kafka, "Kafka Server started", timeout=90)
        yield Endpoints(f"{LOOPBACK}:{port}", mongo.get_connection_url(), "testcontainers")


@contextmanager
def _local(workdir: Path) -> Iterator[Endpoints]:
    kafka = KafkaServer(workdir / "kafka")
    ferret = FerretDBServer(workdir / "ferretdb")
    try:
        kafka.start()
        ferret.start()
        ferret.wait_ready()
        kafka.wait_ready()
        yield Endpoints(kafka.bootstrap_servers, ferret.uri, "local")
    finally:
        ferret.stop()
        kafka.stop()


@contextmanager
def real_servers(workdir: Path) -> Iterator[Endpoints]:
    """Kafka and a MongoDB-wire server for one test session, stopped afterwards even on failure."""
    kafka_env, mongo_env = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("MONGODB_URI")
    if kafka_env and mongo_env:
        yield Endpoints(kafka_env, mongo_env, "environment")
    elif docker_engine_answers():
        with _from_testcontainers() as endpoints:
            yield endpoints
    else:
        with _local(workdir) as endpoints:
            yield endpoints
