"""Identity numbers, names and phone numbers never reach the logs."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
import structlog

from trygg_shared.logging import REDACTED, configure_logging, get_logger, redact_personal_data, scrub_text
from trygg_shared.settings import LoggingSettings

PERSONNUMMER = "19401009-2387"
SHORT_PN = "401009-2387"
PHONE = "+46701234567"


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging(LoggingSettings(level="DEBUG", format="json"), "test")  # type: ignore[call-arg]
    yield stream
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()


@pytest.mark.parametrize(
    "text",
    [
        f"patient {PERSONNUMMER} ready",
        f"patient {SHORT_PN} ready",
        "id 194010092387 in a sentence",
        f"call {PHONE} now",
        "call 070-123 45 67 now",
        "call 0701234567 now",
    ],
)
def test_numbers_in_free_text_are_replaced(text: str) -> None:
    scrubbed = scrub_text(text)
    assert REDACTED in scrubbed
    for secret in (PERSONNUMMER, SHORT_PN, "194010092387", PHONE, "0701234567", "070-123 45 67"):
        assert secret not in scrubbed


def test_ordinary_numbers_are_left_alone() -> None:
    text = "case 3f2a handled 12 events in 250 ms on partition 2, offset 123456"
    assert scrub_text(text) == text


def test_personal_keys_are_redacted_whatever_they_hold() -> None:
    event = redact_personal_data(
        None,
        "info",
        {
            "event": "x",
            "given_name": "Astrid",
            "family_name": "Lindqvist",
            "patient": {"id": "x"},
            "nested": {"phone": "12", "ok": "kept"},
            "relatives": [{"name": "Bo"}],
        },
    )
    assert event["given_name"] == REDACTED
    assert event["family_name"] == REDACTED
    assert event["patient"] == REDACTED
    assert event["nested"] == {"phone": REDACTED, "ok": "kept"}
    assert event["relatives"] == REDACTED


def test_structlog_lines_carry_no_personal_data(captured: io.StringIO) -> None:
    get_logger("t").info("applied", given_name="Astrid", note=f"pn {PERSONNUMMER}", case_id="c-1")
    line = json.loads(captured.getvalue().strip().splitlines()[-1])
    assert line["case_id"] == "c-1"
    assert "Astrid" not in captured.getvalue()
    assert PERSONNUMMER not in captured.getvalue()


def test_standard_library_loggers_and_exception_text_are_redacted_too(captured: io.StringIO) -> None:
    try:
        raise ValueError(f"bad identity {PERSONNUMMER}, phone {PHONE}")
    except ValueError:
        logging.getLogger("some.library").exception("failure for %s", PERSONNUMMER)
    output = captured.getvalue()
    assert "failure for" in output
    assert "ValueError" in output
    assert PERSONNUMMER not in output
    assert PHONE not in output


def test_a_uuid_that_holds_a_run_of_digits_is_left_whole() -> None:
    from trygg_shared.logging import scrub_text

    case_id = "0f401009-1012-503f-bd20-09e751a2e9cb"  # "401009-1012" looks like a personnummer
    assert scrub_text(f"case {case_id} applied") == f"case {case_id} applied"
    assert scrub_text("pnr 401009-1012 applied") == "pnr [redacted] applied"
