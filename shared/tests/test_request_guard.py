"""The chassis' request guard: body limits before reading, tokens before parsing, rate limits (429)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from trygg_shared.guard import document_limits, install_request_guard, route_limits
from trygg_shared.http import install_problem_handlers, problem_json_only
from trygg_shared.ratelimit import LimitSettings, RateLimiter
from trygg_shared.settings import parse_rate

_bearer = HTTPBearer(auto_error=False)
TOKENS = {"good": "alice", "other": "bob"}


def actor(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    if credentials is None or credentials.credentials not in TOKENS:
        raise HTTPException(401)
    return TOKENS[credentials.credentials]


Who = Annotated[str, Depends(actor)]


class BodyReads:
    """Outermost middleware: counts the body chunks anything inside asked for."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.chunks = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counting() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.chunks += 1
            return message

        await self.app(scope, counting, send)


def make_app(settings: LimitSettings) -> tuple[FastAPI, BodyReads]:
    app = FastAPI()
    install_problem_handlers(app)

    things = APIRouter()  # routes of an included router, as every service has them

    @things.post("/things")
    async def post_thing(body: dict[str, Any], who: Who) -> dict[str, Any]:
        return {"who": who, "keys": sorted(body)}

    @things.get("/things")
    async def get_things(who: Who) -> dict[str, str]:
        return {"who": who}

    app.include_router(things)

    @app.post("/small", openapi_extra=route_limits(max_body_bytes=10))
    async def small(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @app.get("/codes/{code}", openapi_extra=route_limits(guessable=True))
    async def code(code: str) -> dict[str, str]:
        if code != "right":
            raise HTTPException(404)
        return {"code": code}

    install_request_guard(app, settings, RateLimiter(), TOKENS.get)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_limits(problem_json_only(build()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    reads = BodyReads(app)
    return app, reads


@pytest.fixture
def guarded() -> Iterator[tuple[TestClient, BodyReads]]:
    settings = LimitSettings(per_token="5/minute", per_client_failures="3/minute", max_body_bytes=1000)
    _app, reads = make_app(settings)
    with TestClient(reads) as client:  # type: ignore[arg-type]
        yield client, reads


def test_a_body_over_the_declared_length_is_refused_413_before_it_is_read(
    guarded: tuple[TestClient, BodyReads],
) -> None:
    client, reads = guarded
    answer = client.post("/things", content=b"{" + b" " * 5000 + b"}", headers=_as("good", json=True))
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert reads.chunks == 0


def test_a_streamed_body_without_a_length_is_cut_off_at_the_route_limit(guarded: tuple[TestClient, BodyReads]) -> None:
    client, _reads = guarded

    def chunks() -> Iterator[bytes]:
        for _ in range(50):
            yield b"x" * 4

    answer = client.post("/small", content=chunks())  # chunked: no Content-Length
    assert answer.status_code == 413
    assert answer.json()["detail"] == "The body may be at most 10 bytes."
    assert client.post("/small", content=b"123456789").json() == {"size": 9}


def test_a_body_without_a_valid_token_is_refused_401_unread_and_unparsed(
    guarded: tuple[TestClient, BodyReads],
) -> None:
    client, reads = guarded
    for headers in ({"Content-Type": "application/json"}, _as("wrong", json=True)):
        answer = client.post("/things", content=b"{not json at all", headers=headers)
        assert answer.status_code == 401, answer.text  # not 400/422: the body was never parsed
        assert answer.headers["www-authenticate"] == "Bearer"
    assert reads.chunks == 0
    assert client.post("/things", json={"a": 1}, headers=_as("good")).json() == {"who": "alice", "keys": ["a"]}
    assert reads.chunks == 1


def test_each_token_is_limited_on_its_own_with_retry_after(guarded: tuple[TestClient, BodyReads]) -> None:
    client, _reads = guarded
    answers = [client.get("/things", headers=_as("good")).status_code for _ in range(7)]
    assert answers == [200] * 5 + [429] * 2
    refused = client.get("/things", headers=_as("good"))
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["status"] == 429
    assert client.get("/things", headers=_as("other")).status_code == 200


def test_failed_attempts_on_a_guessable_route_are_limited_per_client(guarded: tuple[TestClient, BodyReads]) -> None:
    client, _reads = guarded
    assert [client.get(f"/codes/guess{i}").status_code for i in range(3)] == [404] * 3
    refused = client.get("/codes/right")  # even the right code: the address has used up its attempts
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1


def test_successes_on_a_guessable_route_are_not_counted(guarded: tuple[TestClient, BodyReads]) -> None:
    client, _reads = guarded
    assert {client.get("/codes/right").status_code for _ in range(10)} == {200}


def test_the_openapi_documents_429_on_limited_routes_and_413_on_bodies(guarded: tuple[TestClient, BodyReads]) -> None:
    client, _reads = guarded
    paths = client.get("/openapi.json").json()["paths"]
    assert "429" in paths["/things"]["get"]["responses"]
    assert "Retry-After" in paths["/things"]["get"]["responses"]["429"]["headers"]
    assert "429" in paths["/codes/{code}"]["get"]["responses"]
    assert "413" in paths["/things"]["post"]["responses"]
    assert paths["/small"]["post"]["x-max-body-bytes"] == 10


def test_the_limiter_refuses_without_counting_and_allows_again_after_the_window() -> None:
    limiter = RateLimiter()
    rate = parse_rate("2/second")
    assert [limiter.hit(rate, "k") is None for _ in range(3)] == [True, True, False]
    wait = limiter.refused(rate, "k")
    assert wait is not None
    assert 0 <= wait <= 1.0
    assert limiter.hit(rate, "other") is None


def test_a_rate_that_is_not_limits_notation_is_refused_in_settings() -> None:
    with pytest.raises(ValueError, match="per_token"):
        LimitSettings(per_token="lots")


def _as(token: str, *, json: bool = False) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if json:
        headers["Content-Type"] = "application/json"
    return headers
