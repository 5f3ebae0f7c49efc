"""`trygg demo` sends like a Standard Webhooks sender: a 503 with Retry-After is sent again, the same request."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from devstack import demo


def _client(answers: list[httpx.Response], seen: list[httpx.Request]) -> httpx.AsyncClient:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


def _slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    return waits


def test_a_shed_webhook_is_sent_again_after_its_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = _slept(monkeypatch)
    seen: list[httpx.Request] = []
    answers = [httpx.Response(503, headers={"Retry-After": "3"}), httpx.Response(202, json={"case_id": "c"})]

    async def go() -> httpx.Response:
        async with _client(answers, seen) as client:
            return await demo.call(
                client,
                "referral",
                "sending",
                "POST",
                "http://x/webhooks/lus",
                content=b"{}",
                headers={"webhook-id": "msg_1"},
            )

    response = asyncio.run(go())

    assert response.status_code == 202
    assert waits == [3.0]
    assert [r.headers["webhook-id"] for r in seen] == ["msg_1", "msg_1"]


def test_a_service_that_stays_unavailable_is_a_failed_step(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = _slept(monkeypatch)
    seen: list[httpx.Request] = []
    answers = [httpx.Response(503, headers={"Retry-After": "60"}) for _ in range(demo.RETRIES_WHEN_UNAVAILABLE + 1)]

    async def go() -> None:
        async with _client(answers, seen) as client:
            await demo.call(client, "referral", "sending", "POST", "http://x/webhooks/lus")

    with pytest.raises(demo.StepFailed, match="answered 503"):
        asyncio.run(go())
    assert len(seen) == demo.RETRIES_WHEN_UNAVAILABLE + 1
    assert waits == [demo.LONGEST_RETRY_WAIT] * demo.RETRIES_WHEN_UNAVAILABLE


def test_other_errors_are_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = _slept(monkeypatch)
    seen: list[httpx.Request] = []

    async def go() -> None:
        async with _client([httpx.Response(422, json={"detail": "bad"})], seen) as client:
            await demo.call(client, "referral", "sending", "POST", "http://x/webhooks/lus")

    with pytest.raises(demo.StepFailed, match="answered 422: bad"):
        asyncio.run(go())
    assert len(seen) == 1
    assert waits == []
