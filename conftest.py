"""Test configuration for the whole workspace.

Tests are marked by folder (unit by default; `contract`, `integration`, `e2e`, `faults`, `security`
anywhere under `tests/`, `shared/tests` or `services/*/tests`). Real servers are started once per
session, only when a test asks for them; the fixtures of the integration and e2e tests
(`tests/fixtures`) reach every folder from here.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from devstack.testing import Endpoints, real_servers

pytest_plugins = ["tests.fixtures.integration", "tests.fixtures.e2e"]

_FOLDER_MARKS = {
    "contract": "contract",
    "integration": "integration",
    "e2e": "e2e",
    "faults": "faults",
    "security": "security",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath))
        # Relative to the repository: a checkout in a folder named like a marker must not mark everything.
        parts = (
            path.relative_to(item.config.rootpath).parts if path.is_relative_to(item.config.rootpath) else path.parts
        )
        marks = [mark for folder, mark in _FOLDER_MARKS.items() if folder in parts]
        for mark in marks or ["unit"]:
            item.add_marker(getattr(pytest.mark, mark))


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoints]:
    """Real Kafka and MongoDB-wire servers (environment, testcontainers or local), for the session."""
    with real_servers(tmp_path_factory.mktemp("servers")) as endpoints:
        yield endpoints


# --- after the whole session: no test patient's personal data in any service log or span ---------

_HERE = Path(__file__).resolve().parent
_ENDPOINTS: list[Endpoints] = []
_SPAN_FINDINGS: list[str] = []
_SCAN_SUMMARY: dict[str, int] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest) -> Iterator[None]:
    """Remember every set of real servers a fixture started (their Jaeger is scanned at the end)."""
    outcome = yield
    if outcome.excinfo is None:  # type: ignore[attr-defined]
        result = outcome.get_result()  # type: ignore[attr-defined]
        if isinstance(result, Endpoints) and result not in _ENDPOINTS:
            _ENDPOINTS.append(result)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Before the last test's teardown stops the session's servers: every span Jaeger holds."""
    if nextitem is None:
        _scan_spans()
    yield


def _personal_data() -> ModuleType:
    """`tests/security/personal_data.py`, also when no test under `tests/` was collected (so the
    `tests` package was never imported): loaded from its file then."""
    try:
        from tests.security import personal_data
    except ModuleNotFoundError:
        name = "trygg_security_personal_data"
        if name not in sys.modules:
            spec = importlib.util.spec_from_file_location(name, _HERE / "tests" / "security" / "personal_data.py")
            assert spec is not None
            assert spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module  # before it runs: its dataclasses look their module up
            spec.loader.exec_module(module)
        return sys.modules[name]
    return personal_data


def _scan_spans() -> None:
    scan = _personal_data()
    scanner = scan.Scanner(scan.patients_data())
    for endpoints in _ENDPOINTS:
        if endpoints.jaeger_query_url is None:
            continue
        try:
            traces, spans = scan.jaeger_traces(endpoints.jaeger_query_url)
        except Exception as exc:  # noqa: BLE001 - an unreadable Jaeger is reported as a finding, not a crash
            _SPAN_FINDINGS.append(f"{endpoints.jaeger_query_url}: could not read the traces ({type(exc).__name__})")
            continue
        _SCAN_SUMMARY["spans"] = _SCAN_SUMMARY.get("spans", 0) + spans
        _SPAN_FINDINGS.extend(str(f) for f in scanner.scan_spans(traces))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Every service process' log under the session's temp folder (the processes have stopped)."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    scan = _personal_data()
    scanner = scan.Scanner(scan.patients_data())
    logs = scan.service_logs(Path(str(factory.getbasetemp())))
    findings = [*_SPAN_FINDINGS, *(str(f) for log in logs for f in scanner.scan_file(log))]
    _SCAN_SUMMARY["logs"] = len(logs)
    _SCAN_SUMMARY["patterns"] = len(scanner.data)
    session.config.stash[_FINDINGS_KEY] = findings
    if findings and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_FINDINGS_KEY = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    findings = config.stash.get(_FINDINGS_KEY, None)
    if findings is None:
        return
    logs, spans, patterns = (_SCAN_SUMMARY.get(k, 0) for k in ("logs", "spans", "patterns"))
    if not logs and not spans and not findings:
        return  # no service process ran and no span was exported (a unit-only run)
    terminalreporter.section("personal data in logs and spans")
    terminalreporter.write_line(
        f"scanned {logs} service log files and {spans} spans for {patterns} test-patient values: "
        + (f"{len(findings)} FOUND (the run fails)" if findings else "none found")
    )
    for finding in findings[:200]:
        terminalreporter.write_line(f"  {finding}", red=True)
