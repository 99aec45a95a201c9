"""OpenTelemetry: a tracer per process, OTLP export when configured, W3C context on every hop."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_TRACER_NAME = "trident"
_enabled = False


def enabled() -> bool:
    """Whether spans go anywhere; without, the pipeline leaves tracing out altogether."""
    return _enabled


def setup_tracing(service_name: str, otlp_endpoint: str, extra_processors: Iterable[SpanProcessor] = ()) -> bool:
    """Install a real tracer provider only when there is somewhere to send spans.

    Without an endpoint the API's no-op tracer stays in place, so tracing costs next to nothing.
    """
    processors = list(extra_processors)
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        processors.append(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint, insecure=True)))
    if not processors:
        return False
    global _enabled
    _enabled = True
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    for processor in processors:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    # SQL statements as child spans, from the maintained instrumentation.
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    return True


def shutdown_tracing() -> None:
    provider = trace.get_tracer_provider()
    shutdown = getattr(provider, "shutdown", None)
    if callable(shutdown):
        shutdown()


def tracer() -> trace.Tracer:
    return trace.get_tracer(_TRACER_NAME)


def inject(carrier: MutableMapping[str, str]) -> None:
    """Write the current trace context (W3C traceparent/tracestate) into outgoing metadata."""
    if _enabled:
        propagate.inject(carrier)


def extract(carrier: Mapping[str, str]) -> otel_context.Context:
    return propagate.extract(carrier)

