"""`POST /webhooks/lus`: the hospital intake, answering exactly as specs/lus-webhook.md says.

Order of checks: size by `Content-Length` (413, in the chassis before the body is read),
media type (415), failed signatures of the client address (429, before the body is read),
size while reading (413), signature (401), the sender's rate (429), JSON (400), format (422),
durable storage (503 when it cannot be done now). A 2xx only after the message is stored.

Rate limits (`REFERRAL_WEBHOOK_LIMITS`): each sender, identified by its verified signature, may
send `per_sender`; a client address whose signatures fail `unsigned_per_client` times is refused
before its next body is even read (a flood of unsigned messages costs no HMAC and no buffering).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from limits import RateLimitItem
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from referral.domain.messages import MessageType
from referral.entrypoints.errors import RETRY_AFTER, problem
from referral.entrypoints.lus_format import MAX_BODY_BYTES, AnyLusMessage, parse_lus_json
from referral.service_layer.deps import ReferralDeps
from referral.service_layer.intake import receive_hospital_message
from referral.service_layer.ports import InvalidSignature, SignatureVerifier, StorageUnavailable
from trygg_shared.guard import route_limits
from trygg_shared.http import ProblemError, field_errors
from trygg_shared.logging import get_logger
from trygg_shared.ratelimit import RateLimiter, parse_rate, too_many_requests

log = get_logger(__name__)
_MESSAGE_TYPES = frozenset(t.value for t in MessageType)
RETRY_AFTER_SECONDS = 10


class WebhookLimits(BaseModel):
    """Rate limits of the hospital intake (`limits` notation, e.g. `200/second;5000/minute`)."""

    per_sender: str = Field(
        "200/second",
        description="Webhooks per sender (identified by its verified signature); more are answered 429 "
        "with Retry-After, which Standard Webhooks senders honour.",
    )
    unsigned_per_client: str = Field(
        "50/second;1000/hour",
        description="Webhooks with a missing or wrong signature per client address; after that the "
        "address is answered 429 before its body is read, until the window has passed.",
    )

    @field_validator("per_sender", "unsigned_per_client")
    @classmethod
    def _rate(cls, value: str) -> str:
        parse_rate(value)
        return value


class Accepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "case_id": "a81ac505-f085-519e-9ef6-973a857711b7",
                    "message_id": "b03c48db-e74a-4ca7-9c56-2db40d734e21",
                }
            ]
        }
    )

    case_id: str = Field(description="The case this message belongs to (one per care episode).")
    message_id: str = Field(description="Our id of the accepted message.")


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ProblemError(413, "Content too large", f"The body may be at most {MAX_BODY_BYTES} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ProblemError(413, "Content too large", f"The body may be at most {MAX_BODY_BYTES} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _strip_union_tag(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        loc = tuple(err.get("loc", ()))
        if loc and loc[0] in _MESSAGE_TYPES:
            out.append({**err, "loc": loc[1:]})
        elif not loc and err.get("type") == "union_tag_invalid":
            out.append({**err, "loc": ("message_type",), "msg": "unknown message_type"})
        else:
            out.append(err)
    return out


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": Accepted, "description": "A repeat of an accepted webhook-id: the first answer again."},
    202: {"model": Accepted, "description": "Accepted and durably stored."},
    400: problem("Body is not JSON."),
    401: problem("Signature missing or wrong, unknown sender, or stale timestamp."),
    413: problem("Body over 64 KiB."),
    415: problem("Not application/json."),
    422: problem("Valid JSON that breaks the format; lists each field error."),
    429: problem(
        "Too many webhooks from this sender, or too many failed signatures from this address; "
        "retry after `Retry-After` seconds.",
        headers=RETRY_AFTER,
    ),
    503: problem("Cannot store durably right now; retry after `Retry-After` seconds.", headers=RETRY_AFTER),
}


def _parse(body: bytes) -> AnyLusMessage:
    """The message in a verified body: 400 when not JSON, 422 (each field error) when it breaks the format."""
    try:
        message = parse_lus_json(body)  # the one parse of the body: JSON and format together
    except ValidationError as exc:
        details = exc.errors(include_input=False, include_url=False)
        if any(err["type"] == "json_invalid" for err in details):
            raise ProblemError(400, "Bad request", "The body is not valid JSON.") from None
        errors = _strip_union_tag(list(details))  # type: ignore[arg-type]
        raise ProblemError(
            422,
            "Unprocessable content",
            "The message breaks the LUS webhook format.",
            errors=field_errors(errors, skip_root=()),
        ) from None
    return message


# A refused webhook's reason, for the metric (`trygg_referral_webhooks_total{outcome}`), by status.
WEBHOOK_REFUSALS = {
    401: "bad_signature",
    413: "too_large",
    415: "wrong_media_type",
    429: "rate_limited",
    503: "unavailable",
}


@dataclass(frozen=True)
class _Intake:
    """One webhook's way in: media type, the failed-signature limit, the signature, the sender's
    limit, the format, then the use case; every refusal is a `ProblemError`."""

    verifier: SignatureVerifier
    deps: ReferralDeps
    limiter: RateLimiter
    per_sender: list[RateLimitItem]
    unsigned: list[RateLimitItem]

    async def receive(self, request: Request) -> JSONResponse:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise ProblemError(415, "Unsupported media type", "Send the message as application/json.")
        client = request.client.host if request.client else "unknown"
        wait = self.limiter.refused(self.unsigned, "webhook-unsigned", client)
        if wait is not None:
            raise too_many_requests(wait, "webhooks with a failed signature")
        body = await _read_body(request)
        try:
            sender = self.verifier.identify(body, request.headers)
        except InvalidSignature:
            self.limiter.hit(self.unsigned, "webhook-unsigned", client)
            # Nothing that tells an attacker which check failed.
            raise ProblemError(401, "Unauthorized", "The message signature could not be verified.") from None
        wait = self.limiter.hit(self.per_sender, "webhook-sender", sender.sender_id)
        if wait is not None:
            log.warning("webhook rate limit reached", sender=sender.sender_id)
            raise too_many_requests(wait, "webhooks from this sender")
        message = _parse(body)
        try:
            result = await receive_hospital_message(self.deps, sender, request.headers["webhook-id"], message)
        except StorageUnavailable:
            log.warning("cannot store hospital message now; asked sender to retry", sender=sender.sender_id)
            raise ProblemError(
                503,
                "Service unavailable",
                "The message could not be stored; send it again later.",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            ) from None
        body_out = Accepted(case_id=result.answer.case_id, message_id=result.answer.message_id)
        return JSONResponse(body_out.model_dump(), status_code=200 if result.repeated else 202)


def webhook_router(
    verifier: SignatureVerifier,
    deps: ReferralDeps,
    request_schema: dict[str, Any],
    limiter: RateLimiter | None = None,
    limits: WebhookLimits | None = None,
    on_outcome: Callable[[str], None] | None = None,
) -> APIRouter:
    """The intake route; `on_outcome` is told each webhook's outcome: accepted, repeated or why refused."""
    router = APIRouter(tags=["hospital intake"])
    limits = limits or WebhookLimits()
    intake = _Intake(
        verifier,
        deps,
        limiter or RateLimiter(),
        per_sender=parse_rate(limits.per_sender),
        unsigned=parse_rate(limits.unsigned_per_client),
    )
    count = on_outcome or (lambda _outcome: None)

    @router.post(
        "/webhooks/lus",
        status_code=202,
        summary="Receive a LUS message from a hospital system (Standard Webhooks signed)",
        response_model=Accepted,
        responses=_RESPONSES,
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": request_schema}},
            **route_limits(max_body_bytes=MAX_BODY_BYTES),
        },
    )
    async def receive_lus(request: Request) -> JSONResponse:
        try:
            response = await intake.receive(request)
        except ProblemError as exc:
            count(WEBHOOK_REFUSALS.get(exc.status, "invalid"))
            raise
        count("repeated" if response.status_code == 200 else "accepted")
        return response

    return router
