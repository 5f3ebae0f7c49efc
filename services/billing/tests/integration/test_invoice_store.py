"""The region's invoice on the real MongoDB wire: persons found by identity digest, stays by episode id
(an array field), the invoice one document written once."""

from __future__ import annotations

import uuid
from typing import Any

from invoice_support import MONTH, REGION, sample_csv, seed
from pymongo.asynchronous.database import AsyncDatabase

from billing.service_layer import invoices
from billing.service_layer.ports import Actor

from .test_billing_store import wired

OFFICER = Actor("officer:it", ("officer",))


async def test_an_invoice_is_checked_on_the_database_and_a_repeat_changes_nothing(db: AsyncDatabase[Any]) -> None:
    deps = await wired(db)
    suffix = f"-{uuid.uuid4().hex[:6]}"
    await seed(deps, suffix)
    content = sample_csv(suffix)  # its episode id carries the suffix: one file per run

    first = await invoices.import_invoice(deps, OFFICER, REGION, MONTH, content)
    again = await invoices.import_invoice(deps, OFFICER, REGION, MONTH, content)

    statuses = [(line.line_no, line.status.value, line.case_id) for line in first.invoice.lines]
    assert statuses == [
        (2, "agreed", f"case-a{suffix}"),
        (3, "disputed", f"case-r{suffix}"),
        (4, "disputed", f"case-h{suffix}"),
        (5, "disputed", f"case-n{suffix}"),
        (6, "unknown", None),
    ]
    assert (first.repeated, again.repeated) == (False, True)
    assert again.invoice.lines == first.invoice.lines
    assert await db["invoices"].count_documents({"_id": first.invoice.invoice_id}) == 1
    stored = await db["invoices"].find_one({"_id": first.invoice.invoice_id})
    assert stored is not None
    for digits in ("191212", "701063", "201212", "191212312340"):
        assert digits not in str(stored)
    listed = await invoices.invoices_of_month(deps, OFFICER, MONTH)
    assert first.invoice.invoice_id in [i.invoice_id for i in listed]
