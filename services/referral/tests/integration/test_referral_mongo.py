"""Referral's Mongo adapters on the real MongoDB wire (FerretDB locally): the case store, its codec, the inbox."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from pymongo.asynchronous.database import AsyncDatabase

from referral.adapters.codec import CaseCodec
from referral.adapters.mongo import CASES, INDEXES, MongoCaseQueries, MongoInbox
from referral.domain.case import Case, Receipt
from referral.domain.liability import AgreementTable
from referral.domain.messages import HospitalMessage
from referral.entrypoints.lus_format import parse_lus, to_domain
from referral.service_layer.agreement_format import shipped_agreements
from referral.service_layer.ports import ConcurrencyConflict, InboundRecord, IntakeAnswer
from trygg_shared.indexes import ensure_indexes
from trygg_shared.mongo_store import MongoAggregateStore

AGREEMENTS = AgreementTable(shipped_agreements())
EXAMPLES = Path(__file__).resolve().parents[4] / "docs" / "specs" / "examples"
CODEC = CaseCodec(lambda: AGREEMENTS)


def example(name: str, message_id: str | None = None, **fields: Any) -> HospitalMessage:
    body = json.loads((EXAMPLES / name).read_text())
    body.update(fields)
    return to_domain(message_id or uuid.uuid4().hex, parse_lus(body))


def store(db: AsyncDatabase[Any]) -> MongoAggregateStore[Case]:
    return MongoAggregateStore(db, CASES, CODEC)


async def save_new(db: AsyncDatabase[Any], case: Case) -> None:
    await store(db).save(case.case_id, 0, case, case.take_events())


def record(case_id: str, webhook_id: str, received_at: datetime | None = None) -> InboundRecord:
    return InboundRecord(
        sender_id="s1",
        webhook_id=webhook_id,
        case_id=case_id,
        message_type="utskrivningsklar",
        body={"a": 1},
        answer=IntakeAnswer(case_id=case_id, message_id=str(uuid.uuid4())),
        received_at=received_at or datetime.now(UTC),
    )


async def test_the_inbox_keeps_the_first_answer_for_a_repeated_webhook_id(db: AsyncDatabase[Any]) -> None:
    await ensure_indexes(db, INDEXES, None)
    inbox = MongoInbox(db)
    first = record("c1", "w1")
    assert await inbox.add(first) is None
    again = await inbox.add(record("c1", "w1"))
    assert again is not None
    assert again.answer == first.answer


async def test_unapplied_messages_are_found_until_marked_applied_and_then_swept_after_retention(
    db: AsyncDatabase[Any],
) -> None:
    inbox = MongoInbox(db)
    old = datetime.now(UTC) - timedelta(days=40)
    await inbox.add(record("c1", "w1", received_at=old))
    await inbox.add(record("c1", "w2", received_at=old))
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert sorted(r.webhook_id for r in await inbox.unapplied(later, 10)) == ["w1", "w2"]
    await inbox.mark_applied("s1", "w1")
    assert [r.webhook_id for r in await inbox.unapplied(later, 10)] == ["w2"]

    assert await inbox.sweep(timedelta(days=30), datetime.now(UTC)) == 1  # only the applied one
    assert [r.webhook_id for r in await inbox.history("c1")] == ["w2"]


class CountingWrites:
    """A collection whose `bulk_write` calls (database round trips) are counted."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.batches: list[int] = []
        self.spans: list[trace.Span] = []  # the span current in each write

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def bulk_write(self, requests: list[Any], **kwargs: Any) -> Any:
        self.batches.append(len(requests))
        self.spans.append(trace.get_current_span())
        return await self.inner.bulk_write(requests, **kwargs)


async def test_marks_of_concurrent_requests_are_written_together_and_each_caller_returns_once_its_own_is_written(
    db: AsyncDatabase[Any],
) -> None:
    inbox = MongoInbox(db)
    old = datetime.now(UTC) - timedelta(minutes=5)
    for i in range(30):
        await inbox.add(record("c1", f"w{i}", received_at=old))
    later = datetime.now(UTC) + timedelta(seconds=1)
    counted = CountingWrites(inbox._inbox)
    inbox._inbox = counted  # type: ignore[assignment]

    await asyncio.gather(*(inbox.mark_applied("s1", f"w{i}") for i in range(29)))

    assert [r.webhook_id for r in await inbox.unapplied(later, 100)] == ["w29"]
    assert sum(counted.batches) == 29
    assert len(counted.batches) < 29  # the first mark on its own, the others batched behind it


async def test_the_batch_of_marks_joins_no_request_s_trace(db: AsyncDatabase[Any]) -> None:
    """The batch writes the marks of many requests: it must not show up in the trace of the one
    request that happened to start it (nor keep that trace open after the request ended)."""
    inbox = MongoInbox(db)
    for i in range(3):
        await inbox.add(record("c1", f"t{i}"))
    counted = CountingWrites(inbox._inbox)
    inbox._inbox = counted  # type: ignore[assignment]
    tracer = TracerProvider().get_tracer("test")

    async def request(i: int) -> None:
        with tracer.start_as_current_span(f"POST /webhooks/lus {i}"):
            await inbox.mark_applied("s1", f"t{i}")

    await asyncio.gather(*(request(i) for i in range(3)))

    assert counted.spans
    assert all(not span.get_span_context().is_valid for span in counted.spans)


async def test_a_saved_case_loads_with_the_same_facts_and_its_wire_events_wait_in_the_outbox(
    db: AsyncDatabase[Any],
) -> None:
    case = Case(case_id=str(uuid.uuid4()), person_ref="p_1", episode_id="TC-2026-004711", region_code="01")
    received = datetime(2026, 11, 23, 8, 14, tzinfo=UTC)
    case.receive(example("1-inskrivningsmeddelande.json"), AGREEMENTS, person_ref="p_1")
    case.receive(
        example("3-utskrivningsklar.json", message_id="ready-1"),
        AGREEMENTS,
        person_ref="p_1",
        receipt=Receipt(received, "answer-1"),
    )
    facts = case.facts(AGREEMENTS)
    await save_new(db, case)

    loaded = await store(db).load(case.case_id)
    assert loaded is not None
    assert loaded.state.facts(AGREEMENTS) == facts
    assert loaded.state.receipt("ready-1") == Receipt(received, "answer-1")
    assert loaded.state.agreement_pins == {"ready-1": ("region-stockholm-2024", 1)}
    assert (loaded.version, loaded.last_sequence) == (1, 2)
    doc = await db[CASES].find_one({"_id": case.case_id})
    assert doc is not None
    assert doc["outbox_pending"] is True
    assert sorted(e["event_type"].rsplit(".", 2)[-2] for e in doc["outbox"].values()) == [
        "admission_noticed",
        "ready_for_discharge",
    ]
    assert (doc["liability_running"], doc["liability_starts_at"]) == (True, datetime(2026, 11, 25, 23, 0, tzinfo=UTC))


async def test_saving_a_stale_case_is_a_conflict(db: AsyncDatabase[Any]) -> None:
    case = Case(case_id=str(uuid.uuid4()), person_ref="p_1", episode_id="TC-2026-004711")
    case.receive(example("3-utskrivningsklar.json"), AGREEMENTS, person_ref="p_1")
    await save_new(db, case)
    a, b = await store(db).load(case.case_id), await store(db).load(case.case_id)
    assert a is not None
    assert b is not None
    a.state.receive(example("4-aterkallad_utskrivningsklar.json"), AGREEMENTS, person_ref="p_1")
    await store(db).save(case.case_id, a.version, a.state, a.state.take_events(), last_sequence=a.last_sequence)
    b.state.receive(example("5-utskrivningsmeddelande.json"), AGREEMENTS, person_ref="p_1")
    with pytest.raises(ConcurrencyConflict):
        await store(db).save(case.case_id, b.version, b.state, b.state.take_events(), last_sequence=b.last_sequence)


async def test_two_new_cases_with_the_same_id_conflict_instead_of_overwriting(db: AsyncDatabase[Any]) -> None:
    case_id = str(uuid.uuid4())
    for attempt in range(2):
        case = Case(case_id=case_id, person_ref="p_1", episode_id="TC-2026-004711")
        case.receive(example("3-utskrivningsklar.json"), AGREEMENTS, person_ref="p_1")
        if attempt == 0:
            await save_new(db, case)
        else:
            with pytest.raises(ConcurrencyConflict):
                await save_new(db, case)


async def test_a_recent_discharge_of_the_same_person_is_found(db: AsyncDatabase[Any]) -> None:
    await ensure_indexes(db, INDEXES, None)
    old = Case(case_id=str(uuid.uuid4()), person_ref="p_same", episode_id="TC-2026-004711")
    old.receive(example("5-utskrivningsmeddelande.json"), AGREEMENTS, person_ref="p_same")
    await save_new(db, old)
    queries = MongoCaseQueries(db[CASES], CODEC)
    since = datetime(2026, 11, 1, tzinfo=UTC)
    assert await queries.recent_discharge("p_same", since, "other") == old.case_id
    assert await queries.recent_discharge("p_same", since, old.case_id) is None
    assert await queries.recent_discharge("p_other", since, "other") is None
    assert await queries.recent_discharge("p_same", datetime(2026, 12, 1, tzinfo=UTC), "other") is None


async def test_a_webhook_id_with_dots_or_a_dollar_sign_is_stored_and_read_back(db: AsyncDatabase[Any]) -> None:
    case = Case(case_id=str(uuid.uuid4()), person_ref="p_1", episode_id="TC-2026-004711")
    for webhook_id in ("TC.2026.1", "$ready", "plain"):
        case.receive(example("1-inskrivningsmeddelande.json", message_id=webhook_id), AGREEMENTS, person_ref="p_1")
    await save_new(db, case)
    loaded = await store(db).load(case.case_id)
    assert loaded is not None
    assert set(loaded.state.messages) == {"TC.2026.1", "$ready", "plain"}
