"""Indexes a service declares for its collections, created idempotently at start.

Every query a service makes must be served by an index. A service lists them as `Index`
values (in its adapters) and `ServiceRuntime` creates them before anything else runs.

**FerretDB 1.24 on PostgreSQL does not use its own indexes** (upstream FerretDB#4646, fixed
only in FerretDB 2). A collection is a table with one `jsonb` column, `_jsonb`. FerretDB
creates a MongoDB index as a btree on `((_jsonb -> 'field'))`, but it pushes an equality
filter down as `_jsonb -> 'field' @> '"value"'`, and a btree cannot serve `@>`: every query
was a sequential scan, even by `_id`. So when `MongoSettings.postgres_url` is set,
`ensure_indexes` also creates, for every indexed field and for `_id`, the index PostgreSQL can
use for that operator::

    CREATE INDEX IF NOT EXISTS <name> ON "<database>"."<table>" USING gin ((_jsonb -> 'field') jsonb_path_ops)

A FerretDB database is a PostgreSQL schema of the same name; a collection's table is found in
that schema's `_ferretdb_database_metadata` table (`_jsonb->>'_id'` is the collection name,
`_jsonb->>'table'` the table, e.g. `cases_fd985966`). FerretDB sends its queries as prepared
statements (`_jsonb -> $1 @> $2`): a *generic* plan cannot match an expression index, so the
PostgreSQL server must use custom plans (`plan_cache_mode = force_custom_plan`, which devstack
sets; set it for any PostgreSQL behind FerretDB, e.g. `ALTER DATABASE ferretdb SET ...`).

What FerretDB 1.24 (PostgreSQL backend) pushes down to SQL, from its source
(`internal/backends/postgresql/query.go`, `internal/handler/msg_*.go`): design every query for it.

- **Pushed down, index-served (with the GIN index above):** equality on a **top-level** field,
  `{"f": v}` or `{"f": {"$eq": v}}`, for v a string, ObjectId, datetime, bool, int or float
  (also `_id`). Several such keys in one filter are ANDed in SQL (PostgreSQL may combine the
  indexes with a BitmapAnd). This holds for `find`, `count`, `update`, `delete`,
  `findAndModify` and an aggregation's leading `$match`.
- **Pushed down but not index-served:** `{"f": {"$ne": v}}` (a `NOT (...)` in SQL: a scan).
- **Not pushed down** (FerretDB fetches the rows that the pushed part selects and filters them
  in Go): dotted paths `{"a.b": v}` (only with the experimental `--test-enable-nested-pushdown`),
  `$in`, `$gt`/`$lt`/`$gte`/`$lte`, `$exists`, `$or`/`$and`/`$nor`, `null`, documents and arrays
  as values, regular expressions. A filter with *no* pushed-down key scans the whole table.
- **Sort:** never pushed down (only `$natural` on capped collections): FerretDB sorts in memory
  everything the filter returned.
- **Limit:** pushed down only when there is no filter, no sort and no skip. With a filter, the
  limit is applied in FerretDB after the rows arrive, so keep the pushed-down selection small
  (e.g. `{"outbox_pending": true}` on a bool that is mostly false).
- **Writes by `_id`** after the query (`UPDATE ... WHERE _jsonb->'_id' = $2`, `DELETE ... IN`)
  use FerretDB's own unique btree on `_id`, so they are indexed already.

Dotted fields therefore get only their MongoDB index here (for MongoDB in production); no GIN
index, since FerretDB never sends such a filter to PostgreSQL. Store a value you query on at
the top level of the document instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import CollectionInvalid, OperationFailure

from trygg_shared.mongo import Document

if TYPE_CHECKING:
    from psycopg import AsyncConnection

FERRETDB_METADATA_TABLE = "_ferretdb_database_metadata"
_PG_NAME_MAX = 63


@dataclass(frozen=True)
class Index:
    """One index on one collection: fields in order (a compound index when more than one)."""

    collection: str
    fields: tuple[str, ...]
    unique: bool = False

    def __post_init__(self) -> None:
        if not self.fields:
            raise ValueError("an index needs at least one field")


NAMESPACE_EXISTS = 48  # the server's code when a collection was created meanwhile


async def ensure_indexes(db: AsyncDatabase[Document], indexes: Sequence[Index], postgres_url: str | None) -> None:
    """Create the MongoDB indexes (and, on FerretDB/PostgreSQL, the GIN indexes it really uses).

    Idempotent; a collection that does not exist yet is created first.
    """
    existing = set(await db.list_collection_names())
    for collection in dict.fromkeys(index.collection for index in indexes):
        if collection not in existing:
            try:
                await db.create_collection(collection)
            except CollectionInvalid:
                pass  # created meanwhile (the driver's own check)
            except OperationFailure as exc:
                if exc.code != NAMESPACE_EXISTS:  # another replica created it first: fine
                    raise
    for index in indexes:
        if index.fields == ("_id",):
            continue  # every collection has its `_id` index already
        await db[index.collection].create_index([(f, 1) for f in index.fields], unique=index.unique)
    if postgres_url:
        await ensure_gin_indexes(postgres_url, db.name, gin_fields(indexes))


def gin_fields(indexes: Sequence[Index]) -> dict[str, tuple[str, ...]]:
    """Per collection, the top-level fields FerretDB can push down: `_id` and every indexed field."""
    fields: dict[str, dict[str, None]] = {}
    for index in indexes:
        chosen = fields.setdefault(index.collection, {"_id": None})
        for field in index.fields:
            if "." not in field and not field.startswith("$"):
                chosen[field] = None
    return {collection: tuple(chosen) for collection, chosen in fields.items()}


def gin_index_name(table: str, field: str) -> str:
    """A PostgreSQL index name (at most 63 bytes), stable for a table and field."""
    digest = hashlib.sha1(f"{table}\0{field}".encode(), usedforsecurity=False).hexdigest()[:8]
    readable = re.sub(r"[^a-z0-9_]", "_", f"{table}_{field}".lower())
    suffix = f"_{digest}_gin"
    return readable[: _PG_NAME_MAX - len(suffix)] + suffix


async def collection_tables(postgres_url: str, database: str) -> dict[str, str]:
    """FerretDB's collection → table mapping of one database (its PostgreSQL schema)."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        return await _tables(conn, database)


async def _tables(conn: AsyncConnection[Any], database: str) -> dict[str, str]:
    from psycopg import sql

    query = sql.SQL("SELECT _jsonb->>'_id', _jsonb->>'table' FROM {}").format(
        sql.Identifier(database, FERRETDB_METADATA_TABLE)
    )
    rows = await (await conn.execute(query)).fetchall()
    return {str(name): str(table) for name, table in rows}


async def ensure_gin_indexes(postgres_url: str, database: str, fields: dict[str, tuple[str, ...]]) -> None:
    """`CREATE INDEX IF NOT EXISTS ... USING gin ((_jsonb -> 'field') jsonb_path_ops)` per field."""
    import psycopg
    from psycopg import sql

    if not fields:
        return
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        tables = await _tables(conn, database)
        for collection, names in fields.items():
            table = tables.get(collection)
            if table is None:
                raise RuntimeError(f"FerretDB has no table for {database}.{collection} in PostgreSQL")
            for field in names:
                statement = sql.SQL(
                    "CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ((_jsonb -> {field}) jsonb_path_ops)"
                ).format(
                    name=sql.Identifier(gin_index_name(table, field)),
                    table=sql.Identifier(database, table),
                    field=sql.Literal(field),
                )
                # UniqueViolation/DuplicateTable: another replica created the same index just now.
                with contextlib.suppress(psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable):
                    await conn.execute(statement)
