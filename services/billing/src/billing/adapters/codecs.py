"""How each aggregate is stored, and how its domain events go on the wire (the only place that knows both).

Query fields are denormalised at the top level of each document (FerretDB 1.24 pushes only
top-level equality filters down to PostgreSQL): `person_ref`, `billing_open`, `report_months`,
`period_open`, `liability_open`, `month`, `region_code`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from billing.adapters.documents import decode, encode
from billing.domain.care import CareCase
from billing.domain.fees import PersonAccount, Statement, StatementIssued
from billing.domain.invoice_csv import identity_key
from billing.domain.invoices import Invoice
from billing.domain.liability import CaseLiability, LiabilityDaysAccrued, LiabilityRecord, MonthLiability
from billing.domain.money import months_between
from billing.domain.reports import LiabilityMonthSummarized, LiabilitySummary
from billing.domain.tariffs import LiabilityPrice, Tariff, VersionedBook
from trygg_shared.contracts import billing as wire
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.mapping import to_contract
from trygg_shared.mongo import Document

T = TypeVar("T")

_STORE_FIELDS = ("_id", "version", "last_seq", "outbox", "outbox_pending")


def _fields(doc: Document, *derived: str) -> dict[str, Any]:
    """The aggregate's own fields: without the store's and the `derived` query fields written beside them."""
    return {k: v for k, v in doc.items() if k not in _STORE_FIELDS and k not in derived}


def _decoded(stored: type[T], doc: Document, *derived: str) -> T:
    result: T = decode(stored, _fields(doc, *derived))
    return result


class PlainCodec(Generic[T]):
    """An aggregate stored as its fields alone (no query fields of its own) that publishes nothing."""

    stored: Any  # the type the document decodes to
    publishes_nothing: str  # the error when asked to publish ({event}: the event's type)

    def to_document(self, state: T) -> Document:
        doc: Document = encode(state)
        return doc

    def from_document(self, doc: Document) -> T:
        result: T = _decoded(self.stored, doc)
        return result

    def to_wire(self, aggregate_id: str, event: object) -> Sequence[IntegrationEvent]:
        raise TypeError(self.publishes_nothing.format(event=type(event).__name__))


class LiabilityCodec:
    """`case_liability`: one document per case (its ready periods, discharge, the accrual announced)."""

    def to_document(self, state: LiabilityRecord) -> Document:
        case = state.case
        doc: Document = encode(case)
        doc["announced"] = encode(state.announced)
        doc["region_code"] = case.region_code
        doc["amount_sek"] = case.amount_sek  # referral's figure for the stay, for a quick look
        doc["liability_open"] = case.open_period is not None
        doc["report_months"] = [str(m) for m in state.report_months()]
        return doc

    def from_document(self, doc: Document) -> LiabilityRecord:
        fields = _fields(doc, "region_code", "amount_sek", "liability_open", "report_months")
        announced = fields.pop("announced", [])
        record = LiabilityRecord(decode(CaseLiability, fields))
        record.announced = decode(tuple[MonthLiability, ...], announced)
        return record

    def to_wire(self, aggregate_id: str, event: object) -> Sequence[IntegrationEvent]:
        if not isinstance(event, LiabilityDaysAccrued):
            raise TypeError(f"no wire contract for {type(event).__name__}")
        return [
            to_contract(
                wire.LiabilityDaysAccrued,
                event,
                months=tuple(to_contract(wire.MonthLiability, m, month=str(m.month)) for m in event.months),
                liability_days=event.days,
            )
        ]


class CareCodec:
    """`care_cases`: one document per case: decisions, the team's periods, completed visits."""

    def to_document(self, state: CareCase) -> Document:
        doc: Document = encode(state)
        months: set[str] = set()
        for p in state.periods.values():
            months.update(str(m) for m in months_between(p.start_date, p.last_day))
        months.update(str(months_between(v.day, v.day)[0]) for v in state.visits.values())
        doc["report_months"] = sorted(months)
        doc["period_open"] = any(p.ended_on is None for p in state.periods.values())
        return doc

    def from_document(self, doc: Document) -> CareCase:
        return _decoded(CareCase, doc, "report_months", "period_open")

    def to_wire(self, aggregate_id: str, event: object) -> Sequence[IntegrationEvent]:
        raise TypeError(f"care cases publish nothing ({type(event).__name__})")


class PersonCodec(PlainCodec[PersonAccount]):
    """`persons`: who a person is (personal data) and their fee headroom; `identity_key` (a digest of the
    identity number) finds the person of a line of the region's invoice."""

    stored, publishes_nothing = PersonAccount, "person accounts publish nothing ({event})"

    def to_document(self, state: PersonAccount) -> Document:
        doc = super().to_document(state)
        doc["identity_key"] = identity_key(state.recipient.identity_number) if state.recipient else None
        return doc

    def from_document(self, doc: Document) -> PersonAccount:
        return _decoded(PersonAccount, doc, "identity_key")


class InvoiceCodec(PlainCodec[Invoice]):
    """`invoices`: one document per imported invoice file (id: the file's SHA-256), `month` to query by."""

    stored, publishes_nothing = Invoice, "invoices publish nothing ({event})"

    def to_document(self, state: Invoice) -> Document:
        doc = super().to_document(state)
        doc["month"] = str(state.month)
        return doc

    def from_document(self, doc: Document) -> Invoice:
        return super().from_document(doc)  # `month` is a field of the invoice itself


class StatementCodec:
    """`statements`: one document per person and month, written once."""

    def to_document(self, state: Statement) -> Document:
        doc: Document = encode(state)
        doc["total_ore"] = state.total_ore
        return doc

    def from_document(self, doc: Document) -> Statement:
        return _decoded(Statement, doc, "total_ore")

    def to_wire(self, aggregate_id: str, event: object) -> Sequence[IntegrationEvent]:
        if not isinstance(event, StatementIssued):
            raise TypeError(f"no wire contract for {type(event).__name__}")
        s = event.statement
        own = s.tariffs.get(s.month)
        return [
            wire.StatementIssued(
                statement_id=s.statement_id,
                person_ref=s.person_ref,
                month=str(s.month),
                issued_at=s.issued_at,
                municipality_code=own.municipality_code if own else next(iter(s.tariffs.values())).municipality_code,
                lines=tuple(wire.StatementLine.model_validate(line.published()) for line in s.lines),
                total_ore=s.total_ore,
                maxtaxa_ore=own.tariff.maxtaxa_ore if own else None,
                tariff_version=own.version if own else None,
            )
        ]


class SummaryCodec:
    """`liability_summaries`: one document per region and month, written once."""

    def to_document(self, state: LiabilitySummary) -> Document:
        doc: Document = encode(state)
        doc["region_code"] = state.totals.region_code
        doc["month"] = str(state.totals.month)
        return doc

    def from_document(self, doc: Document) -> LiabilitySummary:
        return _decoded(LiabilitySummary, doc, "region_code", "month")

    def to_wire(self, aggregate_id: str, event: object) -> Sequence[IntegrationEvent]:
        if not isinstance(event, LiabilityMonthSummarized):
            raise TypeError(f"no wire contract for {type(event).__name__}")
        return [to_contract(wire.LiabilityMonthSummarized, event.totals, event, month=str(event.totals.month))]


class TariffBookCodec(PlainCodec[VersionedBook[Tariff]]):
    """`tariffs`: every version of one municipality's year."""

    stored, publishes_nothing = VersionedBook[Tariff], "tariff books publish nothing"


class PriceBookCodec(PlainCodec[VersionedBook[LiabilityPrice]]):
    """`liability_prices`: every version of one region's price for one year."""

    stored, publishes_nothing = VersionedBook[LiabilityPrice], "price books publish nothing"
