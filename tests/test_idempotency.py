"""A client that retries a create with the same Idempotency-Key gets the same answer and one picture, on every
transport, even when the retries race; keys belong to their user; a malformed key is a clear 400."""

from __future__ import annotations

import asyncio
import base64
import uuid

import grpc
import pytest

from api.gen import pictures_pb2
from tests.client import TRANSPORTS, GatewayClient
from tests.conftest import RunningSystem
from tests.images import png


def create_body(seed: int) -> dict[str, str]:
    return {"title": f"kept once {seed}", "base64": base64.b64encode(png(seed=seed)).decode()}


async def picture_ids(gateway: GatewayClient, token: str) -> list[str]:
    listed = await gateway.request("GET", "/rest/pictures", token=token)
    assert listed.status == 200
    return [p["id"] for p in listed.body["pictures"]]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_create_retried_with_the_same_key_is_stored_once(gateway: GatewayClient, transport: str) -> None:
    token = await gateway.token()
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await gateway.request("POST", f"/{transport}/pictures", create_body(1), token=token, headers=key)
    assert first.status == 201
    # The answer was lost on the way, say: the client sends the same call again, then several at once.
    again = await gateway.request("POST", f"/{transport}/pictures", create_body(1), token=token, headers=key)
    racing = await asyncio.gather(*(
        gateway.request("POST", f"/{t}/pictures", create_body(1), token=token, headers=key) for t in TRANSPORTS))
    assert [r.status for r in (again, *racing)] == [201] * 4
    assert {r.body["id"] for r in (first, again, *racing)} == {first.body["id"]}
    assert await picture_ids(gateway, token) == [first.body["id"]]
    # Another key is another picture.
    other = await gateway.request("POST", f"/{transport}/pictures", create_body(2), token=token,
                                  headers={"Idempotency-Key": uuid.uuid4().hex})
    assert other.status == 201 and other.body["id"] != first.body["id"]


async def test_racing_first_attempts_with_one_key_make_one_picture(gateway: GatewayClient) -> None:
    token = await gateway.token()
    key = {"Idempotency-Key": uuid.uuid4().hex}
    replies = await asyncio.gather(*(
        gateway.request("POST", f"/{t}/pictures", create_body(3), token=token, headers=key) for t in TRANSPORTS * 2))
    assert [r.status for r in replies] == [201] * 6
    assert len({r.body["id"] for r in replies}) == 1
    assert len(await picture_ids(gateway, token)) == 1


async def test_keys_belong_to_their_user(gateway: GatewayClient) -> None:
    key = {"Idempotency-Key": "shared-" + uuid.uuid4().hex}
    alice, bob = await gateway.token(), await gateway.token()
    mine = await gateway.request("POST", "/rest/pictures", create_body(4), token=alice, headers=key)
    theirs = await gateway.request("POST", "/rest/pictures", create_body(4), token=bob, headers=key)
    assert mine.status == theirs.status == 201
    assert mine.body["id"] != theirs.body["id"]
    assert await picture_ids(gateway, bob) == [theirs.body["id"]]


async def test_a_malformed_key_is_a_clear_400(gateway: GatewayClient) -> None:
    token = await gateway.token()
    for bad in ("has space", "x" * 201):
        reply = await gateway.request("POST", "/grpc/pictures", create_body(5), token=token,
                                      headers={"Idempotency-Key": bad})
        assert (reply.status, reply.error_code) == (400, "INVALID_ARGUMENT")
    assert await picture_ids(gateway, token) == []


async def test_the_key_works_straight_at_the_service_over_grpc(system: RunningSystem, gateway: GatewayClient) -> None:
    token = await gateway.token()
    metadata = (("authorization", f"Bearer {token}"), ("idempotency-key", uuid.uuid4().hex))
    request = pictures_pb2.CreatePictureRequest(title="direct", base64=png(seed=6))
    async with grpc.aio.insecure_channel(system.grpc_target("pictures")) as channel:
        create = channel.unary_unary("/trident.pictures.v1.Pictures/CreatePicture",
                                     request_serializer=pictures_pb2.CreatePictureRequest.SerializeToString,
                                     response_deserializer=pictures_pb2.Picture.FromString)
        first = await create(request, metadata=metadata)
        second = await create(request, metadata=metadata)
    assert first.id == second.id
    assert await picture_ids(gateway, token) == [first.id]
