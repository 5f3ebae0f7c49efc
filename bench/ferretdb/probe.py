"""How FerretDB v1 (SQLite backend) query cost grows with the documents in a collection.

Starts a throwaway FerretDB on a free loopback port, grows one collection to each size in turn
(documents of about the size of a referral case) and times the operations the intake and the outbox
relay use: find/update by `_id`, insert, and the relay's `find({outbox_pending: true})`.

    .venv/bin/python bench/ferretdb/probe.py [--sizes 10,1000,4000] [--doc-bytes 4000]
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

from devstack.servers import FerretDBServer

console = Console()


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


async def probe(uri: str, sizes: list[int], doc_bytes: int, samples: int, deadline: float) -> list[dict[str, Any]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, serverSelectionTimeoutMS=3000)
    col = client["probe"]["cases"]
    await col.create_index("outbox_pending")
    pad = "x" * doc_bytes
    ids: list[str] = []
    rows: list[dict[str, Any]] = []
    try:
        for size in sizes:
            await grow(col, ids, size, pad)
            if time.perf_counter() > deadline:
                raise TimeoutError("probe deadline reached")
            rows.append({"documents": len(ids), **await time_ops(col, ids[len(ids) // 2], pad, samples)})
    finally:
        await client.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10,1000,4000", help="collection sizes to time, ascending")
    parser.add_argument("--doc-bytes", type=int, default=4000, help="padding per document")
    parser.add_argument("--samples", type=int, default=20, help="timed operations per figure (median)")
    parser.add_argument("--max-seconds", type=float, default=180.0, help="overall deadline")
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if not sizes or sizes[-1] > 50_000 or args.samples < 1:
        parser.error("sizes must be 1..50000 and samples at least 1")

    workdir = Path(tempfile.mkdtemp(prefix="trygg-ferret-probe-"))
    server = FerretDBServer(workdir)
    try:
        server.start()
        server.wait_ready(60)
        rows = asyncio.run(
            probe(server.uri, sizes, args.doc_bytes, args.samples, time.perf_counter() + args.max_seconds)
        )
    except Exception as exc:  # noqa: BLE001 - print the reason; the server is stopped below
        console.print(f"[red]probe failed:[/red] {type(exc).__name__}: {exc}")
        return 1
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    table = Table(title=f"FerretDB v1 (SQLite): median ms per operation, ~{args.doc_bytes} B documents")
    for column in rows[0]:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*(f"{v:,}" for v in row.values()))
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
