"""The chassis' storage pieces every service wires: the audit record's shapes, the in-memory audit
log and handled-events guard, the local-environment guard and the outbox relay's wiring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId

from trygg_shared.aggregate import StorageUnavailable
from trygg_shared.audit import AuditRecord, AuditShape
from trygg_shared.clock import FixedClock, SystemClock
from trygg_shared.memory import MemoryAuditLog, MemoryHandledEvents
from trygg_shared.mongo_store import MongoAggregateStore
from trygg_shared.service import Infrastructure, ServiceRuntime
from trygg_shared.settings import MongoSettings, ServiceSettings, refuse_local_values

pytestmark = pytest.mark.unit

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def record(record_id: str = "r1", case_ids: tuple[str, ...] = ("c1",), **more: Any) -> AuditRecord:
    return AuditRecord(record_id, AT, "team:a", ("team",), "read_case", case_ids, ("name",), **more)


def test_a_shape_stores_the_core_and_exactly_its_keys() -> None:
    shape = AuditShape("audit_log", ("case_ids", "fields"))
    assert shape.document(record(trace_id="t", subject="s")) == {
        "_id": "r1",
        "at": AT,
        "actor": "team:a",
        "roles": ["team"],
        "action": "read_case",
        "case_ids": ["c1"],
        "fields": ["name"],
    }
    billing = AuditShape("audit_log", ("subjects", "detail"))
    kept = AuditRecord("r2", AT, "ops:a", ("ops",), "change_tariff", subjects=("2104:2024",), detail="version 2")
    assert billing.document(kept) == {
        "_id": "r2",
        "at": AT,
        "actor": "ops:a",
        "roles": ["ops"],
        "action": "change_tariff",
        "subjects": ["2104:2024"],
        "detail": "version 2",
    }
    assert billing.record(billing.document(kept)) == kept


def test_a_shape_refuses_a_key_that_is_not_a_field_of_the_record() -> None:
    with pytest.raises(ValueError, match="case_id"):
        AuditShape("audit_log", ("case_id",))


def test_a_per_case_shape_keeps_a_list_read_as_one_record_per_case_with_the_read_id() -> None:
    shape = AuditShape("audit_log", ("case_ids", "fields", "read_id"), per_case=True)
    kept = shape.split(record("read-1", ("c1", "c2", "c3")))
    assert [(r.record_id, r.case_ids, r.read_id) for r in kept] == [
        ("read-1:0", ("c1",), "read-1"),
        ("read-1:1", ("c2",), "read-1"),
        ("read-1:2", ("c3",), "read-1"),
    ]
    assert [(r.record_id, r.read_id) for r in shape.split(record("one"))] == [("one", "one")]
    assert AuditShape("audit_log", ("case_ids",)).split(record("read-2", ("c1", "c2"))) == [
        record("read-2", ("c1", "c2"))
    ]


def test_a_document_written_before_a_key_was_kept_reads_with_the_default() -> None:
    """Notification's documents had a driver-made `_id` and no roles: they still read."""
    shape = AuditShape("audit", ("subject",))
    old = {"_id": ObjectId(), "actor": "ops:dev", "action": "read_rota", "subject": "rota:team-vast", "at": AT}
    read = shape.record(old)
    assert (read.actor, read.action, read.subject, read.at, read.roles) == (
        "ops:dev",
        "read_rota",
        "rota:team-vast",
        AT,
        (),
    )
    assert read.record_id == str(old["_id"])
    console = AuditShape("audit_log", ("case_ids", "fields", "trace_id"))
    assert console.record({**console.document(record()), "trace_id": None}).trace_id is None


def test_a_new_record_gets_a_fresh_id() -> None:
    one = AuditRecord.new(AT, "ops:a", ("ops",), "read_rota", subject="rota:x")
    two = AuditRecord.new(AT, "ops:a", ("ops",), "read_rota", subject="rota:x")
    assert one.record_id != two.record_id
    assert (one.subject, one.case_ids, one.read_id) == ("rota:x", (), None)


async def test_the_memory_audit_log_reads_newest_first_and_fails_as_a_store_that_is_down() -> None:
    log = MemoryAuditLog(AuditShape("audit_log", ("case_ids", "subject", "read_id"), per_case=True))
    await log.append(record("old", ("c1", "c2")))
    await log.append(AuditRecord("new", AT + timedelta(minutes=1), "ops:a", ("ops",), "add", subject="s"))
    await log.append(record("same-moment", ("c1",)))

    assert [r.record_id for r in await log.recent(10)] == ["new", "same-moment", "old:1", "old:0"]
    assert [r.record_id for r in await log.for_case("c1", 10)] == ["same-moment", "old:0"]
    assert [r.record_id for r in await log.for_subject("s", 10)] == ["new"]
    assert [r.record_id for r in await log.recent(1)] == ["new"]

    log.failing = True
    assert log.available is False
    with pytest.raises(StorageUnavailable):
        await log.append(record("lost"))
    log.available = True
    await log.append(record("kept"))
    assert len(log.records) == 5


async def test_the_memory_guard_skips_repeats_and_never_moves_a_position_back() -> None:
    guard = MemoryHandledEvents()
    assert await guard.seen("e1") is False
    assert await guard.mark("e1", "t") is True
    assert await guard.mark("e1", "t") is False
    assert await guard.seen("e1") is True
    await guard.advance("topic|src", "case-1", 5)
    await guard.advance("topic|src", "case-1", 3)
    assert await guard.position("topic|src", "case-1") == 5
    assert await guard.position("topic|src", "case-2") == 0


def settings(environment: str) -> ServiceSettings:
    return ServiceSettings(
        service_name="svc",
        mongo=MongoSettings(uri="mongodb://127.0.0.1:1", database="svc"),
        http={"port": 8000},  # type: ignore[arg-type]
        telemetry={"environment": environment},  # type: ignore[arg-type]
    )


def test_local_values_are_refused_outside_a_local_environment_only() -> None:
    with pytest.raises(RuntimeError, match="'production' with local development values for: A_TOKENS, B_SECRET"):
        refuse_local_values(settings("production"), ["A_TOKENS", "B_SECRET"])
    refuse_local_values(settings("production"), [])
    for local in ("local", "dev", "test"):
        refuse_local_values(settings(local), ["A_TOKENS"])


class _Codec:
    def to_document(self, state: Any) -> dict[str, Any]:
        return {}

    def from_document(self, doc: dict[str, Any]) -> Any:
        return doc

    def to_wire(self, aggregate_id: str, event: object) -> list[Any]:
        return []


@pytest.mark.parametrize(
    ("hand_over", "created", "updated"), [("none", False, False), ("created", True, False), ("written", True, True)]
)
def test_the_outbox_relay_is_wired_to_its_stores_as_asked(hand_over: Any, created: bool, updated: bool) -> None:
    infra = Infrastructure.create(settings("test"))
    stores = [MongoAggregateStore(infra.db, name, _Codec()) for name in ("one", "two")]
    relay = infra.outbox_relay("svc", stores, hand_over=hand_over)

    assert [c.name for c in relay.collections] == ["one", "two"]
    for store in stores:
        assert store.on_saved == relay.nudge
        assert (store.on_created is not None) is created
        assert (store.on_updated is not None) is updated
        # What the relay published and waits to empty, a save at that version empties instead.
        assert store.published_version("a") is None
        relay._settling[(store.collection.full_name, "a")] = (store.collection, 3, 0.0)
        assert store.published_version("a") == 3
        store.on_outbox_dropped("a", 3)
        assert relay.published_version(store.collection, "a") is None
    lease = relay._lease
    assert lease is not None
    assert (lease._collection.name, lease._name) == ("relay_leases", "svc")


async def test_the_runtime_runs_its_shutdown_hooks_when_it_stops_even_after_one_fails() -> None:
    ran: list[str] = []

    async def failing() -> None:
        ran.append("failing")
        raise RuntimeError("already closed")

    async def closing() -> None:
        ran.append("closing")

    runtime = ServiceRuntime(infra=Infrastructure.create(settings("test")), on_shutdown=[failing, closing])
    await runtime.stop()
    assert ran == ["failing", "closing"]


def test_the_fixed_clock_stands_still_until_moved_and_the_system_clock_is_utc() -> None:
    clock = FixedClock(AT)
    assert clock.now() == AT
    assert clock.advance(minutes=5) == AT + timedelta(minutes=5) == clock.now()
    assert SystemClock().now().tzinfo == UTC
