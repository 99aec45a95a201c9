"""Traces without Docker: `trident up` collects them itself, and a user reads the trace of each of their calls.

One call through the gateway, on every transport, is one trace across processes: the gateway's public route,
its client call, the service's handling (after the Kafka record's processing on events), its SQL; a user reads
only their own calls' traces; the collector keeps a bounded number of spans and says how many it dropped.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from internal.common.tracing.collector import TraceCollector, TraceStore
from tests.client import TRANSPORTS, GatewayClient
from tests.conftest import RunningSystem
from tests.images import png

Span = dict[str, Any]


async def eventually(check: Callable[[], Any], what: str, seconds: float = 20) -> Any:
    """The first truthy answer of `check` (an awaitable factory), polled for at most `seconds`."""
    last: Any = None
    for _ in range(int(seconds / 0.25)):
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.25)
    raise AssertionError(f"{what}: still {last!r} after {seconds} s")


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def by_id(spans: list[Span]) -> dict[str, Span]:
    return {s["span_id"]: s for s in spans}


def ancestors(span: Span, spans: dict[str, Span]) -> list[Span]:
    chain: list[Span] = []
    while span.get("parent_span_id") in spans and len(chain) < len(spans):
        span = spans[span["parent_span_id"]]
        chain.append(span)
    return chain


def test_trident_up_runs_a_trace_collector(system: RunningSystem) -> None:
    collector = system.info["traces"]
    assert collector and collector.startswith("http://127.0.0.1:")
    status, stats = get_json(collector + "/stats")
    assert status == 200 and stats["max_spans"] > 0 and stats["max_traces"] > 0


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_call_is_one_trace_from_the_gateway_through_the_service_to_sql(
    system: RunningSystem, transport: str
) -> None:
    async with GatewayClient(system.gateway_url) as gateway:
        token = await gateway.token(transport)
        created = await gateway.request("POST", f"/{transport}/pictures",
                                        {"title": f"traced {transport}", "base64": base64.b64encode(png()).decode()},
                                        token=token)
        assert created.status == 201, created.body
        request_id = created.headers["X-Request-Id"]

        async def logged_call() -> dict[str, Any] | None:
            reply = await gateway.request("GET", f"/{transport}/analytics", params={"limit": "50"}, token=token)
            assert reply.status == 200, reply.body
            return next((log for log in reply.body.get("logs", []) if log.get("request_id") == request_id), None)

        log = await eventually(logged_call, "the call log of the upload")
        trace_id = log.get("trace_id", "")
        assert len(trace_id) == 32, log

        async def whole_trace() -> list[Span] | None:
            reply = await gateway.request("GET", f"/{transport}/traces/{trace_id}", token=token)
            assert reply.status == 200, reply.body
            spans: list[Span] = reply.body.get("spans", [])
            sql = [s for s in spans if s["service"] == "pictures" and "INSERT" in
                   s.get("attributes", {}).get("db.statement", "").upper()]
            published = any(s["kind"] == "PRODUCER" and s["service"] == "pictures" for s in spans)
            # Each process exports on its own schedule: wait for the gateway's spans as well as the service's.
            edge = any(s["service"] == "gateway" and not s.get("parent_span_id") for s in spans)
            return spans if sql and edge and (transport != "events" or published) else None

        spans = await eventually(whole_trace, f"the trace {trace_id} with its SQL")

    ids = by_id(spans)
    # What the gateway showed is what the collector holds.
    status, raw = get_json(f"{system.info['traces']}/traces/{trace_id}")
    assert status == 200 and set(ids) <= {s["span_id"] for s in raw["spans"]}
    roots = [s for s in spans if s.get("parent_span_id", "") not in ids]
    assert len(roots) == 1, f"one tree: {[(s['service'], s['name']) for s in roots]}"
    edge = roots[0]
    assert (edge["service"], edge["kind"]) == ("gateway", "SERVER")
    assert edge["attributes"]["trident.transport"] == transport
    assert edge.get("start_ms", 0) == 0

    client = next(s for s in spans if s["service"] == "gateway" and s["kind"] == "CLIENT"
                  and s["attributes"].get("rpc.method") == "CreatePicture")
    assert client["parent_span_id"] == edge["span_id"]
    server = next(s for s in spans if s["service"] == "pictures" and s["kind"] == "SERVER"
                  and s["attributes"].get("rpc.method") == "CreatePicture")
    assert server["attributes"]["trident.transport"] == transport
    if transport == "events":
        # The request travelled as a Kafka record: processed by pictures, the reply published back.
        process = ids[server["parent_span_id"]]
        assert (process["service"], process["kind"], process["name"]) == ("pictures", "CONSUMER", "pictures process")
        assert process["parent_span_id"] == client["span_id"]
        reply = next(s for s in spans if s["service"] == "pictures" and s["kind"] == "PRODUCER")
        assert reply["name"].endswith(" publish") and reply["parent_span_id"] == process["span_id"]
    else:
        assert server["parent_span_id"] == client["span_id"]
    sql = next(s for s in spans if "INSERT" in s["attributes"].get("db.statement", "").upper())
    assert sql["service"] == "pictures" and server in ancestors(sql, ids)
    for span in spans:
        # Every span took time, and none began before its parent did (one machine, one clock).
        assert span.get("duration_ms", 0) > 0, span
        parent = ids.get(span.get("parent_span_id", ""))
        if parent is not None:
            assert span.get("start_ms", 0) >= parent.get("start_ms", 0) - 0.01, (span["name"], parent["name"])

    # The log lines of the call carry its trace id, in the gateway and in the service.
    lines = [json.loads(line) for line in system.logs().splitlines() if line.startswith("{")]
    services = {line["service.name"] for line in lines if line.get("trace.id") == trace_id}
    assert {"gateway", "pictures"} <= services, services


async def test_another_users_trace_is_not_found_on_every_transport(system: RunningSystem) -> None:
    async with GatewayClient(system.gateway_url) as gateway:
        owner = await gateway.token("rest")
        listed = await gateway.request("GET", "/rest/pictures", token=owner)
        request_id = listed.headers["X-Request-Id"]

        async def traced_call() -> str:
            reply = await gateway.request("GET", "/rest/analytics", token=owner)
            logs = reply.body.get("logs", [])
            return next((str(log.get("trace_id", "")) for log in logs if log.get("request_id") == request_id), "")

        trace_id = await eventually(traced_call, "the owner's call log with its trace id")
        assert (await gateway.request("GET", f"/rest/traces/{trace_id}", token=owner)).status == 200
        other = await gateway.token("rest")
        for transport in TRANSPORTS:
            stranger = await gateway.request("GET", f"/{transport}/traces/{trace_id}", token=other)
            assert (stranger.status, stranger.error_code) == (404, "NOT_FOUND"), stranger.body
            assert "spans" not in (stranger.body or {})
            anonymous = await gateway.request("GET", f"/{transport}/traces/{trace_id}")
            assert anonymous.status == 401
            malformed = await gateway.request("GET", f"/{transport}/traces/not-a-trace-id", token=owner)
            assert (malformed.status, malformed.error_code) == (400, "INVALID_ARGUMENT")


async def test_a_trace_id_sent_in_by_a_caller_is_never_listed_as_theirs(system: RunningSystem) -> None:
    """Else a caller could claim someone else's trace by sending its id in a traceparent header."""
    async with GatewayClient(system.gateway_url) as gateway:
        token = await gateway.token("grpc")
        foreign = secrets.token_hex(16)
        async with aiohttp.ClientSession() as session, session.get(
            f"{system.gateway_url}/grpc/pictures",
            headers={"Authorization": f"Bearer {token}", "traceparent": f"00-{foreign}-{secrets.token_hex(8)}-01"},
        ) as response:
            assert response.status == 200
            request_id = response.headers["X-Request-Id"]

        async def logged() -> dict[str, Any] | None:
            reply = await gateway.request("GET", "/grpc/analytics", token=token)
            return next((log for log in reply.body.get("logs", []) if log.get("request_id") == request_id), None)

        log = await eventually(logged, "the call log")
        assert log.get("trace_id", "") == ""
        assert (await gateway.request("GET", f"/grpc/traces/{foreign}", token=token)).status == 404


@pytest.fixture
def small_collector() -> Iterator[TraceCollector]:
    collector = TraceCollector(TraceStore(max_traces=100, max_spans=10, max_spans_per_trace=4)).start()
    try:
        yield collector
    finally:
        collector.stop()


def export_traces(url: str, traces: int, spans_per_trace: int) -> list[str]:
    """`traces` traces of `spans_per_trace` spans each, sent by the OTel SDK's own OTLP/HTTP exporter."""
    provider = TracerProvider(resource=Resource.create({"service.name": "bounded"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=url + "/v1/traces")))
    tracer = provider.get_tracer("test")
    ids = []
    for t in range(traces):
        with tracer.start_as_current_span(f"root {t}") as root:
            ids.append(format(root.get_span_context().trace_id, "032x"))
            for c in range(spans_per_trace - 1):
                with tracer.start_as_current_span(f"child {t}.{c}"):
                    pass
    provider.shutdown()
    return ids


def test_the_collector_keeps_the_latest_spans_and_counts_what_it_dropped(small_collector: TraceCollector) -> None:
    url = small_collector.url
    ids = export_traces(url, traces=6, spans_per_trace=3)  # 18 spans for room for 10
    status, stats = get_json(url + "/stats")
    assert status == 200
    assert (stats["traces"], stats["spans"]) == (3, 9)
    assert (stats["dropped_traces"], stats["dropped_spans"]) == (3, 9)
    for old in ids[:3]:
        assert get_json(f"{url}/traces/{old}")[0] == 404
    for kept in ids[3:]:
        status, body = get_json(f"{url}/traces/{kept}")
        assert status == 200 and len(body["spans"]) == 3
        assert {s["service"] for s in body["spans"]} == {"bounded"}

    # One trace cannot take it all: beyond its own limit its spans are dropped (and counted).
    (big,) = export_traces(url, traces=1, spans_per_trace=7)
    assert len(get_json(f"{url}/traces/{big}")[1]["spans"]) == 4
    assert get_json(url + "/stats")[1]["dropped_spans"] >= 9 + 3


def test_the_collector_refuses_what_is_not_otlp_protobuf(small_collector: TraceCollector) -> None:
    def post(body: bytes, content_type: str) -> int:
        request = urllib.request.Request(small_collector.url + "/v1/traces", data=body, method="POST",
                                         headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    assert post(b"{}", "application/json") == 415
    assert post(b"\xff\xff\xff not protobuf", "application/x-protobuf") == 400
    assert get_json(small_collector.url + "/traces/XYZ")[0] == 400
    assert get_json(small_collector.url + "/traces/" + "0" * 32)[0] == 404
