"""Call an ASGI app once and keep the status (and headers), also for endless streams (SSE).

Starlette's TestClient waits for the whole body, which a server-sent-events route never ends;
this sends the request, takes the status line, and then disconnects like a browser that leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


async def call(
    app: Any,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    client: str = "127.0.0.9",
    wait_seconds: float = 15.0,
) -> Answer:
    parts = urlsplit(url)
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    raw_headers.append((b"host", b"testserver"))
    if body and not any(name == b"content-length" for name, _ in raw_headers):
        raw_headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "root_path": "",
        "query_string": parts.query.encode(),
        "headers": raw_headers,
        "client": (client, 50000),
        "server": ("testserver", 443),
        "state": {},
    }
    started = asyncio.Event()
    finished = asyncio.Event()
    status = 0
    answer_headers: dict[str, str] = {}
    chunks: list[bytes] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await started.wait()
        await asyncio.sleep(0.2)  # let a normal response finish before the client "leaves"
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            answer_headers.update({k.decode().lower(): v.decode() for k, v in message.get("headers", [])})
            started.set()
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                finished.set()

    task = asyncio.ensure_future(app(scope, receive, send))
    try:
        waiter = asyncio.ensure_future(started.wait())
        await asyncio.wait({task, waiter}, timeout=wait_seconds, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if not started.is_set():
            if task.done() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
            raise TimeoutError(f"{method} {url}: no answer within {wait_seconds} s")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(finished.wait(), 2.0)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    return Answer(status, answer_headers, b"".join(chunks))
