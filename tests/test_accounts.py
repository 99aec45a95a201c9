"""The account routes of the gateway behave the same over REST, gRPC and Kafka events."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from tests.client import TRANSPORTS, GatewayClient, Reply, unique_username
from tests.conftest import RunningSystem

TOKEN_KEYS = {"access_token", "refresh_token", "token_type", "expires_in"}


def shape(reply: Reply) -> tuple[int, Any]:
    """Status and body with the values that differ per call (tokens, ids) blanked out."""
    body = reply.body
    if isinstance(body, dict) and "error" not in body:
        body = sorted(body)
    return reply.status, body


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_account_lifecycle(gateway: GatewayClient, transport: str) -> None:
    username = unique_username("life")
    signup = await gateway.request("POST", f"/{transport}/signup", {"username": username, "password": "s3cret-pass"})
    assert signup.status == 201, signup.body
    assert set(signup.body) == TOKEN_KEYS
    assert signup.body["token_type"] == "Bearer"
    assert signup.body["expires_in"] == 900
    assert signup.headers["X-Trident-Transport"] == transport

    login = await gateway.request("POST", f"/{transport}/login", {"username": username, "password": "s3cret-pass"})
    assert login.status == 200 and set(login.body) == TOKEN_KEYS

    me = await gateway.request("GET", f"/{transport}/me", token=login.body["access_token"])
    assert me.status == 200
    assert me.body["username"] == username
    assert len(me.body["id"]) == 36

    refreshed = await gateway.request("POST", f"/{transport}/refresh", {"refresh_token": login.body["refresh_token"]})
    assert refreshed.status == 200 and set(refreshed.body) == TOKEN_KEYS
    assert refreshed.body["refresh_token"] != login.body["refresh_token"]
    me_again = await gateway.request("GET", f"/{transport}/me", token=refreshed.body["access_token"])
    assert me_again.status == 200 and me_again.body["id"] == me.body["id"]
    # The traded token again: someone else has a copy, so the whole session ends (tests/test_sessions.py).
    reused = await gateway.request("POST", f"/{transport}/refresh", {"refresh_token": login.body["refresh_token"]})
    assert (reused.status, reused.error_code) == (401, "UNAUTHENTICATED")

    logout = await gateway.request("POST", f"/{transport}/logout", {"refresh_token": refreshed.body["refresh_token"]})
    assert logout.status == 204 and logout.raw == b""
    after_logout = await gateway.request(
        "POST", f"/{transport}/refresh", {"refresh_token": refreshed.body["refresh_token"]}
    )
    assert (after_logout.status, after_logout.error_code) == (401, "UNAUTHENTICATED")


async def test_every_transport_gives_the_same_shapes(gateway: GatewayClient) -> None:
    shapes = []
    for transport in TRANSPORTS:
        username = unique_username("shape")
        signup = await gateway.request(
            "POST", f"/{transport}/signup", {"username": username, "password": "s3cret-pass"}
        )
        login = await gateway.request("POST", f"/{transport}/login", {"username": username, "password": "s3cret-pass"})
        me = await gateway.request("GET", f"/{transport}/me", token=login.body["access_token"])
        shapes.append([shape(signup), shape(login), shape(me)])
    assert shapes[0] == shapes[1] == shapes[2]


def _forge(claims: dict[str, Any], key: Ed25519PrivateKey) -> str:
    return jwt.encode(claims, key, algorithm="EdDSA")


def _alg_none(user_id: str) -> str:
    def b64(part: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")

    now = int(time.time())
    claims = {"sub": user_id, "iss": "trident-auth", "iat": now, "exp": now + 600}
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


async def _error_everywhere(
    gateway: GatewayClient,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    data: bytes | None = None,
) -> list[Reply]:
    return [await gateway.request(method, f"/{t}{path}", body, token=token, data=data) for t in TRANSPORTS]


def assert_same_error(replies: list[Reply], status: int, code: str, mentions: str = "") -> None:
    for transport, reply in zip(TRANSPORTS, replies, strict=True):
        assert reply.status == status, (transport, reply.body)
        assert reply.error_code == code, (transport, reply.body)
        assert set(reply.body["error"]) == {"code", "message"}
        assert mentions in reply.body["error"]["message"], (transport, reply.body)
        assert "Traceback" not in reply.body["error"]["message"]
    assert replies[0].body == replies[1].body == replies[2].body


async def test_duplicate_username_is_409_over_every_transport(gateway: GatewayClient) -> None:
    username, _ = await gateway.signup("rest")
    replies = await _error_everywhere(gateway, "POST", "/signup", {"username": username, "password": "another-pass"})
    assert_same_error(replies, 409, "ALREADY_EXISTS", "username")


async def test_usernames_differ_by_more_than_case(gateway: GatewayClient) -> None:
    username, _ = await gateway.signup("rest")
    reply = await gateway.request("POST", "/grpc/signup", {"username": username.upper(), "password": "another-pass"})
    assert (reply.status, reply.error_code) == (409, "ALREADY_EXISTS")


async def test_wrong_password_and_unknown_user_are_the_same_401(gateway: GatewayClient) -> None:
    username, _ = await gateway.signup("rest")
    wrong = await _error_everywhere(gateway, "POST", "/login", {"username": username, "password": "not-the-password"})
    unknown = await _error_everywhere(
        gateway, "POST", "/login", {"username": unique_username("ghost"), "password": "whatever-pass"}
    )
    assert_same_error(wrong, 401, "UNAUTHENTICATED")
    assert_same_error(unknown, 401, "UNAUTHENTICATED")
    assert wrong[0].body == unknown[0].body


async def test_bad_tokens_are_401_over_every_transport(gateway: GatewayClient, system: RunningSystem) -> None:
    _, signup = await gateway.signup("rest")
    me = await gateway.request("GET", "/rest/me", token=signup.body["access_token"])
    user_id = me.body["id"]
    real_key = load_pem_private_key(system.private_key_pem.encode(), password=None)
    assert isinstance(real_key, Ed25519PrivateKey)
    now = int(time.time())
    expired = _forge({"sub": user_id, "iss": "trident-auth", "iat": now - 3600, "exp": now - 60}, real_key)
    forged = _forge({"sub": user_id, "iss": "trident-auth", "iat": now, "exp": now + 600}, Ed25519PrivateKey.generate())
    for token, mentions in (
        (None, "missing"),
        (expired, "expired"),
        (forged, "invalid"),
        (_alg_none(user_id), "invalid"),
        ("not-a-jwt", "invalid"),
    ):
        replies = await _error_everywhere(gateway, "GET", "/me", token=token)
        assert_same_error(replies, 401, "UNAUTHENTICATED", mentions)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": "long-enough"}, "username"),
        ({"username": "someone_ok"}, "password"),
        ({"username": "ab", "password": "long-enough"}, "username"),
        ({"username": "x" * 65, "password": "long-enough"}, "username"),
        ({"username": "has space", "password": "long-enough"}, "username"),
        ({"username": "valid_name", "password": "short"}, "password"),
        ({"username": 42, "password": "long-enough"}, "username"),
        ({"username": "valid_name", "password": "long-enough", "admin": True}, "admin"),
    ],
)
async def test_invalid_signup_is_400_naming_the_field(gateway: GatewayClient, body: dict[str, Any], field: str) -> None:
    replies = await _error_everywhere(gateway, "POST", "/signup", body)
    assert_same_error(replies, 400, "INVALID_ARGUMENT", field)


async def test_an_email_address_is_a_valid_username(gateway: GatewayClient) -> None:
    for transport in TRANSPORTS:
        email = f"{unique_username('mail')}+tag@example.com"
        reply = await gateway.request("POST", f"/{transport}/signup", {"username": email, "password": "long-enough"})
        assert reply.status == 201, reply.body


@pytest.mark.parametrize("data", [b"{not json", b"[1, 2]", b"\xff\xfe", b'"a string"'])
async def test_malformed_json_is_400(gateway: GatewayClient, data: bytes) -> None:
    replies = await _error_everywhere(gateway, "POST", "/login", data=data)
    assert_same_error(replies, 400, "INVALID_ARGUMENT")


async def test_unknown_transport_is_404_listing_the_three(gateway: GatewayClient) -> None:
    reply = await gateway.request("POST", "/carrier-pigeon/login", {"username": "someone", "password": "long-enough"})
    assert reply.status == 404
    assert reply.error_code == "NOT_FOUND"
    for transport in TRANSPORTS:
        assert transport in reply.body["error"]["message"]


async def test_a_body_over_the_limit_is_413(gateway: GatewayClient) -> None:
    oversized = b'{"username": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    replies = await _error_everywhere(gateway, "POST", "/signup", data=oversized)
    for reply in replies:
        assert reply.status == 413, reply.body
        assert reply.error_code == "RESOURCE_EXHAUSTED"
