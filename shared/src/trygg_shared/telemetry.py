"""OpenTelemetry set up once per process: OTLP export when configured, nothing otherwise.

Trace context crosses Kafka in the `traceparent` header (FastStream's telemetry middleware)
and spans cover HTTP requests (FastAPI) and Mongo commands (pymongo monitoring). Mongo
command statements are not captured: they hold personal data.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from trygg_shared.logging import scrub_text
from trygg_shared.settings import TelemetrySettings

# Exception events keep their type, never their text: a library's message can quote personal data.
_DROPPED_EXCEPTION_ATTRIBUTES = frozenset({"exception.message", "exception.stacktrace"})


def _clean(attributes: Mapping[str, Any] | None, *, exception: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (attributes or {}).items():
        if exception and key in _DROPPED_EXCEPTION_ATTRIBUTES:
            continue
        out[key] = scrub_text(value) if isinstance(value, str) else value
    return out


# What a redacted copy keeps as it is: every argument of `ReadableSpan`, each read back from the span's
# property of that name, but the two redacted and the deprecated `instrumentation_info` (its
# `instrumentation_scope` goes across).
_KEPT = tuple(
    name
    for name in inspect.signature(ReadableSpan.__init__).parameters
    if name not in {"self", "attributes", "events", "instrumentation_info"}
)


def redact_span(span: ReadableSpan) -> ReadableSpan:
    """A copy of the span without exception text, and with identity and phone numbers scrubbed."""
    events = [Event(e.name, _clean(e.attributes, exception=e.name == "exception"), e.timestamp) for e in span.events]
    kept = {name: getattr(span, name) for name in _KEPT}
    return ReadableSpan(**kept, attributes=_clean(span.attributes), events=events)


class RedactingSpanExporter(SpanExporter):
    """Wraps the real exporter: nothing personal leaves the process in a trace."""

    def __init__(self, inner: SpanExporter) -> None:
        self._inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._inner.export([redact_span(s) for s in spans])

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


def configure_tracing(settings: TelemetrySettings, service_name: str) -> TracerProvider:
    """Create the process's tracer provider and instrument pymongo."""
    resource = Resource.create({"service.name": service_name, "deployment.environment": settings.environment})
    provider = TracerProvider(resource=resource)
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = RedactingSpanExporter(OTLPSpanExporter(endpoint=settings.otlp_endpoint))
        provider.add_span_processor(BatchSpanProcessor(exporter))
    current = trace.get_tracer_provider()
    if not isinstance(current, TracerProvider):
        trace.set_tracer_provider(provider)
    instrumentor = PymongoInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider, capture_statement=False)
    return provider


def shutdown_tracing(provider: TracerProvider) -> None:
    provider.shutdown()


def current_trace_id() -> str | None:
    """The id of the trace the caller runs in (32 hex digits), None outside one: what a service's
    composition root gives its use cases for their audit records (they do no tracing themselves)."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


@contextmanager
def traced_work(
    name: str, *, traceparent: str | None = None, attributes: Mapping[str, str | int] | None = None
) -> Iterator[trace.Span]:
    """A span for real work done by a background loop, which otherwise runs untraced.

    Background loops run under `quiet()` so that idle polling starts no traces; when a loop
    finds work (a timer that fires, a stored message to apply) it wraps it in `traced_work`,
    a new trace or, given the `traceparent` of what caused it, part of that trace.
    """
    carrier = {"traceparent": traceparent} if traceparent else {}
    token = otel_context.attach(propagate.extract(carrier, context=otel_context.Context()))
    try:
        with trace.get_tracer("trygg_shared").start_as_current_span(name, attributes=attributes) as span:
            yield span
    finally:
        otel_context.detach(token)


quiet = suppress_instrumentation  # no spans inside: for idle polling of background loops
