"""The gateway: the public REST API, `/{transport}/...`, and the web app."""

from __future__ import annotations

import asyncio
from contextlib import suppress

from api.gen import analytics_pb2, auth_pb2, pictures_pb2, users_pb2
from internal.common.contract import Contract
from internal.common.errors import TridentError
from internal.common.events.asyncapi import asyncapi_document
from internal.common.logger import logger
from internal.common.rest.openapi import openapi_document, swagger_ui_page
from internal.common.rest.public import PublicApi, PublicRoute
from internal.common.runtime import Runtime
from internal.common.service import CallContext
from internal.common.tokens import TokenVerifier
from internal.services.gateway.service import CallLogEmitter, Gateway

TOPICS = ("analytics", "auth", "users", "pictures")
VERSION = "0.1.0"


def routes(g: Gateway) -> list[PublicRoute]:
    return [
        PublicRoute("signup", "POST", "/signup", "auth", g.signup, status=201, summary="Create an account and sign in",
                    request_type=auth_pb2.SignupRequest, response_type=auth_pb2.TokenPair),
        PublicRoute("login", "POST", "/login", "auth", g.login, summary="Sign in",
                    request_type=auth_pb2.LoginRequest, response_type=auth_pb2.TokenPair),
        PublicRoute("refresh", "POST", "/refresh", "auth", g.refresh, summary="Trade a refresh token for a new pair",
                    request_type=auth_pb2.RefreshRequest, response_type=auth_pb2.TokenPair),
        PublicRoute("logout", "POST", "/logout", "auth", g.logout, status=204, summary="Revoke a refresh token",
                    request_type=auth_pb2.LogoutRequest),
        PublicRoute("me", "GET", "/me", "users", g.me, auth=True, summary="The signed-in user",
                    response_type=users_pb2.User),
        PublicRoute("deleteMe", "DELETE", "/me", "users", g.delete_me, status=204, auth=True,
                    summary="Delete the signed-in user and their pictures"),
        PublicRoute("createPicture", "POST", "/pictures", "pictures", g.create_picture, status=201, auth=True,
                    summary="Upload a base64 PNG, JPEG, GIF or WebP picture",
                    request_type=pictures_pb2.CreatePictureRequest, response_type=pictures_pb2.Picture),
        PublicRoute("listPictures", "GET", "/pictures", "pictures", g.list_pictures, auth=True,
                    summary="The caller's pictures, newest first, without image bytes",
                    request_type=pictures_pb2.ListPicturesRequest, response_type=pictures_pb2.ListPicturesResponse),
        PublicRoute("getPicture", "GET", "/pictures/{id}", "pictures", g.get_picture, auth=True,
                    summary="One picture with its base64 image",
                    request_type=pictures_pb2.GetPictureRequest, response_type=pictures_pb2.Picture),
        PublicRoute("getPictureRaw", "GET", "/pictures/{id}/raw", "pictures", g.get_picture_raw, auth=True,
                    token_in_query=True, summary="The image bytes, for <img src>",
                    request_type=pictures_pb2.GetPictureRequest),
        # services branch: thumbnails
        PublicRoute("getThumbnail", "GET", "/pictures/{id}/thumbnail", "pictures", g.get_thumbnail, auth=True,
                    summary="A WebP thumbnail of the picture, at most 320×320 pixels",
                    request_type=pictures_pb2.GetPictureRequest),
        PublicRoute("deletePicture", "DELETE", "/pictures/{id}", "pictures", g.delete_picture, status=204, auth=True,
                    summary="Delete one picture", request_type=pictures_pb2.DeletePictureRequest),
        PublicRoute("analytics", "GET", "/analytics", "analytics", g.analytics, auth=True,
                    summary="Latest API calls and per transport/service/method statistics",
                    request_type=analytics_pb2.GetLogsRequest, response_type=analytics_pb2.GetLogsResponse),
    ]


async def build(runtime: Runtime) -> PublicApi:
    settings = runtime.settings
    verifier = TokenVerifier(settings.auth_public_key) if settings.auth_public_key else None
    gateway = Gateway(runtime.sender, verifier)
    emitter = CallLogEmitter(runtime.sender, settings.analytics_buffer_size)

    async def load_public_key() -> None:
        if verifier is not None:
            return
        # No key configured: ask auth for it (over REST), until auth answers.
        async def fetch() -> None:
            while True:
                try:
                    key = await runtime.sender.call("auth", "GetPublicKey", auth_pb2.GetPublicKeyRequest(),
                                                    transport="rest", ctx=CallContext(transport="rest"))
                    assert isinstance(key, auth_pb2.PublicKey)
                    gateway.set_verifier(TokenVerifier(key.pem))
                    logger.info("loaded the auth public key from the auth service")
                    return
                except TridentError as exc:
                    logger.info("waiting for the auth public key: {}", exc.message)
                    await asyncio.sleep(1)

        task = asyncio.create_task(fetch())
        api.on_stop.append(lambda: _cancel(task))

    route_table = routes(gateway)
    spec = openapi_document(route_table, "Trident gateway", VERSION)
    docs_page = swagger_ui_page("/openapi.json", "/swagger")
    api = PublicApi(
        routes=route_table,
        extra_routes=[("GET", "/openapi.json", lambda: spec), ("GET", "/docs", lambda: docs_page)],
        authenticate=gateway.authenticate,
        on_call=emitter.record,
        depends_on=("users", "auth", "pictures", "analytics"),
        web_dist=settings.web_dist_dir,
        on_start=[emitter.start, load_public_key],
        on_stop=[emitter.stop],
    )
    return api


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task


def contract_documents(contract: Contract) -> dict[str, str]:
    """The generated API documents, by their path in api/: `trident contract` writes them."""
    import json

    import yaml

    route_table = routes(Gateway(sender=None, verifier=None))  # type: ignore[arg-type]
    openapi = openapi_document(route_table, "Trident gateway", VERSION)
    # Call logs are `logdata` events on the analytics topic, so only user.deleted is a topic of its own.
    asyncapi = asyncapi_document(contract, {"user.deleted": users_pb2.UserDeleted.DESCRIPTOR}, VERSION)
    return {
        "openapi/openapi.json": json.dumps(openapi, indent=2) + "\n",
        "asyncapi/asyncapi.yaml": yaml.safe_dump(asyncapi, sort_keys=False, width=120),
    }
