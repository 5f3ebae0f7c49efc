"""The console's "traces by Kafka key" link finds the case's traces in a real Jaeger.

FastStream's Kafka spans carry the record's key as `messaging.kafka.message.key`; the key is bytes,
and a bytes attribute reaches Jaeger base64-encoded. The link the console builds
(`console.domain.ops.trace_search_url`) searches for that; the link it built before (the plain
case id) finds nothing, which this test shows too.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from console.domain.ops import KAFKA_KEY_ATTRIBUTE, trace_search_url
from tests.fixtures.e2e import System
from tests.support import eventually


def _api_params(link: str) -> dict[str, str]:
    """The Jaeger UI search link's query as the query API takes it (the UI passes them on as they are)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}


async def _traces(query: str, params: dict[str, str]) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=query, timeout=10) as client:
        found = await client.get("/api/traces", params=params)
    assert found.status_code == 200, found.text
    return list(found.json().get("data") or [])


def _keys(trace: dict[str, Any]) -> set[Any]:
    return {t["value"] for s in trace["spans"] for t in s.get("tags", []) if t["key"] == KAFKA_KEY_ATTRIBUTE}


async def test_the_kafka_key_link_finds_the_cases_traces(system: System) -> None:
    query = system.jaeger_query()
    response = system.send()
    assert response.status_code == 202, response.text
    case_id = response.json()["case_id"]

    link = trace_search_url(query, "referral", case_id)
    params = _api_params(link)
    assert json.loads(params["tags"]) == {KAFKA_KEY_ATTRIBUTE: base64.b64encode(case_id.encode()).decode()}

    key_b64 = base64.b64encode(case_id.encode()).decode()

    async def found() -> list[dict[str, Any]]:
        # Each process exports its spans in batches: wait until the webhook's own span has arrived too.
        traces = await _traces(query, params)
        names = {s["operationName"] for t in traces for s in t["spans"]}
        return traces if "POST /webhooks/lus" in names else []

    traces = await eventually(found, within=60)
    # What the span really holds: the case id's bytes, which Jaeger shows base64-encoded.
    assert any(key_b64 in _keys(t) for t in traces), [_keys(t) for t in traces]

    plain = {**params, "tags": json.dumps({KAFKA_KEY_ATTRIBUTE: case_id})}  # the link before: finds nothing
    assert await _traces(query, plain) == []
