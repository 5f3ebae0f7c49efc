"""The clean-up of version claims runs after the write it belongs to, so it must not join the trace
of the request or message that wrote (its spans came after their parent had ended)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.sdk.trace import TracerProvider

from trygg_shared import mongo


class _Claims:
    """Stands in for a claims collection: records the trace context each clean-up write runs in."""

    full_name = "test.cases_claims"

    def __init__(self) -> None:
        self.seen: list[tuple[bool, bool]] = []
        self.done = asyncio.Event()

    async def delete_many(self, query: dict[str, Any]) -> None:
        self.seen.append((trace.get_current_span().get_span_context().is_valid, is_instrumentation_enabled()))
        self.done.set()


async def test_claim_clean_up_runs_outside_the_writers_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mongo, "RELEASE_LINGER", 0.01)
    claims = _Claims()
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("handler"):
        assert trace.get_current_span().get_span_context().is_valid
        mongo._release(claims, "case-1", 2, written=True)  # type: ignore[arg-type]
    await asyncio.wait_for(claims.done.wait(), 5)
    assert claims.seen == [(False, False)]  # no parent span, and no spans of its own


class _CountingClaims:
    """A claims collection that counts the `delete` commands and the statements in each."""

    full_name = "test.messages_claims"

    def __init__(self) -> None:
        self.deletes: list[list[str]] = []

    async def delete_many(self, query: dict[str, Any]) -> None:
        self.deletes.append(list(query["_id"]["$in"]))


async def test_claims_of_written_versions_go_in_one_single_statement_delete(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mongo, "RELEASE_LINGER", 0.05)
    claims = _CountingClaims()
    for version in range(1, 11):
        mongo._release(claims, "m-1", version, written=True)  # type: ignore[arg-type]
    for _ in range(50):
        await asyncio.sleep(0.01)
        if claims.deletes:
            break
    assert claims.deletes == [[f"m-1@{v}" for v in range(1, 11)]]  # ten claims, one command, one statement
