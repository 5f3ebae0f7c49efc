"""Provider callbacks: delivery reports and replies (acknowledgement codes) from the SMS provider.

Only the configured provider's routes exist. The provider's adapter checks the signature (our
HMAC in the URL for 46elks, `X-Twilio-Signature` for Twilio): an unsigned or wrongly signed
callback is answered 401, a report for a message we do not know 404, and neither changes anything.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from limits import RateLimitItem
from pydantic import BaseModel

from notification.entrypoints.errors import COMMON_ERRORS
from notification.service_layer import alerts as al
from notification.service_layer.delivery import ReportResult, apply_report
from notification.service_layer.deps import NotificationDeps
from notification.service_layer.ports import CallbackRejected, ProviderCallbacks
from trygg_shared import http
from trygg_shared.fields import has_control_characters
from trygg_shared.http import RETRY_AFTER, ProblemError, problem
from trygg_shared.logging import get_logger
from trygg_shared.ratelimit import RateLimiter, parse_rate, too_many_requests

log = get_logger(__name__)


class ReportAnswer(BaseModel):
    model_config = http.examples({"result": "applied"})

    result: Literal["applied", "ignored"]


_FORMS: dict[str, dict[str, dict[str, Any]]] = {
    "46elks-delivery": {
        "id": {"type": "string", "description": "46elks' message id."},
        "status": {"type": "string", "enum": ["sent", "delivered", "failed"]},
        "delivered": {"type": "string", "description": "When it was delivered."},
    },
    "46elks-inbound": {
        "id": {"type": "string"},
        "from": {"type": "string", "description": "The sender's number."},
        "to": {"type": "string"},
        "message": {"type": "string", "description": "The reply text (holds the alert code)."},
    },
    "twilio-status": {
        "MessageSid": {"type": "string"},
        "MessageStatus": {"type": "string", "description": "queued, sent, delivered, undelivered, failed, ..."},
    },
    "twilio-inbound": {
        "From": {"type": "string"},
        "To": {"type": "string"},
        "Body": {"type": "string"},
    },
}
_CALLBACK_ERRORS: dict[int | str, dict[str, Any]] = {
    400: problem("The callback is no form or lacks required fields."),
    401: problem("The callback is unsigned or its signature is wrong."),
}

_UNKNOWN: dict[int | str, dict[str, Any]] = {404: problem("No message we sent matches this report.")}


def _form_body(name: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": _FORMS[name]}}
            },
        }
    }


async def _read(request: Request, public_base_url: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL as the provider called it (behind any proxy), the headers, and the form fields."""
    url = public_base_url.rstrip("/") + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    try:
        form = await request.form()
    except Exception:  # noqa: BLE001 - a body that is no form is a bad callback, never a 500
        raise ProblemError(400, "Bad request", "The body is not a form.") from None
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return url, {k.lower(): v for k, v in request.headers.items()}, fields


def _refuse_controls(form: dict[str, str], name: str) -> None:
    """A documented field with a control character (a NUL can never be stored): a bad callback (400), not a
    5xx the provider retries for ever. Checked after the signature; fields we do not read are ignored."""
    if any(has_control_characters(form.get(field, ""), allow_whitespace=True) for field in _FORMS[name]):
        raise ProblemError(400, "Bad request", "A form field holds control characters.")


async def _delivery_report(
    request: Request, deps: NotificationDeps, callbacks: ProviderCallbacks, public_base_url: str, form_name: str
) -> ReportAnswer:
    """A delivery report: verified, then applied to the message it names."""
    provider = callbacks.provider
    url, headers, form = await _read(request, public_base_url)
    try:
        report = callbacks.delivery_report(url, headers, form)
    except CallbackRejected as exc:
        log.warning("delivery report rejected", provider=provider, reason=exc.reason)
        raise ProblemError(exc.status, "Unauthorized" if exc.status == 401 else "Bad request", exc.reason) from None
    _refuse_controls(form, form_name)
    result = await apply_report(deps, report, provider)
    if result is ReportResult.UNKNOWN:
        raise ProblemError(404, "Not found", "No message we sent matches this report.")
    return ReportAnswer(result="applied" if result is ReportResult.APPLIED else "ignored")


async def _inbound(
    request: Request,
    deps: NotificationDeps,
    callbacks: ProviderCallbacks,
    public_base_url: str,
    form_name: str,
    limit: tuple[RateLimiter, list[RateLimitItem]],
) -> None:
    """A reply SMS: verified, then taken as an acknowledgement code (a miss counts as a failed guess)."""
    limiter, guesses = limit
    url, headers, form = await _read(request, public_base_url)
    try:
        sms = callbacks.inbound_sms(url, headers, form)
    except CallbackRejected as exc:
        log.warning("inbound SMS rejected", provider=callbacks.provider, reason=exc.reason)
        raise ProblemError(exc.status, "Unauthorized" if exc.status == 401 else "Bad request", exc.reason) from None
    _refuse_controls(form, form_name)
    sender = hashlib.sha256(sms.from_phone.encode()).hexdigest()  # the number stays out of the limiter
    wait = limiter.refused(guesses, "ack-reply", sender)
    if wait is not None:
        raise too_many_requests(wait, "replies that acknowledged nothing")
    if await al.acknowledge_by_reply(deps, sms.from_phone, sms.text) is None:
        limiter.hit(guesses, "ack-reply", sender)


def callbacks_router(
    deps: NotificationDeps,
    callbacks: ProviderCallbacks,
    public_base_url: str,
    limiter: RateLimiter | None = None,
    failed_replies: str = "10/minute;100/hour",
) -> APIRouter:
    """The provider's callbacks. A reply that acknowledges nothing counts as a failed guess of its
    phone number; after `failed_replies` (the chassis' `LIMITS__PER_CLIENT_FAILURES`) the number's
    replies are answered 429 until the window has passed."""
    router = APIRouter(tags=["callbacks"], responses=COMMON_ERRORS)
    limiter = limiter or RateLimiter()
    guesses = parse_rate(failed_replies)
    provider = callbacks.provider
    delivery_path, inbound_path, delivery_form = (
        ("/callbacks/46elks/delivery", "/callbacks/46elks/inbound", "46elks-delivery")
        if provider == "46elks"
        else ("/callbacks/twilio/status", "/callbacks/twilio/inbound", "twilio-status")
    )
    inbound_form = "46elks-inbound" if provider == "46elks" else "twilio-inbound"

    @router.post(
        delivery_path,
        response_model=ReportAnswer,
        summary=f"Delivery report from {provider}",
        responses={**_CALLBACK_ERRORS, **_UNKNOWN},
        openapi_extra=_form_body(delivery_form),
    )
    async def delivery_report(request: Request) -> ReportAnswer:
        return await _delivery_report(request, deps, callbacks, public_base_url, delivery_form)

    @router.post(
        inbound_path,
        status_code=204,
        response_class=Response,
        summary=f"A reply SMS through {provider}: an on-call person's acknowledgement code",
        responses={
            **_CALLBACK_ERRORS,
            429: problem(
                "Too many replies from this number that acknowledged nothing; retry after `Retry-After` seconds.",
                headers=RETRY_AFTER,
            ),
        },
        openapi_extra=_form_body(inbound_form),
    )
    async def inbound(request: Request) -> Response:
        await _inbound(request, deps, callbacks, public_base_url, inbound_form, (limiter, guesses))
        return Response(status_code=204)  # an empty answer: 46elks and Twilio send no reply SMS

    return router
