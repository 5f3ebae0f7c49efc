"""Base classes of integration events (the wire contracts; data only)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from trygg_shared.fields import Text


class IntegrationEvent(BaseModel):
    """An event one service publishes for others. Consumers ignore fields they do not know.

    Each contract names its type, its topic and which of its fields is the Kafka key
    (`PARTITION_KEY`): events with the same key keep their order on one partition.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    EVENT_TYPE: ClassVar[str]
    TOPIC: ClassVar[str]
    PARTITION_KEY: ClassVar[str] = "case_id"

    def partition_key(self) -> str:
        """The value of the field named by `PARTITION_KEY`."""
        return str(getattr(self, self.PARTITION_KEY))


class CaseEvent(IntegrationEvent):
    """An event about one case: keyed by the case id, so a case's events stay in order."""

    case_id: Text = Field(description="The case this event belongs to; also the Kafka key.")


class Part(BaseModel):
    """A structured part of an event (a rating, a window, a team member): frozen, unknown fields ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")
