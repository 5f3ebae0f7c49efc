"""Typed settings of the billing service (environment prefix `BILLING_`, nested parts with `__`).

Example: `BILLING_KAFKA__BOOTSTRAP_SERVERS=kafka:9092`, `BILLING_MONGO__URI=mongodb://mongo:27017/`.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from trygg_shared.settings import HttpSettings, MongoSettings, ServiceSettings


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
    consumer_group: str = Field("billing", description="Kafka consumer group id of this service.")
