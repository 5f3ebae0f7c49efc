"""Fixtures of the notification service's tests: the fake 46elks gateway on a loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from notification.fake_gateway import FakeElks


@pytest.fixture
async def gateway() -> AsyncIterator[FakeElks]:
    """A fake 46elks gateway, started for the test and stopped after it."""
    fake = FakeElks()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
