"""The billing service's API for officers, over HTTP (httpx): the running month's fees and the region's
invoices. The console calls it with its own token (`CONSOLE_BILLING__TOKEN`, role officer); the person
who asked is in the console's own audit record.

2xx: billing's JSON (or CSV); 404 for an invoice: None; 409 or 422: `BillingRefused` with the problems
billing named (line numbers and fields, never values; a 422 of the query itself has none); anything
else, or no answer:
`BillingUnavailable`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from console.adapters.service_client import BearerClient
from console.service_layer.ports import BillingRefused, BillingUnavailable, InvoiceProblem
from trygg_shared.logging import get_logger

log = get_logger(__name__)


class HttpBilling(BearerClient):
    async def _call(
        self, method: str, path: str, *, params: dict[str, str] | None = None, content: bytes | None = None
    ) -> httpx.Response:
        headers = dict(self._auth)
        if content is not None:
            headers["Content-Type"] = "text/csv"
        try:
            async with self._client() as client:
                response = await client.request(
                    method, f"{self._base}{path}", params=params, content=content, headers=headers
                )
        except httpx.HTTPError as exc:
            log.warning("billing service unreachable", path=path, error=type(exc).__name__)
            raise BillingUnavailable(type(exc).__name__) from None
        if response.status_code in (409, 422):
            raise BillingRefused(response.status_code, _problems(response))
        if not response.is_success and response.status_code != 404:
            log.warning("billing service answered with an error", path=path, status=response.status_code)
            raise BillingUnavailable(f"HTTP {response.status_code}")
        return response

    async def running_fees(self, month: str | None) -> dict[str, Any]:
        result: dict[str, Any] = (await self._call("GET", "/fees", params={"month": month} if month else None)).json()
        return result

    async def invoices(self, month: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = (await self._call("GET", "/invoices", params={"month": month})).json()
        return result

    async def invoice(self, invoice_id: str) -> dict[str, Any] | None:
        response = await self._call("GET", f"/invoices/{quote(invoice_id, safe='')}")
        if response.status_code == 404:
            return None
        result: dict[str, Any] = response.json()
        return result

    async def import_invoice(self, region: str, month: str, content: bytes) -> dict[str, Any]:
        response = await self._call("POST", "/invoices", params={"region": region, "month": month}, content=content)
        result: dict[str, Any] = response.json()
        return result

    async def disputes_csv(self, month: str) -> bytes:
        return (await self._call("GET", "/invoice-disputes.csv", params={"month": month})).content


def _problems(response: httpx.Response) -> list[InvoiceProblem]:
    """Billing's per-line problems (`errors`: field `lines.<line>.<field>`, message `line <n>: <text>`)."""
    try:
        body = response.json()
    except ValueError:
        return []
    found = []
    for error in (body.get("errors") or []) if isinstance(body, dict) else []:
        parts = str(error.get("field", "")).split(".")
        line = int(parts[1]) if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() else 0
        text = str(error.get("message", "")).split(": ", 1)[-1]
        found.append(InvoiceProblem(line, parts[-1], text))
    return found
