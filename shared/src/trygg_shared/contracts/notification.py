"""Events the notification service publishes (wire contracts: frozen, data only, a description per field)."""

from __future__ import annotations

from trygg_shared.contracts.base import IntegrationEvent

NOTIFICATION_EVENTS: tuple[type[IntegrationEvent], ...] = ()
