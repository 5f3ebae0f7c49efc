"""Test configuration for the whole workspace.

Tests are marked by folder (unit by default; `tests/contract`, `tests/integration`,
`tests/e2e`, `tests/security`). Real servers are started once per session, only when a test asks for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.testing import Endpoints, real_servers

_FOLDER_MARKS = {
    "contract": "contract",
    "integration": "integration",
    "e2e": "e2e",
    "faults": "faults",
    "security": "security",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        marks = [mark for folder, mark in _FOLDER_MARKS.items() if folder in parts]
        for mark in marks or ["unit"]:
            item.add_marker(getattr(pytest.mark, mark))


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoints]:
    """Real Kafka and MongoDB-wire servers (environment, testcontainers or local), for the session."""
    with real_servers(tmp_path_factory.mktemp("servers")) as endpoints:
        yield endpoints
