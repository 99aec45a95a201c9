"""Traces, logs and metrics as an operator sees them: one trace per request, ECS logs, Grafana panels with data."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from tests.client import TRANSPORTS, GatewayClient, unique_username
from tests.conftest import RunningSystem, free_port_base, start_system, stop_system
from tests.deploy.dashboards import panel_queries
from tests.images import png


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    kind: int
    attributes: dict[str, Any]


class OtlpReceiver(trace_service_pb2_grpc.TraceServiceServicer):
    """A real OTLP/gRPC trace receiver on loopback, keeping what the services export."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self._lock = threading.Lock()

    def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: Any
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        with self._lock:
            for resource_spans in request.resource_spans:
                service = next(
                    (a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"), ""
                )
                for scope in resource_spans.scope_spans:
                    for span in scope.spans:
                        attributes = {a.key: a.value.string_value or a.value.int_value for a in span.attributes}
                        self.spans.append(
                            Span(
                                service,
                                span.name,
                                span.trace_id.hex(),
                                span.span_id.hex(),
                                span.parent_span_id.hex(),
                                span.kind,
                                attributes,
                            )
                        )
        return trace_service_pb2.ExportTraceServiceResponse()

    def trace(self, trace_id: str) -> list[Span]:
        with self._lock:
            return [s for s in self.spans if s.trace_id == trace_id]

    def find(self, predicate: Any) -> list[Span]:
        with self._lock:
            return [s for s in self.spans if predicate(s)]


JAEGER_TRACE_PAGE = "http://localhost:16686/trace/{trace_id}"


@dataclass
class TracedSystem:
    system: RunningSystem
    receiver: OtlpReceiver


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TracedSystem]:
    receiver = OtlpReceiver()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(receiver, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    system = start_system(
        tmp_path_factory.mktemp("traced"),
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            # As compose has it: traces go to Jaeger, whose page of a trace the web app links to.
            "TRACES_UI_URL": JAEGER_TRACE_PAGE,
        },
    )
    try:
        yield TracedSystem(system, receiver)
    finally:
        stop_system(system)
        server.stop(grace=1)


async def _wait_for(check: Any, seconds: float = 20) -> Any:
    async with asyncio.timeout(seconds):
        while not (result := check()):
            await asyncio.sleep(0.2)
    return result


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_one_request_is_one_trace_across_every_process(traced: TracedSystem, transport: str) -> None:
    username = unique_username(f"trace_{transport}")
    password = "trace-password-123"
    async with GatewayClient(traced.system.gateway_url) as gateway:
        signup = await gateway.request("POST", f"/{transport}/signup", {"username": username, "password": password})
        assert signup.status == 201
        request_id = signup.headers["X-Request-Id"]
    receiver = traced.receiver

    def root() -> list[Span]:
        return receiver.find(
            lambda s: (
                s.service == "gateway"
                and s.attributes.get("rpc.method") == "signup"
                and s.attributes.get("trident.transport") == transport
                and not s.parent_id
            )
        )

    roots = await _wait_for(root)
    trace_id = roots[-1].trace_id

    def complete() -> list[Span] | None:
        spans = receiver.trace(trace_id)
        services = {s.service for s in spans}
        has_sql = any(
            s.service == "users" and "INSERT" in s.name.upper() + str(s.attributes.get("db.statement", "")).upper()
            for s in spans
        )
        return spans if {"gateway", "auth", "users"} <= services and has_sql else None

    spans = await _wait_for(complete)
    ids = {s.span_id for s in spans}
    roots_in_trace = [s for s in spans if s.parent_id not in ids]
    assert [r.name for r in roots_in_trace] == [roots[-1].name], (
        "one tree: every span but the gateway's has its parent in the trace"
    )
    names = {(s.service, s.name) for s in spans}
    assert ("auth", "auth/Signup") in names and ("users", "users/CreateUser") in names
    assert ("gateway", "auth/Signup") in names and ("auth", "users/CreateUser") in names  # the client side of each hop
    if transport == "events":
        kinds = {(s.service, s.name) for s in spans if s.name.endswith(" process") or s.name.endswith(" publish")}
        assert {
            ("auth", "auth process"),
            ("users", "users process"),
            ("users", "results publish"),
            ("auth", "results publish"),
        } <= kinds
    for span in spans:
        if span.name in ("auth/Signup", "users/CreateUser"):
            assert span.attributes["trident.transport"] == transport

    # The log lines of this request are ECS JSON and carry the trace id of its spans.
    lines = [json.loads(line) for line in traced.system.logs().splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("trace.id") == trace_id]
    assert {line["service.name"] for line in mine} >= {"gateway", "auth", "users"}
    for line in mine:
        assert {"@timestamp", "log.level", "message", "service.name", "trace.id", "span.id"} <= set(line)
        assert line["span.id"] in ids
    gateway_line = next(line for line in mine if line["service.name"] == "gateway")
    assert gateway_line["http.request.id"] == request_id and gateway_line["transport"] == transport


async def test_where_traces_go_to_jaeger_a_calls_trace_links_there(traced: TracedSystem) -> None:
    assert traced.system.info["traces"] is None, "with an OTLP endpoint of its own, trident up runs no collector"
    async with GatewayClient(traced.system.gateway_url) as gateway:
        token = await gateway.token("rest")
        listed = await gateway.request("GET", "/grpc/pictures", token=token)
        trace_id = ""
        for _ in range(80):
            logs = (await gateway.request("GET", "/grpc/analytics", token=token)).body.get("logs", [])
            mine = [log for log in logs if log.get("request_id") == listed.headers["X-Request-Id"]]
            if mine:
                trace_id = mine[0].get("trace_id", "")
                break
            await asyncio.sleep(0.25)
        assert len(trace_id) == 32
        await _wait_for(lambda: traced.receiver.trace(trace_id))  # the call's spans went to the OTLP receiver
        for transport in TRANSPORTS:
            reply = await gateway.request("GET", f"/{transport}/traces/{trace_id}", token=token)
            assert reply.status == 200, reply.body
            assert reply.body["ui_url"] == JAEGER_TRACE_PAGE.replace("{trace_id}", trace_id)
            assert reply.body["spans"] == []


async def test_logs_never_hold_passwords_tokens_or_images(traced: TracedSystem) -> None:
    password = "never-log-this-password"
    image = png(seed=99)
    async with GatewayClient(traced.system.gateway_url) as gateway:
        for transport in TRANSPORTS:
            username, signup = await gateway.signup(transport, password=password)
            token = signup.body["access_token"]
            await gateway.request(
                "POST", f"/{transport}/login", {"username": username, "password": "wrong-" + password}
            )
            created = await gateway.request(
                "POST",
                f"/{transport}/pictures",
                {"title": "t", "base64": base64.b64encode(image).decode()},
                token=token,
            )
            await gateway.request("GET", f"/{transport}/pictures/{created.body['id']}/raw", token=token)
            await gateway.request("POST", f"/{transport}/refresh", {"refresh_token": signup.body["refresh_token"]})
    await asyncio.sleep(1)
    logs = traced.system.logs()
    assert password not in logs
    assert token not in logs and signup.body["refresh_token"] not in logs
    assert base64.b64encode(image).decode() not in logs
    assert "-----BEGIN PRIVATE KEY-----" not in logs


def test_every_grafana_panel_query_returns_data_from_a_real_prometheus(system: RunningSystem, tmp_path: Path) -> None:
    targets = {
        "gateway": system.gateway_url,
        **{s: system.rest_url(s) for s in ("users", "auth", "pictures", "analytics")},
    }
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {"job_name": name, "static_configs": [{"targets": [urllib.parse.urlparse(url).netloc]}]}
            for name, url in targets.items()
        ],
    }
    (tmp_path / "prometheus.yml").write_text(json.dumps(config))
    port = free_port_base()
    prometheus = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=(tmp_path / "prometheus.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(_drive_traffic(system.gateway_url))
        queries = panel_queries("1m")
        assert len(queries) > 20
        deadline = time.monotonic() + 90
        empty: list[tuple[str, str, str]] = queries
        while empty and time.monotonic() < deadline:
            time.sleep(2)
            empty = [q for q in empty if not _has_data(base, q[2])]
            if empty and time.monotonic() < deadline - 60:
                asyncio.run(_drive_traffic(system.gateway_url))
        assert empty == [], f"panels whose query returns nothing: {empty}"
    finally:
        prometheus.terminate()
        prometheus.wait(timeout=30)


def _has_data(base: str, expr: str) -> bool:
    try:
        with urllib.request.urlopen(
            f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr}), timeout=5
        ) as response:
            body = json.loads(response.read())
    except OSError:
        return False
    return body.get("status") == "success" and bool(body["data"]["result"])


async def _drive_traffic(gateway_url: str) -> None:
    """A little of everything, over every transport, including errors."""
    async with GatewayClient(gateway_url) as gateway:
        for transport in TRANSPORTS:
            username, signup = await gateway.signup(transport)
            token = signup.body["access_token"]
            await gateway.request("POST", f"/{transport}/login", {"username": username, "password": "wrong-password"})
            await gateway.request("GET", f"/{transport}/me", token=token)
            created = await gateway.request(
                "POST",
                f"/{transport}/pictures",
                {"title": "m", "base64": base64.b64encode(png()).decode()},
                token=token,
            )
            await gateway.request("GET", f"/{transport}/pictures", token=token)
            await gateway.request("GET", f"/{transport}/pictures/{created.body['id']}", token=token)
            await gateway.request("GET", f"/{transport}/pictures/00000000-0000-4000-8000-000000000000", token=token)
            await gateway.request("GET", f"/{transport}/analytics", token=token)
            await gateway.request("POST", f"/{transport}/refresh", {"refresh_token": signup.body["refresh_token"]})
            await gateway.request("DELETE", f"/{transport}/pictures/{created.body['id']}", token=token)
