"""Events the billing service publishes (wire contracts: frozen, data only, a description per field)."""

from __future__ import annotations

from trygg_shared.contracts.base import IntegrationEvent

BILLING_EVENTS: tuple[type[IntegrationEvent], ...] = ()
