"""Events the referral service publishes for operations (on the case-events topic, keyed by case id).

An officer's decision that would have caused too many texts is refused; `sms_cap_reached` tells
operations, through notification's alerting, that a cap was hit. It carries no personal data: the
case id, the cap and its limit, the local day it counts in, and the officer's subject (as in the
decisions' `granted_by` and the audit records).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from trygg_shared.contracts.base import CaseEvent, IntegrationEvent
from trygg_shared.contracts.topics import REFERRAL_CASE_EVENTS
from trygg_shared.fields import PlausibleDate, PlausibleDatetime, Text
from trygg_shared.vocabulary.referral import SmsCap

_PREFIX = "se.trygghemgang.referral."


class SmsCapReached(CaseEvent):
    """A decision (grant or change) was refused because it would pass an SMS cap: ops is alerted.

    Sent once per case, cap, officer and local day however often the refused request is repeated
    (the case remembers it); notification raises one alert per cap and window (`window_key`).
    """

    EVENT_TYPE: ClassVar[str] = _PREFIX + "sms_cap_reached.v1"
    TOPIC: ClassVar[str] = REFERRAL_CASE_EVENTS
    person_ref: Text = Field(description="Pseudonymous reference to the person the case is about.")
    cap: SmsCap = Field(description="The cap that refused the change.")
    limit: int = Field(ge=1, description="The cap's limit (relatives per decision, or consents per officer and day).")
    officer: Text = Field(description="The subject of the officer whose change was refused, e.g. `officer:anna`.")
    day: PlausibleDate = Field(description="The local day (the municipality's time zone) the cap counts in.")
    window_key: Text = Field(
        description="The cap's window, the same for every refusal it covers: `per_case:<case id>:<day>` or "
        "`officer_day:<hash of the officer>:<day>`; one alert per window."
    )
    reached_at: PlausibleDatetime = Field(description="When the change was refused.")


REFERRAL_OPS_EVENTS: tuple[type[IntegrationEvent], ...] = (SmsCapReached,)
