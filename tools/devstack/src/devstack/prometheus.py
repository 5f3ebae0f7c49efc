"""Prometheus on loopback for `trygg run`: Debian's package (unpacked into `.local/prometheus` by
deploy/local/install.sh), scraping every service's /metrics and evaluating deploy/prometheus/rules.yml.

The configuration is deploy/prometheus/prometheus.yml, the file docker-compose and Kubernetes
use, with each service's job pointed at `127.0.0.1:<port>` (there, DNS finds the replicas) and
a shorter scrape interval, so that a fresh `trygg run` shows every target up within seconds.
"""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from devstack import paths
from devstack.servers import LOOPBACK, _Process, _Supervised, await_ready, free_port, port_open

SCRAPE_INTERVAL = "5s"


def local_config(service_ports: Mapping[str, int], port: int, rules: Path) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml for one machine: each service's job at 127.0.0.1:<port>."""
    config: dict[str, Any] = yaml.safe_load((paths.prometheus_config_dir() / "prometheus.yml").read_text())
    config["global"] = {**config.get("global", {}), "scrape_interval": SCRAPE_INTERVAL}
    config["global"]["evaluation_interval"] = SCRAPE_INTERVAL
    config["rule_files"] = [str(rules)]
    targets = {"prometheus": port, **service_ports}
    jobs = []
    for job in config["scrape_configs"]:
        local = {k: v for k, v in job.items() if not k.endswith("_sd_configs")}
        if job["job_name"] in targets:
            local["static_configs"] = [{"targets": [f"{LOOPBACK}:{targets[job['job_name']]}"]}]
        jobs.append(local)
    config["scrape_configs"] = jobs
    return config


class PrometheusServer(_Supervised):
    """Prometheus with its classic web UI on 127.0.0.1; data in `<workdir>/data` (kept two days)."""

    def __init__(self, workdir: Path, service_ports: Mapping[str, int], *, port: int | None = None) -> None:
        self.workdir = workdir
        self.service_ports = dict(service_ports)
        self.port = port or free_port()
        self._proc = _Process("prometheus", workdir)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        binary = self.installed(paths.prometheus_binary(), "Prometheus")
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "prometheus.yml"
        rules = paths.prometheus_config_dir() / "rules.yml"
        config.write_text(yaml.safe_dump(local_config(self.service_ports, self.port, rules), sort_keys=False))
        root = paths.prometheus_root()
        self._proc.spawn(
            [
                str(binary),
                f"--config.file={config}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
                "--storage.tsdb.retention.time=2d",
                f"--web.listen-address={LOOPBACK}:{self.port}",
                f"--web.local-assets={root / 'usr' / 'share' / 'prometheus' / 'web'}/",
                f"--web.console.templates={root / 'etc' / 'prometheus' / 'consoles'}",
                f"--web.console.libraries={root / 'etc' / 'prometheus' / 'console_libraries'}",
                "--log.level=warn",
            ]
        )

    def api(self, path: str) -> Any:
        """GET `path`: the JSON of an /api/ path, else the HTTP status."""
        with urllib.request.urlopen(f"{self.url}{path}", timeout=3) as response:  # noqa: S310 - loopback
            return json.loads(response.read()) if path.startswith("/api/") else response.status

    def wait_ready(self, timeout: float = 30.0) -> None:
        await_ready(self._proc, "Prometheus", timeout, self._answers)

    def _answers(self) -> bool:
        if not port_open(self.port):
            return False
        with contextlib.suppress(OSError):
            return bool(self.api("/-/ready") == 200)
        return False

    def targets(self) -> dict[str, list[str]]:
        """Each job's targets' health as Prometheus sees it (`up`, `down`, `unknown`)."""
        data = self.api("/api/v1/targets?state=active")["data"]["activeTargets"]
        health: dict[str, list[str]] = {}
        for target in data:
            health.setdefault(target["labels"]["job"], []).append(target["health"])
        return health

    def alert_rules(self) -> list[str]:
        groups = self.api("/api/v1/rules?type=alert")["data"]["groups"]
        return [rule["name"] for group in groups for rule in group["rules"]]

    def stop(self) -> None:
        self._proc.stop()
