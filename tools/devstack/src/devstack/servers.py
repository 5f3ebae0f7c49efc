"""Run the real Kafka broker (KRaft, single node) and FerretDB (SQLite backend) on loopback.

Both are started as child processes from what `deploy/local/install.sh` installed into
`.local/`. Each instance gets its own data folder and ports, so tests can start throwaway
servers beside a `make run` without touching its data.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from devstack import paths

LOOPBACK = "127.0.0.1"

_LOG4J2 = """\
Configuration:
  status: warn
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.server.KafkaRaftServer
        level: INFO
      - name: kafka.server.BrokerServer
        level: INFO
"""


class ServerError(RuntimeError):
    """A local server could not be installed, started or reached."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = LOOPBACK) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when its parent dies, so a killed test run leaks no servers."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@dataclass
class _Process:
    name: str
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def spawn(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - argv is built here, not from input
            argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
            env={**os.environ, **(env or {})},
            start_new_session=True,  # Ctrl-C in the terminal reaches us, and we stop it in order
            # PR_SET_PDEATHSIG fires when the forking *thread* exits, so only from the main thread.
            preexec_fn=_die_with_parent if threading.current_thread() is threading.main_thread() else None,  # noqa: PLW1509
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 20.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None


class KafkaServer:
    """Apache Kafka broker+controller in one JVM (KRaft), listening on loopback only."""

    def __init__(self, workdir: Path, port: int | None = None, controller_port: int | None = None):
        self.workdir = workdir
        self.port = port or free_port()
        self.controller_port = controller_port or free_port()
        self._proc = _Process("kafka", workdir)

    @property
    def bootstrap_servers(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self._proc.log_path

    def _properties(self) -> str:
        data = self.workdir / "data"
        return "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.voters=1@{LOOPBACK}:{self.controller_port}",
                f"listeners=PLAINTEXT://{LOOPBACK}:{self.port},CONTROLLER://{LOOPBACK}:{self.controller_port}",
                f"advertised.listeners=PLAINTEXT://{LOOPBACK}:{self.port}",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                f"log.dirs={data}",
                # One node: internal topics with one replica and one partition, no rebalance wait.
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "num.partitions=3",
                "default.replication.factor=1",
                "auto.create.topics.enable=false",
                "log.retention.hours=168",
                "",
            ]
        )

    def start(self) -> None:
        libs = paths.kafka_libs()
        if not (libs / f"kafka_2.13-{paths.KAFKA_VERSION}.jar").is_file():
            raise ServerError("Kafka is not installed: run `make install` (deploy/local/install.sh)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        props = self.workdir / "server.properties"
        props.write_text(self._properties())
        log4j = self.workdir / "log4j2.yaml"
        log4j.write_text(_LOG4J2)
        java = [
            "java",
            "-Xms256m",
            "-Xmx768m",
            "-XX:+UseG1GC",
            "-XX:TieredStopAtLevel=1",  # faster start-up, ample for a single local node
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={log4j}",
            "-cp",
            f"{libs}/*",
        ]
        if not (self.workdir / "data" / "meta.properties").is_file():
            cluster_id = _kafka_cluster_id()
            fmt = subprocess.run(  # noqa: S603
                [*java, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props)],
                capture_output=True,
                text=True,
                check=False,
            )
            if fmt.returncode != 0:
                raise ServerError(f"kafka storage format failed: {fmt.stdout}{fmt.stderr}")
        self._proc.spawn([*java, "kafka.Kafka", str(props)])

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._proc.alive():
                raise ServerError(f"Kafka exited during start-up:\n{self._proc.tail()}")
            if port_open(self.port) and _kafka_answers(self.bootstrap_servers):
                return
            time.sleep(0.25)
        raise ServerError(f"Kafka not ready after {timeout:.0f}s:\n{self._proc.tail()}")

    def stop(self) -> None:
        self._proc.stop()


def _kafka_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding."""
    import base64

    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def _kafka_answers(bootstrap: str) -> bool:
    """True when the broker answers a metadata request and has a controller."""
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient

    async def probe() -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
        try:
            await admin.start()
            cluster = await admin.describe_cluster()
            return bool(cluster.get("controller_id", -1) >= 0)
        except Exception:  # noqa: BLE001 - any failure means "not ready yet"
            return False
        finally:
            with contextlib.suppress(Exception):
                await admin.close()

    return asyncio.run(probe())


class FerretDBServer:
    """FerretDB v1 with the SQLite backend: the MongoDB wire protocol on loopback."""

    def __init__(self, workdir: Path, port: int | None = None):
        self.workdir = workdir
        self.port = port or free_port()
        self._proc = _Process("ferretdb", workdir)

    @property
    def uri(self) -> str:
        return f"mongodb://{LOOPBACK}:{self.port}/"

    @property
    def log_path(self) -> Path:
        return self._proc.log_path

    def start(self) -> None:
        binary = paths.ferretdb_binary()
        if not binary.is_file():
            raise ServerError("FerretDB is not installed: run `make install` (deploy/local/install.sh)")
        data = self.workdir / "data"
        state = self.workdir / "state"
        data.mkdir(parents=True, exist_ok=True)
        state.mkdir(parents=True, exist_ok=True)
        self._proc.spawn(
            [
                str(binary),
                "--handler=sqlite",
                f"--sqlite-url=file:{data}/",
                f"--listen-addr={LOOPBACK}:{self.port}",
                f"--debug-addr={LOOPBACK}:{free_port()}",  # each instance its own debug port
                f"--state-dir={state}",
                "--telemetry=disable",
                "--log-level=warn",
            ]
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        from pymongo import MongoClient

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._proc.alive():
                raise ServerError(f"FerretDB exited during start-up:\n{self._proc.tail()}")
            if port_open(self.port):
                client: MongoClient[dict[str, object]] = MongoClient(self.uri, serverSelectionTimeoutMS=1000)
                try:
                    client.admin.command("ping")
                    return
                except Exception:  # noqa: BLE001,S110 - not ready yet
                    pass
                finally:
                    client.close()
            time.sleep(0.2)
        raise ServerError(f"FerretDB not ready after {timeout:.0f}s:\n{self._proc.tail()}")

    def stop(self) -> None:
        self._proc.stop()
