"""The scheduling service's one composition root: production and tests both call `bootstrap`."""

from __future__ import annotations

from dataclasses import dataclass

from scheduling.adapters.mongo import MongoIncomingReferrals
from scheduling.config import Settings
from scheduling.entrypoints.events import case_events_consumer
from scheduling.service_layer.handlers import IncomingReferrals
from trygg_shared.mongo import ProcessedEvents
from trygg_shared.service import Infrastructure, ServiceRuntime


@dataclass
class Scheduling:
    runtime: ServiceRuntime
    referrals: IncomingReferrals


def bootstrap(
    settings: Settings, *, infra: Infrastructure | None = None, referrals: IncomingReferrals | None = None
) -> Scheduling:
    infra = infra or Infrastructure.create(settings)
    mongo_referrals = MongoIncomingReferrals(infra.db)
    repo = referrals or mongo_referrals
    guard = ProcessedEvents(infra.db, settings.consumer_group)
    consumer = case_events_consumer(infra.broker, repo, guard, settings.kafka, settings.consumer_group)
    runtime = ServiceRuntime(infra=infra, consumers=[consumer], on_startup=[mongo_referrals.ensure_indexes])
    return Scheduling(runtime=runtime, referrals=repo)
