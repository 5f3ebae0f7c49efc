"""Settings parts that every service composes into its own `Settings` class.

Each service sets its own environment prefix (e.g. `REFERRAL_`) and nested parts use `__`:
`REFERRAL_KAFKA__BOOTSTRAP_SERVERS`, `REFERRAL_MONGO__URI`, `REFERRAL_HTTP__PORT`.
Defaults run against the local servers that `make run` starts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from limits import RateLimitItem, parse_many
from pydantic import BaseModel, Field, create_model, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseModel):
    """How a service reaches Kafka."""

    bootstrap_servers: str = Field("127.0.0.1:9092", description="Comma-separated host:port list of Kafka brokers.")
    client_id: str | None = Field(None, description="Kafka client id; defaults to the service name.")
    max_delivery_attempts: int = Field(
        5,
        ge=1,
        description="Times a consumer retries a message whose handler fails before it is "
        "sent to the dead-letter topic with the reason.",
    )
    retry_backoff_seconds: float = Field(
        0.5, ge=0, description="Pause before a failed message is retried (doubles each time)."
    )
    create_topics: bool = Field(
        True,
        description="Create missing topics (and dead-letter topics) at start. Off in production, "
        "where the platform team creates the topics with their replication.",
    )
    topic_replication_factor: int = Field(
        1, ge=1, description="Replication factor of topics the service creates (1 for local runs and tests)."
    )


class MongoSettings(BaseModel):
    """How a service reaches its own MongoDB-wire database."""

    uri: str = Field("mongodb://127.0.0.1:27017/", description="MongoDB connection string.")
    database: str = Field(..., description="The service's own database name.")
    timeout_ms: int = Field(5000, ge=100, description="Server selection and socket timeout.")
    max_pool_size: int = Field(
        8,
        ge=1,
        le=100,
        description="Most connections (so commands in flight) this process opens to the database; more wait "
        "for one. FerretDB v1 on PostgreSQL runs an update with two of its own PostgreSQL connections (the "
        "query and the transaction), so when the services' commands in flight reach its pool (50) every "
        "command waits for ever: keep the sum over all processes well under it.",
    )
    postgres_url: str | None = Field(
        None,
        description="Only with FerretDB on PostgreSQL: the PostgreSQL URL behind it, so that the service "
        "can add the GIN indexes FerretDB 1.24 uses (upstream FerretDB#4646). Unset for MongoDB.",
    )


class TelemetrySettings(BaseModel):
    """OpenTelemetry: traces are exported over OTLP/HTTP only when an endpoint is set."""

    otlp_endpoint: str | None = Field(
        None, description="OTLP/HTTP traces endpoint, e.g. http://otel-collector:4318/v1/traces."
    )
    environment: str = Field("local", description="deployment.environment resource attribute.")


class LoggingSettings(BaseModel):
    """structlog output: console on a TTY, JSON otherwise, unless forced."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")
    format: Literal["auto", "json", "console"] = Field("auto", description="Output format.")


class HttpSettings(BaseModel):
    """Where the service's HTTP API listens."""

    host: str = Field("127.0.0.1", description="Bind address (0.0.0.0 inside a container).")
    port: int = Field(..., ge=1, le=65535, description="TCP port.")


class OutboxSettings(BaseModel):
    """The relay that publishes events stored in aggregate documents."""

    poll_interval_seconds: float = Field(
        0.5, gt=0, description="How often the relay looks for unpublished events when idle."
    )
    batch_size: int = Field(
        100, ge=1, description="Documents fetched per database round trip by the relay's full scan."
    )
    full_scan_seconds: float = Field(
        30.0,
        gt=0,
        description="How often the lease holder scans every document for unpublished events (the "
        "safety net for a process that stopped between saving and publishing). Saves publish their "
        "own events at once by document id.",
    )
    lease_seconds: float = Field(
        15.0,
        gt=0,
        description="With several replicas one relay publishes, renewing its lease every third of this time; "
        "another takes over within this time and a third after it stops.",
    )


def parse_rate(text: str) -> list[RateLimitItem]:
    """`"50/second;1000/minute"` as `limits` items; ValueError when it is not that notation."""
    items = parse_many(text)
    if not items:
        raise ValueError(f"not a rate limit: {text!r}")
    return list(items)


def _valid_rate(text: str) -> str:
    parse_rate(text)
    return text


class LimitSettings(BaseModel):
    """Request limits every service applies in its HTTP chassis (`trygg_shared.guard`)."""

    storage_uri: str = Field(
        "memory://",
        description="Where the rate-limit counters live (a `limits` storage URI): `memory://` counts per "
        "process, so each replica allows the full rate; a shared storage (e.g. `redis://host:6379`, with its "
        "client library installed) makes the limits hold across replicas.",
    )
    per_token: str = Field(
        "1000/second",
        description="Requests per API token (`limits` notation, e.g. `300/second;10000/hour`); more are "
        "answered 429 with Retry-After.",
    )
    per_client_failures: str = Field(
        "10/minute;100/hour",
        description="Failed attempts (401, 404) per client address on routes that can be guessed at "
        "(console login, acknowledgement codes); further attempts there are answered 429 until the window "
        "has passed.",
    )
    max_body_bytes: int = Field(
        1_048_576,
        ge=0,
        description="Largest request body a route accepts unless it declares its own limit; larger "
        "bodies are refused 413 before they are read.",
    )

    _check_rates = field_validator("per_token", "per_client_failures")(_valid_rate)


class ServiceSettings(BaseSettings):
    """Base for each service's settings; subclasses set their environment prefix and defaults.

    A service names itself and its HTTP port in its class statement, `class Settings(ServiceSettings,
    service="billing", port=8004)`, and gets what every service declares alike: the environment prefix
    (`BILLING_`), its service name, its own database (`database` = the service name) and port as the
    defaults of its `mongo` and `http` parts (each a subclass, so that a part set from the environment,
    e.g. `BILLING_MONGO__URI`, keeps the other defaults). Anything the class body declares itself is kept.
    """

    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="ignore")

    def __init_subclass__(cls, *, service: str | None = None, port: int | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if service is None or port is None:
            return
        name, module = service.capitalize(), cls.__module__
        mongo = create_model(
            f"{name}Mongo",
            __base__=MongoSettings,
            __module__=module,
            database=(str, Field(service, description="The service's own database.")),
        )
        http = create_model(
            f"{name}Http",
            __base__=HttpSettings,
            __module__=module,
            port=(int, Field(port, ge=1, le=65535, description="TCP port of the HTTP API.")),
        )
        own: dict[str, tuple[Any, Any]] = {
            "service_name": (str, Field(service, description="Service name in logs, traces and CloudEvents.")),
            "mongo": (mongo, Field(default_factory=mongo)),  # type: ignore[arg-type]
            "http": (http, Field(default_factory=http)),  # type: ignore[arg-type]
        }
        cls.model_config = SettingsConfigDict(**{**cls.model_config, "env_prefix": f"{service.upper()}_"})
        for field, (annotation, default) in own.items():
            if field not in cls.__dict__:  # declared by the service itself
                cls.__annotations__[field] = annotation
                setattr(cls, field, default)

    service_name: str = Field(..., description="Service name, used in logs, traces and CloudEvents.")
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)  # type: ignore[arg-type]
    mongo: MongoSettings
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)  # type: ignore[arg-type]
    logging: LoggingSettings = Field(default_factory=LoggingSettings)  # type: ignore[arg-type]
    http: HttpSettings
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)  # type: ignore[arg-type]
    limits: LimitSettings = Field(default_factory=LimitSettings)  # type: ignore[arg-type]


# Environments where local development values (tokens, secrets, keys, providers) may be used.
LOCAL_ENVIRONMENTS = frozenset({"local", "dev", "test"})


def refuse_local_values(settings: ServiceSettings, unsafe: Iterable[str]) -> None:
    """Refuse to start outside a local environment (`TELEMETRY__ENVIRONMENT`) with local
    development values; `unsafe` names the settings of this service that hold one (each service
    says which, e.g. its `local_defaults_in_use`)."""
    found = list(unsafe)
    if found and settings.telemetry.environment not in LOCAL_ENVIRONMENTS:
        raise RuntimeError(
            f"refusing to start in {settings.telemetry.environment!r} with local development values for: "
            + ", ".join(found)
        )
