"""How FerretDB v1 query cost grows with the documents in a collection, per store, side by side.

Starts throwaway servers on free loopback ports: FerretDB on SQLite, and FerretDB on PostgreSQL
(durable, fsync on). Under the same load it grows one collection to each size in turn (documents
of about the size of a referral case) and times the operations the intake and the outbox relay
use: find/update by `_id`, insert, and the relay's `find({outbox_pending: true})`. PostgreSQL is
timed twice on the same data: with FerretDB's own indexes only (which its queries cannot use,
FerretDB#4646), then after `trygg_shared.indexes.ensure_indexes` added the GIN indexes.

    .venv/bin/python bench/ferretdb/probe.py [--sizes 10,1000,4000] [--doc-bytes 4000] [--stores sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient
from rich.console import Console
from rich.table import Table

from devstack.servers import STORES, FerretDBServer, PostgresServer
from trygg_shared.indexes import Index, ensure_indexes

console = Console(width=150)


async def median_ms(op: Callable[[], Awaitable[Any]], samples: int) -> float:
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        await op()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 2)


async def grow(col: Any, ids: list[str], size: int, pad: str) -> None:
    """Insert documents (16 at a time) until the collection holds `size`."""
    sem = asyncio.Semaphore(16)

    async def insert() -> None:
        async with sem:
            doc_id = str(uuid.uuid4())
            ids.append(doc_id)
            await col.insert_one({"_id": doc_id, "pad": pad, "outbox_pending": False, "outbox": {}})

    await asyncio.gather(*(insert() for _ in range(max(0, size - len(ids)))))


async def time_ops(col: Any, some: str, pad: str, samples: int) -> dict[str, float]:
    return {
        "find_one _id": await median_ms(lambda: col.find_one({"_id": some}), samples),
        "find_one missing _id": await median_ms(lambda: col.find_one({"_id": "missing"}), samples),
        "update_one _id": await median_ms(lambda: col.update_one({"_id": some}, {"$set": {"n": 1}}), samples),
        "insert_one": await median_ms(
            lambda: col.insert_one({"_id": str(uuid.uuid4()), "pad": pad, "outbox_pending": False}), samples
        ),
        "find outbox_pending (indexed)": await median_ms(
            lambda: col.find({"outbox_pending": True}, {"outbox": 1}).limit(100).to_list(), max(3, samples // 4)
        ),
    }


async def probe(
    uri: str, postgres_url: str | None, store: str, sizes: list[int], doc_bytes: int, samples: int, deadline: float
) -> list[dict[str, Any]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, serverSelectionTimeoutMS=3000)
    db = client["probe"]
    col = db["cases"]
    await col.create_index("outbox_pending")
    pad = "x" * doc_bytes
    ids: list[str] = []
    rows: list[dict[str, Any]] = []
    try:
        for size in sizes:
            await grow(col, ids, size, pad)
            if time.perf_counter() > deadline:
                raise TimeoutError("probe deadline reached")
            some = ids[len(ids) // 2]
            if postgres_url:
                rows.append({"store": "postgresql", "documents": len(ids), **await time_ops(col, some, pad, samples)})
                await ensure_indexes(db, [Index("cases", ("outbox_pending",))], postgres_url)
                rows.append(
                    {"store": "postgresql + GIN", "documents": len(ids), **await time_ops(col, some, pad, samples)}
                )
                await drop_gin(postgres_url)  # the next size starts again from FerretDB's own indexes
            else:
                rows.append({"store": store, "documents": len(ids), **await time_ops(col, some, pad, samples)})
    finally:
        await client.close()
    return rows


async def drop_gin(postgres_url: str) -> None:
    import psycopg

    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'probe' AND indexname LIKE '%_gin'"
        )
        for (name,) in await cur.fetchall():
            await conn.execute(f'DROP INDEX probe."{name}"')


def run_store(store: str, args: argparse.Namespace, sizes: list[int], deadline: float) -> list[dict[str, Any]]:
    workdir = Path(tempfile.mkdtemp(prefix=f"trygg-ferret-probe-{store}-"))
    postgres = PostgresServer(workdir / "postgres") if store == "postgresql" else None
    server = FerretDBServer(workdir / "ferretdb", postgres_url=postgres.url if postgres else None)
    try:
        if postgres is not None:
            postgres.start()
            postgres.wait_ready(60)
        server.start()
        server.wait_ready(60)
        return asyncio.run(
            probe(
                server.uri,
                postgres.url if postgres else None,
                store,
                sizes,
                args.doc_bytes,
                args.samples,
                deadline,
            )
        )
    finally:
        server.stop()
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10,1000,4000", help="collection sizes to time, ascending")
    parser.add_argument("--doc-bytes", type=int, default=4000, help="padding per document")
    parser.add_argument("--samples", type=int, default=20, help="timed operations per figure (median)")
    parser.add_argument("--max-seconds", type=float, default=180.0, help="overall deadline")
    parser.add_argument("--stores", default=",".join(STORES[::-1]), help="which stores, in order")
    args = parser.parse_args()
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    if not stores or any(s not in STORES for s in stores):
        parser.error(f"--stores: a comma-separated list of {', '.join(STORES)}")
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if not sizes or sizes[-1] > 50_000 or args.samples < 1:
        parser.error("sizes must be 1..50000 and samples at least 1")

    deadline = time.perf_counter() + args.max_seconds
    rows: list[dict[str, Any]] = []
    for store in stores:
        try:
            rows += run_store(store, args, sizes, deadline)
        except Exception as exc:  # noqa: BLE001 - print the reason; the servers are stopped in run_store
            console.print(f"[red]probe on {store} failed:[/red] {type(exc).__name__}: {exc}")
            return 1
    rows.sort(key=lambda r: (r["documents"], r["store"]))

    table = Table(title=f"FerretDB v1.24 per store: median ms per operation, ~{args.doc_bytes} B documents")
    for column in rows[0]:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*(f"{v:,}" if not isinstance(v, str) else v for v in row.values()))
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
