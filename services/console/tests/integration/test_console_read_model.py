"""The console's read model on the real MongoDB wire (FerretDB): the same figures as in memory,
one document per case, visit, team and alert, and no second effect from a replay."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from checklist_support import april
from console_support import march_2026, replay, utc, with_cover_order
from pymongo.asynchronous.database import AsyncDatabase

from console.adapters.auth import ServerSessions
from console.adapters.memory import MemoryReadModel, memory_stores
from console.adapters.mongo import MongoAuditLog, MongoReadModel, MongoSessionStore, MongoStores, read_model_indexes
from console.domain.access import Actor, Role
from console.domain.figures import UnitCosts, compute
from console.service_layer.ports import AuditRecord
from console.service_layer.projections import Stores
from trygg_shared.indexes import ensure_indexes
from trygg_shared.tokens import TokenAuthenticator, local_dev_tokens

MONTHS = ["2026-02", "2026-03"]
COSTS = UnitCosts(600, 1500)


def stores_on(db: AsyncDatabase[dict[str, Any]]) -> Stores:
    mongo = MongoStores(db)
    return Stores(cases=mongo.cases, visits=mongo.visits, teams=mongo.teams, alerts=mongo.alerts)


def as_values(rows: list[Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(r.month, r.team, {k: (v.value, v.numerator, v.denominator) for k, v in r.values.items()}) for r in rows]


async def stored_and_folded(db: AsyncDatabase[dict[str, Any]], items: list[Any]) -> tuple[Any, Any]:
    """The same events replayed into the database and into memory: the read models of both."""
    await ensure_indexes(db, read_model_indexes(), None)
    await replay(stores_on(db), items)
    memory = memory_stores()
    await replay(memory, items)
    return MongoReadModel(db), MemoryReadModel(memory)


async def test_the_stored_read_model_gives_the_same_figures_as_the_fold_in_memory(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    stored, folded = await stored_and_folded(
        db, with_cover_order(march_2026()).items
    )  # a cover order and a handover too

    from_db = compute(await stored.cases(), await stored.teams(), MONTHS, COSTS)
    in_memory = compute(await folded.cases(), await folded.teams(), MONTHS, COSTS)

    assert as_values(from_db) == as_values(in_memory)
    assert {c.case_id for c in await stored.board()} == {"D", "F", "B2"}
    assert {c.case_id for c in await stored.waiting()} == {"F"}
    assert {v.visit_id for v in await stored.visits_on(utc(2026, 3, 28).date())} >= {"V-G-3", "V-G-4"}
    assert {a.alert_id for a in await stored.alerts(open_only=True)} == {"missed:V-G-3", "liability:D"}
    found = await stored.case("A")
    assert found is not None
    assert len(found[1]) > 10
    g = await stored.case("G")
    assert g is not None
    assert g[0].cover_order is not None  # stored and read back (FerretDB v1 takes no nested arrays)
    assert [w.cause for w in g[0].cover_order.cover_windows] == ["evening", "night", "weekend", "holiday"]
    assert g[0].handover_needs is not None
    assert [s.level for s in g[0].handover_needs.support] == ["some_help", "full_help", "independent"]


async def test_replaying_the_stream_twice_and_out_of_order_writes_nothing_new(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    stores = stores_on(db)
    await replay(stores, march_2026().items)
    before = {d["_id"]: (d["version"], d["state"]) async for d in db["cases"].find({})}

    items = march_2026().items
    random.Random(7).shuffle(items)
    await replay(stores, items)

    after = {d["_id"]: (d["version"], d["state"]) async for d in db["cases"].find({})}
    assert after == before  # not even a version bump: every event was in its set already


async def test_audit_records_are_kept_and_read_newest_first(db: AsyncDatabase[dict[str, Any]]) -> None:
    audit = MongoAuditLog(db)
    for n in range(3):
        await audit.append(
            AuditRecord(f"r{n}", utc(2026, 3, 1, n), "officer:dev", ("officer",), "view_case", ("A",), ("name",))
        )

    assert [r.record_id for r in await audit.recent(2)] == ["r2", "r1"]


async def test_sessions_are_kept_in_the_console_database_and_end_at_logout_or_their_end(
    db: AsyncDatabase[Any],
) -> None:
    sessions = ServerSessions(
        MongoSessionStore(db),
        TokenAuthenticator(local_dev_tokens(Role), Actor),
        b"0123456789abcdef",
        timedelta(hours=8),
    )
    now = utc(2026, 3, 28, 9)
    started = await sessions.start("dev-oncall", now)
    assert started is not None
    cookie, actor = started
    assert (await sessions.read(cookie, now)) == actor
    assert await db["sessions"].count_documents({}) == 1
    assert await db["sessions"].count_documents({"_id": cookie}) == 0  # only its HMAC is stored

    await sessions.end(cookie)
    assert await sessions.read(cookie, now) is None

    later = await sessions.start("dev-ops", now)
    assert later is not None
    assert await sessions.sweep(now + timedelta(hours=7)) == 0
    assert await sessions.sweep(now + timedelta(hours=8)) == 1
    assert await sessions.read(later[0], now) is None


async def test_the_homecoming_checklist_is_stored_and_gives_the_same_figure_as_in_memory(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    """FerretDB v1 refuses nested arrays: the checklist's history is stored as objects."""
    stored, folded = await stored_and_folded(db, april().items)
    from_db = compute(await stored.cases(), await stored.teams(), ["2026-04"])
    assert as_values(from_db) == as_values(compute(await folded.cases(), await folded.teams(), ["2026-04"]))
    found = await stored.case("H1")
    assert found is not None
    assert found[0].checklist is not None
    assert found[0].checklist.complete
