"""Abuse is limited and every bad input is a clear 4xx, through the gateway and straight at the services."""

from __future__ import annotations

import asyncio
import base64
import socket
from pathlib import Path

import aiohttp
import pytest

from internal.common.mq.devbroker import DevBroker
from tests.client import TRANSPORTS, GatewayClient, unique_username
from tests.conftest import TOPICS, RunningSystem
from tests.images import png
from tests.test_gateway_instances import extra_gateway, gateway_env, lonely_gateway_env


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_control_characters_in_text_are_refused(gateway: GatewayClient, transport: str) -> None:
    token = await gateway.token()
    image = base64.b64encode(png()).decode()
    for title in ("nul\x00byte", "bell\x07", "escape\x1b[31m"):
        reply = await gateway.request("POST", f"/{transport}/pictures", {"title": title, "base64": image}, token=token)
        assert (reply.status, reply.error_code) == (400, "INVALID_ARGUMENT"), title
        assert "control characters" in reply.body["error"]["message"]
    listing = await gateway.request("GET", f"/{transport}/pictures", token=token)
    assert listing.body["pictures"] == []  # nothing half-written


async def test_control_characters_are_refused_straight_at_the_service_too(
    system: RunningSystem, gateway: GatewayClient
) -> None:
    token = await gateway.token()
    async with aiohttp.ClientSession() as session:
        async with session.post(
            system.rest_url("pictures") + "/pictures",
            headers={"Authorization": f"Bearer {token}"},
            json={"title": "a\x00b", "base64": base64.b64encode(png()).decode()},
        ) as reply:
            assert reply.status == 400


async def test_wrong_methods_are_405_with_allow(system: RunningSystem, gateway: GatewayClient) -> None:
    trace = await gateway.request("TRACE", "/healthz")
    assert trace.status == 405 and "GET" in trace.headers["Allow"]
    assert trace.error_code == "INVALID_ARGUMENT"
    put = await gateway.request("PUT", "/rest/login", {"username": "a", "password": "b"})
    assert put.status == 405 and "POST" in put.headers["Allow"]
    async with aiohttp.ClientSession() as session:
        async with session.request("TRACE", system.rest_url("users") + "/healthz") as direct:
            assert direct.status == 405 and "GET" in direct.headers["Allow"]


@pytest.mark.parametrize("password", ["aaaaaaaa", "password", "12345678", " " * 8, "short1"])
async def test_weak_passwords_are_refused(gateway: GatewayClient, password: str) -> None:
    reply = await gateway.request("POST", "/rest/signup", {"username": unique_username(), "password": password})
    assert (reply.status, reply.error_code) == (400, "INVALID_ARGUMENT")


async def test_a_password_containing_the_username_is_refused(gateway: GatewayClient) -> None:
    username = unique_username("mallory")
    reply = await gateway.request("POST", "/grpc/signup", {"username": username, "password": f"{username}!2024"})
    assert (reply.status, reply.error_code) == (400, "INVALID_ARGUMENT")
    assert "username" in reply.body["error"]["message"]


async def test_repeated_wrong_passwords_are_limited_on_every_transport(gateway: GatewayClient) -> None:
    username, _ = await gateway.signup("rest", password="the-right-one")
    statuses = []
    for attempt in range(20):
        transport = TRANSPORTS[attempt % 3]
        reply = await gateway.request("POST", f"/{transport}/login", {"username": username, "password": "wrong-guess"})
        statuses.append(reply.status)
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429] * 10
    for transport in TRANSPORTS:
        limited = await gateway.request(
            "POST", f"/{transport}/login", {"username": username, "password": "the-right-one"}
        )
        assert (limited.status, limited.error_code) == (429, "RESOURCE_EXHAUSTED")
        assert int(limited.headers["Retry-After"]) > 0


async def test_signups_and_logins_are_limited_per_client_address(system: RunningSystem, tmp_path: Path) -> None:
    env = {**gateway_env(system), "SIGNUP_PER_ADDRESS_LIMIT": "3", "LOGIN_PER_ADDRESS_LIMIT": "4"}
    with extra_gateway(env, tmp_path / "limited.log") as url:
        async with GatewayClient(url) as client:
            signups = [
                await client.request(
                    "POST", f"/{TRANSPORTS[i % 3]}/signup", {"username": unique_username(), "password": "long-enough"}
                )
                for i in range(4)
            ]
            logins = [
                await client.request("POST", "/rest/login", {"username": "nobody_x", "password": "long-enough"})
                for _ in range(5)
            ]
    assert [r.status for r in signups] == [201, 201, 201, 429]
    assert int(signups[-1].headers["Retry-After"]) > 0
    assert [r.status for r in logins] == [401, 401, 401, 401, 429]


async def test_a_client_that_disconnects_mid_body_is_not_a_server_error(
    system: RunningSystem, gateway: GatewayClient
) -> None:
    host, port = system.gateway_url.removeprefix("http://").split(":")
    for _ in range(3):
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(
                b"POST /rest/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 1000\r\n\r\n{"username": '
            )
    await asyncio.sleep(0.5)
    metrics = await gateway.request("GET", "/metrics")
    assert b'code="INTERNAL"' not in metrics.raw
    assert "unhandled error on POST /rest/login" not in system.logs()


async def test_an_overloaded_gateway_sheds_at_once_instead_of_queueing(system: RunningSystem, tmp_path: Path) -> None:
    """Two calls fill the gateway (nobody answers its events); the rest are refused at once with Retry-After."""
    broker = DevBroker()
    try:
        broker.create_topics(TOPICS)
        env = lonely_gateway_env(system, broker, MAX_IN_FLIGHT="2", CALL_TIMEOUT_MS="3000")
        with extra_gateway(env, tmp_path / "busy.log", ready_path="/healthz") as url:
            async with GatewayClient(url) as client:
                body = {"username": unique_username(), "password": "long-enough"}
                replies = await asyncio.gather(
                    *(client.request("POST", "/events/login", body, retry_shed=False) for _ in range(6)))
    finally:
        broker.close()
    statuses = sorted(r.status for r in replies)
    assert statuses == [503, 503, 503, 503, 504, 504]
    shed = [r for r in replies if r.status == 503]
    assert all(r.error_code == "UNAVAILABLE" and r.headers["Retry-After"] == "1" for r in shed)
