"""The notification service's one composition root: production and tests both call `bootstrap`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from notification.adapters.mongo import MongoLiabilityWatches
from notification.config import Settings
from notification.entrypoints.events import case_events_consumer
from notification.service_layer.handlers import LiabilityWatches
from trygg_shared.mongo import ProcessedEvents
from trygg_shared.service import Infrastructure, ServiceRuntime


@dataclass
class Notification:
    runtime: ServiceRuntime
    watches: LiabilityWatches


def bootstrap(
    settings: Settings, *, infra: Infrastructure | None = None, watches: LiabilityWatches | None = None
) -> Notification:
    infra = infra or Infrastructure.create(settings)
    mongo_watches = MongoLiabilityWatches(infra.db)
    repo = watches or mongo_watches
    guard = ProcessedEvents(infra.db, settings.consumer_group)
    consumer = case_events_consumer(
        infra.broker,
        repo,
        guard,
        settings.kafka,
        settings.consumer_group,
        timedelta(hours=settings.liability_alert_lead_hours),
    )
    runtime = ServiceRuntime(infra=infra, consumers=[consumer], on_startup=[mongo_watches.ensure_indexes])
    return Notification(runtime=runtime, watches=repo)
