"""What leaves the process in a trace carries no exception text and no identity or phone numbers."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from trygg_shared.telemetry import RedactingSpanExporter, redact_span


class Collect(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


def test_exception_text_and_personal_numbers_never_leave_in_a_span() -> None:
    collected = Collect()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(RedactingSpanExporter(collected)))
    tracer = provider.get_tracer("t")

    with tracer.start_as_current_span("GET /cases", attributes={"note": "pn 19401009-2387", "n": 3}) as span:
        try:
            raise ValueError("Astrid Lindqvist, 19401009-2387, +46701234567")
        except ValueError as exc:
            span.record_exception(exc)

    exported = collected.spans[0]
    dumped = exported.to_json()
    assert "Astrid" not in dumped
    assert "19401009" not in dumped
    assert "+46701234567" not in dumped
    event = exported.events[0]
    assert event.name == "exception"
    assert event.attributes is not None
    assert event.attributes["exception.type"] == "ValueError"
    assert exported.attributes == {"note": "pn [redacted]", "n": 3}


def test_the_redacted_copy_keeps_everything_but_the_redacted_text() -> None:
    collected = Collect()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(collected))
    tracer = provider.get_tracer("t", "1.2")
    with tracer.start_as_current_span("outer"):
        linked = trace.get_current_span().get_span_context()
        with tracer.start_as_current_span(
            "GET /cases", kind=trace.SpanKind.SERVER, links=[trace.Link(linked, {"why": "cause"})]
        ) as span:
            span.set_status(trace.Status(trace.StatusCode.ERROR, "failed"))
    original = collected.spans[0]

    copy = redact_span(original)

    kept = ("name", "context", "parent", "resource", "links", "kind", "status", "start_time", "end_time")
    assert {name: getattr(copy, name) for name in kept} == {name: getattr(original, name) for name in kept}
    assert copy.instrumentation_scope == original.instrumentation_scope
    assert copy.parent is not None
    assert copy.links
    assert copy.kind is trace.SpanKind.SERVER
