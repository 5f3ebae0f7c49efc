"""The request guard of the HTTP chassis: what is refused before a route reads or parses anything.

In this order, for each request:
1. a route that can be guessed at (`route_limits(guessable=True)`: console login, acknowledgement
   codes) answers 429 while the client address has used up its failed attempts
   (`LimitSettings.per_client_failures`); its 401 and 404 answers count as failed attempts;
2. a body larger than the route's limit (`route_limits(max_body_bytes=...)`, else
   `LimitSettings.max_body_bytes`) is refused 413: by its `Content-Length` before anything is
   read, and while it streams when it has none (or lies), so an oversized body is never buffered;
3. a route documented with a bearer token (its OpenAPI `security`) answers 401 to an unknown
   token, and to a missing one when the method carries a body, before the body is read or parsed
   (FastAPI parses the body before it resolves the route's dependencies); a GET without a token
   goes on to the route (the console also takes its session cookie there). A known token is
   answered 429 once it has used up `LimitSettings.per_token`.
Roles are still checked by each route's own dependency (403).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trygg_shared.http import PROBLEM_JSON, ProblemError, bearer_required, problem_response
from trygg_shared.ratelimit import LimitSettings, RateLimiter, parse_rate, too_many_requests

MAX_BODY_KEY = "x-max-body-bytes"
GUESSABLE_KEY = "x-failed-attempts-limited"
FAILED_ATTEMPT_STATUSES = frozenset({401, 404})

Authenticate = Callable[[str], object | None]


def route_limits(*, max_body_bytes: int | None = None, guessable: bool = False) -> dict[str, Any]:
    """`openapi_extra` of a route with its own limits (also stated in its OpenAPI operation).

    `max_body_bytes`: the largest body it accepts. `guessable`: its 401/404 answers count as a
    failed attempt of the client address, which is refused 429 after too many.
    """
    extra: dict[str, Any] = {}
    if max_body_bytes is not None:
        extra[MAX_BODY_KEY] = max_body_bytes
    if guessable:
        extra[GUESSABLE_KEY] = True
    return extra


class BodyTooLarge(StarletteHTTPException):
    """Raised from `receive` when a streamed body passes the route's limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The body may be at most {limit} bytes.")
        self.limit = limit


def _too_large(limit: int, path: str) -> JSONResponse:
    return problem_response(
        ProblemError(413, "Content too large", f"The body may be at most {limit} bytes."), instance=path
    )


class _Policy:
    __slots__ = ("bearer", "guessable", "max_body")

    def __init__(self, max_body: int, bearer: bool, guessable: bool) -> None:
        self.max_body = max_body
        self.bearer = bearer
        self.guessable = guessable


class RequestGuard:
    """ASGI middleware applying `LimitSettings` to every route of one FastAPI app."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        fastapi_app: FastAPI,
        settings: LimitSettings,
        limiter: RateLimiter,
        authenticate: Authenticate | None,
    ) -> None:
        self.app = app
        self._fastapi = fastapi_app
        self._settings = settings
        self._limiter = limiter
        self._authenticate = authenticate
        self._per_token = parse_rate(settings.per_token)
        self._failures = parse_rate(settings.per_client_failures)
        self._operations: list[tuple[re.Pattern[str], str, _Policy]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        policy = self._policy(scope)
        client = (scope.get("client") or ("unknown", 0))[0]
        if policy.guessable:
            wait = self._limiter.refused(self._failures, "failed-attempts", client)
            if wait is not None:
                await self._refuse(too_many_requests(wait, "failed attempts"), scope, receive, send)
                return
        declared = _content_length(scope)
        if declared is not None and declared > policy.max_body:
            await _too_large(policy.max_body, path)(scope, receive, send)
            return
        bearer = _bearer(scope) if policy.bearer and self._authenticate is not None else None
        if policy.bearer and self._authenticate is not None and (bearer is not None or _has_body(scope)):
            # Without a token a GET goes on to the route, which may accept a console session instead.
            if bearer is None or self._authenticate(bearer) is None:
                await problem_response(bearer_required(), instance=path)(scope, receive, send)
                return
            token_key = hashlib.sha256(bearer.encode()).hexdigest()
            wait = self._limiter.hit(self._per_token, "token", token_key)
            if wait is not None:
                await self._refuse(too_many_requests(wait), scope, receive, send)
                return
        await self.app(
            scope, _limited(receive, policy.max_body), self._counting(send, client) if policy.guessable else send
        )

    def _counting(self, send: Send, client: str) -> Send:
        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in FAILED_ATTEMPT_STATUSES:
                self._limiter.hit(self._failures, "failed-attempts", client)
            await send(message)

        return counted

    @staticmethod
    async def _refuse(problem: ProblemError, scope: Scope, receive: Receive, send: Send) -> None:
        await problem_response(problem, instance=scope.get("path"))(scope, receive, send)

    def _policy(self, scope: Scope) -> _Policy:
        """The limits of the operation this request is for, as its OpenAPI document states them."""
        if self._operations is None:
            self._operations = self._documented_operations()
        method = str(scope.get("method", "GET")).lower()
        path = str(scope.get("path", ""))
        for pattern, operation_method, policy in self._operations:
            if operation_method == method and pattern.fullmatch(path):
                return policy
        return _Policy(self._settings.max_body_bytes, bearer=False, guessable=False)

    def _documented_operations(self) -> list[tuple[re.Pattern[str], str, _Policy]]:
        schema = self._fastapi.openapi()
        schemes = schema.get("components", {}).get("securitySchemes", {})
        found = []
        for template, operations in schema.get("paths", {}).items():
            pattern, _format, _convertors = compile_path(template)
            for method, operation in operations.items():
                if not isinstance(operation, dict):
                    continue
                policy = _Policy(
                    int(operation.get(MAX_BODY_KEY, self._settings.max_body_bytes)),
                    bearer=_takes_bearer(operation, schemes),
                    guessable=bool(operation.get(GUESSABLE_KEY, False)),
                )
                found.append((pattern, method, policy))
        # A literal path before a template that would also match it (`/statements.csv`, `/statements/{x}`).
        found.sort(key=lambda item: item[0].pattern.count("(?P<"))
        return found


def _takes_bearer(operation: Mapping[str, Any], schemes: Mapping[str, Any]) -> bool:
    """Whether the OpenAPI operation says it takes a bearer token."""
    for requirement in operation.get("security") or []:
        for name in requirement:
            scheme = schemes.get(name, {})
            if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
                return True
    return False


def _has_body(scope: Scope) -> bool:
    return str(scope.get("method", "GET")).upper() not in {"GET", "HEAD", "OPTIONS"}


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = bytes(value).decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, credentials = bytes(value).decode("latin-1").partition(" ")
            token = credentials.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


def _limited(receive: Receive, limit: int) -> Receive:
    """`receive` that raises `BodyTooLarge` as soon as the streamed body passes `limit` bytes."""
    seen = 0

    async def limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return limited


def install_request_guard(
    app: FastAPI, settings: LimitSettings, limiter: RateLimiter, authenticate: Authenticate | None
) -> None:
    """The guard around `app`, the 413 of a streamed body, and 413/429 in every operation's OpenAPI."""

    @app.exception_handler(BodyTooLarge)
    async def _body_too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return _too_large(exc.limit, request.url.path)

    app.add_middleware(RequestGuard, fastapi_app=app, settings=settings, limiter=limiter, authenticate=authenticate)


def document_limits(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the guard's answers to the OpenAPI document: 429 where a limit applies, 413 where a body is read."""
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    retry_after = {
        "Retry-After": {"description": "Seconds until a request is allowed again.", "schema": {"type": "integer"}}
    }
    used = False
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            limited = bool(operation.get("security")) or operation.get(GUESSABLE_KEY)
            if limited and "429" not in responses:
                responses["429"] = {
                    "description": "Too many requests (per token, or failed attempts per client): retry after "
                    "`Retry-After` seconds.",
                    "headers": retry_after,
                    "content": problem,
                }
                used = True
            if method in {"post", "put", "patch"} and "413" not in responses:
                responses["413"] = {"description": "The body is larger than this route accepts.", "content": problem}
                used = True
    if used:
        from trygg_shared.http import Problem

        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}"))
    return schema
