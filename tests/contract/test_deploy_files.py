"""The deployment files agree with the services' own settings and topics (no Docker needed).

The services read their configuration with pydantic-settings and `extra="ignore"`, so a misspelt
variable in docker-compose.yml or in a Kubernetes manifest is silently ignored at run time and the
service falls back to a default (such as 127.0.0.1:9092 for Kafka). These tests read the files as
YAML or text and check every variable name against the service's `Settings` class: the names
allowed are derived from the classes, so new settings are allowed as soon as they exist. The
services are the folders of services/ and the topics come from `trygg_shared.contracts.topics`
and the services' consumer groups, so a new service or topic without deploy files fails here.
"""

from __future__ import annotations

import copy
import functools
import http.server
import importlib
import os
import re
import shutil
import subprocess
import sys
import threading
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import BaseModel
from pydantic_settings import BaseSettings

from devstack import paths as devstack_paths
from trygg_shared.contracts import topics as topics_module

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
K8S_DIR = ROOT / "deploy" / "k8s"
# Every service of the workspace; each needs `<name>.config.Settings` and its deploy files.
SERVICES = tuple(sorted(p.parent.name for p in (ROOT / "services").glob("*/pyproject.toml")))
EXPECTED_SERVICES = frozenset({"referral", "scheduling", "notification", "billing", "console"})
# Read by deploy/entrypoint.sh rather than by the settings classes.
ENTRYPOINT_VARIABLES = frozenset({"PORT"})
OTEL_COLLECTOR_CONFIG = ROOT / "deploy" / "otel-collector.yaml"
NON_ROOT_UID = 10001
# Environment variables of a container: name -> value (None when it comes from elsewhere).
Env = dict[str, str | None]


# --- helpers: settings ------------------------------------------------------------------------


def settings_class(service: str) -> type[BaseSettings]:
    cls: type[BaseSettings] = importlib.import_module(f"{service}.config").Settings
    assert issubclass(cls, BaseSettings)
    return cls


def settings_prefix(cls: type[BaseSettings]) -> str:
    return cls.model_config.get("env_prefix") or ""


def default_http_port(cls: type[BaseSettings]) -> int:
    """The class default of `http.port`, whatever the environment of the test run says."""
    http = cls.model_fields["http"].get_default(call_default_factory=True)
    return int(http.port)


def default_mongo_database(cls: type[BaseSettings]) -> str:
    return str(cls.model_fields["mongo"].get_default(call_default_factory=True).database)


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model in `Model` or `Model | None`, if the annotation holds one."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for argument in typing.get_args(annotation):
            model = _nested_model(argument)
            if model is not None:
                return model
    return None


def _is_mapping(annotation: Any) -> bool:
    origin = typing.get_origin(annotation) or annotation
    return isinstance(origin, type) and issubclass(origin, Mapping)


def _field_keys(model: type[BaseModel], case_sensitive: bool) -> dict[str, str]:
    """Environment key of each field of a nested model (its alias, else its name) -> field name."""
    keys = {}
    for name, field in model.model_fields.items():
        key = field.validation_alias if isinstance(field.validation_alias, str) else field.alias or name
        keys[key if case_sensitive else key.lower()] = name
    return keys


def setting_error(cls: type[BaseSettings], variable: str) -> str | None:
    """Why `variable` is not read by `cls`, or None when it sets one of its fields.

    Follows pydantic-settings: `<env_prefix><field>` (or a field's alias) at the top, then one
    nested field per `env_nested_delimiter`, e.g. REFERRAL_KAFKA__BOOTSTRAP_SERVERS is
    Settings.kafka.bootstrap_servers.
    """
    config = cls.model_config
    case_sensitive = bool(config.get("case_sensitive", False))
    delimiter = config.get("env_nested_delimiter") or None
    prefix = settings_prefix(cls)

    def fold(text: str) -> str:
        return text if case_sensitive else text.lower()

    top_level = {}
    for name, field in cls.model_fields.items():
        alias = field.validation_alias if isinstance(field.validation_alias, str) else field.alias
        top_level[fold(alias or prefix + name)] = name

    head, *rest = variable.split(delimiter) if delimiter else [variable]
    class_name = f"{cls.__module__}.{cls.__qualname__}"
    if fold(head) not in top_level:
        known = ", ".join(sorted(f"{prefix}{name.upper()}" for name in cls.model_fields))
        return f"{variable}: {class_name} has no setting {head!r} (prefix {prefix!r}; known: {known})"

    path = [top_level[fold(head)]]
    field = cls.model_fields[path[0]]
    for part in rest:
        model = _nested_model(field.annotation)
        if model is None:
            if _is_mapping(field.annotation):
                return None  # a dict setting takes any nested key
            return f"{variable}: {class_name}.{'.'.join(path)} is not a nested model, it has no {part!r}"
        keys = _field_keys(model, case_sensitive)
        if fold(part) not in keys:
            known = ", ".join(sorted(model.model_fields))
            return (
                f"{variable}: {class_name}.{'.'.join(path)} ({model.__name__}) has no field "
                f"{part.lower()!r} (known: {known})"
            )
        path.append(keys[fold(part)])
        field = model.model_fields[path[-1]]
    return None


def variable_errors(service: str, variables: Iterable[str], where: str) -> list[str]:
    cls = settings_class(service)
    errors = []
    for variable in variables:
        if variable in ENTRYPOINT_VARIABLES:
            continue
        error = setting_error(cls, variable)
        if error is not None:
            errors.append(f"{where}: {error}")
    return errors


def settings_from(cls: type[BaseSettings], variables: Env, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`cls()` built from exactly these variables (the test run's own prefixed ones removed)."""
    prefix = settings_prefix(cls).upper()
    for key in list(os.environ):
        if key.upper().startswith(prefix):
            monkeypatch.delenv(key)
    for key, value in variables.items():
        if value is not None:
            monkeypatch.setenv(key, value)
    return cls()


# --- helpers: compose --------------------------------------------------------------------------


def load_compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return compose


def compose_service(service: str) -> dict[str, Any]:
    services: dict[str, dict[str, Any]] = load_compose()["services"]
    assert service in services, f"docker-compose.yml has no service {service!r}"
    return services[service]


def as_dict(entries: Any) -> Env:
    """A compose `environment` or `args` block, mapping or list of KEY=VALUE, as a dict."""
    if entries is None:
        return {}
    if isinstance(entries, dict):
        return {str(k): None if v is None else str(v) for k, v in entries.items()}
    result: Env = {}
    for entry in entries:
        key, sep, value = str(entry).partition("=")
        result[key] = value if sep else None
    return result


def port_mappings(service: dict[str, Any]) -> list[tuple[str | None, int | None, int]]:
    """(host_ip, published, target) of each entry of a compose service's `ports`."""
    mappings = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            published = int(entry["published"]) if entry.get("published") else None
            mappings.append((entry.get("host_ip"), published, int(entry["target"])))
            continue
        parts = str(entry).split("/")[0].rsplit(":", 2)
        if len(parts) == 3:
            mappings.append((parts[0].strip("[]"), int(parts[1]), int(parts[2])))
        elif len(parts) == 2:
            mappings.append((None, int(parts[0]), int(parts[1])))
        else:
            mappings.append((None, None, int(parts[0])))
    return mappings


def mongo_hosts(uri: str) -> list[str]:
    netloc = uri.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    return [host.rsplit(":", 1)[0] for host in netloc.split(",")]


# --- helpers: kubernetes (kustomize) -------------------------------------------------------------
#
# deploy/k8s is one kustomize base and one overlay per service, plus Prometheus
# (deploy/prometheus). The checks below run on what the real kustomize renders (pinned, built
# into .local/bin by deploy/local/install.sh), and kubeconform validates every rendered object
# against the JSON schemas kept in deploy/k8s/schemas (offline: no cluster, no download).

SCHEMAS_DIR = K8S_DIR / "schemas"
SCHEMA_LOCATION = str(SCHEMAS_DIR / "{{.ResourceKind}}{{.KindSuffix}}.json")
# What a service overlay may change in the base: its identity, port, settings prefix, its own
# settings (a ConfigMap read with the prefix) and secrets.
OVERLAY_PATCH_PATHS = frozenset(
    {
        "/metadata/name",
        "/spec/ports/0/port",
        "/spec/template/spec/serviceAccountName",
        "/spec/template/spec/containers/0/ports/0/containerPort",
        "/spec/template/spec/containers/0/envFrom/0/prefix",
        "/spec/template/spec/containers/0/envFrom/-",
        "/spec/template/spec/containers/0/env",
    }
)
BASE_PLACEHOLDERS = ("service", "SERVICE_", "trygg-hemgang/service")


def tool(binary: Path) -> str:
    assert binary.is_file(), f"{binary.name} is not installed at {binary}: run `make install` (deploy/local/install.sh)"
    return str(binary)


@functools.cache
def kustomize_build(directory: Path) -> str:
    """`kustomize build directory`: the YAML the cluster would get."""
    result = subprocess.run(
        [tool(devstack_paths.kustomize_binary()), "build", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"kustomize build {directory} failed:\n{result.stderr}"
    return result.stdout


def render(directory: Path) -> list[dict[str, Any]]:
    """The objects kustomize builds from `directory`, with the content hash that kustomize
    appends to a generated ConfigMap's name (and to its references) taken off, so that the
    checks can name `trygg-config`."""
    real = [d for d in yaml.safe_load_all(kustomize_build(directory)) if d]
    hashed = {
        d["metadata"]["name"]: re.sub(r"-[a-z0-9]{10}$", "", d["metadata"]["name"])
        for d in real
        if d["kind"] == "ConfigMap"
    }

    def unhash(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: unhash(v) for k, v in node.items()}
        if isinstance(node, list):
            return [unhash(v) for v in node]
        return hashed.get(node, node) if isinstance(node, str) else node

    return [unhash(d) for d in real]


def kubeconform(manifests: str) -> subprocess.CompletedProcess[str]:
    """kubeconform -strict on rendered manifests, with the schemas of deploy/k8s/schemas only."""
    return subprocess.run(
        [tool(devstack_paths.kubeconform_binary()), "-strict", "-summary", "-schema-location", SCHEMA_LOCATION, "-"],
        input=manifests,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@functools.cache
def _k8s_documents() -> tuple[dict[str, Any], ...]:
    return tuple(render(K8S_DIR))


def k8s_documents() -> list[dict[str, Any]]:
    return copy.deepcopy(list(_k8s_documents()))


def k8s_object(kind: str, name: str) -> dict[str, Any]:
    found = [d for d in k8s_documents() if d.get("kind") == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"deploy/k8s renders {len(found)} {kind} named {name!r}, not one"
    return found[0]


def k8s_container(service: str) -> dict[str, Any]:
    containers: list[dict[str, Any]] = k8s_object("Deployment", service)["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, f"Deployment {service} should run one container"
    return containers[0]


def k8s_config_maps() -> dict[str, dict[str, str]]:
    return {
        d["metadata"]["name"]: {k: str(v) for k, v in (d.get("data") or {}).items()}
        for d in k8s_documents()
        if d.get("kind") == "ConfigMap"
    }


def k8s_environment(container: dict[str, Any]) -> tuple[Env, list[str]]:
    """The container's variables with their values resolved from ConfigMaps, and the problems."""
    config_maps = k8s_config_maps()
    variables: Env = {}
    problems = []
    for source in container.get("envFrom") or []:
        ref = source.get("configMapRef")
        if ref is None:
            problems.append(f"envFrom {source}: only ConfigMaps of deploy/k8s can be checked; use env for secrets")
        elif ref["name"] not in config_maps:
            problems.append(f"envFrom: no ConfigMap {ref['name']!r} in deploy/k8s")
        else:
            for key, value in config_maps[ref["name"]].items():
                variables[source.get("prefix", "") + key] = value
    for entry in container.get("env") or []:
        name = entry["name"]
        if "value" in entry:
            variables[name] = str(entry["value"])
            continue
        ref = (entry.get("valueFrom") or {}).get("configMapKeyRef")
        if ref is not None:
            resolved = config_maps.get(ref["name"], {}).get(ref["key"])
            if resolved is None:
                problems.append(f"{name}: no key {ref['key']!r} in a ConfigMap {ref['name']!r}")
            variables[name] = resolved
        else:
            variables[name] = None  # a Secret or the downward API: the name is still checked
    return variables, problems


def container_port(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    named = {p.get("name"): int(p["containerPort"]) for p in container.get("ports") or []}
    assert port in named, f"container {container['name']} has no port named {port!r}"
    return named[port]


# --- helpers: topics ------------------------------------------------------------------------------


TOPICS_DIR = K8S_DIR / "topics"
K8S_README = K8S_DIR / "README.md"
DAY_MS = 86_400_000
# Longest retention of a topic that carries names, phone numbers or identity numbers.
PERSONAL_DATA_MAX_DAYS = 14


@functools.cache
def consumers() -> dict[str, tuple[str, str]]:
    """Consumer group -> (service, topic it reads), from the consumers each service's `bootstrap()` wires.

    Bootstrap connects to nothing (the clients connect when the app starts), so this lists the
    groups, and so the dead-letter topics, that the services will really use.
    """
    groups = {}
    for service in SERVICES:
        bootstrap = importlib.import_module(f"{service}.bootstrap").bootstrap
        for consumer in bootstrap(settings_class(service)()).runtime.consumers:
            assert consumer.dead_letter_topic == topics_module.dead_letter_topic(consumer.group_id)
            groups[consumer.group_id] = (service, consumer.topic)
    return groups


def consumer_groups() -> dict[str, str]:
    """Consumer group -> service."""
    return {group: service for group, (service, _) in consumers().items()}


def expected_topics() -> set[str]:
    return {*topics_module.ALL_TOPICS, *(topics_module.dead_letter_topic(g) for g in consumer_groups())}


def topic_manifests() -> dict[str, dict[str, Any]]:
    manifests: dict[str, dict[str, Any]] = {}
    for document in render(TOPICS_DIR):
        assert document["kind"] == "KafkaTopic", f"topics/ holds a {document['kind']}"
        name = document["spec"].get("topicName") or document["metadata"]["name"]
        assert name not in manifests, f"two manifests for the topic {name}"
        manifests[name] = document
    return manifests


def retention_days(manifest: dict[str, Any]) -> float:
    return int(manifest["spec"]["config"]["retention.ms"]) / DAY_MS


# --- docker-compose.yml -----------------------------------------------------------------------


def test_the_services_of_the_workspace_are_the_five_we_deploy() -> None:
    assert set(SERVICES) == EXPECTED_SERVICES


def test_every_service_and_its_infrastructure_are_in_the_compose_file() -> None:
    services = load_compose()["services"]

    missing = {*SERVICES, "kafka", "mongo", "otel-collector", "jaeger"} - set(services)

    assert not missing, f"docker-compose.yml lacks the services {sorted(missing)}"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_built_from_the_shared_dockerfile_with_its_own_service_arg(service: str) -> None:
    build = compose_service(service).get("build")

    assert isinstance(build, dict), f"{service}: `build` must be a mapping with context and args"
    assert (COMPOSE_FILE.parent / build.get("context", ".")).resolve() == ROOT
    assert build.get("dockerfile") == "deploy/Dockerfile"
    assert as_dict(build.get("args")).get("SERVICE") == service


@pytest.mark.parametrize("service", SERVICES)
def test_every_environment_variable_of_a_compose_service_is_a_real_setting(service: str) -> None:
    variables = as_dict(compose_service(service).get("environment"))

    errors = variable_errors(service, variables, f"docker-compose.yml service {service}")

    assert variables, f"{service} has no environment in docker-compose.yml"
    assert not errors, "unknown environment variables:\n" + "\n".join(errors)


@pytest.mark.parametrize("service", SERVICES)
def test_the_compose_environment_builds_valid_settings_with_the_service_own_database(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cls = settings_class(service)
    variables = as_dict(compose_service(service).get("environment"))

    settings = settings_from(cls, variables, monkeypatch)

    assert settings.mongo.database == default_mongo_database(cls) == service
    assert settings.http.host == "0.0.0.0"
    assert settings.logging.format == "json"
    assert settings.telemetry.otlp_endpoint


@pytest.mark.parametrize("service", SERVICES)
def test_the_published_port_is_the_http_port_setting_and_its_default(service: str) -> None:
    definition = compose_service(service)
    prefix = settings_prefix(settings_class(service))
    variables = as_dict(definition.get("environment"))

    mappings = port_mappings(definition)

    assert len(mappings) == 1, f"{service} should publish exactly its HTTP port, not {mappings}"
    _, published, target = mappings[0]
    expected = default_http_port(settings_class(service))
    assert published == target == expected, f"{service}: {mappings[0]} is not {expected}:{expected}"
    assert variables.get(f"{prefix}HTTP__PORT") == str(expected)
    assert variables.get("PORT") == str(expected), "the entrypoint listens on $PORT"


def test_every_published_port_binds_to_the_loopback_interface_only() -> None:
    exposed = [
        f"{name}: {mapping}"
        for name, definition in load_compose()["services"].items()
        for mapping in port_mappings(definition)
        if mapping[0] != "127.0.0.1"
    ]

    assert not exposed, "ports published beyond 127.0.0.1:\n" + "\n".join(exposed)


@pytest.mark.parametrize("service", SERVICES)
def test_services_reach_kafka_mongo_and_the_collector_by_compose_service_name(service: str) -> None:
    services = load_compose()["services"]
    prefix = settings_prefix(settings_class(service))
    variables = as_dict(services[service].get("environment"))

    bootstrap = (variables.get(f"{prefix}KAFKA__BOOTSTRAP_SERVERS") or "").split(",")
    mongo = mongo_hosts(variables.get(f"{prefix}MONGO__URI") or "mongodb:///")
    collector = urlsplit(variables.get(f"{prefix}TELEMETRY__OTLP_ENDPOINT") or "").hostname

    for address in bootstrap:
        host = address.rsplit(":", 1)[0]
        assert host in services, f"{service}: Kafka host {host!r} is not a compose service"
        advertised = as_dict(services[host].get("environment")).get("KAFKA_ADVERTISED_LISTENERS") or ""
        assert f"//{address}" in advertised, f"{service}: the broker does not advertise {address}"
    assert mongo, f"{service}: no Mongo host"
    assert set(mongo) <= set(services), f"{service}: Mongo hosts {mongo} are not all compose services"
    assert collector in services, f"{service}: OTLP host {collector!r} is not a compose service"


def collector_exports_to_jaeger() -> bool:
    config = yaml.safe_load(OTEL_COLLECTOR_CONFIG.read_text(encoding="utf-8"))
    exporters = config["service"]["pipelines"]["traces"]["exporters"]
    endpoints = [str(config["exporters"][name].get("endpoint", "")) for name in exporters]
    return any(urlsplit("//" + endpoint.split("://")[-1]).hostname == "jaeger" for endpoint in endpoints)


@pytest.mark.parametrize("service", SERVICES)
def test_traces_reach_jaeger_directly_or_through_the_collector(service: str) -> None:
    prefix = settings_prefix(settings_class(service))
    variables = as_dict(compose_service(service).get("environment"))

    host = urlsplit(variables.get(f"{prefix}TELEMETRY__OTLP_ENDPOINT") or "").hostname

    assert host == "jaeger" or (host == "otel-collector" and collector_exports_to_jaeger()), (
        f"{service}: traces go to {host!r}, which does not end in Jaeger"
    )


def test_the_jaeger_ui_is_published_on_the_loopback_interface() -> None:
    jaeger = compose_service("jaeger")

    assert str(jaeger.get("image", "")).startswith("jaegertracing/")
    assert ("127.0.0.1", 16686, 16686) in port_mappings(jaeger)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_waits_for_kafka_and_mongo_to_be_healthy(service: str) -> None:
    services = load_compose()["services"]
    depends_on = services[service].get("depends_on")

    assert isinstance(depends_on, dict), f"{service}: depends_on must say which condition"
    for dependency in ("kafka", "mongo"):
        assert depends_on.get(dependency, {}).get("condition") == "service_healthy", (
            f"{service} must wait for {dependency} to be healthy"
        )
        assert services[dependency].get("healthcheck"), f"{dependency} needs a healthcheck"


@pytest.mark.parametrize("service", SERVICES)
def test_each_compose_service_is_hardened_and_checks_readyz(service: str) -> None:
    definition = compose_service(service)

    assert definition.get("read_only") is True
    assert "/tmp" in (definition.get("tmpfs") or [])
    assert "no-new-privileges:true" in (definition.get("security_opt") or [])
    assert "ALL" in (definition.get("cap_drop") or [])
    assert str(definition.get("user", "")).split(":")[0] == str(NON_ROOT_UID)
    assert definition.get("mem_limit") or definition.get("deploy", {}).get("resources")
    assert "/readyz" in " ".join(map(str, definition.get("healthcheck", {}).get("test", [])))


# --- deploy/Dockerfile and deploy/entrypoint.sh -----------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = (line.strip() for line in text.splitlines())
    return [
        (keyword.upper(), rest.strip())
        for keyword, _, rest in (line.partition(" ") for line in lines if line and line[0] != "#")
    ]


def test_the_dockerfile_takes_the_service_as_an_argument_and_runs_as_a_non_root_user() -> None:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    final_stage = instructions[last_from:]

    users = [rest for keyword, rest in final_stage if keyword == "USER"]
    assert ("ARG", "SERVICE") in instructions, "the Dockerfile needs `ARG SERVICE`"
    assert ("ARG", "SERVICE") in final_stage, "the runtime stage needs `ARG SERVICE` too"
    assert users, "the runtime stage has no USER instruction"
    uid = users[-1].split(":")[0]
    assert uid.isdigit(), f"USER {users[-1]} must be a numeric uid (Kubernetes checks runAsNonRoot by uid)"
    assert int(uid) != 0, "the service must not run as root"
    assert int(uid) == NON_ROOT_UID, "compose and k8s run the containers as uid 10001"
    assert any(keyword == "HEALTHCHECK" for keyword, _ in final_stage)


def test_the_dockerfile_copies_only_paths_that_exist_in_the_repository() -> None:
    copies = [rest.split() for keyword, rest in dockerfile_instructions() if keyword == "COPY"]

    sources = [
        source
        for words in copies
        if not any(word.startswith("--from") for word in words)
        for source in [w for w in words if not w.startswith("--")][:-1]
    ]

    assert sources
    missing = [source for source in sources if not (ROOT / source).exists()]
    assert not missing, f"the Dockerfile copies paths that do not exist: {missing}"


needs_sh = pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX sh")


def run_entrypoint(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """deploy/entrypoint.sh with a `python` that prints the words of `-m ...` runs, one a line."""
    fake = tmp_path / "python"
    fake.write_text(f'#!/bin/sh\n[ "$1" = -m ] && {{ printf "%s\\n" "$@"; exit 0; }}\nexec "{sys.executable}" "$@"\n')
    fake.chmod(0o755)
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *args],
        env={"PATH": f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@needs_sh
def test_the_entrypoint_runs_the_service_factory_on_port_and_host_from_the_environment(
    tmp_path: Path,
) -> None:
    env = {"SERVICE": "billing", "PORT": "8004", "BILLING_HTTP__HOST": "0.0.0.0"}

    result = run_entrypoint(tmp_path, env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == (
        ["-m", "uvicorn", "billing.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8004"]
    )


@needs_sh
@pytest.mark.parametrize("service", SERVICES)
def test_the_entrypoint_falls_back_to_the_settings_defaults(tmp_path: Path, service: str) -> None:
    result = run_entrypoint(tmp_path, {"SERVICE": service})

    assert result.returncode == 0, result.stderr
    port = default_http_port(settings_class(service))
    assert result.stdout.splitlines()[2:] == [
        f"{service}.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


@needs_sh
def test_the_entrypoint_passes_its_arguments_to_uvicorn_word_for_word(tmp_path: Path) -> None:
    env = {"SERVICE": "billing", "BILLING_HTTP__HOST": "127.0.0.1", "BILLING_HTTP__PORT": "8004"}
    arguments = ["--log-level", "debug; echo injected", "$(id)", "*"]

    result = run_entrypoint(tmp_path, env, *arguments)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-len(arguments) :] == arguments


@needs_sh
def test_the_entrypoint_refuses_an_unknown_service(tmp_path: Path) -> None:
    result = run_entrypoint(tmp_path, {"SERVICE": "referral; id"})

    assert result.returncode != 0
    assert "SERVICE must be" in result.stderr


def shell_code(path: Path) -> str:
    """The file without its comments (from a `#` at the start of a line or after a blank)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in lines)


def test_the_entrypoint_does_not_use_eval() -> None:
    assert not re.search(r"\beval\b", shell_code(ENTRYPOINT)), "build the argv without eval"


def service_alternatives(text: str) -> set[str]:
    """The service names of the `case` pattern `referral | scheduling | ...)` in a shell text."""
    match = re.search(r"referral\s*\|[\s|a-z]*\)", text)
    assert match, "no `case` pattern of service names"
    return {word.strip() for word in match.group(0).rstrip(")").split("|")}


def test_the_dockerfile_and_the_entrypoint_accept_exactly_the_workspace_services() -> None:
    assert service_alternatives(DOCKERFILE.read_text(encoding="utf-8")) == set(SERVICES)
    assert service_alternatives(shell_code(ENTRYPOINT)) == set(SERVICES)


@needs_sh
def test_the_entrypoint_refuses_a_port_that_contradicts_the_http_port_setting(tmp_path: Path) -> None:
    env = {"SERVICE": "referral", "PORT": "8001", "REFERRAL_HTTP__PORT": "8002"}

    result = run_entrypoint(tmp_path, env)

    assert result.returncode != 0
    assert "PORT=8001 but REFERRAL_HTTP__PORT=8002" in result.stderr


@pytest.fixture
def health_server() -> Iterator[int]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/healthz" else 503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@needs_sh
def test_the_entrypoint_healthcheck_passes_on_2xx_only(tmp_path: Path, health_server: int) -> None:
    env = {"SERVICE": "scheduling", "PORT": str(health_server), "SCHEDULING_HTTP__HOST": "0.0.0.0"}

    healthy = run_entrypoint(tmp_path, env, "healthcheck")
    not_ready = run_entrypoint(tmp_path, env, "healthcheck", "/readyz")

    assert healthy.returncode == 0, healthy.stderr
    assert not_ready.returncode != 0
    assert "unhealthy" in not_ready.stderr


# --- deploy/k8s ---------------------------------------------------------------------------------


def test_the_system_kustomization_deploys_one_overlay_per_service_and_the_shared_settings() -> None:
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text(encoding="utf-8"))
    overlays = {p.parent.name for p in (K8S_DIR / "services").glob("*/kustomization.yaml")}

    assert set(kustomization["resources"]) == {f"services/{s}" for s in SERVICES} | {"../prometheus"}
    assert overlays == set(SERVICES)
    assert [g["name"] for g in kustomization["configMapGenerator"]] == ["trygg-config"]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_overlay_changes_only_what_differs_between_services(service: str) -> None:
    overlay = K8S_DIR / "services" / service
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text(encoding="utf-8"))

    paths = {op["path"] for patch in kustomization["patches"] for op in yaml.safe_load(patch["patch"])}

    assert kustomization["resources"] == ["../../base"]
    assert paths <= OVERLAY_PATCH_PATHS, f"{service} patches more than its identity: {paths - OVERLAY_PATCH_PATHS}"
    assert [g["name"] for g in kustomization.get("configMapGenerator") or []] == [f"{service}-settings"]


def test_every_object_is_renamed_from_the_base_placeholders() -> None:
    # prometheus-config holds deploy/prometheus's files, whose comments speak of services.
    rendered = yaml.safe_dump_all(d for d in k8s_documents() if d["metadata"]["name"] != "prometheus-config")

    left = [p for p in BASE_PLACEHOLDERS if re.search(rf"(?<![\w/-]){re.escape(p)}(?![\w/-])", rendered)]

    assert not left, f"placeholders of deploy/k8s/base survive the overlays: {left}"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_its_deployment_service_account_network_policy_and_disruption_budget(
    service: str,
) -> None:
    deployment = k8s_object("Deployment", service)
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selected_by = {
        "Deployment": deployment["spec"]["selector"]["matchLabels"],
        "Service": k8s_object("Service", service)["spec"]["selector"],
        "PodDisruptionBudget": k8s_object("PodDisruptionBudget", service)["spec"]["selector"]["matchLabels"],
        "NetworkPolicy": k8s_object("NetworkPolicy", service)["spec"]["podSelector"]["matchLabels"],
    }

    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == service
    assert k8s_object("ServiceAccount", service).get("automountServiceAccountToken") is False
    for kind, selector in selected_by.items():
        assert selector == {"app.kubernetes.io/name": service}, f"{kind} {service} selects {selector}"
        assert selector.items() <= pod_labels.items(), f"{kind} {service} selects no pod of its own"


# Services that must run as one replica, and why (deploy/k8s/README.md says the same). None since
# the console's live updates go through its database (services/console/README.md, "Across replicas").
SINGLE_INSTANCE: dict[str, str] = {}


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_survives_a_node_drain_unless_it_must_stay_single(service: str) -> None:
    replicas = k8s_object("Deployment", service)["spec"]["replicas"]
    budget = k8s_object("PodDisruptionBudget", service)["spec"]
    readme = K8S_README.read_text(encoding="utf-8")

    if service in SINGLE_INSTANCE:
        assert replicas == 1
        assert f"`{service}`" in readme.split("## What stays single-instance")[1].split("\n## ")[0]
    else:
        assert replicas >= 2, f"{service}: one replica goes down with its node"
        # A drain evicts one pod at a time and waits for it to be ready elsewhere.
        assert budget.get("maxUnavailable") == 1 or int(budget.get("minAvailable", 0)) >= 1
        spread = k8s_object("Deployment", service)["spec"]["template"]["spec"]["topologySpreadConstraints"]
        assert spread[0]["topologyKey"] == "kubernetes.io/hostname"
        assert spread[0]["labelSelector"]["matchLabels"] == {"app.kubernetes.io/name": service}


@pytest.mark.parametrize("service", SERVICES)
def test_prometheus_finds_every_replica_of_a_service_by_its_headless_service(service: str) -> None:
    svc = k8s_object("Service", service)["spec"]
    config = yaml.safe_load(k8s_config_maps()["prometheus-config"]["prometheus.yml"])
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == service]

    assert svc["clusterIP"] == "None", "a ClusterIP would scrape one replica at random"
    assert job["dns_sd_configs"] == [{"names": [service], "type": "A", "port": svc["ports"][0]["port"]}]


def test_compose_and_kubernetes_carry_the_prometheus_configuration_and_rules_of_deploy_prometheus() -> None:
    prometheus_dir = ROOT / "deploy" / "prometheus"
    in_k8s = k8s_config_maps()["prometheus-config"]
    volumes = compose_service("prometheus")["volumes"]

    for name in ("prometheus.yml", "rules.yml"):
        assert in_k8s[name] == (prometheus_dir / name).read_text(encoding="utf-8")
        assert f"./deploy/prometheus/{name}:/etc/prometheus/{name}:ro" in volumes
    pod = k8s_object("Deployment", "prometheus")["spec"]["template"]["spec"]
    assert pod["volumes"][0]["configMap"]["name"] == "prometheus-config"
    assert pod["containers"][0]["image"] == compose_service("prometheus")["image"]
    assert ("127.0.0.1", 9090, 9090) in port_mappings(compose_service("prometheus"))


@pytest.mark.parametrize("service", SERVICES)
def test_the_network_policy_admits_only_the_http_port(service: str) -> None:
    policy = k8s_object("NetworkPolicy", service)["spec"]
    container = k8s_container(service)

    ports = [p for rule in policy["ingress"] for p in rule.get("ports") or []]

    assert "Ingress" in policy["policyTypes"]
    assert ports, f"{service}: an ingress rule without ports admits every port"
    assert {container_port(container, p["port"]) for p in ports} == {default_http_port(settings_class(service))}


@pytest.mark.parametrize("service", SERVICES)
def test_every_environment_variable_of_a_k8s_container_is_a_real_setting(service: str) -> None:
    variables, problems = k8s_environment(k8s_container(service))

    errors = variable_errors(service, variables, f"deploy/k8s Deployment {service}")

    assert variables, f"the {service} container has no environment"
    assert not errors + problems, "unknown environment variables:\n" + "\n".join(errors + problems)


@pytest.mark.parametrize("service", SERVICES)
def test_the_k8s_environment_builds_production_settings_on_the_container_port(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cls = settings_class(service)
    container = k8s_container(service)
    variables, _ = k8s_environment(container)

    settings = settings_from(cls, variables, monkeypatch)

    port = default_http_port(cls)
    assert settings.http.port == port
    assert container_port(container, "http") == port
    assert settings.http.host == "0.0.0.0"
    assert settings.mongo.database == default_mongo_database(cls) == service
    assert settings.kafka.create_topics is False, "the platform creates the topics (deploy/k8s/topics)"
    assert settings.telemetry.environment == "production"
    assert settings.telemetry.otlp_endpoint
    assert settings.logging.format == "json"
    service_port = k8s_object("Service", service)["spec"]["ports"][0]
    assert service_port["port"] == port
    assert container_port(container, service_port["targetPort"]) == port


@pytest.mark.parametrize("service", SERVICES)
def test_every_development_secret_is_replaced_from_a_kubernetes_secret(service: str) -> None:
    config = importlib.import_module(f"{service}.config")
    check = getattr(config, "local_defaults_in_use", None)
    container = k8s_container(service)

    needed = set(check(config.Settings())) if check else set()
    from_secrets = {
        entry["name"] for entry in container.get("env") or [] if "secretKeyRef" in (entry.get("valueFrom") or {})
    }

    assert needed <= from_secrets, f"{service}: set {sorted(needed - from_secrets)} from a Secret"


@pytest.mark.parametrize("service", SERVICES)
def test_the_k8s_image_is_the_one_compose_builds_for_the_service(service: str) -> None:
    image = k8s_container(service)["image"]

    assert image.partition(":")[0] == str(compose_service(service)["image"]).partition(":")[0]


@pytest.mark.parametrize("service", SERVICES)
def test_k8s_probes_check_healthz_for_liveness_and_readyz_for_readiness(service: str) -> None:
    container = k8s_container(service)
    port = default_http_port(settings_class(service))

    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        check = (container.get(probe) or {}).get("httpGet") or {}
        assert check.get("path") == path, f"{service}: {probe} must GET {path}"
        assert container_port(container, check.get("port", 0)) == port


@pytest.mark.parametrize("service", SERVICES)
def test_k8s_pods_run_as_non_root_with_a_read_only_root_filesystem_and_limits(service: str) -> None:
    pod = k8s_object("Deployment", service)["spec"]["template"]["spec"]
    container = k8s_container(service)
    pod_context = pod.get("securityContext") or {}
    context = container.get("securityContext") or {}

    def effective(key: str) -> Any:
        return context.get(key, pod_context.get(key))

    assert effective("runAsNonRoot") is True
    assert effective("runAsUser") in (None, NON_ROOT_UID)
    assert (effective("seccompProfile") or {}).get("type") == "RuntimeDefault"
    assert context.get("readOnlyRootFilesystem") is True
    assert context.get("allowPrivilegeEscalation") is False
    assert "ALL" in (context.get("capabilities") or {}).get("drop", [])
    assert pod.get("automountServiceAccountToken") is False
    assert pod.get("enableServiceLinks") is False, "docker-link variables would carry the settings prefix"
    resources = container.get("resources") or {}
    assert {"cpu", "memory"} <= set(resources.get("requests") or {})
    assert {"cpu", "memory"} <= set(resources.get("limits") or {})


@pytest.mark.parametrize("folder", [K8S_DIR, TOPICS_DIR])
def test_every_rendered_object_is_valid_against_the_kept_schemas(folder: Path) -> None:
    result = kubeconform(kustomize_build(folder))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Skipped: 0" in result.stdout


def test_kubeconform_refuses_an_invalid_object_and_a_kind_without_a_schema() -> None:
    deployments = kustomize_build(K8S_DIR).replace("  replicas: 2\n", "  replicas: two\n", 1)
    beta = kustomize_build(TOPICS_DIR).replace(
        "apiVersion: kafka.strimzi.io/v1\n", "apiVersion: kafka.strimzi.io/v1beta2\n"
    )

    invalid, old_api = kubeconform(deployments), kubeconform(beta)

    assert invalid.returncode != 0
    assert "replicas" in invalid.stdout
    assert old_api.returncode != 0, "Strimzi refuses v1beta2: only kafka.strimzi.io/v1 has a schema here"


# --- deploy/k8s/topics ----------------------------------------------------------------------------


def test_every_topic_and_dead_letter_topic_has_a_manifest_and_no_manifest_is_stale() -> None:
    manifests = set(topic_manifests())

    missing = expected_topics() - manifests
    stale = manifests - expected_topics()

    assert not missing, f"topics without a manifest in deploy/k8s/topics: {sorted(missing)}"
    assert not stale, f"manifests of topics no service uses: {sorted(stale)}"


def test_every_topic_is_partitioned_as_the_services_create_it_and_replicated() -> None:
    manifests = topic_manifests()
    assert topics_module.PARTITIONS == 6
    assert {m["apiVersion"] for m in manifests.values()} == {"kafka.strimzi.io/v1"}, "Strimzi refuses v1beta2"

    def problems(spec: dict[str, Any]) -> list[str]:
        config = spec["config"]
        return [
            *([f"partitions {spec['partitions']}"] if spec["partitions"] != topics_module.PARTITIONS else []),
            *([f"replicas {spec['replicas']}"] if spec["replicas"] < 3 else []),
            *(["min.insync.replicas"] if int(config["min.insync.replicas"]) != spec["replicas"] - 1 else []),
            *(["cleanup.policy"] if config["cleanup.policy"] != "delete" else []),
        ]

    found = {topic: problems(manifests[topic]["spec"]) for topic in sorted(expected_topics() & set(manifests))}

    assert not {topic: p for topic, p in found.items() if p}


def test_topics_with_personal_data_are_kept_only_as_long_as_a_replay_needs() -> None:
    manifests = topic_manifests()
    personal = {
        topics_module.REFERRAL_CASE_EVENTS,
        topics_module.REFERRAL_BILLING_SUBJECTS,
        topics_module.REFERRAL_RELATIVE_CONTACTS,
        topics_module.REFERRAL_PERSON_CONTACTS,
        *(topics_module.dead_letter_topic(group) for group in consumer_groups()),
    }

    labelled = {
        n for n, m in manifests.items() if m["metadata"]["labels"].get("trygg-hemgang.se/data") == "personal-data"
    }
    too_long = {
        n: retention_days(manifests[n]) for n in labelled if retention_days(manifests[n]) > PERSONAL_DATA_MAX_DAYS
    }

    assert personal <= labelled, f"label these personal-data topics: {sorted(personal - labelled)}"
    assert not too_long, f"personal data kept longer than {PERSONAL_DATA_MAX_DAYS} days: {too_long}"
    assert retention_days(manifests[topics_module.REFERRAL_BILLING_SUBJECTS]) <= 7, "identity numbers"
    assert retention_days(manifests[topics_module.REFERRAL_RELATIVE_CONTACTS]) <= 7, "relatives' phone numbers"


def test_dead_letters_keep_personal_data_no_longer_than_the_topic_they_come_from() -> None:
    manifests = topic_manifests()

    def personal(topic: str) -> bool:
        return bool(manifests[topic]["metadata"]["labels"].get("trygg-hemgang.se/data") == "personal-data")

    longer = {
        group: (retention_days(manifests[topics_module.dead_letter_topic(group)]), retention_days(manifests[topic]))
        for group, (_, topic) in consumers().items()
        if personal(topic)
        and retention_days(manifests[topics_module.dead_letter_topic(group)]) > retention_days(manifests[topic])
    }

    assert not longer, f"dead letters kept longer (days) than their personal-data source (days): {longer}"


def test_only_notification_reads_relatives_phone_numbers() -> None:
    readers = {service for service, topic in consumers().values() if topic == topics_module.REFERRAL_RELATIVE_CONTACTS}

    assert readers == {"notification"}


def test_only_scheduling_and_the_console_read_the_persons_own_name_address_and_phone() -> None:
    readers = {service for service, topic in consumers().values() if topic == topics_module.REFERRAL_PERSON_CONTACTS}

    assert readers == {"scheduling", "console"}


def test_the_k8s_readme_gives_each_topic_the_retention_of_its_manifest() -> None:
    rows = re.findall(r"^\|\s*`([^`]+)`\s*\|\s*(\d+) days\s*\|", K8S_README.read_text(encoding="utf-8"), re.M)

    documented = {topic: int(days) for topic, days in rows}

    assert documented == {topic: retention_days(m) for topic, m in topic_manifests().items()}


# --- the checks themselves ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "variable",
    [
        "REFERRAL_KAFKA__BOOTSTRAP_SERVER",  # misspelt nested field
        "REFERAL_MONGO__URI",  # misspelt prefix
        "SCHEDULING_MONGO__URI",  # another service's prefix
        "REFERRAL_HTTP__PORT__NUMBER",  # a part below a plain field
        "REFERRAL_HTTP_PORT",  # single underscore instead of the nested delimiter
    ],
)
def test_the_setting_check_rejects_a_variable_that_is_no_setting(variable: str) -> None:
    errors = variable_errors("referral", {variable: "x"}, "example")

    assert len(errors) == 1
    assert variable in errors[0]


def test_the_setting_check_accepts_real_settings_nested_or_not() -> None:
    variables = dict.fromkeys(
        ["REFERRAL_KAFKA__BOOTSTRAP_SERVERS", "REFERRAL_SERVICE_NAME", "REFERRAL_KAFKA", "PORT"], "x"
    )

    assert variable_errors("referral", variables, "example") == []


def test_the_dockerfile_reader_sees_instructions_split_over_lines() -> None:
    keywords = [keyword for keyword, _ in dockerfile_instructions()]

    assert keywords.count("FROM") >= 2, "deploy/Dockerfile should be a multi-stage build"
    assert all(re.fullmatch(r"[A-Z]+", keyword) for keyword in keywords), keywords
