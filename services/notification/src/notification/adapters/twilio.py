"""Twilio: the Messages API, StatusCallback reports checked by `X-Twilio-Signature`.

- send: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (form `To`, `From`, `Body`,
  `StatusCallback`, HTTP Basic auth with the account SID and auth token); JSON answer with `sid`
  and `status`.
- status callback: a form POST with `MessageSid`, `MessageStatus` to our URL (which carries our
  message id); its `X-Twilio-Signature` header is base64(HMAC-SHA1(auth token, the full URL + the
  sorted POST parameters)). A report without a valid signature is refused.
- reconcile: `GET .../Messages.json?To=...&From=...` (newest first) and match the body.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from email.utils import parsedate_to_datetime

import httpx

from notification.adapters.elks import history_page, inbound_from, post_sms
from notification.adapters.signing import query_params, twilio_signature
from notification.domain.message import DeliveryStatus
from notification.service_layer.ports import (
    CallbackRejected,
    DeliveryReport,
    Found,
    InboundSms,
    LookupFailed,
    LookupOutcome,
    NotFound,
    OutgoingSms,
    SendOutcome,
)

STATUSES = {
    "queued": DeliveryStatus.ACCEPTED,
    "accepted": DeliveryStatus.ACCEPTED,
    "scheduled": DeliveryStatus.ACCEPTED,
    "sending": DeliveryStatus.ACCEPTED,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
}
STATUS_PATH = "/callbacks/twilio/status"
INBOUND_PATH = "/callbacks/twilio/inbound"


class Twilio:
    name = "twilio"
    supports_lookup = True

    def __init__(
        self, client: httpx.AsyncClient, *, base_url: str, account_sid: str, auth_token: str, public_base_url: str
    ) -> None:
        self._client = client
        self._messages = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._auth = httpx.BasicAuth(account_sid, auth_token)
        self._public = public_base_url.rstrip("/")

    async def send(self, sms: OutgoingSms) -> SendOutcome:
        form = {
            "To": sms.to,
            "From": sms.sender,
            "Body": sms.text,
            "StatusCallback": f"{self._public}{STATUS_PATH}?message_id={sms.message_id}",
        }
        return await post_sms(
            self._client, self._messages, form, self._auth, id_field="sid", statuses=STATUSES, first_status="queued"
        )

    async def lookup(self, sms: OutgoingSms, since: datetime) -> LookupOutcome:
        params = {"To": sms.to, "From": sms.sender, "PageSize": "100"}
        page = await history_page(self._client, self._messages, params, self._auth, list_field="messages")
        if isinstance(page, LookupFailed):
            return page
        _body, messages = page
        for entry in messages:
            created = entry.get("date_created")
            try:
                created_at = parsedate_to_datetime(created) if created else None
            except (TypeError, ValueError):
                created_at = None
            if created_at is not None and created_at < since:
                continue
            if entry.get("body") == sms.text and entry.get("direction", "outbound-api").startswith("outbound"):
                return Found(str(entry["sid"]), STATUSES.get(str(entry.get("status")), DeliveryStatus.ACCEPTED))
        return NotFound()


class TwilioCallbacks:
    provider = "twilio"

    def __init__(self, auth_token: str) -> None:
        self._token = auth_token

    def _verify(self, url: str, headers: dict[str, str], form: dict[str, str]) -> None:
        given = headers.get("x-twilio-signature")
        if not given:
            raise CallbackRejected(401, "unsigned Twilio callback")
        if not hmac.compare_digest(twilio_signature(self._token, url, form), given):
            raise CallbackRejected(401, "Twilio callback with a wrong signature")

    def delivery_report(self, url: str, headers: dict[str, str], form: dict[str, str]) -> DeliveryReport:
        self._verify(url, headers, form)
        message_id = query_params(url).get("message_id")
        status = STATUSES.get(form.get("MessageStatus", ""))
        sid = form.get("MessageSid")
        if not message_id or status is None or not sid:
            raise CallbackRejected(400, "status callback without message id, known status and MessageSid")
        return DeliveryReport(message_id=message_id, provider_id=sid, status=status)

    def inbound_sms(self, url: str, headers: dict[str, str], form: dict[str, str]) -> InboundSms:
        self._verify(url, headers, form)
        return inbound_from(form, sender_field="From", text_field="Body")
