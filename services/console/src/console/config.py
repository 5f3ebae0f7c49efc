"""Typed settings of the console (environment prefix `CONSOLE_`, nested parts with `__`).

Example: `CONSOLE_SESSION__SECRET=...`, `CONSOLE_NOTIFICATION__BASE_URL=http://notification:8003`,
`CONSOLE_COSTS__TEAM_HOUR_SEK=532`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from console.domain.access import Role
from trygg_shared.settings import HttpSettings, MongoSettings, ServiceSettings
from trygg_shared.tokens import ApiToken, local_dev_tokens, uses_dev_tokens

# Local development only: `make run` uses them; production sets its own.
LOCAL_DEV_SESSION_SECRET = "local-dev-only-console-session-secret-change-me"  # noqa: S105
LOCAL_DEV_NOTIFICATION_TOKEN = "dev-oncall"  # noqa: S105
LOCAL_DEV_BILLING_TOKEN = "dev-officer"  # noqa: S105


class ConsoleMongo(MongoSettings):
    database: str = Field("console", description="The console's own database (its read model).")


class ConsoleHttp(HttpSettings):
    port: int = Field(8005, ge=1, le=65535, description="TCP port of the web UI.")


class SessionSettings(BaseModel):
    """The web UI's session cookie."""

    secret: SecretStr = Field(
        SecretStr(LOCAL_DEV_SESSION_SECRET),
        description="Key under which session cookies are stored (HMAC-SHA256 of the cookie keys the server-side "
        "session; at least 16 bytes). Changing it signs everyone out.",
    )
    max_age_minutes: int = Field(480, ge=5, le=24 * 60, description="How long a login lasts.")
    secure_cookie: bool = Field(
        True, description="Send the cookie only over HTTPS (browsers also accept it on http://localhost)."
    )
    cookie_name: str = Field("trygg_console", pattern=r"^[A-Za-z0-9_-]+$", description="Name of the cookie.")
    sweep_seconds: float = Field(
        600, gt=0, description="How often ended sessions are deleted from the `sessions` collection."
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Origins (`https://host[:port]`) a state-changing request (login, logout, acknowledge) may "
        "come from besides the console's own host (the request's Host header); any other Origin is refused (403).",
    )


class NotificationClientSettings(BaseModel):
    """How the console reaches the notification service to acknowledge alerts."""

    base_url: str = Field("http://127.0.0.1:8003", description="Base URL of the notification service.")
    token: SecretStr = Field(
        SecretStr(LOCAL_DEV_NOTIFICATION_TOKEN),
        description="Bearer token (role oncall) the console uses; the acknowledging person is named in the body.",
    )
    timeout_seconds: float = Field(5.0, gt=0, description="Timeout of one call.")


class BillingClientSettings(BaseModel):
    """How the console reaches the billing service (the officers' fees and invoices pages)."""

    base_url: str = Field("http://127.0.0.1:8004", description="Base URL of the billing service.")
    token: SecretStr = Field(
        SecretStr(LOCAL_DEV_BILLING_TOKEN),
        description="Bearer token (role officer) the console uses to read fees and invoices and to import an "
        "invoice; the console's own audit record names the person who asked.",
    )
    timeout_seconds: float = Field(10.0, gt=0, description="Timeout of one call (an invoice import checks every line).")


class CostSettings(BaseModel):
    """Unit costs for the cost comparison figures (unset: those figures show no value)."""

    team_hour_sek: int | None = Field(None, ge=0, description="Cost of one team hour in the home, kr.")
    short_term_stay_day_sek: int | None = Field(
        None, ge=0, description="Cost of one day of short-term stay (korttidsboende), kr."
    )


class LiveSettings(BaseModel):
    """The change feed behind the pages' live updates, shared by the replicas through the database."""

    poll_seconds: float = Field(
        0.25,
        gt=0,
        le=5,
        description="How often each replica looks for changes another replica made (one lookup by key "
        "when there are none) while a page waits for them; a page sees another replica's change within "
        "about this time.",
    )
    idle_poll_seconds: float = Field(
        5.0,
        gt=0,
        le=60,
        description="How often a replica no page is watching looks for changes (a page that starts "
        "watching wakes it at once).",
    )
    retention_seconds: float = Field(
        300, ge=60, description="How long a change position is kept in the `changes` collection before the sweep."
    )
    sweep_seconds: float = Field(60, gt=0, description="How often old change positions are deleted.")


LOCAL_SERVICES = {
    "referral": "http://127.0.0.1:8001",
    "scheduling": "http://127.0.0.1:8002",
    "notification": "http://127.0.0.1:8003",
    "billing": "http://127.0.0.1:8004",
    "console": "http://127.0.0.1:8005",
}


class OpsSettings(BaseModel):
    """Where the ops page reads each service's health, lag and outbox age, and its dead letters."""

    services: dict[str, str] = Field(
        default_factory=lambda: dict(LOCAL_SERVICES),
        description="Each service's base URL, as a JSON object {name: url}: the ops page reads `/readyz` of each "
        "(and `/metrics`, unless `PROMETHEUS_URL` is set). In Kubernetes the services' cluster names "
        '(`{"referral": "http://referral:8001", ...}`).',
    )
    prometheus_url: str | None = Field(
        None,
        description="Prometheus' base URL (e.g. http://prometheus:9090): consumer lag and outbox age are then read "
        "from its HTTP API, summed over every replica it scrapes. Unset: from each service's `/metrics` "
        "(one process per URL: right for `make run`, one replica's share behind a Kubernetes Service).",
    )
    timeout_seconds: float = Field(2.0, gt=0, le=30, description="Timeout of one health, metrics or Prometheus read.")
    dead_letter_topics: str = Field(
        r"^trygg\.dlq\..+",
        description="Regular expression of the dead-letter topics the console reads into its `dead_letters` "
        "collection (consumer group `<CONSUMER_GROUP>.dead-letters`), whichever service's group they belong to.",
    )
    topic_refresh_seconds: float = Field(
        10.0, gt=0, le=600, description="How often the console looks for new dead-letter topics (Kafka metadata)."
    )


class Settings(ServiceSettings):
    """Settings of the console; defaults run against `make run`'s local servers."""

    model_config = SettingsConfigDict(env_prefix="CONSOLE_")

    service_name: str = Field("console", description="Service name in logs and traces.")
    consumer_group: str = Field(
        "console", description="Prefix of the Kafka consumer groups, one per topic: `<prefix>.<stream>`."
    )
    mongo: ConsoleMongo = Field(default_factory=ConsoleMongo)  # type: ignore[arg-type]
    http: ConsoleHttp = Field(default_factory=ConsoleHttp)  # type: ignore[arg-type]
    api_tokens: list[ApiToken[Role]] = Field(
        default_factory=lambda: local_dev_tokens(Role),
        description="Who may log in, as a JSON list of {token_sha256, subject, roles, teams}; roles: officer, team, "
        "oncall, ops; `teams` scopes a team token's Today, Cases and Alerts pages to those teams. The default tokens "
        "dev-officer, dev-team, dev-oncall, dev-ops are for local use only.",
    )
    session: SessionSettings = Field(default_factory=SessionSettings, description="The session cookie.")  # type: ignore[arg-type]
    notification: NotificationClientSettings = Field(
        default_factory=NotificationClientSettings,  # type: ignore[arg-type]
        description="The notification service's API.",
    )
    billing: BillingClientSettings = Field(
        default_factory=BillingClientSettings,  # type: ignore[arg-type]
        description="The billing service's API.",
    )
    jaeger_url: str = Field(
        "http://127.0.0.1:16686", description="Base URL of the Jaeger UI that case pages link traces to."
    )
    costs: CostSettings = Field(default_factory=CostSettings, description="Unit costs.")  # type: ignore[arg-type]
    live: LiveSettings = Field(default_factory=LiveSettings, description="Live updates across replicas.")  # type: ignore[arg-type]
    ops: OpsSettings = Field(default_factory=OpsSettings, description="The ops page.")  # type: ignore[arg-type]


def local_defaults_in_use(settings: Settings) -> list[str]:
    """Settings still at their local-development values (which must never reach production)."""
    found = []
    if settings.session.secret.get_secret_value() == LOCAL_DEV_SESSION_SECRET:
        found.append("CONSOLE_SESSION__SECRET")
    if settings.notification.token.get_secret_value() == LOCAL_DEV_NOTIFICATION_TOKEN:
        found.append("CONSOLE_NOTIFICATION__TOKEN")
    if settings.billing.token.get_secret_value() == LOCAL_DEV_BILLING_TOKEN:
        found.append("CONSOLE_BILLING__TOKEN")
    if uses_dev_tokens(settings.api_tokens, local_dev_tokens(Role)):
        found.append("CONSOLE_API_TOKENS")
    return found
