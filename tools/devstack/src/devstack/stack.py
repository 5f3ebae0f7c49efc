"""The whole system on one machine: PostgreSQL, FerretDB, Kafka, Jaeger, Prometheus (`trygg run`)
and the services, each a child process. Add a service by adding one `ServiceSpec` to `SERVICES`."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from devstack.prometheus import PrometheusServer
from devstack.servers import (
    FerretDBServer,
    JaegerServer,
    KafkaServer,
    PostgresServer,
    ServerError,
    Store,
    _Process,
    _Supervised,
    await_ready,
    default_store,
    port_open,
    start_in_order,
    stop_in_order,
)
from devstack.supervisor import STATE_FILE, Child, Kind, RestartPolicy, Supervisor
from trygg_shared.contracts.topics import ALL_TOPICS
from trygg_shared.kafka import ensure_topics


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    env_prefix: str
    default_port: int


SERVICES = (
    ServiceSpec("referral", "REFERRAL_", 8001),
    ServiceSpec("scheduling", "SCHEDULING_", 8002),
    ServiceSpec("notification", "NOTIFICATION_", 8003),
    ServiceSpec("billing", "BILLING_", 8004),
    ServiceSpec("console", "CONSOLE_", 8005),
)


def service_env(
    spec: ServiceSpec,
    *,
    kafka: str,
    mongo_uri: str,
    port: int,
    database: str | None = None,
    postgres_url: str | None = None,
    otlp_endpoint: str | None = None,
    peers: dict[str, int] | None = None,
    jaeger_url: str | None = None,
    group_suffix: str = "",
) -> dict[str, str]:
    """A service's settings as environment variables (`postgres_url`: FerretDB's PostgreSQL, so the
    service creates the GIN indexes FerretDB uses; `otlp_endpoint`: where its spans go; `peers`:
    the other services' ports, for a service that calls another; `jaeger_url`: the trace UI the
    console links to; `group_suffix`: appended to the Kafka consumer groups, so that two sets of
    services on one Kafka (test fixtures) never share a group and split its partitions)."""
    p = spec.env_prefix
    env = {
        f"{p}KAFKA__BOOTSTRAP_SERVERS": kafka,
        f"{p}MONGO__URI": mongo_uri,
        f"{p}MONGO__DATABASE": database or spec.name,
        f"{p}HTTP__HOST": "127.0.0.1",
        f"{p}HTTP__PORT": str(port),
        f"{p}LOGGING__FORMAT": "json",
    }
    if postgres_url:
        env[f"{p}MONGO__POSTGRES_URL"] = postgres_url
    if otlp_endpoint:
        env[f"{p}TELEMETRY__OTLP_ENDPOINT"] = otlp_endpoint
    if group_suffix and spec.name != "referral":  # referral consumes nothing
        env[f"{p}CONSUMER_GROUP"] = f"{spec.name}{group_suffix}"
    if spec.name == "console":
        if peers and "notification" in peers:  # acknowledging an alert calls notification's API
            env[f"{p}NOTIFICATION__BASE_URL"] = f"http://127.0.0.1:{peers['notification']}"
        if peers and "billing" in peers:  # the officers' fees and invoices pages read billing's API
            env[f"{p}BILLING__BASE_URL"] = f"http://127.0.0.1:{peers['billing']}"
        if jaeger_url:
            env[f"{p}JAEGER_URL"] = jaeger_url
        if peers:  # the ops page reads each service's /readyz and /metrics
            env[f"{p}OPS__SERVICES"] = json.dumps({name: f"http://127.0.0.1:{port}" for name, port in peers.items()})
        if group_suffix:  # only this set's dead-letter topics, not those of others on the same Kafka
            env[f"{p}OPS__DEAD_LETTER_TOPICS"] = rf"^trygg\.dlq\.[a-z]+{re.escape(group_suffix)}\..+"
    return env


@dataclass
class ServiceProcess(_Supervised):
    """One service under uvicorn, supervised as the servers are (alive, return code, pid, log)."""

    spec: ServiceSpec
    port: int
    env: dict[str, str]
    workdir: Path
    _proc: _Process = field(init=False)

    def __post_init__(self) -> None:
        self._proc = _Process(self.spec.name, self.workdir)

    @property
    def proc(self) -> _Process:
        """The uvicorn process itself (its pid and log, for the CLI, tests and benchmarks)."""
        return self._proc

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # Something else answering on the port would pass for this service's readiness (another
        # service's /readyz), while this one fails to bind: say so before starting it.
        if port_open(self.port):
            raise ServerError(f"{self.spec.name}: port {self.port} on 127.0.0.1 is in use by another process")
        self.proc.spawn(
            [
                sys.executable,
                "-m",
                "uvicorn",
                f"{self.spec.name}.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-access-log",
                "--timeout-graceful-shutdown",
                "15",
            ],
            env=self.env,
        )

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as response:  # noqa: S310 - loopback
                return bool(response.status == 200)
        except OSError:
            return False

    def wait_ready(self, timeout: float = 60.0) -> None:
        await_ready(self.proc, self.spec.name, timeout, self.ready)

    def stop(self) -> None:
        self.proc.stop()

    def kill(self, signum: int = signal.SIGKILL) -> None:
        """Die at once, as a crashed process would (no graceful shutdown)."""
        super().kill(signum)
        self.proc.stop()


@dataclass
class Stack:
    """PostgreSQL, FerretDB, Kafka, Jaeger and the services, started in order and stopped in reverse.

    `store="sqlite"` runs FerretDB on SQLite files instead of PostgreSQL; `jaeger=False` runs
    without a trace UI (the services then export no spans); `prometheus=True` adds Prometheus,
    scraping every service and evaluating deploy/prometheus/rules.yml. Ports left at None are free ones.
    """

    workdir: Path
    kafka_port: int | None = None
    mongo_port: int | None = None
    service_ports: dict[str, int] = field(default_factory=dict)
    database_suffix: str = ""
    store: Store = field(default_factory=default_store)
    postgres_port: int | None = None
    durable: bool = True
    jaeger: bool = True
    jaeger_query_port: int | None = None
    otlp_http_port: int | None = None
    otlp_grpc_port: int | None = None
    prometheus: bool = False
    prometheus_port: int | None = None
    # Notification's fallback rota at first start (NOTIFICATION_DEV_FALLBACK_ROTA): `trygg run` sets
    # the local on-call numbers, so that a fresh system's first alerts reach someone.
    oncall_phones: tuple[str, ...] = ()
    kafka: KafkaServer = field(init=False)
    postgres: PostgresServer | None = field(init=False, default=None)
    ferretdb: FerretDBServer = field(init=False)
    tracing: JaegerServer | None = field(init=False, default=None)
    monitoring: PrometheusServer | None = field(init=False, default=None)
    services: dict[str, ServiceProcess] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.kafka = KafkaServer(self.workdir / "kafka", port=self.kafka_port, controller_port=None)
        if self.store == "postgresql":
            self.postgres = PostgresServer(self.workdir / "postgres", port=self.postgres_port, durable=self.durable)
        self.ferretdb = FerretDBServer(
            self.workdir / "ferretdb",
            port=self.mongo_port,
            postgres_url=self.postgres.url if self.postgres else None,
        )
        if self.jaeger:
            self.tracing = JaegerServer(
                self.workdir / "jaeger",
                query_port=self.jaeger_query_port,
                otlp_http_port=self.otlp_http_port,
                otlp_grpc_port=self.otlp_grpc_port,
            )

        if self.prometheus:
            ports = {s.name: self.service_ports.get(s.name, s.default_port) for s in SERVICES}
            self.monitoring = PrometheusServer(self.workdir / "prometheus", ports, port=self.prometheus_port)

    @property
    def postgres_url(self) -> str | None:
        return self.postgres.url if self.postgres else None

    def start_servers(self) -> None:
        ports = [(self.kafka.port, "Kafka"), (self.ferretdb.port, "FerretDB")]
        if self.postgres:
            ports.append((self.postgres.port, "PostgreSQL"))
        if self.tracing:
            ports += [(self.tracing.query_port, "Jaeger UI"), (self.tracing.otlp_http_port, "Jaeger OTLP/HTTP")]
            ports.append((self.tracing.otlp_grpc_port, "Jaeger OTLP/gRPC"))
        if self.monitoring:
            ports.append((self.monitoring.port, "Prometheus"))
        for port, what in ports:
            if port_open(port):
                raise ServerError(f"port {port} for {what} is already in use: is another `make run` running?")
        start_in_order(self.kafka, self.ferretdb, self.postgres, self._others())
        asyncio.run(ensure_topics(self.kafka.bootstrap_servers, ALL_TOPICS))

    def service(self, name: str) -> ServiceProcess:
        if name not in self.services:
            spec = next(s for s in SERVICES if s.name == name)
            port = self.service_ports.get(name, spec.default_port)
            env = service_env(
                spec,
                kafka=self.kafka.bootstrap_servers,
                mongo_uri=self.ferretdb.uri,
                port=port,
                database=spec.name + self.database_suffix,
                postgres_url=self.postgres_url,
                otlp_endpoint=self.tracing.otlp_endpoint if self.tracing else None,
                peers={s.name: self.service_ports.get(s.name, s.default_port) for s in SERVICES},
                jaeger_url=self.tracing.query_url if self.tracing else None,
            )
            if name == "notification" and self.oncall_phones:
                env["NOTIFICATION_DEV_FALLBACK_ROTA"] = json.dumps(list(self.oncall_phones))
            self.services[name] = ServiceProcess(spec, port, env, self.workdir / "logs")
        return self.services[name]

    def start_services(self, names: tuple[str, ...] | None = None) -> None:
        chosen = [s.name for s in SERVICES if names is None or s.name in names]
        for name in chosen:
            self.service(name).start()
        for name in chosen:
            self.service(name).wait_ready()

    def supervisor(
        self,
        *,
        policy: RestartPolicy | None = None,
        report: Callable[[str, str], None] | None = None,
        state_path: Path | None = None,
    ) -> Supervisor:
        """A supervisor of every server and started service (see `devstack.supervisor`); its
        state goes to `<workdir>/supervisor.json` unless `state_path` says otherwise."""
        children: dict[str, tuple[Kind, Child]] = {}
        if self.postgres:
            children["postgresql"] = ("server", self.postgres)
        children["ferretdb"] = ("server", self.ferretdb)
        children["kafka"] = ("server", self.kafka)
        if self.tracing:
            children["jaeger"] = ("server", self.tracing)
        if self.monitoring:
            children["prometheus"] = ("server", self.monitoring)
        for name, svc in self.services.items():
            children[name] = ("service", svc)
        return Supervisor(children, policy=policy, report=report, state_path=state_path or self.workdir / STATE_FILE)

    def stop(self) -> None:
        for svc in reversed(list(self.services.values())):
            svc.stop()
        stop_in_order(self.kafka, self.ferretdb, self.postgres, self._others())

    def _others(self) -> list[JaegerServer | PrometheusServer]:
        """The servers beside the databases and Kafka: tracing and monitoring, when on."""
        return [server for server in (self.tracing, self.monitoring) if server is not None]


@contextmanager
def running_stack(workdir: Path, **kwargs: object) -> Iterator[Stack]:
    stack = Stack(workdir, **kwargs)  # type: ignore[arg-type]
    try:
        stack.start_servers()
        stack.start_services()
        yield stack
    finally:
        stack.stop()


def repo_env_python() -> str:
    return os.environ.get("PYTHON", sys.executable)
