"""The billing service's one composition root: production and tests both call `bootstrap`."""

from __future__ import annotations

from dataclasses import dataclass

from billing.adapters.mongo import MongoCaseLiabilities
from billing.config import Settings
from billing.entrypoints.events import case_events_consumer
from billing.service_layer.handlers import CaseLiabilities
from trygg_shared.mongo import ProcessedEvents
from trygg_shared.service import Infrastructure, ServiceRuntime


@dataclass
class Billing:
    runtime: ServiceRuntime
    cases: CaseLiabilities


def bootstrap(
    settings: Settings, *, infra: Infrastructure | None = None, cases: CaseLiabilities | None = None
) -> Billing:
    infra = infra or Infrastructure.create(settings)
    mongo_cases = MongoCaseLiabilities(infra.db)
    repo = cases or mongo_cases
    guard = ProcessedEvents(infra.db, settings.consumer_group)
    consumer = case_events_consumer(infra.broker, repo, guard, settings.kafka, settings.consumer_group)
    runtime = ServiceRuntime(infra=infra, consumers=[consumer], on_startup=[mongo_cases.ensure_indexes])
    return Billing(runtime=runtime, cases=repo)
