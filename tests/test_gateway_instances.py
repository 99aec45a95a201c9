"""Gateways side by side: replies over events reach the instance that asked, and only it."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from internal.common.mq.devbroker import DevBroker
from internal.common.tokens import public_key_pem
from tests.client import TRANSPORTS, GatewayClient, unique_username
from tests.conftest import ROOT, SERVICES, TOPICS, RunningSystem, free_port_base, peer_env


@contextmanager
def extra_gateway(env: dict[str, str], log: Path, ready_path: str = "/readyz") -> Iterator[str]:
    port = free_port_base()
    process = subprocess.Popen(
        [sys.executable, "-m", "internal.cli", "serve", "gateway"],
        cwd=ROOT, env={**os.environ, **env, "REST_PORT": str(port), "LOG_FORMAT": "json"},
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(url + ready_path, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the extra gateway did not become ready"
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def gateway_env(system: RunningSystem) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": system.bootstrap_servers,
        "KAFKA_FETCH_MAX_WAIT_MS": "5",
        "AUTH_PUBLIC_KEY": public_key_pem(system.private_key_pem),
        "INTERNAL_TOKEN_KEY": system.internal_key,
        **peer_env(system.rest_url, system.grpc_target),
    }


async def test_two_gateways_on_events_never_swap_replies(system: RunningSystem, tmp_path: Path) -> None:
    with extra_gateway(gateway_env(system), tmp_path / "gateway2.log") as second_url:
        async with GatewayClient(system.gateway_url) as first, GatewayClient(second_url) as second:
            users = []
            for _ in range(12):
                username, reply = await first.signup("rest")
                users.append((username, reply.body["access_token"]))
            calls_per_gateway = 150

            async def call(client: GatewayClient) -> tuple[str, str, int]:
                username, token = random.choice(users)
                reply = await client.request("GET", "/events/me", token=token)
                return username, reply.body.get("username", "") if isinstance(reply.body, dict) else "", reply.status

            results = await asyncio.gather(*(call(c) for c in [first, second] * calls_per_gateway))
    statuses = [status for _, _, status in results]
    assert statuses == [200] * (2 * calls_per_gateway)
    mismatched = [(asked, got) for asked, got, _ in results if asked != got]
    assert mismatched == []


def lonely_gateway_env(system: RunningSystem, broker: DevBroker, **settings: str) -> dict[str, str]:
    """A gateway's environment where nobody serves its Kafka requests and every REST/gRPC peer port is closed."""
    closed = free_port_base()
    return {
        **gateway_env(system),
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        **peer_env(lambda s: f"http://127.0.0.1:{closed + SERVICES.index(s)}",
                   lambda s: f"127.0.0.1:{closed + 1001 + SERVICES.index(s)}"),
        **settings,
    }


async def test_no_reply_ends_in_504_and_a_dead_peer_in_503(tmp_path: Path, system: RunningSystem) -> None:
    """A gateway whose Kafka has nobody serving, and whose REST/gRPC peers are down."""
    broker = DevBroker()
    try:
        broker.create_topics(TOPICS)
        env = lonely_gateway_env(system, broker, CALL_TIMEOUT_MS="1500")
        with extra_gateway(env, tmp_path / "lonely.log", ready_path="/healthz") as url:
            async with GatewayClient(url) as client:
                body = {"username": unique_username("lonely"), "password": "long-enough"}
                events = await client.request("POST", "/events/login", body)
                rest = await client.request("POST", "/rest/login", body)
                grpc = await client.request("POST", "/grpc/login", body)
                ready = await client.request("GET", "/readyz")
    finally:
        broker.close()
    assert (events.status, events.error_code) == (504, "DEADLINE_EXCEEDED")
    assert (rest.status, rest.error_code) == (503, "UNAVAILABLE")
    assert (grpc.status, grpc.error_code) == (503, "UNAVAILABLE")
    assert ready.status == 503


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_responses_say_which_transport_served_them(gateway: GatewayClient, transport: str) -> None:
    reply = await gateway.request("POST", f"/{transport}/login", {"username": "nobody_here", "password": "long-enough"})
    assert reply.headers["X-Trident-Transport"] == transport
    assert reply.headers["Server-Timing"].startswith("upstream;dur=")
    assert reply.headers["X-Request-Id"]
