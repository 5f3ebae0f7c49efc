"""Each service's README documents every setting it reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.cli import settings_rows
from devstack.stack import SERVICES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", [s.name for s in SERVICES])
def test_the_readme_lists_every_environment_variable_of_the_service(service: str) -> None:
    readme = (ROOT / "services" / service / "README.md").read_text()
    missing = [env for env, _default, _meaning in settings_rows(service) if f"`{env}`" not in readme]
    assert not missing, f"services/{service}/README.md lacks {missing}: run `trygg settings {service}`"
