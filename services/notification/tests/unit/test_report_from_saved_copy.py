"""A delivery report trusts the message as this process saved it only for a write; one that
overtakes this process's record of the send waits for it.

The copy (`MessageQueries.saved_here`) spares the report its read; a write against it is a
compare-and-set. A copy that is stale and says "nothing to write" must not decide: the stored
message does, or a report for a message another replica sent would be lost. A report that
comes while the dispatcher is between its claim and the outcome's save would race that save
(a conflict, then a read and a write again): it waits for it instead.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from notification_support import FakeProvider, Harness

from notification.domain.casefile import Relative
from notification.domain.contacts import Language
from notification.domain.message import DeliveryStatus, MessageState
from notification.service_layer import relatives as rel
from notification.service_layer.delivery import ReportResult, apply_report
from notification.service_layer.dispatch import dispatch_due
from notification.service_layer.ports import Accepted, DeliveryReport, OutgoingSms, SendOutcome
from trygg_shared.aggregate import Loaded

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KARIN = Relative("r-karin", "+46701112233", Language.SV)


class SavedCopies:
    """The message queries, answering `saved_here` with a copy the test chose."""

    def __init__(self, inner: Any, copies: dict[str, Loaded[Any]]) -> None:
        self._inner, self.copies = inner, copies

    def saved_here(self, message_id: str) -> Loaded[Any] | None:
        return self.copies.pop(message_id, None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


async def queued(h: Harness) -> tuple[str, Loaded[Any]]:
    case_id = str(uuid.uuid4())
    decision = rel.GrantedDecision(
        case_id, "p", "d_" + case_id[:8], True, "Team Väst", date(2026, 11, 25), [KARIN], "officer:a", T0, "e1"
    )
    await rel.record_decision(h.deps, decision)
    [message] = await h.deps.message_queries.for_case(case_id, 1)
    loaded = await h.deps.messages.load(message.message_id)
    return message.message_id, copy.deepcopy(loaded)


async def test_a_stale_copy_that_would_ignore_the_report_does_not_decide() -> None:
    h = Harness.create(now=T0, provider=FakeProvider())
    mid, as_queued = await queued(h)  # the copy: queued, as another replica's dispatcher found it
    await dispatch_due(h.deps)
    [sms] = h.provider.sent
    h.deps.message_queries = SavedCopies(h.deps.message_queries, {mid: as_queued})
    stored = await h.deps.messages.load(mid)
    assert stored is not None
    provider_id = stored.state.provider_id
    result = await apply_report(h.deps, DeliveryReport(mid, provider_id, DeliveryStatus.DELIVERED), h.provider.name)
    assert result is ReportResult.APPLIED
    after = await h.deps.message_queries.get(mid)
    assert after is not None
    assert after.state is MessageState.DELIVERED
    assert sms.message_id == mid


async def test_a_current_copy_is_written_against() -> None:
    h = Harness.create(now=T0, provider=FakeProvider())
    mid, _ = await queued(h)
    await dispatch_due(h.deps)
    current = await h.deps.messages.load(mid)
    assert current is not None
    h.deps.message_queries = SavedCopies(h.deps.message_queries, {mid: copy.deepcopy(current)})
    reads: list[str] = []
    real_load = h.deps.messages.load

    async def load(aggregate_id: str) -> Any:
        reads.append(aggregate_id)
        return await real_load(aggregate_id)

    h.deps.messages.load = load
    report = DeliveryReport(mid, current.state.provider_id, DeliveryStatus.DELIVERED)
    assert await apply_report(h.deps, report, h.provider.name) is ReportResult.APPLIED
    assert reads == []


@dataclass
class ReportsBeforeAnswering(FakeProvider):
    """The gateway's report reaches us before its answer to the send does."""

    deps: Any = None
    report: asyncio.Task[ReportResult] | None = None

    async def send(self, sms: OutgoingSms) -> SendOutcome:
        outcome = await super().send(sms)
        assert isinstance(outcome, Accepted)
        report = DeliveryReport(sms.message_id, outcome.provider_id, DeliveryStatus.DELIVERED)
        self.report = asyncio.create_task(apply_report(self.deps, report, self.name))
        await asyncio.sleep(0.05)  # the report is handled meanwhile
        return outcome


async def test_a_report_that_overtakes_the_record_of_the_send_is_applied_after_it() -> None:
    provider = ReportsBeforeAnswering()
    h = Harness.create(now=T0, provider=provider)
    provider.deps = h.deps
    mid, _ = await queued(h)
    await dispatch_due(h.deps)
    assert provider.report is not None
    assert await provider.report is ReportResult.APPLIED
    after = await h.deps.message_queries.get(mid)
    assert after is not None
    assert after.state is MessageState.DELIVERED
    # Recorded as accepted first, then the report on top (not folded into the send's record).
    assert [what for what, _ in after.history][-2:] == ["accepted:accepted", "reported:delivered"]
    assert h.deps.in_flight == {}
