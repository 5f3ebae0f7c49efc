"""`make lint`'s import contracts: one template rendered for every service, and a broken layer fails."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devstack.importcontracts import DATA, TEMPLATE, check, renderings, repository_root

ROOT = repository_root(Path(__file__).parent)
SERVICES = ("billing", "console", "notification", "referral", "scheduling")


def test_every_service_gets_the_layers_with_config_and_untraced_use_cases() -> None:
    rendered = renderings(ROOT)
    assert tuple(rendered) == SERVICES
    for service, text in rendered.items():
        assert f"[importlinter:contract:{service}-layers]" in text
        layers = ("main", "bootstrap", "config", "adapters | entrypoints", "service_layer", "domain")
        assert "".join(f"    {layer}\n" for layer in layers) in text
        assert "exhaustive = True" in text
        untraced = text.split(f"[importlinter:contract:{service}-untraced-core]")[1].split("[importlinter:")[0]
        assert f"    {service}.service_layer\n" in untraced
        assert "    opentelemetry\n" in untraced
    assert "fake_gateway" in rendered["notification"]
    assert "fake_gateway" not in rendered["billing"]


def _toy_service(root: Path, use_case: str) -> Path:
    """A service `toy` in the layout of the real ones, whose use case module has the given source."""
    (root / TEMPLATE).parent.mkdir(parents=True)
    shutil.copy(ROOT / TEMPLATE, root / TEMPLATE)
    (root / DATA).write_text("", encoding="utf-8")
    package = root / "services" / "toy" / "src" / "toy"
    for layer in ("domain", "service_layer", "adapters", "entrypoints"):
        (package / layer).mkdir(parents=True)
        (package / layer / "__init__.py").write_text("", encoding="utf-8")
    for module in ("__init__", "config", "bootstrap", "main"):
        (package / f"{module}.py").write_text("", encoding="utf-8")
    (package / "adapters" / "store.py").write_text("from toy.domain import rules\n", encoding="utf-8")
    (package / "domain" / "rules.py").write_text("LIMIT = 5\n", encoding="utf-8")
    (package / "service_layer" / "uses.py").write_text(use_case, encoding="utf-8")
    (package / "bootstrap.py").write_text("from toy.adapters import store\nfrom toy.service_layer import uses\n")
    return package.parent


@pytest.mark.parametrize(
    ("use_case", "broken"),
    [
        ("from toy.domain import rules\n", 0),
        ("from toy.adapters import store\n", 1),  # a use case on a concrete adapter
        ("from toy import config\n", 1),  # a use case reading the settings
        ("from opentelemetry import trace\n", 1),  # a use case tracing by itself
        ("from trygg_shared.vocabulary.scheduling import VisitKind\n", 0),  # the shared words: allowed
        ("from trygg_shared.contracts.scheduling import VisitKind\n", 1),  # the same word through the wire
    ],
)
def test_a_use_case_importing_upwards_breaks_the_lint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_case: str, broken: int
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(_toy_service(tmp_path, use_case)))
    assert check(tmp_path) == broken
