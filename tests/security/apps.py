"""The five services' HTTP apps, wired by each service's `bootstrap()` with in-memory adapters.

As each service's own unit tests build them (`services/*/tests/*_support.py`): no Kafka, no
Mongo, no lifespan. The operations come from each app's OpenAPI document, so a route added to a
service is probed by the security suite without anyone listing it here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

ROLES = ("officer", "team", "oncall", "ops")
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class ServiceApp:
    """One service's app, its test client, and how to call it as someone."""

    name: str
    app: FastAPI
    client: TestClient
    cookie_session: Callable[[str, bool], str] | None = None  # console: role, expired -> cookie
    harness: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def openapi(self) -> dict[str, Any]:
        return self.app.openapi()


def referral_app() -> ServiceApp:
    from referral_support import ApiHarness

    h = ApiHarness()
    return ServiceApp("referral", h.app, h.client, harness=h)


def scheduling_app() -> ServiceApp:
    from scheduling_support import ApiHarness

    h = ApiHarness()
    return ServiceApp("scheduling", h.app, h.client, harness=h)


def notification_app() -> ServiceApp:
    from notification_support import Harness

    h = Harness.create()
    client = h.client()
    return ServiceApp("notification", client.app, client, harness=h)  # type: ignore[arg-type]


def billing_app() -> ServiceApp:
    from billing_support import ApiHarness

    h = ApiHarness()
    return ServiceApp("billing", h.app, h.client, harness=h)


def console_app() -> ServiceApp:
    from console_support import ConsoleHarness

    h = ConsoleHarness()
    sessions = h.console.sessions

    async def start(role: str, expired: bool) -> str:
        """A server-side session signed in with the role's dev token (an expired one: started too long ago)."""
        now = h.clock.now()
        started = await sessions.start(f"dev-{role}", now - sessions.max_age - timedelta(seconds=1) if expired else now)
        assert started is not None
        return started[0]

    # Started here, before the probes' event loop runs: the session store is the harness's own.
    cookies = {(role, expired): asyncio.run(start(role, expired)) for role in ROLES for expired in (False, True)}

    def cookie(role: str, expired: bool) -> str:
        return cookies[(role, expired)]

    return ServiceApp("console", h.app, h.client, cookie_session=cookie, harness=h)


BUILDERS: dict[str, Callable[[], ServiceApp]] = {
    "referral": referral_app,
    "scheduling": scheduling_app,
    "notification": notification_app,
    "billing": billing_app,
    "console": console_app,
}


@dataclass(frozen=True)
class Operation:
    service: str
    method: str  # upper case
    path: str  # the OpenAPI path template
    spec: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    @property
    def documented(self) -> set[int]:
        return {int(s) for s in self.spec.get("responses", {}) if s.isdigit()}

    @property
    def takes_bearer(self) -> bool:
        return bool(self.spec.get("security"))


def operations(service: ServiceApp) -> list[Operation]:
    found = []
    for path, items in service.openapi().get("paths", {}).items():
        for method, spec in items.items():
            if method in METHODS:
                found.append(Operation(service.name, method.upper(), path, spec))
    return found
