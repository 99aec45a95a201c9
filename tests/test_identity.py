"""No caller is trusted: every service checks the identity of every call itself, on every transport."""

from __future__ import annotations

import base64
import json
import time

import aiohttp
import grpc
import jwt

from api.gen import pictures_pb2
from internal.common.mq import header
from tests.client import GatewayClient
from tests.conftest import RunningSystem
from tests.images import png
from tests.test_kafka_direct import Replies


async def victim_with_a_picture(gateway: GatewayClient) -> tuple[str, str, str]:
    """(user id, access token, picture id) of a user who owns one picture."""
    _, signup = await gateway.signup("rest")
    token = signup.body["access_token"]
    user_id = (await gateway.request("GET", "/rest/me", token=token)).body["id"]
    created = await gateway.request("POST", "/rest/pictures", {"title": "private", "base64": base64.b64encode(png()).decode()},
                                    token=token)
    assert created.status == 201
    return user_id, token, created.body["id"]


async def test_a_forged_user_id_is_refused_over_rest_grpc_and_kafka(system: RunningSystem, gateway: GatewayClient) -> None:
    victim, _, picture_id = await victim_with_a_picture(gateway)
    forged = {"x-user-id": victim, "x-username": "victim"}
    async with aiohttp.ClientSession() as session:
        async with session.get(system.rest_url("pictures") + "/pictures", headers=forged) as listing:
            assert listing.status == 401
            assert (await listing.json())["error"]["code"] == "UNAUTHENTICATED"
        async with session.delete(system.rest_url("pictures") + f"/pictures/{picture_id}", headers=forged) as deleting:
            assert deleting.status == 401

    async with grpc.aio.insecure_channel(system.grpc_target("pictures")) as channel:
        call = channel.unary_unary("/trident.pictures.v1.Pictures/ListPictures",
                                   request_serializer=pictures_pb2.ListPicturesRequest.SerializeToString,
                                   response_deserializer=pictures_pb2.ListPicturesResponse.FromString)
        try:
            await call(pictures_pb2.ListPicturesRequest(), metadata=tuple(forged.items()), timeout=10)
            raise AssertionError("a forged x-user-id was believed over gRPC")
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.UNAUTHENTICATED

    async with Replies(system.bootstrap_servers) as replies:
        await replies.producer.send_and_wait("pictures", json.dumps({"id": picture_id}).encode(), headers=[
            ("event", b"deletepicture"), ("correlation_id", b"forged-1"), ("x-user-id", victim.encode())])
        reply = await replies.find(lambda r: header(r.headers, "correlation_id") == "forged-1")
    assert header(reply.headers, "status") == "UNAUTHENTICATED"

    # Nothing happened to the victim's picture.
    _, token, _ = await victim_with_a_picture(gateway)  # a fresh user, to read the victim's only via the owner
    assert (await gateway.request("GET", f"/rest/pictures/{picture_id}", token=token)).status == 404


async def test_a_token_signed_with_another_key_is_refused(system: RunningSystem, gateway: GatewayClient) -> None:
    victim, _, _ = await victim_with_a_picture(gateway)
    claims = {"iss": "trident-internal", "svc": "gateway", "sub": victim, "exp": int(time.time()) + 60}
    forged = jwt.encode(claims, "a guess at the internal key, long enough to sign", algorithm="HS256")
    async with aiohttp.ClientSession() as session:
        async with session.get(system.rest_url("pictures") + "/pictures",
                               headers={"Authorization": f"Bearer {forged}"}) as listing:
            assert listing.status == 401


async def test_a_users_own_token_reaches_their_own_data_directly_and_nobody_elses(
        system: RunningSystem, gateway: GatewayClient) -> None:
    victim, _, victim_picture = await victim_with_a_picture(gateway)
    me, token, mine = await victim_with_a_picture(gateway)
    bearer = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(system.rest_url("pictures") + "/pictures", headers=bearer) as listing:
            assert listing.status == 200
            assert [p["id"] for p in (await listing.json())["pictures"]] == [mine]
        async with session.get(system.rest_url("pictures") + f"/pictures/{victim_picture}", headers=bearer) as other:
            assert other.status == 404
        async with session.get(system.rest_url("users") + f"/users/{victim}", headers=bearer) as other_user:
            assert other_user.status == 404
        # Creating accounts and checking passwords are for the auth service, not for users themselves.
        async with session.post(system.rest_url("users") + "/users", headers=bearer,
                                json={"username": "made_directly", "password": "long-enough-1"}) as create:
            assert create.status == 403
            assert (await create.json())["error"]["code"] == "PERMISSION_DENIED"


async def test_client_identity_headers_on_public_routes_are_ignored(gateway: GatewayClient) -> None:
    victim, _, _ = await victim_with_a_picture(gateway)
    _, token, _ = await victim_with_a_picture(gateway)
    assert gateway._session is not None
    async with gateway._session.get(gateway.base_url + "/grpc/me", headers={
            "Authorization": f"Bearer {token}", "x-user-id": victim, "x-request-id": "chosen-by-client"}) as reply:
        body = await reply.json()
        assert reply.status == 200 and body["id"] != victim
        assert reply.headers["X-Request-Id"] != "chosen-by-client"
