"""The CloudEvents 1.0 envelope in Kafka binary content mode.

Attributes travel as `ce_*` headers (`ce_id`, `ce_type`, `ce_source`, `ce_time`, `ce_subject`,
`ce_specversion`) with `content-type: application/json`; the value is the event's JSON data;
the subject is the aggregate the event belongs to, and two extension attributes travel too:
- `partitionkey`: the Kafka key (the contract declares which of its fields it is, usually the
  case id), so one case's events stay in order on one partition;
- `sequence`: the event's number in its aggregate's stream (1, 2, 3, … per source and subject),
  so a consumer recognises a repeat or a reordered event.
`traceparent` is added by the telemetry middleware when the message is published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

SPECVERSION = "1.0"
_FORMAT = JSONFormat()


class EnvelopeError(ValueError):
    """A Kafka message that is not a valid CloudEvent of ours."""


@dataclass(frozen=True)
class EventMeta:
    """CloudEvents attributes of one event."""

    id: str
    type: str
    source: str
    subject: str
    time: datetime
    sequence: int | None = None
    partition_key: str | None = None
    stale: bool = False  # set by the consumer: a later event of this aggregate was handled already

    @property
    def key(self) -> str:
        """The Kafka key: the partition key, or the subject when none is set."""
        return self.partition_key or self.subject


@dataclass(frozen=True)
class KafkaRecord:
    """What goes onto (or came off) a Kafka topic."""

    key: bytes | None
    headers: dict[str, bytes]
    value: bytes


def encode(meta: EventMeta, data: dict[str, Any]) -> KafkaRecord:
    """Build a binary-mode Kafka record keyed by the partition key (the subject when unset)."""
    attributes: dict[str, Any] = {
        "id": meta.id,
        "type": meta.type,
        "source": meta.source,
        "specversion": SPECVERSION,
        "subject": meta.subject,
        "time": meta.time.astimezone(UTC),
        "datacontenttype": "application/json",
        "partitionkey": meta.key,
    }
    if meta.sequence is not None:
        attributes["sequence"] = str(meta.sequence)
    event = CloudEvent(attributes=attributes, data=data)
    msg = ce_kafka.to_binary(event, _FORMAT)
    key = msg.key.encode() if isinstance(msg.key, str) else msg.key
    return KafkaRecord(key=key, headers=dict(msg.headers), value=msg.value)


def decode(headers: dict[str, bytes], key: bytes | None, value: bytes) -> tuple[EventMeta, dict[str, Any]]:
    """Read a binary-mode record; raise EnvelopeError when it is not one."""
    if "ce_id" not in headers or "ce_type" not in headers:
        raise EnvelopeError("missing CloudEvents headers (ce_id, ce_type)")
    try:
        event = ce_kafka.from_binary(ce_kafka.KafkaMessage(headers=headers, key=key, value=value), _FORMAT)
    except Exception as exc:  # noqa: BLE001 - the library raises several types for malformed input
        raise EnvelopeError(f"not a CloudEvent: {type(exc).__name__}") from None
    attrs = event.get_attributes()
    data = event.get_data()
    if not isinstance(data, dict):
        raise EnvelopeError("event data is not a JSON object")
    subject = attrs.get("subject")
    if not subject:
        raise EnvelopeError("missing ce_subject (the aggregate id)")
    time = attrs.get("time")
    if not isinstance(time, datetime):
        raise EnvelopeError("missing or invalid ce_time")
    sequence = attrs.get("sequence")
    if sequence is not None:
        try:
            sequence = int(str(sequence))
        except ValueError:
            raise EnvelopeError("ce_sequence is not a whole number") from None
        if sequence < 1:
            raise EnvelopeError("ce_sequence must be 1 or more")
    key = attrs.get("partitionkey")
    return (
        EventMeta(
            id=str(attrs["id"]),
            type=str(attrs["type"]),
            source=str(attrs["source"]),
            subject=str(subject),
            time=time,
            sequence=sequence,
            partition_key=str(key) if key and str(key) != str(subject) else None,
        ),
        data,
    )
