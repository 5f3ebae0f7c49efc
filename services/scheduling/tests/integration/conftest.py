"""Fixtures: the scheduling service on the real servers, on the test's own database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from scheduling_support import FixedClock, ready_on

from devstack.testing import Endpoints
from scheduling.bootstrap import Scheduling


@pytest.fixture
def clock() -> FixedClock:
    """The clock the services below read (Monday 23 November 2026, 09:00 UTC); tests move it."""
    return FixedClock(datetime(2026, 11, 23, 9, tzinfo=UTC))


@pytest.fixture
async def service(
    servers: Endpoints, db: AsyncDatabase[dict[str, Any]], clock: FixedClock
) -> AsyncIterator[Scheduling]:
    """One replica on the test's database (`ready_on`: indexes made, default teams seeded); closed after."""
    ready = await ready_on(servers, db.name, clock)
    try:
        yield ready
    finally:
        await ready.runtime.infra.mongo_client.close()
