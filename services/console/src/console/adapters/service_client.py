"""What the console's clients of other services' HTTP APIs share: the base URL, the console's bearer
token for that service, the timeout, and (tests) the transport."""

from __future__ import annotations

import httpx


class BearerClient:
    def __init__(
        self, base_url: str, token: str, *, timeout: float, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._transport = transport

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=self._timeout, transport=self._transport)

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}
