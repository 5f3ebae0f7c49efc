"""The officers' billing pages: the running month's fees and the region's invoices, read from billing's API.

Like every page with personal data, a read first writes the console's audit record (who, which
cases); billing writes its own for the console's token. The totals of a month's invoices are not
personal data; an invoice's lines (cases, person references) and the dispute list are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from console.domain.access import Actor, Page
from console.service_layer.pages import ConsoleDeps, Forbidden, NotFound, _audit, _require
from console.service_layer.ports import Billing, BillingUnavailable

FEE_FIELDS = ("name", "person_ref", "fees")
INVOICE_FIELDS = ("person_ref", "care_unit", "liability_days")


def _billing(deps: ConsoleDeps) -> Billing:
    if deps.billing is None:
        raise BillingUnavailable("no billing service configured")
    return deps.billing


@dataclass(frozen=True)
class FeesPage:
    month: str
    persons: Sequence[Mapping[str, Any]]  # billing's fees per person
    names: Mapping[str, str]  # person_ref -> the name the console knows (from a case's contact)
    left_out: Sequence[str]


async def _names(deps: ConsoleDeps, persons: Sequence[Mapping[str, Any]]) -> tuple[dict[str, str], list[str]]:
    """Each person's name as the console knows it (from one of their cases), and the cases shown."""
    names: dict[str, str] = {}
    cases: list[str] = []
    for person in persons:
        for case_id in dict.fromkeys(line["case_id"] for line in person["lines"] if line.get("case_id")):
            cases.append(case_id)
            found = await deps.read_model.case(case_id)
            if found is not None and found[0].name and person["person_ref"] not in names:
                names[person["person_ref"]] = found[0].name
    return names, cases


async def fees_page(deps: ConsoleDeps, actor: Actor, month: str | None) -> FeesPage:
    _require(actor, Page.FEES)
    answer = await _billing(deps).running_fees(month)
    persons = answer["persons"]
    names, cases = await _names(deps, persons)
    await _audit(deps, actor, "view_running_fees", cases, FEE_FIELDS)
    return FeesPage(answer["month"], persons, names, answer.get("left_out", []))


async def invoices_page(deps: ConsoleDeps, actor: Actor, month: str) -> list[dict[str, Any]]:
    _require(actor, Page.INVOICES)
    return await _billing(deps).invoices(month)


async def invoice_page(deps: ConsoleDeps, actor: Actor, invoice_id: str) -> dict[str, Any]:
    _require(actor, Page.INVOICES)
    invoice = await _billing(deps).invoice(invoice_id)
    if invoice is None:
        raise NotFound(invoice_id)
    cases = [line["case_id"] for line in invoice["lines"] if line.get("case_id")]
    await _audit(deps, actor, "view_invoice", cases, INVOICE_FIELDS)
    return invoice


async def import_invoice(deps: ConsoleDeps, actor: Actor, region: str, month: str, content: bytes) -> dict[str, Any]:
    if not actor.may_see(Page.INVOICES):
        raise Forbidden(Page.INVOICES.value)
    return await _billing(deps).import_invoice(region, month, content)


async def disputes_csv(deps: ConsoleDeps, actor: Actor, month: str) -> bytes:
    _require(actor, Page.INVOICES)
    await _audit(deps, actor, "export_invoice_disputes", [], ("invoice_disputes",))
    return await _billing(deps).disputes_csv(month)
