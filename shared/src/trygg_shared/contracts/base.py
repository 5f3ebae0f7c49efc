"""Base class of integration events."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field


class IntegrationEvent(BaseModel):
    """An event one service publishes for others. Consumers ignore fields they do not know."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    EVENT_TYPE: ClassVar[str]
    TOPIC: ClassVar[str]

    case_id: str = Field(description="The case this event belongs to; also the Kafka key.")
