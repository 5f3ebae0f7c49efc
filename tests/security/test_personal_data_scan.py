"""The session-end scan (root `conftest.py`) can fail: it finds a planted identity number, name or
phone number in a service log or a span, and leaves clean ones alone."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.security.personal_data import SERVER_LOGS, Datum, Scanner, patients_data, service_logs

PLANTED_ID = "19401009-2387"  # the example patient's (docs/specs/examples)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def outside() -> Iterator[Path]:
    """A folder outside the session's temp folder: planted data there must not fail this very run."""
    with tempfile.TemporaryDirectory(prefix="planted-") as folder:
        yield Path(folder)


def test_the_test_patients_include_the_examples_and_what_the_tests_send() -> None:
    data = {(d.kind, d.value) for d in patients_data()}
    assert ("identity number", PLANTED_ID) in data
    assert ("identity number", "194010092387") in data  # every written form
    assert ("identity number", "4010092387") in data
    assert ("name", "Lindqvist") in data
    assert ("phone number", "+46701234567") in data
    assert ("phone number", "+46701112233") in data  # a relative's, from the tests
    assert ("name", "Karin") in data
    assert ("identity number", "20121212-1212") in data  # sent by the e2e and unit tests


def test_a_planted_log_line_is_found_and_reported_without_the_value(outside: Path) -> None:
    log = outside / "service-logs0" / "referral.log"
    log.parent.mkdir()
    log.write_text(
        '{"event": "service started", "level": "info"}\n'
        f'{{"event": "hospital message applied", "patient": "{PLANTED_ID}"}}\n'
        '{"event": "sms sent", "to": "+46701234567", "relative": "Karin Lindqvist"}\n'
    )
    scanner = Scanner(patients_data())
    findings = scanner.scan_file(log)
    assert [(f.where.rsplit(":", 1)[1], f.kind) for f in findings] == [
        ("2", "identity number"),
        ("3", "phone number"),
        ("3", "name"),
        ("3", "name"),
    ]
    assert all(PLANTED_ID not in str(f) and "+46701234567" not in str(f) for f in findings)


def test_clean_lines_and_longer_numbers_are_not_findings(outside: Path) -> None:
    log = outside / "scheduling.log"
    log.write_text(
        '{"event": "visit planned", "case_id": "a81ac505-f085-519e-9ef6-973a857711b7", "person_ref": "p_9f2c"}\n'
        '{"event": "offset", "value": 1194010092387999, "phone_masked": "+4670…67"}\n'
        '{"event": "Karinsson", "note": "Bolagsverket"}\n'  # a name inside a longer word is no name
    )
    assert Scanner(patients_data()).scan_file(log) == []


def test_a_planted_span_attribute_is_found() -> None:
    traces = [
        {
            "traceID": "abc",
            "spans": [
                {"traceID": "abc", "operationName": "POST /cases", "tags": [{"key": "http.route", "value": "/cases"}]},
                {
                    "traceID": "abc",
                    "operationName": "GET /cases",
                    "tags": [{"key": "http.url", "value": "https://x/cases?q=Lindqvist"}],
                },
            ],
            "processes": {"p1": {"serviceName": "referral", "tags": []}},
        }
    ]
    findings = Scanner(patients_data()).scan_spans(json.loads(json.dumps(traces)))
    assert [(f.where, f.kind) for f in findings] == [("trace abc span 'GET /cases'", "name")]


def test_service_logs_are_scanned_and_the_servers_logs_are_not(outside: Path) -> None:
    for name in ["referral.log", "notification.log", "00000000000000000000.log", *SERVER_LOGS]:
        (outside / "run" / name).parent.mkdir(exist_ok=True)
        (outside / "run" / name).write_text("x\n")
    assert [p.name for p in service_logs(outside)] == ["notification.log", "referral.log"]


PLANTING_TEST = """
def test_a_service_process_logs_an_identity_number(tmp_path):
    (tmp_path / "referral.log").write_text('{"event": "applied", "patient": "%s"}\\n')
"""


def test_a_session_whose_service_log_holds_an_identity_number_fails_after_its_tests_pass(outside: Path) -> None:
    """The root conftest's session-end scan, in a pytest run of its own: all tests pass, the run fails."""
    (outside / "test_planting.py").write_text(PLANTING_TEST % PLANTED_ID)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q",
         "--rootdir", str(outside), "--basetemp", str(outside / "base"), str(outside / "test_planting.py")],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert "1 passed" in run.stdout, run.stdout + run.stderr
    assert run.returncode == 1, run.stdout
    assert "1 FOUND (the run fails)" in run.stdout
    assert PLANTED_ID not in run.stdout


def test_the_masked_value_never_shows_the_datum() -> None:
    assert Datum("identity number", PLANTED_ID).masked == "19…87"
