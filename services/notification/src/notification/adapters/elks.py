"""46elks: `POST /a1/sms` (form, HTTP Basic auth), delivery reports to `whendelivered`, history for reconciling.

- send: form fields `from`, `to`, `message`, `whendelivered` (our signed callback URL). The answer
  is JSON with the provider's `id` and `status` (`created`, `sent`, `delivered`, `failed`).
- delivery report: 46elks POSTs a form (`id`, `status` sent/delivered/failed, `delivered`) to the
  `whendelivered` URL. 46elks does not sign it; the URL carries our HMAC (see `signing`).
- reconcile: `GET /a1/sms?to=...&end=<since>` lists the messages to that number after `since`
  (newest first, at most 100 a page, `next` to page on); ours is the one with our sender and text.
- errors: a timeout or a broken connection after the request went out is *ambiguous* (46elks may
  have the message), 5xx and 429 are retried, any other 4xx is final.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from notification.adapters.signing import CallbackSigner, query_params
from notification.domain.message import DeliveryStatus
from notification.service_layer.ports import (
    Accepted,
    CallbackRejected,
    DeliveryReport,
    Found,
    InboundSms,
    LookupFailed,
    LookupOutcome,
    NotFound,
    OutgoingSms,
    Rejected,
    SendOutcome,
    Unavailable,
)

STATUSES = {
    "created": DeliveryStatus.ACCEPTED,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "failed": DeliveryStatus.FAILED,
}
DELIVERY_PATH = "/callbacks/46elks/delivery"
INBOUND_PATH = "/callbacks/46elks/inbound"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"  # 46elks: UTC without an offset
MAX_HISTORY_PAGES = 5


def transport_outcome(exc: httpx.TransportError) -> Unavailable:
    """A connection that never opened did not send anything; anything later may have."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return Unavailable(type(exc).__name__, ambiguous=False)
    return Unavailable(type(exc).__name__, ambiguous=True)


def http_outcome(status: int) -> Unavailable | Rejected:
    if status >= 500:
        return Unavailable(f"http_{status}", ambiguous=True)
    if status == 429:
        return Unavailable("http_429", ambiguous=False)
    return Rejected(f"http_{status}")


def inbound_from(form: dict[str, str], *, sender_field: str, text_field: str) -> InboundSms:
    """A provider's inbound-SMS form as the message, or 400 when its sender or text field is missing."""
    sender, text = form.get(sender_field), form.get(text_field)
    if not sender or text is None:
        raise CallbackRejected(400, f"inbound SMS without {sender_field} and {text_field}")
    return InboundSms(from_phone=sender, text=text)


async def post_sms(
    client: httpx.AsyncClient,
    url: str,
    form: dict[str, str],
    auth: httpx.Auth,
    *,
    id_field: str,
    statuses: Mapping[str, DeliveryStatus],
    first_status: str,
) -> SendOutcome:
    """POST a provider's message form: its id for the message and the status it answered, or why not."""
    try:
        response = await client.post(url, data=form, auth=auth)
    except httpx.TransportError as exc:
        return transport_outcome(exc)
    if response.status_code >= 300:
        return http_outcome(response.status_code)
    try:
        body = response.json()
        provider_id = str(body[id_field])
    except (ValueError, KeyError, TypeError):
        # It answered 2xx, so it has the message; without an id we cannot match reports.
        return Unavailable("unreadable_answer", ambiguous=True)
    return Accepted(provider_id, statuses.get(str(body.get("status", first_status)), DeliveryStatus.ACCEPTED))


async def history_page(
    client: httpx.AsyncClient, url: str, params: dict[str, str], auth: httpx.Auth, *, list_field: str
) -> tuple[dict[str, Any], list[dict[str, Any]]] | LookupFailed:
    """GET one page of a provider's message history: the answer and its messages, or why not."""
    try:
        response = await client.get(url, params=params, auth=auth)
    except httpx.TransportError as exc:
        return LookupFailed(type(exc).__name__)
    if response.status_code != 200:
        return LookupFailed(f"http_{response.status_code}")
    try:
        body = response.json()
        entries = list(body.get(list_field) or [])
    except (ValueError, AttributeError):
        return LookupFailed("unreadable_history")
    return body, entries


class FortySixElks:
    name = "46elks"
    supports_lookup = True

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        username: str,
        password: str,
        signer: CallbackSigner,
        public_base_url: str,
    ) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self._auth = httpx.BasicAuth(username, password)
        self._signer = signer
        self._public = public_base_url

    async def send(self, sms: OutgoingSms) -> SendOutcome:
        form = {
            "from": sms.sender,
            "to": sms.to,
            "message": sms.text,
            "whendelivered": self._signer.url(self._public, DELIVERY_PATH, sms.message_id),
        }
        return await post_sms(
            self._client,
            f"{self._base}/a1/sms",
            form,
            self._auth,
            id_field="id",
            statuses=STATUSES,
            first_status="created",
        )

    async def lookup(self, sms: OutgoingSms, since: datetime) -> LookupOutcome:
        params = {"to": sms.to, "end": since.astimezone(UTC).strftime(_TIME_FORMAT), "limit": "100"}
        for _ in range(MAX_HISTORY_PAGES):
            page = await history_page(self._client, f"{self._base}/a1/sms", params, self._auth, list_field="data")
            if isinstance(page, LookupFailed):
                return page
            body, entries = page
            for entry in entries:
                if (
                    entry.get("direction", "outgoing") == "outgoing"
                    and entry.get("to") == sms.to
                    and entry.get("from") == sms.sender
                    and entry.get("message") == sms.text
                ):
                    return Found(str(entry["id"]), STATUSES.get(str(entry.get("status")), DeliveryStatus.ACCEPTED))
            following = body.get("next")
            if not following:
                return NotFound()
            params = {**params, "start": str(following)}
        return LookupFailed("history_too_long")


class FortySixElksCallbacks:
    """Reads 46elks' delivery reports and inbound SMS at URLs we signed."""

    provider = "46elks"

    def __init__(self, signer: CallbackSigner) -> None:
        self._signer = signer

    def delivery_report(self, url: str, headers: dict[str, str], form: dict[str, str]) -> DeliveryReport:
        params = query_params(url)
        message_id, sig = params.get("message_id"), params.get("sig")
        if not message_id or not sig:
            raise CallbackRejected(401, "unsigned delivery report")
        if not self._signer.verify(message_id, sig):
            raise CallbackRejected(401, "delivery report with a wrong signature")
        status = STATUSES.get(form.get("status", ""))
        provider_id = form.get("id")
        if status is None or not provider_id:
            raise CallbackRejected(400, "delivery report without a known status and an id")
        return DeliveryReport(message_id=message_id, provider_id=provider_id, status=status)

    def inbound_sms(self, url: str, headers: dict[str, str], form: dict[str, str]) -> InboundSms:
        sig = query_params(url).get("sig")
        if not sig or not self._signer.verify("inbound", sig):
            raise CallbackRejected(401, "unsigned inbound SMS")
        return inbound_from(form, sender_field="from", text_field="message")

    def inbound_url(self, public_base_url: str) -> str:
        """The URL to set as the 46elks number's `sms_url`."""
        return self._signer.url(public_base_url, INBOUND_PATH, "inbound", param="for")
