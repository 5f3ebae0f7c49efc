"""OpenTelemetry set up once per process: OTLP export when configured, nothing otherwise.

Trace context crosses Kafka in the `traceparent` header (FastStream's telemetry middleware)
and spans cover HTTP requests (FastAPI) and Mongo commands (pymongo monitoring). Mongo
command statements are not captured: they hold personal data.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from trygg_shared.settings import TelemetrySettings


def configure_tracing(settings: TelemetrySettings, service_name: str) -> TracerProvider:
    """Create the process's tracer provider and instrument pymongo."""
    resource = Resource.create({"service.name": service_name, "deployment.environment": settings.environment})
    provider = TracerProvider(resource=resource)
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))
    current = trace.get_tracer_provider()
    if not isinstance(current, TracerProvider):
        trace.set_tracer_provider(provider)
    instrumentor = PymongoInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider, capture_statement=False)
    return provider


def shutdown_tracing(provider: TracerProvider) -> None:
    provider.shutdown()
