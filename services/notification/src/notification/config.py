"""Typed settings of the notification service (environment prefix `NOTIFICATION_`, nested parts with `__`).

Example: `NOTIFICATION_KAFKA__BOOTSTRAP_SERVERS=kafka:9092`, `NOTIFICATION_MONGO__URI=mongodb://mongo:27017/`.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from trygg_shared.settings import HttpSettings, MongoSettings, ServiceSettings


class NotificationMongo(MongoSettings):
    database: str = Field("notification", description="The service's own database.")


class NotificationHttp(HttpSettings):
    port: int = Field(8003, ge=1, le=65535, description="TCP port of the HTTP API.")


class Settings(ServiceSettings):
    """Settings of the notification service; defaults run against `make run`'s local servers."""

    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_", env_nested_delimiter="__", extra="ignore")

    service_name: str = Field("notification", description="Service name in logs, traces and CloudEvents.")
    mongo: NotificationMongo = Field(default_factory=NotificationMongo)  # type: ignore[arg-type]
    http: NotificationHttp = Field(default_factory=NotificationHttp)  # type: ignore[arg-type]
    consumer_group: str = Field("notification", description="Kafka consumer group id of this service.")
    liability_alert_lead_hours: float = Field(
        24.0, ge=0, description="Alert on-call staff this long before payment liability starts without a decision."
    )
