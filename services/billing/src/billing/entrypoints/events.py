"""Kafka subscribers: translate a case event and call one use case."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from billing.service_layer.handlers import (
    CaseLiabilities,
    close_liability_period,
    open_liability_period,
    revoke_liability_period,
)
from trygg_shared.contracts.referral import Discharged, ReadyForDischarge, ReadyRevoked
from trygg_shared.contracts.topics import REFERRAL_CASE_EVENTS
from trygg_shared.envelope import EventMeta
from trygg_shared.kafka import EventConsumer, Handles
from trygg_shared.mongo import ProcessedEvents
from trygg_shared.settings import KafkaSettings


def case_events_consumer(
    broker: KafkaBroker, repo: CaseLiabilities, guard: ProcessedEvents, settings: KafkaSettings, group_id: str
) -> EventConsumer:
    async def on_ready_for_discharge(event: ReadyForDischarge, meta: EventMeta) -> None:
        await open_liability_period(repo, event, meta)

    async def on_ready_revoked(event: ReadyRevoked, meta: EventMeta) -> None:
        await revoke_liability_period(repo, event, meta)

    async def on_discharged(event: Discharged, meta: EventMeta) -> None:
        await close_liability_period(repo, event, meta)

    return EventConsumer(
        broker,
        topic=REFERRAL_CASE_EVENTS,
        group_id=group_id,
        handles=[
            Handles(ReadyForDischarge, on_ready_for_discharge),
            Handles(ReadyRevoked, on_ready_revoked),
            Handles(Discharged, on_discharged),
        ],
        guard=guard,
        settings=settings,
    )
