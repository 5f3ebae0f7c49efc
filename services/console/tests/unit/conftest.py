"""What the console's unit tests share: the app with in-memory adapters after March 2026's events."""

from __future__ import annotations

import pytest
from console_support import ConsoleHarness, march_2026


@pytest.fixture
async def harness() -> ConsoleHarness:
    h = ConsoleHarness()
    await h.replay(march_2026())
    return h
