"""Typed settings of the scheduling service (environment prefix `SCHEDULING_`, nested parts with `__`).

Example: `SCHEDULING_KAFKA__BOOTSTRAP_SERVERS=kafka:9092`, `SCHEDULING_MONGO__URI=mongodb://mongo:27017/`.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from trygg_shared.settings import HttpSettings, MongoSettings, ServiceSettings


class SchedulingMongo(MongoSettings):
    database: str = Field("scheduling", description="The service's own database.")


class SchedulingHttp(HttpSettings):
    port: int = Field(8002, ge=1, le=65535, description="TCP port of the HTTP API.")


class Settings(ServiceSettings):
    """Settings of the scheduling service; defaults run against `make run`'s local servers."""

    model_config = SettingsConfigDict(env_prefix="SCHEDULING_", env_nested_delimiter="__", extra="ignore")

    service_name: str = Field("scheduling", description="Service name in logs, traces and CloudEvents.")
    mongo: SchedulingMongo = Field(default_factory=SchedulingMongo)  # type: ignore[arg-type]
    http: SchedulingHttp = Field(default_factory=SchedulingHttp)  # type: ignore[arg-type]
    consumer_group: str = Field("scheduling", description="Kafka consumer group id of this service.")
