"""The CloudEvents 1.0 envelope in Kafka binary content mode.

Attributes travel as `ce_*` headers (`ce_id`, `ce_type`, `ce_source`, `ce_time`, `ce_subject`,
`ce_specversion`) with `content-type: application/json`; the value is the event's JSON data;
the Kafka key is the case id (the `partitionkey` extension), so one case's events stay in order.
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


@dataclass(frozen=True)
class KafkaRecord:
    """What goes onto (or came off) a Kafka topic."""

    key: bytes | None
    headers: dict[str, bytes]
    value: bytes


def encode(meta: EventMeta, data: dict[str, Any]) -> KafkaRecord:
    """Build a binary-mode Kafka record keyed by the subject (the case id)."""
    event = CloudEvent(
        attributes={
            "id": meta.id,
            "type": meta.type,
            "source": meta.source,
            "specversion": SPECVERSION,
            "subject": meta.subject,
            "time": meta.time.astimezone(UTC),
            "datacontenttype": "application/json",
            "partitionkey": meta.subject,
        },
        data=data,
    )
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
        raise EnvelopeError("missing ce_subject (the case id)")
    time = attrs.get("time")
    if not isinstance(time, datetime):
        raise EnvelopeError("missing or invalid ce_time")
    return (
        EventMeta(
            id=str(attrs["id"]),
            type=str(attrs["type"]),
            source=str(attrs["source"]),
            subject=str(subject),
            time=time,
        ),
        data,
    )
