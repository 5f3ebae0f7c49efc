"""Event contracts: frozen pydantic models (data only), topic names and the event registry."""

from __future__ import annotations

from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.contracts.billing import BILLING_EVENTS
from trygg_shared.contracts.notification import NOTIFICATION_EVENTS
from trygg_shared.contracts.referral import REFERRAL_EVENTS
from trygg_shared.contracts.referral_ops import REFERRAL_OPS_EVENTS
from trygg_shared.contracts.scheduling import SCHEDULING_EVENTS

ALL_EVENTS: tuple[type[IntegrationEvent], ...] = (
    *REFERRAL_EVENTS,
    *REFERRAL_OPS_EVENTS,
    *SCHEDULING_EVENTS,
    *NOTIFICATION_EVENTS,
    *BILLING_EVENTS,
)


def event_class(event_type: str) -> type[IntegrationEvent] | None:
    """The contract class of a CloudEvents `type`, or None for a type we do not know."""
    return _BY_TYPE.get(event_type)


_BY_TYPE = {cls.EVENT_TYPE: cls for cls in ALL_EVENTS}
