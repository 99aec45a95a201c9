"""OpenTelemetry: a tracer per process, OTLP export when configured, W3C context on every hop."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from urllib.parse import urlsplit

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

_TRACER_NAME = "trident"
_enabled = False


def enabled() -> bool:
    """Whether spans go anywhere; without, the pipeline leaves tracing out altogether."""
    return _enabled


def _exporter(endpoint: str, protocol: str) -> SpanExporter:
    if protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

        # As the OTel environment variable means it: a base URL, under which traces go to /v1/traces.
        if not urlsplit(endpoint).path.strip("/"):
            endpoint = endpoint.rstrip("/") + "/v1/traces"
        return HttpExporter(endpoint=endpoint)
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

    return GrpcExporter(endpoint=endpoint, insecure=True)


def setup_tracing(service_name: str, otlp_endpoint: str, extra_processors: Iterable[SpanProcessor] = (),
                  protocol: str = "grpc") -> bool:
    """Install a real tracer provider only when there is somewhere to send spans.

    Without an endpoint the API's no-op tracer stays in place, so tracing costs next to nothing. With one, spans
    leave through the SDK's batch processor: a bounded queue (OTEL_BSP_MAX_QUEUE_SIZE, beyond which spans are
    dropped) exported from a thread of its own, never from the event loop.
    """
    processors = list(extra_processors)
    if otlp_endpoint:
        processors.append(BatchSpanProcessor(_exporter(otlp_endpoint, protocol)))
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


def current_trace_id(begun_here: bool = False) -> str:
    """The W3C trace id (32 hex digits) of the span in progress, or "" outside any recorded span.

    `begun_here`: "" as well when the span continues a trace someone else began (a `traceparent` sent in), so an
    id handed out this way was chosen by this process, never by a caller.
    """
    span = trace.get_current_span()
    context = span.get_span_context()
    if not context.is_valid or (begun_here and getattr(span, "parent", None) is not None):
        return ""
    return format(context.trace_id, "032x")
