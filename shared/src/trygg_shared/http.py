"""HTTP chassis: RFC 9457 problem details, health and readiness endpoints.

Error details never echo request input: validation errors list each field's location, a
message and an error type, not the value that was sent (it may be personal data).
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from trygg_shared.aggregate import StorageRejected
from trygg_shared.logging import get_logger
from trygg_shared.mapping import to_contract

PROBLEM_JSON = "application/problem+json"
STORE_REJECTED_TYPE = "urn:trygg:problem:store-rejected"
log = get_logger(__name__)


class FieldError(BaseModel):
    """One invalid field."""

    field: str = Field(description="Dotted path of the field, e.g. `patient.id`.")
    message: str = Field(description="What is wrong with it.")
    type: str = Field(description="Machine-readable error type.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field("about:blank", description="URI reference identifying the problem type.")
    title: str = Field(description="Short, human-readable summary of the problem type.")
    status: int = Field(description="HTTP status code.")
    detail: str | None = Field(None, description="Explanation specific to this occurrence.")
    instance: str | None = Field(None, description="URI reference of this occurrence.")
    errors: list[FieldError] | None = Field(None, description="Per-field errors (422).")


# How many of the newest audit records a read of the audit trail answers with (each service's default).
AuditLimit = Annotated[int, Query(ge=1, le=1000)]


class Out(BaseModel):
    """A response body; read from the domain's objects by attribute name where the names match."""

    model_config = ConfigDict(from_attributes=True)


class AuditReadOut(Out):
    """An audit record of a read of personal data, as the audit routes answer it (`trygg_shared.audit`):
    who, with which roles, did what, when, and which cases and fields it showed."""

    record_id: str
    at: datetime
    actor: str
    roles: list[str]
    action: str
    case_ids: list[str]
    fields: list[str]


def examples(*samples: dict[str, Any]) -> ConfigDict:
    """A model's examples, shown in the OpenAPI document (a request body's: the rest of its configuration
    is its base model's, which pydantic merges)."""
    return ConfigDict(json_schema_extra={"examples": list(samples)})


def example(sample: dict[str, Any]) -> ConfigDict:
    """A response model's configuration (`Out`'s) with one example, shown in the OpenAPI document."""
    return ConfigDict(from_attributes=True, **examples(sample))


class ProblemError(Exception):
    """Raise from a route or use case adapter to answer with a problem."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type_: str = "about:blank",
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.errors = list(errors) if errors else None
        self.headers = dict(headers or {})


# --- what routes answer on errors, and how the OpenAPI document declares it ------------------

RETRY_AFTER_SECONDS = 5  # what a 503 asks the caller to wait

# Response headers as the OpenAPI document declares them.
RETRY_AFTER: dict[str, Any] = {
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}
}
BEARER_CHALLENGE: dict[str, Any] = {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}}


def problem(description: str, *, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """An OpenAPI response answered as `application/problem+json` (a route's `responses` entry)."""
    response: dict[str, Any] = {"model": Problem, "description": description, "content": {PROBLEM_JSON: {}}}
    if headers:
        response["headers"] = headers
    return response


def bearer_errors(forbidden: str) -> dict[int | str, dict[str, Any]]:
    """The 401 and 403 of a route behind `trygg_shared.bearer.require`; `forbidden` says when it answers 403."""
    return {401: problem("Missing or invalid bearer token.", headers=BEARER_CHALLENGE), 403: problem(forbidden)}


def invalid() -> dict[str, Any]:
    """The 422 of a route whose input breaks the documented format."""
    return problem("The request breaks the documented format; `errors` lists each field.")


def unavailable() -> dict[str, Any]:
    """The 503 of a route whose database cannot answer now (`service_unavailable`)."""
    return problem("The database cannot answer now; retry after `Retry-After` seconds.", headers=RETRY_AFTER)


def bearer_required() -> ProblemError:
    """The 401 answered without a known bearer token, with its `WWW-Authenticate` challenge."""
    return ProblemError(
        401, "Unauthorized", "A valid bearer token is required.", headers={"WWW-Authenticate": "Bearer"}
    )


def service_unavailable() -> ProblemError:
    """The 503 answered when the database cannot answer now (`StorageUnavailable`): a retry can fix it."""
    return ProblemError(
        503, "Service unavailable", "Try again shortly.", headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


def problem_response(problem: ProblemError, *, instance: str | None = None) -> JSONResponse:
    """The problem+json answer of `problem` (raised or not), about `instance` (the request's path)."""
    body = to_contract(Problem, problem, instance=instance)
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers
    )


def field_errors(errors: Sequence[Mapping[str, Any]], *, skip_root: tuple[str, ...] = ("body",)) -> list[FieldError]:
    """Pydantic/FastAPI errors as FieldErrors, without the input values."""
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in skip_root:
            loc = loc[1:]
        out.append(
            FieldError(field=".".join(loc) or "(body)", message=str(err.get("msg", "")), type=str(err.get("type", "")))
        )
    return out


async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
    return problem_response(exc, instance=request.url.path)


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    invalid = ProblemError(
        422, "Unprocessable content", "The request breaks the documented format.", errors=field_errors(exc.errors())
    )
    return problem_response(invalid, instance=request.url.path)


async def _rejected(request: Request, exc: StorageRejected) -> JSONResponse:
    # The store refuses the content for good (the edges' field types should have caught it):
    # a 4xx, so that no sender retries it for ever. The error class only, never the content.
    log.warning("store rejected the content", path=request.url.path, error=str(exc))
    rejected = ProblemError(
        422,
        "Unprocessable content",
        "The database refuses to store this content; sending it again will not help.",
        type_=STORE_REJECTED_TYPE,
    )
    return problem_response(rejected, instance=request.url.path)


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    title = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized", 403: "Forbidden"}.get(
        exc.status_code, "HTTP error"
    )
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(sorted(_methods_of_path(request)))
    detail = str(exc.detail) if exc.status_code < 500 else None
    return problem_response(ProblemError(exc.status_code, title, detail, headers=headers), instance=request.url.path)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The type and where it happened, not the message: exception text can quote personal data.
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else None
    log.error("unhandled error", path=request.url.path, error=type(exc).__name__, where=where)
    return problem_response(ProblemError(500, "Internal server error"), instance=request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    """Every error the app answers is problem+json."""
    for exc_class, handler in (
        (ProblemError, _problem),
        (RequestValidationError, _validation),
        (StorageRejected, _rejected),
        (StarletteHTTPException, _http),
        (Exception, _unexpected),
    ):
        app.exception_handler(exc_class)(handler)


async def known_query_only(request: Request) -> None:
    """A route dependency: unknown query parameters are refused (422), not ignored: a typo must not widen a
    query, and a request the OpenAPI document does not describe is not accepted."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = {p.alias for p in dependant.query_params} | {
        p.alias for d in dependant.dependencies for p in d.query_params
    }
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ProblemError(
            422,
            "Unprocessable content",
            "Unknown query parameter.",
            errors=[
                FieldError(
                    field=f"query.{name[:40]}", message="not a parameter of this endpoint", type="extra_forbidden"
                )
                for name in unknown[:5]
            ],
        )


def _methods_of_path(request: Request) -> set[str]:
    """Every method the request's path answers to.

    FastAPI has one route per method and path, and Starlette's 405 names only the methods of
    the first route whose path matched (`GET` where `GET` and `POST` both exist).
    """
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches(request.scope)
            if match is not Match.NONE:
                methods |= route.methods
    return methods


def problem_json_only(schema: dict[str, Any]) -> dict[str, Any]:
    """Error responses are documented as what they are: `application/problem+json`, the Problem schema.

    FastAPI files a response model under the route's media type (`application/json`) and adds
    its own 422 `HTTPValidationError`; the problem handlers answer `application/problem+json`
    with a Problem (field errors in `errors`), so the OpenAPI document says that instead.
    """
    problem = {"$ref": "#/components/schemas/Problem"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if "requestBody" in operation and "400" not in (operation.get("responses") or {}):
                # FastAPI answers 400 for a body it cannot decode at all (bytes that are no UTF-8 JSON or form).
                operation.setdefault("responses", {})["400"] = {
                    "description": "The body cannot be parsed (not JSON, or not a form).",
                    "content": {PROBLEM_JSON: {"schema": problem}},
                }
            for status, response in (operation.get("responses") or {}).items():
                documented = ((response.get("content") or {}).get("application/json") or {}).get("schema", {})
                if status[0] in "45" and str(documented.get("$ref", "")).endswith(("/Problem", "/HTTPValidationError")):
                    response["content"] = {PROBLEM_JSON: {"schema": problem}}
    components = schema.get("components", {}).get("schemas", {})
    if not any('"#/components/schemas/HTTPValidationError"' in str(v) for v in schema.get("paths", {}).values()):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
    if "Problem" not in components and "#/components/schemas/Problem" in str(schema.get("paths")):
        components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    return schema


Check = Callable[[], Awaitable[None]]


class Degraded(Exception):
    """Raised by a `degraded` check to report a state in words (e.g. `nobody on call`).

    Its message is shown as is in `/readyz`: a fixed text, never personal data.
    """


class HealthStatus(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "ok", "checks": {"mongo": "ok", "kafka": "ok"}}]}
    )

    status: str = Field(description="`ok`, `degraded` (an optional dependency is down) or `unavailable`.")
    checks: dict[str, str] = Field(default_factory=dict, description="Each dependency: `ok` or the error type.")


def health_router(
    checks: Mapping[str, Check], timeout: float = 3.0, *, degraded: Mapping[str, Check] | None = None
) -> APIRouter:
    """`/healthz`: the process answers. `/readyz`: the required dependencies (`checks`) answer.

    A dependency in `degraded` (Kafka: the outbox keeps what must be published; nobody on
    call) is reported, and makes the status `degraded`, but never makes the service unready. A
    check raising `Degraded` reports its message (`"oncall": "nobody on call"`), any other
    error its type.
    """
    router = APIRouter(tags=["health"])
    optional = dict(degraded or {})

    @router.get("/healthz", response_model=HealthStatus, summary="Liveness: the process is up")
    async def healthz() -> HealthStatus:
        return HealthStatus(status="ok")

    @router.get(
        "/readyz",
        response_model=HealthStatus,
        summary="Readiness: the database answers (Kafka is reported; down means degraded, still ready)",
        responses={503: {"model": HealthStatus, "description": "A required dependency is unreachable"}},
    )
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in {**checks, **optional}.items():
            try:
                await asyncio.wait_for(check(), timeout)
                results[name] = "ok"
            except Degraded as exc:
                results[name] = str(exc)
            except Exception as exc:  # noqa: BLE001 - readiness reports, never raises
                results[name] = type(exc).__name__
        ready = all(results[name] == "ok" for name in checks)
        status = "unavailable" if not ready else "ok" if all(v == "ok" for v in results.values()) else "degraded"
        body = HealthStatus(status=status, checks=results)
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    return router
