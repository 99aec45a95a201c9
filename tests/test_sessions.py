"""Sessions end when they should: logout, a stolen refresh token, a deleted account — at once, everywhere."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest

from tests.client import TRANSPORTS, GatewayClient
from tests.conftest import RunningSystem
from tests.images import png
from tests.test_gateway_instances import extra_gateway, gateway_env


async def refused_soon(gateway: GatewayClient, token: str, path: str = "/rest/me") -> int:
    """The status of `path` with `token` once it is 401, or the last one seen within 10 s."""
    status = 0
    async with asyncio.timeout(10):
        while (status := (await gateway.request("GET", path, token=token)).status) != 401:
            await asyncio.sleep(0.1)
    return status


async def test_logout_ends_the_sessions_access_tokens_at_once_on_every_transport(gateway: GatewayClient) -> None:
    username, first = await gateway.signup("rest", password="long-enough")
    second = await gateway.request("POST", "/grpc/login", {"username": username, "password": "long-enough"})
    assert second.status == 200
    logout = await gateway.request("POST", "/events/logout", {"refresh_token": first.body["refresh_token"]})
    assert logout.status == 204
    for transport in TRANSPORTS:
        assert await refused_soon(gateway, first.body["access_token"], f"/{transport}/me") == 401
    # The other session of the same user goes on.
    assert (await gateway.request("GET", "/rest/me", token=second.body["access_token"])).status == 200


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_reused_refresh_token_ends_the_whole_session(gateway: GatewayClient, transport: str) -> None:
    _, signup = await gateway.signup("rest", password="long-enough")
    traded = await gateway.request("POST", "/rest/refresh", {"refresh_token": signup.body["refresh_token"]})
    assert traded.status == 200
    # The first token again: someone else has a copy. The call fails, and the revocation it made stays.
    reuse = await gateway.request("POST", f"/{transport}/refresh", {"refresh_token": signup.body["refresh_token"]})
    assert (reuse.status, reuse.error_code) == (401, "UNAUTHENTICATED")
    newer = await gateway.request("POST", "/events/refresh", {"refresh_token": traded.body["refresh_token"]})
    assert (newer.status, newer.error_code) == (401, "UNAUTHENTICATED")
    assert await refused_soon(gateway, traded.body["access_token"]) == 401
    assert await refused_soon(gateway, signup.body["access_token"]) == 401


async def test_a_deleted_accounts_token_stops_working_and_creates_nothing(gateway: GatewayClient) -> None:
    _, signup = await gateway.signup("rest", password="long-enough")
    token = signup.body["access_token"]
    assert (await gateway.request("DELETE", "/grpc/me", token=token)).status == 204
    assert await refused_soon(gateway, token, "/rest/pictures") == 401
    image = base64.b64encode(png()).decode()
    for transport in TRANSPORTS:
        created = await gateway.request("POST", f"/{transport}/pictures", {"title": "ghost", "base64": image},
                                        token=token)
        assert created.status == 401


async def test_a_gateway_started_later_knows_what_was_revoked_before(system: RunningSystem, gateway: GatewayClient,
                                                                     tmp_path: Path) -> None:
    _, signup = await gateway.signup("rest", password="long-enough")
    logout = await gateway.request("POST", "/rest/logout", {"refresh_token": signup.body["refresh_token"]})
    assert logout.status == 204
    with extra_gateway(gateway_env(system), tmp_path / "late.log") as url:
        async with GatewayClient(url) as late:
            assert await refused_soon(late, signup.body["access_token"]) == 401
