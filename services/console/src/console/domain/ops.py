"""What the ops page shows (pure): each service's health, consumer lag, the outbox, dead letters
with their replays, the alerts that need ops, and links that find traces in Jaeger.

No I/O here: the service layer gathers the parts through ports, this module puts them in order
and builds the links.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlencode

from console.domain.alerts import AlertState

# The span attribute FastStream's Kafka telemetry sets on producer and consumer spans. The key is
# bytes there, and an OTLP bytes attribute reaches Jaeger base64-encoded: a search for the plain
# case id finds nothing, a search for its base64 finds the case's messages.
KAFKA_KEY_ATTRIBUTE = "messaging.kafka.message.key"


class HealthState(StrEnum):
    READY = "ready"
    DEGRADED = "degraded"  # ready, but a dependency such as Kafka is not (the outbox keeps what must go out)
    DOWN = "down"  # unready, or no answer


@dataclass(frozen=True)
class ServiceHealth:
    service: str
    state: HealthState
    reason: str  # each check's answer ("mongo: ok, kafka: KafkaConnectionError") or why there is none


@dataclass(frozen=True)
class LagRow:
    service: str
    group: str
    topic: str
    lag: float  # records not yet consumed, summed over the partitions (and replicas) of the group


@dataclass(frozen=True)
class OutboxAge:
    service: str
    collection: str
    seconds: float  # age of the oldest unpublished entry; 0 when none is pending


@dataclass(frozen=True)
class Gauges:
    """Consumer lag and outbox age as the services measure them (from /metrics or Prometheus)."""

    lag: Sequence[LagRow]
    outbox: Sequence[OutboxAge]
    source: str  # where they were read: "metrics" or the Prometheus URL
    unreadable: Sequence[str] = ()  # services whose figures could not be read


@dataclass(frozen=True)
class Replay:
    """Who asked for a dead letter to be replayed, when, and whether it reached its topic."""

    by: str
    at: datetime
    published_at: datetime | None = None


@dataclass(frozen=True)
class DeadLetter:
    """A message a consumer group could not handle, as its dead-letter record says (no body kept)."""

    letter_id: str  # <dead-letter topic>:<partition>:<offset>
    dead_letter_topic: str
    partition: int
    offset: int
    group: str
    original_topic: str
    original_partition: int | None
    original_offset: int | None
    key: str | None
    event_type: str | None
    event_id: str | None
    reason: str
    failed_at: datetime | None
    trace_id: str | None
    replay_of: str | None = None  # the dead letter whose replay failed again and came back here
    replay: Replay | None = None


def letter_id(topic: str, partition: int, offset: int) -> str:
    return f"{topic}:{partition}:{offset}"


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id of a W3C `traceparent` header (`00-<trace id>-<span id>-<flags>`), if well formed."""
    if not traceparent:
        return None
    parts = traceparent.strip().split("-")
    if len(parts) != 4 or len(parts[1]) != 32:
        return None
    try:
        int(parts[1], 16)
    except ValueError:
        return None
    return parts[1] if parts[1] != "0" * 32 else None


def kafka_key_tag(key: str) -> str:
    """The value Jaeger holds for a message's Kafka key: its UTF-8 bytes, base64-encoded."""
    return base64.b64encode(key.encode()).decode()


def trace_search_url(jaeger: str, service: str, key: str, *, limit: int = 50, lookback: str = "2d") -> str:
    """Jaeger's search page for the traces whose Kafka spans carry message key `key` (a case id,
    a team id): the tag as Jaeger UI writes it in its URL (JSON), with the key base64-encoded."""
    tags = json.dumps({KAFKA_KEY_ATTRIBUTE: kafka_key_tag(key)}, separators=(",", ":"))
    query = {"service": service, "tags": tags, "limit": str(limit), "lookback": lookback}
    return f"{jaeger}/search?{urlencode(query)}"


def trace_url(jaeger: str, trace_id: str) -> str:
    return f"{jaeger}/trace/{trace_id}"


def service_of_group(group: str, services: Iterable[str]) -> str | None:
    """The service a consumer group belongs to: groups are `<service>[suffix].<stream>`."""
    prefix = group.split(".", 1)[0]
    return next((s for s in sorted(services, key=len, reverse=True) if prefix.startswith(s)), None)


@dataclass(frozen=True)
class OpsAlerts:
    unrouted: Sequence[AlertState]  # open, and nobody was on call to be told
    escalated: Sequence[AlertState]  # open, passed on to the next on the rota at least once


def alerts_for_ops(open_alerts: Iterable[AlertState], now: datetime) -> OpsAlerts:
    """The open alerts ops must see: those that reached nobody, and those escalated (oldest first)."""
    ordered = sorted((a for a in open_alerts if a.open), key=lambda a: (a.raised_at or now, a.alert_id))
    return OpsAlerts(
        unrouted=[a for a in ordered if a.unrouted],
        escalated=[a for a in ordered if not a.unrouted and (a.level > 0 or a.exhausted)],
    )


@dataclass(frozen=True)
class OpsView:
    now: datetime
    health: Sequence[ServiceHealth]
    gauges: Gauges
    dead_letters: Sequence[DeadLetter]
    alerts: OpsAlerts

    @property
    def lagging(self) -> list[LagRow]:
        return [row for row in self.gauges.lag if row.lag > 0]

    @property
    def stuck_outboxes(self) -> list[OutboxAge]:
        """Outboxes with an entry unpublished for over a minute (the TryggOutboxStuck rule's threshold)."""
        return [o for o in self.gauges.outbox if o.seconds > 60]

    @property
    def waiting_replay(self) -> list[DeadLetter]:
        return [d for d in self.dead_letters if d.replay is None]


def oldest_per_service(outbox: Iterable[OutboxAge]) -> list[OutboxAge]:
    """One row per service: its oldest unpublished entry over all its outbox collections."""
    best: dict[str, OutboxAge] = {}
    for row in outbox:
        if row.service not in best or row.seconds > best[row.service].seconds:
            best[row.service] = row
    return [best[s] for s in sorted(best)]


def age_text(seconds: float) -> str:
    """'—' for nothing pending, else '12 s', '3 min 4 s', '2 h 5 min'."""
    if seconds <= 0:
        return "—"
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"
