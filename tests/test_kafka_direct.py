"""Services are callable straight over Kafka, as the seed did with kcat."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from typing import Any

import jwt
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from internal.common.mq import assign_from_end, header
from tests.client import GatewayClient, unique_username
from tests.conftest import RunningSystem


class Replies:
    """Reads the `results` topic from now on, without a consumer group, like any caller would."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, fetch_max_wait_ms=10, enable_auto_commit=False)
        self.seen: list[Any] = []

    async def __aenter__(self) -> Replies:
        await self.producer.start()
        await self.consumer.start()
        await assign_from_end(self.consumer, self.producer, "results")
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.consumer.stop()
        await self.producer.stop()

    async def find(self, predicate: Any, wait_s: float = 20) -> Any:
        for record in self.seen:
            if predicate(record):
                return record
        async with asyncio.timeout(wait_s):
            async for record in self.consumer:
                self.seen.append(record)
                if predicate(record):
                    return record


def kcat_produce(bootstrap: str, topic: str, line: bytes, *extra: str) -> None:
    subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-K:", *extra], input=line + b"\n", check=True, timeout=30)


def _username_in_token(value: bytes) -> str:
    body = json.loads(value)
    return str(jwt.decode(body["access_token"], options={"verify_signature": False})["username"])


async def test_kcat_login_gets_tokens_on_results(system: RunningSystem, gateway: GatewayClient) -> None:
    username, signup = await gateway.signup("rest", password="kcat-password")
    bearer = f"authorization=Bearer {signup.body['access_token']}"
    async with Replies(system.bootstrap_servers) as replies:
        line = f'login:{{"username":"{username}","password":"kcat-password"}}'.encode()
        await asyncio.to_thread(kcat_produce, system.bootstrap_servers, "auth", line, "-H", bearer)
        reply = await replies.find(lambda r: r.key == b"login" and b"access_token" in (r.value or b"") and _username_in_token(r.value) == username)
    assert header(reply.headers, "status") == "OK"
    assert header(reply.headers, "event") == "login.reply"
    assert json.loads(reply.value)["token_type"] == "Bearer"

    # kcat reads the same reply back from its partition and offset.
    out = await asyncio.to_thread(
        subprocess.run,
        ["kcat", "-C", "-b", system.bootstrap_servers, "-t", "results", "-p", str(reply.partition), "-o", str(reply.offset), "-c", "1", "-e",
         "-f", "%k|%s\n"],
        capture_output=True, check=True, timeout=30,
    )
    key, _, value = out.stdout.decode().strip().partition("|")
    assert key == "login" and _username_in_token(value.encode()) == username


async def test_kcat_wrong_password_gets_an_error_reply(system: RunningSystem, gateway: GatewayClient) -> None:
    username, signup = await gateway.signup("rest", password="kcat-password")
    bearer = f"authorization=Bearer {signup.body['access_token']}"
    correlation = uuid.uuid4().hex
    async with Replies(system.bootstrap_servers) as replies:
        line = f'login:{{"username":"{username}","password":"wrong-password"}}'.encode()
        await asyncio.to_thread(kcat_produce, system.bootstrap_servers, "auth", line, "-H", f"correlation_id={correlation}",
                                "-H", bearer)
        reply = await replies.find(lambda r: header(r.headers, "correlation_id") == correlation)
    assert header(reply.headers, "status") == "UNAUTHENTICATED"
    assert json.loads(reply.value) == {"error": {"code": "UNAUTHENTICATED", "message": "invalid username or password"}}


async def test_malformed_records_get_error_replies_and_the_service_keeps_serving(system: RunningSystem, gateway: GatewayClient) -> None:
    cases = {
        "notjson": (b"login:this is not json", "INVALID_ARGUMENT", "malformed JSON"),
        "unknown": (b'frobnicate:{"x":1}', "INVALID_ARGUMENT", "unknown event 'frobnicate'"),
        "badfield": (b'login:{"username":["a"]}', "INVALID_ARGUMENT", "username"),
        "notobject": (b"login:[1,2,3]", "INVALID_ARGUMENT", "JSON object"),
    }
    async with Replies(system.bootstrap_servers) as replies:
        for name, (line, code, mentions) in cases.items():
            await asyncio.to_thread(kcat_produce, system.bootstrap_servers, "auth", line, "-H", f"correlation_id={name}")
            reply = await replies.find(lambda r, n=name: header(r.headers, "correlation_id") == n)
            assert header(reply.headers, "status") == code, name
            error = json.loads(reply.value)["error"]
            assert error["code"] == code and mentions in error["message"], (name, error)
    # Still serving, over events too.
    username = unique_username("after")
    signup = await gateway.request("POST", "/events/signup", {"username": username, "password": "still-works"})
    assert signup.status == 201


async def test_a_users_call_over_kafka_with_protobuf_and_json_agree(system: RunningSystem, gateway: GatewayClient) -> None:
    from api.gen import users_pb2

    username, signup = await gateway.signup("rest")
    bearer = ("authorization", f"Bearer {signup.body['access_token']}".encode())
    async with Replies(system.bootstrap_servers) as replies:
        await replies.producer.send_and_wait(
            "users", users_pb2.GetUserByUsernameRequest(username=username).SerializeToString(),
            headers=[("event", b"getuserbyusername"), ("correlation_id", b"pb-1"), ("content-type", b"application/x-protobuf"),
                     bearer],
        )
        await replies.producer.send_and_wait(
            "users", json.dumps({"username": username}).encode(),
            headers=[("event", b"getuserbyusername"), ("correlation_id", b"json-1"), bearer],
        )
        pb_reply = await replies.find(lambda r: header(r.headers, "correlation_id") == "pb-1")
        json_reply = await replies.find(lambda r: header(r.headers, "correlation_id") == "json-1")
    user = users_pb2.User.FromString(pb_reply.value)
    assert header(pb_reply.headers, "content-type") == "application/x-protobuf"
    assert user.username == username
    assert json.loads(json_reply.value)["id"] == user.id


async def test_kcat_creates_a_picture_through_the_pictures_topic(system: RunningSystem, gateway: GatewayClient) -> None:
    """The README's kcat scenario: the caller presents their access token in the authorization header."""
    import base64

    from tests.images import png

    _, signup = await gateway.signup("rest")
    token = signup.body["access_token"]
    user_id = (await gateway.request("GET", "/rest/me", token=token)).body["id"]
    image = png(seed=7)
    line = b'createpicture:{"title":"from kcat","base64":"' + base64.b64encode(image) + b'"}'
    async with Replies(system.bootstrap_servers) as replies:
        await asyncio.to_thread(kcat_produce, system.bootstrap_servers, "pictures", line,
                                "-H", f"authorization=Bearer {token}", "-H", "correlation_id=kcat-picture-1")
        reply = await replies.find(lambda r: header(r.headers, "correlation_id") == "kcat-picture-1")
    assert header(reply.headers, "status") == "OK"
    created = json.loads(reply.value)
    assert created["title"] == "from kcat" and created["user_id"] == user_id and created["content_type"] == "image/png"
    raw = await gateway.request("GET", f"/events/pictures/{created['id']}/raw", token=token)
    assert raw.status == 200 and raw.raw == image


async def test_kcat_without_a_user_is_unauthenticated(system: RunningSystem) -> None:
    async with Replies(system.bootstrap_servers) as replies:
        await asyncio.to_thread(kcat_produce, system.bootstrap_servers, "pictures", b'listpictures:{}', "-H", "correlation_id=kcat-anon")
        reply = await replies.find(lambda r: header(r.headers, "correlation_id") == "kcat-anon")
    assert header(reply.headers, "status") == "UNAUTHENTICATED"
