"""Fixtures of the referral service's tests: sample LUS bodies from the spec's examples, the HTTP harness."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from referral_support import ApiHarness  # test helpers beside the tests (pytest `pythonpath`)

from referral.entrypoints.lus_format import example_bodies

_CACHE = example_bodies()

LusBody = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def lus_body() -> LusBody:
    """A spec example of the given type; keyword arguments replace top-level fields."""

    def make(message_type: str, **fields: Any) -> dict[str, Any]:
        body = copy.deepcopy(_CACHE[message_type])
        body.update(fields)
        return body

    return make


@pytest.fixture
def api() -> ApiHarness:
    return ApiHarness()
