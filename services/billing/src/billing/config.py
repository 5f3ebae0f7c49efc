"""Typed settings of the billing service (environment prefix `BILLING_`, nested parts with `__`).

Example: `BILLING_KAFKA__BOOTSTRAP_SERVERS=kafka:9092`, `BILLING_MONGO__URI=mongodb://mongo:27017/`,
`BILLING_MUNICIPALITY_CODE=2104`.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from billing.service_layer.ports import Role
from trygg_shared.settings import HttpSettings, MongoSettings, ServiceSettings
from trygg_shared.tokens import ApiToken, local_dev_tokens


class BillingMongo(MongoSettings):
    database: str = Field("billing", description="The service's own database.")


class BillingHttp(HttpSettings):
    port: int = Field(8004, ge=1, le=65535, description="TCP port of the HTTP API.")


class Settings(ServiceSettings):
    """Settings of the billing service; defaults run against `make run`'s local servers."""

    model_config = SettingsConfigDict(env_prefix="BILLING_", env_nested_delimiter="__", extra="ignore")

    service_name: str = Field("billing", description="Service name in logs, traces and CloudEvents.")
    mongo: BillingMongo = Field(default_factory=BillingMongo)  # type: ignore[arg-type]
    http: BillingHttp = Field(default_factory=BillingHttp)  # type: ignore[arg-type]
    consumer_group: str = Field(
        "billing",
        description="Kafka consumer group of the referral case-events consumer; the billing-subjects and "
        "scheduling consumers use `<group>-subjects` and `<group>-scheduling`.",
    )
    municipality_code: str = Field(
        "2104",
        pattern=r"^\d{4}$",
        description="Kommunkod of the municipality that issues the statements: its tariffs apply "
        "(seeded: 2104 Hofors, 0123 Järfälla, 0126 Huddinge).",
    )
    issue_day: int = Field(1, ge=1, le=28, description="Day of the month on which last month's statements are issued.")
    issue_hour: int = Field(6, ge=0, le=23, description="Local hour (Europe/Stockholm) from which they are issued.")
    issue_check_seconds: float = Field(
        60.0, gt=0, description="How often the issuing timer checks whether a month's statements are due."
    )
    issue_lease_seconds: float = Field(
        600.0, gt=0, description="A run that stopped is taken over by another process after this long."
    )
    api_tokens: list[ApiToken[Role]] = Field(
        default_factory=lambda: local_dev_tokens(Role),
        description="API clients as a JSON list of {token_sha256, subject, roles}; roles officer and ops "
        "use billing. The default tokens dev-officer, dev-team, dev-oncall, dev-ops are for local use only.",
    )
