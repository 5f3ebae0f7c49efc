"""FerretDB 1.24 on PostgreSQL: the GIN indexes `ensure_indexes` adds are the ones PostgreSQL uses.

FerretDB's own indexes are btrees that its pushed-down filters (`_jsonb -> 'f' @> '"v"'`)
cannot use (upstream FerretDB#4646). On a collection big enough that a scan would lose, the
plan FerretDB's `explain` returns (PostgreSQL's `EXPLAIN (VERBOSE, FORMAT JSON)` of the SQL it
runs) must show a bitmap/index scan on our GIN index, for `_id` and for an indexed field.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from devstack.testing import Endpoints
from trygg_shared.indexes import Index, collection_tables, ensure_indexes, gin_fields, gin_index_name

DOCUMENTS = 20_000
RARE_EVERY = 2_000  # 10 documents with status "rare"
PENDING_EVERY = 500  # 40 documents with outbox_pending true

INDEXES = [
    Index("cases", ("status",)),
    Index("cases", ("outbox_pending",)),
    Index("cases", ("episode.id",)),  # dotted: FerretDB never pushes it down, so no GIN index
    Index("audit", ("case_id", "at")),  # a collection that does not exist yet
]


@pytest.fixture
def postgres_url(servers: Endpoints) -> str:
    if servers.postgres_url is None:
        pytest.skip("needs FerretDB on PostgreSQL (local servers with the default store)")
    return servers.postgres_url


def _doc(i: int) -> dict[str, Any]:
    return {
        "_id": f"case-{i:05d}",
        "status": "rare" if i % RARE_EVERY == 7 else ("open" if i % 2 else "closed"),
        "outbox_pending": i % PENDING_EVERY == 3,
        "episode": {"id": f"EP-{i:05d}"},
        "version": i,
        "pad": "x" * 300,
    }


def _plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes.extend(_plan_nodes(child))
    return nodes


async def _explain(db: AsyncDatabase[dict[str, Any]], flt: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    result = await db.command("explain", {"find": "cases", "filter": flt})
    nodes = _plan_nodes(result["queryPlanner"]["Plan"])
    return result, [f"{n['Node Type']}:{n.get('Index Name', '')}" for n in nodes]


async def _pg_indexes(postgres_url: str, schema: str) -> dict[str, str]:
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        cur = await conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s", (schema,))
        return {str(name): str(definition) for name, definition in await cur.fetchall()}


async def test_gin_indexes_serve_id_and_field_equality(db: AsyncDatabase[dict[str, Any]], postgres_url: str) -> None:
    cases = db["cases"]
    for start in range(0, DOCUMENTS, 2_000):
        await cases.insert_many([_doc(i) for i in range(start, start + 2_000)], ordered=False)
    assert await cases.estimated_document_count() == DOCUMENTS
    # Before: FerretDB's own `_id` btree does not serve its own pushed-down filter (FerretDB#4646).
    _, nodes = await _explain(db, {"_id": "case-12345"})
    assert any(n.startswith("Seq Scan") for n in nodes), nodes

    await ensure_indexes(db, INDEXES, postgres_url)
    first = await _pg_indexes(postgres_url, db.name)
    await ensure_indexes(db, INDEXES, postgres_url)  # idempotent: nothing new, no error
    assert await _pg_indexes(postgres_url, db.name) == first

    tables = await collection_tables(postgres_url, db.name)
    assert set(tables) >= {"cases", "audit"}
    expected = {
        (collection, field): gin_index_name(tables[collection], field)
        for collection, fields in gin_fields(INDEXES).items()
        for field in fields
    }
    assert set(expected) == {
        ("cases", "_id"),
        ("cases", "status"),
        ("cases", "outbox_pending"),
        ("audit", "_id"),
        ("audit", "case_id"),
        ("audit", "at"),
    }
    for (_collection, field), name in expected.items():
        assert name in first, f"missing GIN index {name}: {sorted(first)}"
        assert "USING gin" in first[name]
        assert f"((_jsonb -> '{field}'::text)) jsonb_path_ops" in first[name]
    assert not any("episode" in definition and "gin" in definition for definition in first.values())

    # `_id` lookup: pushed down and served by the GIN index, not a sequential scan.
    result, nodes = await _explain(db, {"_id": "case-12345"})
    assert result["filterPushdown"] is True
    assert any(n.startswith(("Bitmap Index Scan:", "Index Scan:")) for n in nodes), json.dumps(result["queryPlanner"])
    assert f"Bitmap Index Scan:{expected[('cases', '_id')]}" in nodes or (
        f"Index Scan:{expected[('cases', '_id')]}" in nodes
    )
    assert not any(n.startswith("Seq Scan") for n in nodes)

    # Equality on an indexed field, both spellings.
    for flt in ({"status": "rare"}, {"status": {"$eq": "rare"}}, {"outbox_pending": True}):
        result, nodes = await _explain(db, flt)
        assert result["filterPushdown"] is True
        field = next(iter(flt))
        assert f"Bitmap Index Scan:{expected[('cases', field)]}" in nodes, (flt, nodes)
        assert not any(n.startswith("Seq Scan") for n in nodes)

    # The answers are right (through the same pushed-down path).
    found = await cases.find_one({"_id": "case-12345"})
    assert found is not None
    assert found["version"] == 12345
    assert await cases.find_one({"_id": "case-99999"}) is None
    rare = sorted([d["_id"] async for d in cases.find({"status": "rare"}, {"_id": 1})])
    assert rare == [f"case-{i:05d}" for i in range(DOCUMENTS) if i % RARE_EVERY == 7]
    assert await cases.count_documents({"outbox_pending": True}) == DOCUMENTS // PENDING_EVERY
    both = await cases.count_documents({"status": "open", "outbox_pending": True})
    assert both == sum(1 for i in range(DOCUMENTS) if i % PENDING_EVERY == 3 and i % 2)
    # Not pushed down (dotted path), still correct: FerretDB filters in memory.
    nested = await cases.find_one({"episode.id": "EP-00042"})
    assert nested is not None
    assert nested["_id"] == "case-00042"
    updated = await cases.update_one({"_id": "case-00042", "version": 42}, {"$set": {"version": 43}})
    assert updated.modified_count == 1
    assert (await cases.find_one({"_id": "case-00042"}) or {}).get("version") == 43


def test_gin_fields_and_names() -> None:
    fields = gin_fields([Index("c", ("a", "b.c")), Index("c", ("a",)), Index("d", ("_id",))])
    assert fields == {"c": ("_id", "a"), "d": ("_id",)}
    long = gin_index_name("a" * 60, "field_with_a_long_name")
    assert len(long) <= 63
    assert long.endswith("_gin")
    assert gin_index_name("t", "x") != gin_index_name("t", "y")
