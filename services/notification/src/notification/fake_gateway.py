"""A fake 46elks-compatible SMS gateway on loopback, for integration tests, e2e tests and the benchmark.

It speaks the parts of the 46elks API the adapter uses, over real HTTP:
- `POST /a1/sms` (form `from`, `to`, `message`, `whendelivered`; HTTP Basic auth) answers JSON
  `{"id", "status": "created", ...}`, and then POSTs a delivery report (`id`, `status`,
  `delivered`) to `whendelivered`, as 46elks does;
- `GET /a1/sms?to=&end=&start=&limit=` lists outgoing messages newest first with `next`.
Faults can be scripted: answer the next N sends with a status (503, 400, ...), or stall them;
every authorised send, scripted failures included, is logged in `attempts` (to, status answered).
It never sends anything anywhere else than the `whendelivered` URL it is given.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

_TIME = "%Y-%m-%dT%H:%M:%S.%f"
_SENDER = re.compile(r"^([A-Za-z][A-Za-z0-9]{2,10}|\+[1-9]\d{6,14})$")


@dataclass
class SentSms:
    id: str
    sender: str
    to: str
    message: str
    created: datetime
    received_at_monotonic: float
    status: str = "created"
    whendelivered: str | None = None


@dataclass
class FakeElks:
    username: str = "u_test"
    password: str = "p_test"  # noqa: S105 - a fake gateway's test credential
    deliver: bool = True
    # Seconds from a send to its delivery report. 46elks reports when the phone has it, seconds
    # later; a report within milliseconds races the relay's write of the send's event.
    report_delay: float = 0.05
    messages: list[SentSms] = field(default_factory=list)
    reports: list[tuple[str, int]] = field(default_factory=list)  # (message id, our callback's HTTP status)
    attempts: list[tuple[str, int]] = field(default_factory=list)  # (to, status answered), scripted failures too
    _script: list[int | float] = field(default_factory=list)  # status codes, or seconds to stall
    _scripts: dict[str, list[int | float]] = field(default_factory=dict)  # the same, for one recipient
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None
    _client: httpx.AsyncClient | None = None
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, *statuses_or_stalls: int | float, to: str | None = None) -> None:
        """Answer the next sends with these statuses (int, nothing taken) or take them and answer late (float s).

        With `to`, only sends to that number follow the script: other traffic (another test's
        reminders, an on-call alert) does not use it up.
        """
        (self._scripts.setdefault(to, []) if to else self._script).extend(statuses_or_stalls)

    def _next_step(self, to: str) -> int | float | None:
        for script in (self._scripts.get(to), self._script):
            if script:
                return script.pop(0)
        return None

    def to(self, phone: str) -> list[SentSms]:
        return [m for m in self.messages if m.to == phone]

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/a1/sms", self._send, methods=["POST"]), Route("/a1/sms", self._list)])

    def _authorised(self, request: Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return request.headers.get("authorization") == expected

    async def _send(self, request: Request) -> Response:
        if not self._authorised(request):
            return Response("Unauthorized", status_code=401)
        form = await request.form()
        sender, to, text = str(form.get("from", "")), str(form.get("to", "")), str(form.get("message", ""))
        step = self._next_step(to)
        if isinstance(step, int):
            self.attempts.append((to, step))
            return Response("scripted failure", status_code=step)
        if not _SENDER.match(sender) or not re.match(r"^\+[1-9]\d{6,14}$", to) or not text:
            self.attempts.append((to, 400))
        if not _SENDER.match(sender):
            return Response("Invalid from", status_code=400)
        if not re.match(r"^\+[1-9]\d{6,14}$", to):
            return Response("Invalid to", status_code=400)
        if not text:
            return Response("Missing message", status_code=400)
        self.attempts.append((to, 200))
        sms = SentSms(
            id="s" + uuid.uuid4().hex,
            sender=sender,
            to=to,
            message=text,
            created=datetime.now(UTC),
            received_at_monotonic=asyncio.get_running_loop().time(),
            whendelivered=str(form["whendelivered"]) if form.get("whendelivered") else None,
        )
        self.messages.append(sms)
        if isinstance(step, float):
            await asyncio.sleep(step)  # taken, but the answer is late (the client may have given up)
        if self.deliver and sms.whendelivered:
            asyncio.get_running_loop().create_task(self._report(sms))
        return JSONResponse(
            {
                "id": sms.id,
                "status": "created",
                "from": sender,
                "to": to,
                "message": text,
                "created": sms.created.strftime(_TIME),
                "direction": "outgoing",
                "parts": 1,
                "cost": 3500,
            }
        )

    async def _report(self, sms: SentSms) -> None:
        await asyncio.sleep(self.report_delay)
        assert sms.whendelivered is not None
        assert self._client is not None
        sms.status = "delivered"
        with contextlib.suppress(httpx.HTTPError):
            answer = await self._client.post(
                sms.whendelivered,
                data={"id": sms.id, "status": "delivered", "delivered": datetime.now(UTC).isoformat()},
            )
            self.reports.append((sms.id, answer.status_code))

    async def _list(self, request: Request) -> Response:
        if not self._authorised(request):
            return Response("Unauthorized", status_code=401)
        to = request.query_params.get("to")
        after = request.query_params.get("end")  # 46elks: "end" = retrieve SMS after this date
        before = request.query_params.get("start")  # "start" = retrieve SMS before this date
        limit = min(int(request.query_params.get("limit", "100")), 100)
        found = [m for m in reversed(self.messages) if to is None or m.to == to]
        if after:
            found = [m for m in found if m.created.strftime(_TIME) > after]
        if before:
            found = [m for m in found if m.created.strftime(_TIME) < before]
        page = found[:limit]
        body: dict[str, Any] = {
            "data": [
                {
                    "id": m.id,
                    "created": m.created.strftime(_TIME),
                    "direction": "outgoing",
                    "from": m.sender,
                    "to": m.to,
                    "message": m.message,
                    "status": m.status,
                }
                for m in page
            ]
        }
        if len(found) > limit:
            body["next"] = page[-1].created.strftime(_TIME)
        return JSONResponse(body)

    async def start(self, port: int = 0) -> str:
        self.port = port or _free_port()
        self._client = httpx.AsyncClient(timeout=5)
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.02)
        return self.base_url

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
