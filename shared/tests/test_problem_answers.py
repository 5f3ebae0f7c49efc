"""The chassis' problem answers: one ProblemError, answered and documented the same in every service."""

from __future__ import annotations

import json

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from trygg_shared.aggregate import StorageUnavailable
from trygg_shared.http import (
    PROBLEM_JSON,
    ProblemError,
    bearer_errors,
    install_problem_handlers,
    problem_response,
    service_unavailable,
)

pytestmark = pytest.mark.unit


def test_a_problem_is_answered_with_its_fields_headers_and_the_path() -> None:
    answer = problem_response(
        ProblemError(429, "Too many requests", "Wait.", type_="urn:x", headers={"Retry-After": "3"}), instance="/a"
    )
    assert (answer.status_code, answer.media_type, answer.headers["Retry-After"]) == (429, PROBLEM_JSON, "3")
    body = json.loads(bytes(answer.body))
    assert body == {"type": "urn:x", "title": "Too many requests", "status": 429, "detail": "Wait.", "instance": "/a"}


def test_the_database_not_answering_is_a_503_to_retry_after_five_seconds() -> None:
    router = APIRouter()

    @router.get("/read")
    async def read() -> None:
        try:
            raise StorageUnavailable("down")
        except StorageUnavailable:
            raise service_unavailable() from None

    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    answer = TestClient(app).get("/read")
    assert (answer.status_code, answer.headers["Retry-After"]) == (503, "5")
    assert answer.json()["title"] == "Service unavailable"


def test_a_route_behind_require_documents_401_with_its_challenge_and_its_own_403() -> None:
    documented = bearer_errors("Only ops.")
    assert list(documented) == [401, 403]
    assert "WWW-Authenticate" in documented[401]["headers"]
    assert documented[403]["description"] == "Only ops."
