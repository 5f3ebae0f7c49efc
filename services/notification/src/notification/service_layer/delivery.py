"""Delivery reports: a verified report moves a message's status forward; unknown ones are refused."""

from __future__ import annotations

import asyncio
import contextlib
from enum import StrEnum

from notification.domain.message import DeliveryStatus, Message, MessageError
from notification.service_layer.deps import NotificationDeps
from notification.service_layer.ports import DeliveryReport
from trygg_shared.aggregate import AggregateNotFound, update_aggregate
from trygg_shared.logging import get_logger

log = get_logger(__name__)

# How long a report waits for this process's dispatcher to save the outcome of the send it
# reports on (the provider reports within milliseconds of accepting; our record of the send
# follows the provider's answer). After that it is applied as it is (a compare-and-set either way).
REPORT_WAITS_FOR_SEND_SECONDS = 2.0

# Final statuses of a delivery report, as the SMS metric's outcome.
_FINAL = {
    DeliveryStatus.DELIVERED: "delivered",
    DeliveryStatus.FAILED: "failed",
    DeliveryStatus.EXPIRED: "failed",
}


class ReportResult(StrEnum):
    APPLIED = "applied"
    IGNORED = "ignored"  # a repeat, or older than what we know
    UNKNOWN = "unknown"  # no such message, or it names another provider message


async def apply_report(deps: NotificationDeps, report: DeliveryReport, provider: str) -> ReportResult:
    """Apply a verified report to its message.

    A report that overtakes this process's record of the send (the dispatcher is between its
    claim and the outcome's save) waits for that save (at most `REPORT_WAITS_FOR_SEND_SECONDS`)
    instead of racing it: the two writes would conflict and the loser read and write again. The
    message is then taken as this process saved it last when it did lately (its outcome, saved
    just before the provider reported): no read. That copy is trusted only for a write, which
    is a compare-and-set (a stale copy conflicts and the stored message is read); when the copy
    says "nothing to write" or "not this message", the stored message decides.
    """
    now = deps.clock.now()

    def change(m: Message) -> tuple[bool, list[object] | None]:
        if m.provider is not None and m.provider != provider:
            raise MessageError("report from another provider")
        events = m.report(report.status, report.provider_id, now)
        return events is not None, events

    sending = deps.in_flight.get(report.message_id)
    if sending is not None:  # it overtook our record of the send: apply it on top of that record
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(sending.wait(), REPORT_WAITS_FOR_SEND_SECONDS)
    recent = deps.message_queries.saved_here(report.message_id)
    applied = False
    for first in (recent, None) if recent is not None else (None,):
        try:
            applied = await update_aggregate(deps.messages, report.message_id, change, first=first)
        except (AggregateNotFound, MessageError):
            if first is not None:
                continue
            log.warning(
                "delivery report for an unknown message refused", message_id=report.message_id, provider=provider
            )
            return ReportResult.UNKNOWN
        if applied:
            break
    if applied and report.status in _FINAL:
        deps.on_sms(provider, _FINAL[report.status])
    return ReportResult.APPLIED if applied else ReportResult.IGNORED
