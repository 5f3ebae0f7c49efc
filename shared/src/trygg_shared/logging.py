"""structlog configured once for every service, with personal data removed.

Console rendering on a TTY, JSON lines otherwise. The standard library's loggers (uvicorn,
FastStream, aiokafka, pymongo) go through the same processors, so the redaction applies to
them too. Trace and span ids of the current OpenTelemetry span are added to every line.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog
from opentelemetry import trace

from trygg_shared.settings import LoggingSettings

REDACTED = "[redacted]"

# Keys whose values are personal data whatever they hold (compared case-insensitively).
PERSONAL_KEYS = frozenset(
    {
        "personnummer",
        "samordningsnummer",
        "reservnummer",
        "person_id",
        "identity",
        "identity_number",
        "id_number",
        "ssn",
        "name",
        "given_name",
        "family_name",
        "first_name",
        "last_name",
        "full_name",
        "phone",
        "phone_number",
        "mobile",
        "to",
        "address",
        "street",
        "email",
        "patient",
        "relatives",
        "relative",
        "message_text",
        "sms_text",
    }
)

# Swedish identity numbers (10 or 12 digits, optional - or +) and phone numbers in free text.
_IDENTITY_RE = re.compile(r"(?<![\d-])(?:19|20)?\d{6}[-+]?\d{4}(?![\d-])")
_PHONE_RE = re.compile(r"(?<![\w+])(?:(?:\+|00)\d{1,3}(?:[ \-]?\d){6,12}|0\d{1,3}(?:[ \-]?\d){5,8})(?![\d])")


def scrub_text(text: str) -> str:
    """Replace identity numbers and phone numbers in free text."""
    return _PHONE_RE.sub(REDACTED, _IDENTITY_RE.sub(REDACTED, text))


def _scrub(value: Any, depth: int = 0) -> Any:
    if depth > 8:
        return REDACTED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {k: (REDACTED if str(k).lower() in PERSONAL_KEYS else _scrub(v, depth + 1)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(v, depth + 1) for v in value]
    return value


def redact_personal_data(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: drop personal values by key, scrub numbers out of all text."""
    for key in list(event_dict):
        if key.lower() in PERSONAL_KEYS:
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


def add_trace_context(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the current span's trace and span ids, when there is one."""
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event_dict["trace_id"] = format(ctx.trace_id, "032x")
        event_dict["span_id"] = format(ctx.span_id, "016x")
    return event_dict


def configure_logging(settings: LoggingSettings, service_name: str) -> None:
    """Configure structlog and route the standard library's logging through it."""
    render_json = settings.format == "json" or (settings.format == "auto" and not sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_context,
        structlog.processors.format_exc_info,
        # Redaction last before rendering: it also sees the formatted exception text.
        redact_personal_data,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if render_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared[:-2],
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared[:-2], structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.processors.format_exc_info,
            redact_personal_data,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level)
    for noisy in ("aiokafka", "pymongo", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(settings.level)))
    for name in ("uvicorn", "uvicorn.error", "faststream"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # uvicorn.access keeps what uvicorn decided: with `--no-access-log` it has no handler and does
    # not propagate (no line per request); when it does log, it goes through the root handler.
    access = logging.getLogger("uvicorn.access")
    if access.propagate or access.handlers:
        access.handlers[:] = []
        access.propagate = True
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service_name)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
