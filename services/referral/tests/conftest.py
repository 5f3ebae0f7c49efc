"""Fixtures of the referral service's tests: sample LUS bodies from the spec's examples."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from referral.testing import ApiHarness

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "specs" / "examples"
FILES = {
    "inskrivningsmeddelande": "1-inskrivningsmeddelande.json",
    "planeringsunderlag": "2-planeringsunderlag.json",
    "utskrivningsklar": "3-utskrivningsklar.json",
    "aterkallad_utskrivningsklar": "4-aterkallad_utskrivningsklar.json",
    "utskrivningsmeddelande": "5-utskrivningsmeddelande.json",
    "makulering": "6-makulering.json",
}
_CACHE = {name: json.loads((EXAMPLES / file).read_text()) for name, file in FILES.items()}

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
