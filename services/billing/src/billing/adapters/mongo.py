"""MongoDB adapters: the stores' query methods, the monthly run's claim, the audit log.

Every filter is an equality on an indexed top-level field (see `INDEXES`), the only kind
FerretDB 1.24 on PostgreSQL pushes down to SQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any, Generic, TypeVar

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from billing.adapters.codecs import (
    CareCodec,
    InvoiceCodec,
    LiabilityCodec,
    PersonCodec,
    PriceBookCodec,
    StatementCodec,
    SummaryCodec,
    TariffBookCodec,
)
from billing.domain.care import CareCase
from billing.domain.fees import PersonAccount, Statement
from billing.domain.invoices import Invoice
from billing.domain.liability import CaseLiability, LiabilityRecord
from billing.domain.money import Month
from billing.domain.reports import LiabilitySummary
from billing.domain.tariffs import LiabilityPrice, Tariff, VersionedBook
from billing.service_layer.ports import IssueRun
from trygg_shared.audit import AuditShape
from trygg_shared.indexes import Index
from trygg_shared.mongo import Document
from trygg_shared.mongo_audit import MongoAuditLog as SharedMongoAuditLog
from trygg_shared.mongo_store import AggregateCodec, MongoAggregateStore
from trygg_shared.store_errors import storage_error

LIABILITY = "case_liability"
CARE = "care_cases"
PERSONS = "persons"
STATEMENTS = "statements"
SUMMARIES = "liability_summaries"
TARIFFS = "tariffs"
PRICES = "liability_prices"
RUNS = "statement_runs"
AUDIT = "audit_log"
INVOICES = "invoices"

INDEXES = [
    Index(LIABILITY, ("report_months",)),
    Index(LIABILITY, ("liability_open",)),
    Index(CARE, ("person_ref",)),
    Index(CARE, ("billing_open",)),
    Index(CARE, ("report_months",)),
    Index(CARE, ("period_open",)),
    Index(STATEMENTS, ("person_ref",)),
    Index(STATEMENTS, ("month",)),
    Index(SUMMARIES, ("month",)),
    Index(AUDIT, ("at",)),
    Index(LIABILITY, ("person_ref",)),
    Index(LIABILITY, ("episode_ids",)),
    Index(PERSONS, ("identity_key",)),
    Index(INVOICES, ("month",)),
]

# Reads of personal data and tariff changes, in their own collection (never in the logs): the
# person refs, case ids or tariff keys concerned (`subjects`) and a `detail`.
AUDIT_SHAPE = AuditShape(AUDIT, ("subjects", "detail"))
MongoAuditLog = partial(SharedMongoAuditLog, shape=AUDIT_SHAPE)

_NO_OUTBOX = {"outbox": 0}
A = TypeVar("A")


class Stores:
    """The service's aggregate stores on one database."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.liabilities: MongoAggregateStore[LiabilityRecord] = MongoAggregateStore(db, LIABILITY, LiabilityCodec())
        self.care: MongoAggregateStore[CareCase] = MongoAggregateStore(db, CARE, CareCodec())
        self.persons: MongoAggregateStore[PersonAccount] = MongoAggregateStore(db, PERSONS, PersonCodec())
        self.statements: MongoAggregateStore[Statement] = MongoAggregateStore(db, STATEMENTS, StatementCodec())
        self.summaries: MongoAggregateStore[LiabilitySummary] = MongoAggregateStore(db, SUMMARIES, SummaryCodec())
        self.tariffs: MongoAggregateStore[VersionedBook[Tariff]] = MongoAggregateStore(db, TARIFFS, TariffBookCodec())
        self.prices: MongoAggregateStore[VersionedBook[LiabilityPrice]] = MongoAggregateStore(
            db, PRICES, PriceBookCodec()
        )
        self.invoices: MongoAggregateStore[Invoice] = MongoAggregateStore(db, INVOICES, InvoiceCodec())

    @property
    def publishing(self) -> list[MongoAggregateStore[Any]]:
        """The stores whose aggregates have events to publish."""
        return [self.liabilities, self.statements, self.summaries]


async def _all(collection: AsyncCollection[Document], query: dict[str, Any]) -> list[Document]:
    try:
        return [doc async for doc in collection.find(query, _NO_OUTBOX)]
    except PyMongoError as exc:
        raise storage_error(exc) from None  # 503 only for what a retry can fix


async def _month_or_open(collection: AsyncCollection[Document], month: Month, open_flag: str) -> list[Document]:
    """The documents that report `month` and those still open (counted up to now), each once."""
    docs = await _all(collection, {"report_months": str(month)})
    docs += await _all(collection, {open_flag: True})
    return list({d["_id"]: d for d in docs}.values())


class _Decoded(Generic[A]):
    """One collection's documents, found by equality on its indexed fields, decoded by the aggregate's codec."""

    def __init__(self, collection: AsyncCollection[Document], codec: AggregateCodec[A]) -> None:
        self.collection = collection
        self.decode = codec.from_document

    async def find(self, query: dict[str, Any]) -> list[A]:
        return [self.decode(d) for d in await _all(self.collection, query)]

    async def of_month_or_open(self, month: Month, open_flag: str) -> list[A]:
        return [self.decode(d) for d in await _month_or_open(self.collection, month, open_flag)]


class MongoCareQueries:
    def __init__(self, stores: Stores) -> None:
        self._cases = _Decoded(stores.care.collection, CareCodec())

    async def cases_of_person(self, person_ref: str) -> list[tuple[CareCase, int]]:
        docs = await _all(self._cases.collection, {"person_ref": person_ref})
        return [(self._cases.decode(d), int(d["version"])) for d in docs]

    async def persons_to_bill(self) -> list[str]:
        docs = await _all(self._cases.collection, {"billing_open": True})
        return sorted({str(d["person_ref"]) for d in docs})

    async def cases_for_month(self, month: Month) -> list[CareCase]:
        return await self._cases.of_month_or_open(month, "period_open")


class MongoLiabilityQueries:
    def __init__(self, stores: Stores) -> None:
        self._records = _Decoded(stores.liabilities.collection, LiabilityCodec())

    async def cases_for_month(self, month: Month) -> list[LiabilityRecord]:
        return await self._records.of_month_or_open(month, "liability_open")


class MongoStatementQueries:
    def __init__(self, stores: Stores) -> None:
        self._statements = _Decoded(stores.statements.collection, StatementCodec())

    async def of_person(self, person_ref: str) -> list[Statement]:
        return await self._statements.find({"person_ref": person_ref})

    async def of_month(self, month: Month) -> list[Statement]:
        return await self._statements.find({"month": str(month)})


class MongoBookQueries:
    def __init__(self, stores: Stores) -> None:
        self._tariffs = _Decoded(stores.tariffs.collection, TariffBookCodec())
        self._prices = _Decoded(stores.prices.collection, PriceBookCodec())

    async def tariffs(self) -> list[VersionedBook[Tariff]]:
        return await self._tariffs.find({})

    async def prices(self) -> list[VersionedBook[LiabilityPrice]]:
        return await self._prices.find({})


class MongoInvoiceQueries:
    """The region's invoices, and what matching their lines needs: persons by identity digest, stays."""

    def __init__(self, stores: Stores) -> None:
        self._persons = stores.persons.collection
        self._liabilities = _Decoded(stores.liabilities.collection, LiabilityCodec())
        self._invoices = _Decoded(stores.invoices.collection, InvoiceCodec())

    async def persons_with_identity(self, key: str) -> list[str]:
        return [str(d["_id"]) for d in await _all(self._persons, {"identity_key": key})]

    async def _stays(self, query: dict[str, Any]) -> list[CaseLiability]:
        return [record.case for record in await self._liabilities.find(query)]

    async def stays_of_person(self, person_ref: str) -> list[CaseLiability]:
        return await self._stays({"person_ref": person_ref})

    async def stays_of_episode(self, episode_id: str) -> list[CaseLiability]:
        return await self._stays({"episode_ids": episode_id})

    async def invoices_of_month(self, month: Month) -> list[Invoice]:
        return await self._invoices.find({"month": str(month)})


class MongoIssueRuns:
    """`statement_runs`: one document per month. Claims are conditional writes on it (no transactions).

    Take-over compares the owner and the lease expiry *as read*, by equality: the write matches
    only if nobody else changed the document in between.
    """

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[RUNS]

    async def get(self, month: Month) -> IssueRun | None:
        doc = await self._collection.find_one({"_id": str(month)})
        return _run(doc) if doc else None

    async def claim(self, month: Month, owner: str, now: datetime, lease: timedelta) -> bool:
        try:
            await self._collection.insert_one(
                {
                    "_id": str(month),
                    "status": "running",
                    "owner": owner,
                    "lease_until": now + lease,
                    "started_at": now,
                }
            )
            return True
        except DuplicateKeyError:
            pass
        doc = await self._collection.find_one({"_id": str(month)})
        if doc is None or doc["status"] == "done":
            return False
        if doc["owner"] != owner and doc["lease_until"] > now:
            return False
        result = await self._collection.update_one(
            {"_id": str(month), "status": "running", "owner": doc["owner"], "lease_until": doc["lease_until"]},
            {"$set": {"owner": owner, "lease_until": now + lease}},
        )
        return result.modified_count == 1

    async def complete(self, run: IssueRun) -> None:
        await self._collection.update_one(
            {"_id": str(run.month), "owner": run.owner},
            {
                "$set": {
                    "status": "done",
                    "finished_at": run.finished_at,
                    "statements_issued": run.statements_issued,
                    "persons_skipped": list(run.persons_skipped),
                    "regions_summarized": run.regions_summarized,
                    "persons_failed": list(run.persons_failed),
                    "cases_failed": list(run.cases_failed),
                }
            },
        )


def _run(doc: Document) -> IssueRun:
    return IssueRun(
        month=Month.parse(doc["_id"]),
        status=doc["status"],
        owner=doc["owner"],
        lease_until=doc["lease_until"],
        started_at=doc["started_at"],
        finished_at=doc.get("finished_at"),
        statements_issued=int(doc.get("statements_issued", 0)),
        persons_skipped=tuple(doc.get("persons_skipped", ())),
        regions_summarized=int(doc.get("regions_summarized", 0)),
        persons_failed=tuple(doc.get("persons_failed", ())),
        cases_failed=tuple(doc.get("cases_failed", ())),
    )
