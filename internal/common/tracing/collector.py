"""A local trace collector for `trident up`: OTLP/HTTP in, the latest traces kept in memory, one trace out as JSON.

It runs on a thread of the launcher, so traces need no Docker and no extra process; the services export to it
with the OTel SDK's batch processor. Memory is bounded: beyond the limits the oldest traces are evicted and
counted, never the launcher slowed down.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypedDict

import aiohttp
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from internal.common.errors import Unavailable

TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_TRACES = 2_000
MAX_SPANS = 20_000
MAX_SPANS_PER_TRACE = 1_000
MAX_BODY_BYTES = 8 * 1024 * 1024
ATTRIBUTE_MAX_CHARS = 200
# What the waterfall shows of a span; the rest of its attributes are not kept.
KEPT_ATTRIBUTES = frozenset({
    "trident.transport", "trident.event", "rpc.service", "rpc.method", "rpc.system",
    "messaging.system", "messaging.destination.name", "messaging.operation",
    "db.system", "db.name", "db.statement", "db.operation",
    "http.status_code", "http.response.status_code", "http.method", "http.request.method",
    "error.type",
})
_KINDS = {Span.SPAN_KIND_INTERNAL: "INTERNAL", Span.SPAN_KIND_SERVER: "SERVER", Span.SPAN_KIND_CLIENT: "CLIENT",
          Span.SPAN_KIND_PRODUCER: "PRODUCER", Span.SPAN_KIND_CONSUMER: "CONSUMER"}
_STATUSES = {Status.STATUS_CODE_UNSET: "UNSET", Status.STATUS_CODE_OK: "OK", Status.STATUS_CODE_ERROR: "ERROR"}


class SpanView(TypedDict):
    """One span as the read API returns it."""

    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    service: str
    kind: str
    start_unix_nano: int
    duration_ns: int
    status: str
    status_message: str
    attributes: dict[str, str]


def _text(value: AnyValue) -> str:
    which = value.WhichOneof("value")
    if which is None:
        return ""
    if which in ("array_value", "kvlist_value", "bytes_value"):
        return f"<{which.removesuffix('_value')}>"
    text = str(getattr(value, which))
    return text if len(text) <= ATTRIBUTE_MAX_CHARS else text[: ATTRIBUTE_MAX_CHARS - 1] + "…"


def spans_of(request: ExportTraceServiceRequest) -> list[SpanView]:
    """The spans of an OTLP export, each with its process's `service.name` and only the attributes worth showing."""
    views: list[SpanView] = []
    for resource_spans in request.resource_spans:
        service = next((a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"),
                       "")
        for scope in resource_spans.scope_spans:
            for span in scope.spans:
                views.append(SpanView(
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent_span_id=span.parent_span_id.hex(),
                    name=span.name[:ATTRIBUTE_MAX_CHARS],
                    service=service,
                    kind=_KINDS.get(span.kind, "INTERNAL"),
                    start_unix_nano=span.start_time_unix_nano,
                    duration_ns=max(0, span.end_time_unix_nano - span.start_time_unix_nano),
                    status=_STATUSES.get(span.status.code, "UNSET"),
                    status_message=span.status.message[:ATTRIBUTE_MAX_CHARS],
                    attributes={a.key: _text(a.value) for a in span.attributes if a.key in KEPT_ATTRIBUTES},
                ))
    return views


@dataclass(frozen=True)
class StoreStats:
    traces: int
    spans: int
    dropped_spans: int
    dropped_traces: int
    max_traces: int
    max_spans: int
    max_spans_per_trace: int


class TraceStore:
    """The latest traces, in the order they were first seen; the oldest go first when a limit is passed."""

    def __init__(self, max_traces: int = MAX_TRACES, max_spans: int = MAX_SPANS,
                 max_spans_per_trace: int = MAX_SPANS_PER_TRACE) -> None:
        if min(max_traces, max_spans, max_spans_per_trace) < 1:
            raise ValueError("the trace store's limits must be at least 1")
        self.max_traces, self.max_spans, self.max_spans_per_trace = max_traces, max_spans, max_spans_per_trace
        self._traces: OrderedDict[str, list[SpanView]] = OrderedDict()
        self._spans = 0
        self._dropped_spans = 0
        self._dropped_traces = 0
        self._lock = threading.Lock()

    def add(self, spans: Iterable[SpanView]) -> None:
        with self._lock:
            for span in spans:
                kept = self._traces.get(span["trace_id"])
                if kept is None:
                    kept = self._traces[span["trace_id"]] = []
                if len(kept) >= self.max_spans_per_trace:
                    self._dropped_spans += 1
                    continue
                kept.append(span)
                self._spans += 1
                while self._spans > self.max_spans or len(self._traces) > self.max_traces:
                    _, evicted = self._traces.popitem(last=False)
                    self._spans -= len(evicted)
                    self._dropped_spans += len(evicted)
                    self._dropped_traces += 1

    def trace(self, trace_id: str) -> list[SpanView] | None:
        with self._lock:
            spans = self._traces.get(trace_id)
            return None if spans is None else sorted(spans, key=lambda s: s["start_unix_nano"])

    def stats(self) -> StoreStats:
        with self._lock:
            return StoreStats(len(self._traces), self._spans, self._dropped_spans, self._dropped_traces,
                              self.max_traces, self.max_spans, self.max_spans_per_trace)


def _decoded_body(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: each exporter holds one connection
    server: _Server

    def do_POST(self) -> None:
        if self.path.split("?")[0] != "/v1/traces":
            return self._error(HTTPStatus.NOT_FOUND, "NOT_FOUND", "OTLP traces are received at POST /v1/traces")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "RESOURCE_EXHAUSTED",
                               f"an export of at most {MAX_BODY_BYTES} bytes")
        body = self.rfile.read(length)
        if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/x-protobuf":
            return self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "INVALID_ARGUMENT",
                               "this collector reads OTLP/HTTP protobuf (application/x-protobuf) only")
        try:
            request = ExportTraceServiceRequest.FromString(
                _decoded_body(body, (self.headers.get("Content-Encoding") or "").strip().lower()))
        except (DecodeError, OSError, zlib.error, EOFError):
            return self._error(HTTPStatus.BAD_REQUEST, "INVALID_ARGUMENT", "not an OTLP ExportTraceServiceRequest")
        self.server.store.add(spans_of(request))
        self._send(HTTPStatus.OK, ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/stats":
            return self._json(HTTPStatus.OK, self.server.store.stats().__dict__)
        if path == "/healthz":
            return self._json(HTTPStatus.OK, {"status": "ok"})
        trace_id = path.removeprefix("/traces/")
        if trace_id == path:
            return self._error(HTTPStatus.NOT_FOUND, "NOT_FOUND", "GET /traces/{trace_id} or /stats")
        if not TRACE_ID.match(trace_id):
            return self._error(HTTPStatus.BAD_REQUEST, "INVALID_ARGUMENT", "a trace id is 32 lower-case hex digits")
        spans = self.server.store.trace(trace_id)
        if spans is None:
            return self._error(HTTPStatus.NOT_FOUND, "NOT_FOUND", "no such trace here (or it was evicted)")
        self._json(HTTPStatus.OK, {"trace_id": trace_id, "spans": spans})

    def _error(self, status: HTTPStatus, code: str, message: str) -> None:
        self._json(status, {"error": {"code": code, "message": message}})

    def _json(self, status: HTTPStatus, body: Mapping[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # an access line per export would drown the launcher's own log


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], store: TraceStore) -> None:
        super().__init__(address, _Handler)
        self.store = store


class TraceCollector:
    """The collector's HTTP server on a daemon thread: `start()` binds and returns at once."""

    def __init__(self, store: TraceStore | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.store = store or TraceStore()
        self._server = _Server((host, port), self.store)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.5},
                                        name="trace-collector", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> TraceCollector:
        self._thread.start()
        return self

    def environment(self) -> dict[str, str]:
        """What every process of the system is given: export here over OTLP/HTTP, read traces back here.

        Batches go out every half second (the SDK's default is 5 s), so a call's trace is complete by the time
        someone opens it from the analytics screen.
        """
        return {"OTEL_EXPORTER_OTLP_ENDPOINT": self.url, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_BSP_SCHEDULE_DELAY": "500", "TRACES_COLLECTOR_URL": self.url}

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def local_collector(environ: Mapping[str, str], host: str) -> TraceCollector | None:
    """The collector `trident up` runs, started; None when traces go to a collector of the operator's
    (OTEL_EXPORTER_OTLP_ENDPOINT is set) or are turned off (TRACES_COLLECTOR=off).

    TRACES_MAX_TRACES, TRACES_MAX_SPANS and TRACES_MAX_SPANS_PER_TRACE bound what it keeps.
    """
    if environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get("TRACES_COLLECTOR", "on").lower() in ("off", "0"):
        return None
    limits = []
    for variable, default in (("TRACES_MAX_TRACES", MAX_TRACES), ("TRACES_MAX_SPANS", MAX_SPANS),
                              ("TRACES_MAX_SPANS_PER_TRACE", MAX_SPANS_PER_TRACE)):
        value = environ.get(variable) or str(default)
        if not value.isdigit() or int(value) < 1:
            raise RuntimeError(f"{variable} must be a whole number of at least 1, not {value!r}")
        limits.append(int(value))
    return TraceCollector(TraceStore(*limits), host).start()


async def read_trace(collector_url: str, trace_id: str, timeout_s: float = 3.0) -> list[SpanView] | None:
    """One trace's spans from a collector's read API, oldest first; None when it does not hold that trace."""
    url = f"{collector_url.rstrip('/')}/traces/{trace_id}"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session, \
                session.get(url) as response:
            if response.status == HTTPStatus.NOT_FOUND:
                return None
            if response.status != HTTPStatus.OK:
                raise Unavailable(f"the trace collector answered {response.status}")
            body = await response.json()
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise Unavailable(f"the trace collector at {collector_url} cannot be reached: {exc}") from None
    spans: list[SpanView] = body["spans"]
    return spans
