"""Group commit of single-document inserts: concurrent inserts into one collection share a command.

Under load, many requests each insert one document at about the same time (the inbox record of
a webhook, a new case, the version claim before a compare-and-set). `GroupInsert.insert(doc)`
behaves like `insert_one(doc)` for its caller (it returns once that document is stored, raises
`DuplicateKeyError` when its `_id` exists, or the command's error), but the documents of callers
that arrive while a command is in flight go to the database together, as one unordered
`insert` command (`insert_many(..., ordered=False)`), so N concurrent webhooks cost one round
trip instead of N. Alone, a document is written at once, as before: nothing waits to fill a
batch.

Each document is judged on its own: an unordered insert stores every document it can and reports
the others by index (`BulkWriteError.details["writeErrors"]`), so one duplicate or refused
document fails only its own caller. An error of the whole command (the connection dropped, a
timeout) goes to every caller of that batch, exactly as each `insert_one` would have failed; as
with `insert_one`, some of those documents may have been stored, and each caller's retry sees its
own as a duplicate.

FerretDB v1 (PostgreSQL) inserts a batch in one transaction and, when that fails, inserts its
documents one by one to report each error; unlike multi-statement `update`/`delete` commands it
holds one PostgreSQL connection for the command (bench/README.md, "Performance v3: intake").
`max_batch` keeps a command bounded all the same.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

from bson.errors import BSONError
from opentelemetry.instrumentation.utils import suppress_instrumentation
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError

Document = dict[str, Any]

# Documents per insert command at most.
MAX_INSERT_BATCH = 32

_DUPLICATE_KEY = 11000


class GroupInsert:
    """Inserts into one collection, concurrent callers sharing one `insert` command (see the module)."""

    def __init__(self, collection: AsyncCollection[Document], *, max_batch: int = MAX_INSERT_BATCH) -> None:
        self.collection = collection
        self._max_batch = max_batch
        self._waiting: list[tuple[Document, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.commands = 0  # insert commands sent (for tests and benches)

    async def insert(self, doc: Document) -> None:
        """Store `doc` (which carries its `_id`); as `insert_one`, sharing a command under load."""
        loop = asyncio.get_running_loop()
        if self._writer is not None and self._writer.get_loop() is not loop:
            self._waiting, self._writer = [], None  # an earlier event loop's (tests run many)
        done = loop.create_future()
        self._waiting.append((doc, done))
        if self._writer is None or self._writer.done():
            # A fresh context, untraced: the command writes the documents of many requests, so it
            # must not join the trace of whichever request happened to start it.
            self._writer = asyncio.create_task(self._write(), name="group-insert", context=contextvars.Context())
        await asyncio.shield(done)

    async def _write(self) -> None:
        """Send the waiting documents, a batch per command, until none wait (documents that
        arrive during a command go in the next one)."""
        batch: list[tuple[Document, asyncio.Future[None]]] = []
        try:
            with suppress_instrumentation():
                while self._waiting:
                    batch = self._waiting[: self._max_batch]
                    del self._waiting[: self._max_batch]
                    await self._send(batch)
        except BaseException as exc:  # cancelled with the loop, or a bug: no caller may wait for ever
            for _, done in [*batch, *self._waiting]:
                if not done.done():
                    done.set_exception(exc if isinstance(exc, Exception) else RuntimeError("group insert stopped"))
            self._waiting = []
            raise

    async def _send(self, batch: list[tuple[Document, asyncio.Future[None]]]) -> None:
        self.commands += 1
        failed: dict[int, BaseException] = {}
        try:
            await self.collection.insert_many([doc for doc, _ in batch], ordered=False)
        except BulkWriteError as exc:
            for error in exc.details.get("writeErrors", []):
                failed[int(error["index"])] = _error_of(error)
            if not exc.details.get("writeErrors"):  # a write concern error: nothing is known per document
                failed = dict.fromkeys(range(len(batch)), exc)
        except (BSONError, UnicodeEncodeError) as exc:
            # The driver could not encode one of the documents, so it sent none: each on its own,
            # so that only the caller of the bad document gets the error.
            if len(batch) > 1:
                for one in batch:
                    await self._send([one])
                return
            failed = {0: exc}
        except Exception as exc:  # noqa: BLE001 - the whole command failed: every caller gets it
            failed = dict.fromkeys(range(len(batch)), exc)
        for index, (_, done) in enumerate(batch):
            if done.done():  # pragma: no cover - a cancelled caller's future is shielded, never done here
                continue
            error = failed.get(index)
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)


def _error_of(error: Document) -> WriteError:
    """One document's write error as `insert_one` raises it."""
    code = error.get("code")
    message = str(error.get("errmsg", "write error"))
    if code == _DUPLICATE_KEY:
        return DuplicateKeyError(message, code, error)
    return WriteError(message, code, error)


_REGISTRY = "_trygg_group_inserts"


def group_insert(collection: AsyncCollection[Document]) -> GroupInsert:
    """The one `GroupInsert` of a collection for its client (callers that hold different
    `AsyncCollection` objects of the same collection share it). Kept on the client object itself:
    two clients of the same server compare equal in PyMongo, and one must never write through
    another's (perhaps closed) connection pool."""
    client = collection.database.client
    per_client: dict[str, GroupInsert] | None = getattr(client, _REGISTRY, None)
    if per_client is None:
        per_client = {}
        setattr(client, _REGISTRY, per_client)
    found = per_client.get(collection.full_name)
    if found is None:
        found = per_client[collection.full_name] = GroupInsert(collection)
    return found
