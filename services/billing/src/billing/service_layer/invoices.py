"""Importing the region's liability invoice, checking it, and reading it back (every step audited).

The file's SHA-256 is the invoice's id, so the same file imported twice is the same invoice and
changes nothing. The checked invoice is one document written with one insert (FerretDB v1 has no
multi-document transactions): either the whole invoice is there or none of it. A file with any
bad line is refused whole, each problem named by line and field and never by value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from billing.domain.invoice_csv import InvoiceLayout, InvoiceLine, LineProblem, identity_key, parse_invoice
from billing.domain.invoices import CheckedLine, Invoice, LineStatus, check_line
from billing.domain.liability import CaseLiability
from billing.domain.money import Month
from billing.service_layer.ports import Actor, BillingDeps
from billing.service_layer.reads import audit
from trygg_shared.aggregate import ConcurrencyConflict


class InvoiceRefused(Exception):
    """The file cannot be imported: every problem, by line and field."""

    def __init__(self, problems: Sequence[LineProblem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = tuple(problems)


class InvoiceElsewhere(Exception):
    """The same file was imported already for another region or month."""

    def __init__(self, invoice: Invoice) -> None:
        super().__init__(invoice.invoice_id)
        self.invoice = invoice


@dataclass(frozen=True)
class Imported:
    invoice: Invoice
    repeated: bool  # the same file was imported before: nothing changed


def layout_for(deps: BillingDeps, region_code: str) -> InvoiceLayout:
    return deps.invoice_layouts.get(region_code) or deps.invoice_layouts["*"]


async def _candidates(deps: BillingDeps, line: InvoiceLine) -> tuple[str | None, list[CaseLiability]]:
    """The person (when the line names one we know) and the stays the line may be about."""
    if line.episode_id:
        stays = await deps.invoice_queries.stays_of_episode(line.episode_id)
        if stays or not line.identity_number:
            return (stays[0].person_ref if stays else None), stays
    if not line.identity_number:
        return None, []
    persons = await deps.invoice_queries.persons_with_identity(identity_key(line.identity_number))
    stays = [stay for person in sorted(persons) for stay in await deps.invoice_queries.stays_of_person(person)]
    return (persons[0] if len(persons) == 1 else None), stays


async def check_lines(deps: BillingDeps, lines: Sequence[InvoiceLine], month: Month) -> list[CheckedLine]:
    checked = []
    for line in lines:
        person_ref, stays = await _candidates(deps, line)
        checked.append(check_line(line, person_ref, stays, month))
    return checked


async def import_invoice(deps: BillingDeps, actor: Actor, region_code: str, month: Month, content: bytes) -> Imported:
    """Check the region's invoice file and keep it (idempotent by the file's hash)."""
    invoice_id = hashlib.sha256(content).hexdigest()
    held = await deps.invoices.load(invoice_id)
    if held is None:
        lines, problems = parse_invoice(content, layout_for(deps, region_code), month.year)
        if problems:
            await audit(deps, actor, "import_invoice_refused", [], f"{region_code} {month} {len(problems)} problems")
            raise InvoiceRefused(problems)
        checked = await check_lines(deps, lines, month)
        invoice = Invoice(invoice_id, region_code, month, deps.clock.now(), actor.subject, checked)
        try:
            await deps.invoices.save(invoice_id, 0, invoice, [])
            await _audit_import(deps, actor, invoice, "import_invoice")
            return Imported(invoice, repeated=False)
        except ConcurrencyConflict:
            held = await deps.invoices.load(invoice_id)  # imported meanwhile: the same invoice
            assert held is not None
    invoice = held.state
    if invoice.region_code != region_code or invoice.month != month:
        raise InvoiceElsewhere(invoice)
    await _audit_import(deps, actor, invoice, "import_invoice_repeated")
    return Imported(invoice, repeated=True)


async def _audit_import(deps: BillingDeps, actor: Actor, invoice: Invoice, action: str) -> None:
    persons = sorted({line.person_ref for line in invoice.lines if line.person_ref})
    detail = f"{invoice.region_code} {invoice.month} {invoice.invoice_id[:16]} {len(invoice.lines)} lines"
    await audit(deps, actor, action, persons, detail)


async def invoice_of(deps: BillingDeps, actor: Actor, invoice_id: str) -> Invoice | None:
    loaded = await deps.invoices.load(invoice_id)
    if loaded is None:
        return None
    await audit(deps, actor, "read_invoice", _persons(loaded.state.lines), invoice_id[:16])
    return loaded.state


async def invoices_of_month(deps: BillingDeps, actor: Actor, month: Month) -> list[Invoice]:
    """The month's invoices (their totals are not personal data; their lines are not shown)."""
    found = await deps.invoice_queries.invoices_of_month(month)
    return sorted(found, key=lambda i: (i.region_code, i.imported_at, i.invoice_id))


async def disputes_of_month(deps: BillingDeps, actor: Actor, month: Month) -> list[tuple[Invoice, CheckedLine]]:
    """Every disputed or unknown line of the month's invoices (the dispute list), audited as an export."""
    found = [
        (invoice, line)
        for invoice in await invoices_of_month(deps, actor, month)
        for line in invoice.lines
        if line.status is not LineStatus.AGREED
    ]
    await audit(deps, actor, "export_invoice_disputes", _persons([line for _, line in found]), str(month))
    return found


def _persons(lines: Sequence[CheckedLine]) -> list[str]:
    return sorted({line.person_ref for line in lines if line.person_ref})
