"""`trident call` calls any method over REST, gRPC or events with a user's token; `trident kafka bootstrap`
prints the broker; gRPC reflection answers v1 (what grpcurl and Postman ask first) as well as v1alpha."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from tests.client import GatewayClient
from tests.conftest import ROOT, RunningSystem

TRANSPORTS = ("rest", "grpc", "events")


def trident(system: RunningSystem, *args: str, token_env: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TRIDENT_TOKEN"}
    if token_env:
        env["TRIDENT_TOKEN"] = token_env
    return subprocess.run(
        [sys.executable, "-m", "internal.cli", *args, "--state-dir", str(system.state_dir)],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )


def reply(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(result.stdout)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_call_lists_a_new_users_pictures_as_an_empty_list(
    system: RunningSystem, gateway: GatewayClient, transport: str
) -> None:
    token = await gateway.token()
    result = trident(system, "call", "pictures", "ListPictures", "{}", "--transport", transport, "--token", token)
    assert result.returncode == 0, result.stderr
    assert reply(result)["pictures"] == []
    status = result.stderr.strip().splitlines()[-1]
    assert status.startswith(f"OK  pictures.ListPictures over {transport}  ") and status.endswith(" ms")


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_call_gets_the_signed_in_user(system: RunningSystem, gateway: GatewayClient, transport: str) -> None:
    username, signup = await gateway.signup("rest")
    token = signup.body["access_token"]
    user_id = (await gateway.request("GET", "/rest/me", token=token)).body["id"]
    # lowerCamel method names work as well as the proto's.
    result = trident(system, "call", "users", "getUser", json.dumps({"id": user_id}), "--transport", transport,
                     "--token", token)
    assert result.returncode == 0, result.stderr
    assert (reply(result)["id"], reply(result)["username"]) == (user_id, username)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_call_of_a_missing_picture_prints_not_found_and_exits_1(
    system: RunningSystem, gateway: GatewayClient, transport: str
) -> None:
    token = await gateway.token()
    result = trident(system, "call", "pictures", "GetPicture", json.dumps({"id": str(uuid.uuid4())}),
                     "--transport", transport, "--token", token)
    assert result.returncode == 1, result.stderr
    assert reply(result)["error"]["code"] == "NOT_FOUND"
    assert result.stderr.strip().splitlines()[-1].startswith(f"NOT_FOUND  pictures.GetPicture over {transport}")


async def test_call_with_login_signs_in_through_the_gateway(system: RunningSystem, gateway: GatewayClient) -> None:
    username, _ = await gateway.signup("rest", password="correct horse")
    result = trident(system, "call", "pictures", "ListPictures", "--transport", "grpc",
                     "--login", f"{username}:correct horse")
    assert result.returncode == 0, result.stderr
    assert reply(result)["pictures"] == []
    assert "correct horse" not in result.stdout + result.stderr

    wrong = trident(system, "call", "pictures", "ListPictures", "--login", f"{username}:wrong password")
    assert wrong.returncode == 1
    assert "UNAUTHENTICATED" in wrong.stderr
    assert "wrong password" not in wrong.stderr


async def test_call_takes_the_token_from_trident_token_and_login_over_it(
    system: RunningSystem, gateway: GatewayClient
) -> None:
    username, signup = await gateway.signup("rest")
    token = signup.body["access_token"]
    from_env = trident(system, "call", "pictures", "ListPictures", "--transport", "events", token_env=token)
    assert from_env.returncode == 0, from_env.stderr
    assert reply(from_env)["pictures"] == []

    # An explicit --login wins over the environment's token: here it fails, so the token was not used.
    wrong = trident(system, "call", "pictures", "ListPictures", "--login", f"{username}:wrong password",
                    token_env=token)
    assert wrong.returncode == 1 and "UNAUTHENTICATED" in wrong.stderr

    both = trident(system, "call", "pictures", "ListPictures", "--token", token, "--login", username)
    assert both.returncode == 2 and "either --token or --login" in both.stderr

    no_terminal = trident(system, "call", "pictures", "ListPictures", "--login", username)
    assert no_terminal.returncode == 2 and "no terminal" in no_terminal.stderr


def test_call_without_a_token_says_how_to_get_one(system: RunningSystem) -> None:
    result = trident(system, "call", "pictures", "ListPictures", "{}")
    assert result.returncode == 2
    assert "--token" in result.stderr and "--login" in result.stderr and "/rest/login" in result.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("nosuch", "GetUser"), "no service 'nosuch'"),
        (("users", "Nope"), "users has no method 'Nope'"),
        (("users", "GetUser", "{not json"), "trident.users.v1.GetUserRequest"),
        (("users", "GetUser", '{"nofield": 1}'), "trident.users.v1.GetUserRequest"),
    ],
)
def test_call_with_bad_input_is_a_usage_error(system: RunningSystem, args: tuple[str, ...], said: str) -> None:
    result = trident(system, "call", *args, "--token", "anything")
    assert result.returncode == 2
    assert said in result.stderr


def test_call_with_a_forged_token_is_refused(system: RunningSystem) -> None:
    result = trident(system, "call", "pictures", "ListPictures", "--transport", "grpc", "--token", "not.a.token")
    assert result.returncode == 1
    assert reply(result)["error"]["code"] == "UNAUTHENTICATED"


def test_kafka_bootstrap_prints_the_running_brokers_address(system: RunningSystem) -> None:
    result = trident(system, "kafka", "bootstrap")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == system.bootstrap_servers


def test_kafka_bootstrap_without_a_running_system_says_so(system: RunningSystem, tmp_path: Any) -> None:
    result = subprocess.run([sys.executable, "-m", "internal.cli", "kafka", "bootstrap", "--state-dir", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stdout == "" and "no running system" in result.stderr


def _v1_messages() -> tuple[type[Any], type[Any]]:
    """grpc.reflection.v1's messages, made from v1alpha's file with the v1 package: what a v1 client sends."""
    file = descriptor_pb2.FileDescriptorProto()
    reflection_pb2.DESCRIPTOR.CopyToProto(file)
    file.name, file.package = "grpc/reflection/v1/reflection.proto", "grpc.reflection.v1"
    for message in file.message_type:
        for field in (f for f in message.field if f.HasField("type_name")):
            field.type_name = field.type_name.replace(".grpc.reflection.v1alpha.", ".grpc.reflection.v1.")
    for service in file.service:
        for method in service.method:
            method.input_type = method.input_type.replace("v1alpha", "v1")
            method.output_type = method.output_type.replace("v1alpha", "v1")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return (message_factory.GetMessageClass(pool.FindMessageTypeByName("grpc.reflection.v1.ServerReflectionRequest")),
            message_factory.GetMessageClass(pool.FindMessageTypeByName("grpc.reflection.v1.ServerReflectionResponse")))


class _V1Stub:
    def __init__(self, channel: grpc.Channel) -> None:
        request_type, response_type = _v1_messages()
        self._request_type = request_type
        self.ServerReflectionInfo = channel.stream_stream(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_type.FromString,
        )


@pytest.mark.parametrize("version", ["v1", "v1alpha"])
def test_reflection_lists_and_describes_the_service(system: RunningSystem, version: str) -> None:
    with grpc.insecure_channel(system.grpc_target("pictures")) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        if version == "v1":
            database._stub = _V1Stub(channel)
        names = set(database.get_services())
        assert {"trident.pictures.v1.Pictures", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection"} <= names
        pool = descriptor_pool.DescriptorPool(database)
        methods = {m.name for m in pool.FindServiceByName("trident.pictures.v1.Pictures").methods}
        assert {"ListPictures", "GetPicture", "CreatePicture"} <= methods


def test_reflection_v1_path_answers_when_v1alpha_is_not_asked(system: RunningSystem) -> None:
    """A v1-only client (grpcurl's first try) gets an answer on the v1 path itself, not UNIMPLEMENTED."""
    request_type, response_type = _v1_messages()
    with grpc.insecure_channel(system.grpc_target("users")) as channel:
        info = channel.stream_stream("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                                     request_serializer=request_type.SerializeToString,
                                     response_deserializer=response_type.FromString)
        responses = list(info(iter([request_type(list_services="")]), timeout=10))
    assert len(responses) == 1
    assert "trident.users.v1.Users" in {s.name for s in responses[0].list_services_response.service}


async def test_the_development_broker_answers_on_its_fixed_port_and_says_when_it_is_taken() -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    from internal.common.mq.devbroker import DevBroker
    from tests.conftest import free_port_base

    broker, other = DevBroker(), DevBroker()
    try:
        broker.create_topics(["fixed-port"], partitions=1)
        port = free_port_base()
        address = broker.listen_on(port)
        assert address == f"127.0.0.1:{port}" != broker.bootstrap_servers
        with pytest.raises(OSError):
            other.listen_on(port)
        producer = AIOKafkaProducer(bootstrap_servers=address)
        consumer = AIOKafkaConsumer("fixed-port", bootstrap_servers=address, auto_offset_reset="earliest")
        await producer.start()
        await consumer.start()
        try:
            await producer.send_and_wait("fixed-port", b"through the fixed port")
            record = await asyncio.wait_for(consumer.getone(), timeout=20)
            assert record.value == b"through the fixed port"
        finally:
            await consumer.stop()
            await producer.stop()
    finally:
        broker.close()
        other.close()
