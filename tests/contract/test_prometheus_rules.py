"""The alert rules and the Prometheus configuration (deploy/prometheus) checked by the real
promtool, from Debian's prometheus package that deploy/local/install.sh unpacks into .local/,
and every metric the rules name is one a service really exposes (issue 18 §2)."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from devstack import paths

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS_DIR / "rules.yml"
SERVICES = ("referral", "scheduling", "notification", "billing", "console")
# What Prometheus itself adds to every scrape: not a service's metric.
SCRAPE_SERIES = frozenset({"up"})
ALERTS = {
    "TryggOutboxStuck",
    "TryggConsumerLagGrowing",
    "TryggEventDeadLettered",
    "TryggAlertUnrouted",
    "TryggLiabilityClockUndecided",
    "TryggSmsFailureRate",
}


def promtool(*args: str, cwd: Path = PROMETHEUS_DIR) -> subprocess.CompletedProcess[str]:
    binary = paths.promtool_binary()
    assert binary.is_file(), f"promtool is not installed at {binary}: run `make install` (deploy/local/install.sh)"
    return subprocess.run([str(binary), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_promtool_is_the_pinned_prometheus() -> None:
    result = promtool("--version")
    assert result.returncode == 0, result.stderr
    assert paths.PROMETHEUS_VERSION.split("+")[0] in result.stdout + result.stderr


def test_the_rules_and_the_configuration_are_valid() -> None:
    rules = promtool("check", "rules", "rules.yml")
    assert rules.returncode == 0, rules.stdout + rules.stderr
    config = promtool("check", "config", "prometheus.yml")
    assert config.returncode == 0, config.stdout + config.stderr


def test_every_alert_fires_and_stays_silent_as_its_synthetic_series_say() -> None:
    result = promtool("test", "rules", "rules_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    tested = set(re.findall(r"alertname: (\w+)", (PROMETHEUS_DIR / "rules_test.yml").read_text()))
    defined = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"] if "alert" in r}
    assert defined >= ALERTS, f"issue 18's alerts missing from rules.yml: {sorted(ALERTS - defined)}"
    assert tested == defined, f"alerts without a promtool test: {sorted(defined - tested)}"


def test_a_broken_rule_fails_the_rule_tests(tmp_path: Path) -> None:
    """The rule tests can fail: the dead-letter rule with a threshold that no dead letter reaches."""
    broken = RULES.read_text().replace(
        "(increase(trygg_events_dead_lettered_total[15m])) > 0", "(increase(trygg_events_dead_lettered_total[15m])) > 5"
    )
    assert broken != RULES.read_text()
    (tmp_path / "rules.yml").write_text(broken)
    shutil.copy(PROMETHEUS_DIR / "rules_test.yml", tmp_path / "rules_test.yml")
    result = promtool("test", "rules", "rules_test.yml", cwd=tmp_path)
    assert result.returncode != 0
    assert "TryggEventDeadLettered" in result.stdout + result.stderr


def exposed_series() -> dict[str, set[str]]:
    """Sample names each service's /metrics exposes (counters with `_total`, histograms with
    `_bucket`, ...), from the registry its bootstrap builds, in-process and without servers."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    found: dict[str, set[str]] = {}
    for service in SERVICES:
        settings = importlib.import_module(f"{service}.config").Settings()
        built = importlib.import_module(f"{service}.bootstrap").bootstrap(settings)
        metrics = built.runtime.metrics
        assert metrics is not None, f"{service} serves no /metrics"
        text = metrics.exposition().decode()
        found[service] = {
            family.name + suffix
            for family in text_string_to_metric_families(text)
            for suffix in suffixes.get(family.type, ("",))
        }
    return found


def rule_metric_names() -> set[str]:
    names: set[str] = set()
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\"[^\"]*\"", "", rule["expr"])  # matchers, ranges, strings
            words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr))
            names |= {w for w in words if w.startswith("trygg_") or w in SCRAPE_SERIES}
    return names


def test_every_metric_the_rules_name_is_exposed_by_a_service() -> None:
    exposed = exposed_series()
    everywhere = set().union(*exposed.values())
    named = rule_metric_names()
    assert {"trygg_events_dead_lettered_total", "trygg_notification_alerts_unrouted_total"} <= named
    missing = sorted(n for n in named - SCRAPE_SERIES if n not in everywhere)
    assert not missing, f"rules.yml names metrics no service exposes: {missing}"
    # The chassis' metrics are in every service, so every service's consumers and outbox are watched.
    for service, names in exposed.items():
        assert {"trygg_events_dead_lettered_total", "trygg_consumer_lag"} <= names, service


def test_prometheus_scrapes_every_service_and_loads_the_rules() -> None:
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    assert config["rule_files"] == ["rules.yml"]
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert set(SERVICES) <= jobs
