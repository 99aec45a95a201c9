"""The gateway: the public REST API of api.yml's `public` routes, `/{transport}/...`, and the web app."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from pathlib import Path

from api.gen import auth_pb2
from api.gen.clients import AuthClient
from internal.common.config import PROJECT_ROOT, Settings
from internal.common.errors import TridentError
from internal.common.logger import logger
from internal.common.ratelimit import RateLimiter
from internal.common.rest.openapi import openapi_document, swagger_ui_page
from internal.common.rest.public import Edge
from internal.common.runtime import Runtime, ServiceDef
from internal.common.service import CallContext, ServiceSpec
from internal.common.tokens import TokenVerifier
from internal.services.gateway.service import (
    AddressLimits,
    Authenticator,
    CallLogEmitter,
    render_image,
    render_thumbnail,
)

# The title and version of the served OpenAPI document (tools/contract_docs.py writes the same).
TITLE = "Trident gateway"
VERSION = "0.1.0"


class GatewaySettings(Settings):
    # Without AUTH_PUBLIC_KEY (see Settings) the gateway asks the auth service for its public key.
    web_dist_dir: Path = PROJECT_ROOT / "web" / "dist"
    call_log_buffer_size: int = 10_000
    # Call logs go to analytics in batches: up to this many per Kafka record, after waiting this long for company.
    call_log_batch_size: int = 500
    call_log_linger_ms: int = 50
    # Attempts per client address (429 RESOURCE_EXHAUSTED with Retry-After beyond them).
    login_per_address_limit: int = 60
    login_per_address_window_s: float = 60.0
    signup_per_address_limit: int = 20
    signup_per_address_window_s: float = 3600.0


async def build(runtime: Runtime) -> ServiceSpec:
    settings = runtime.settings
    assert isinstance(settings, GatewaySettings)
    contract = runtime.contract
    authenticator = Authenticator(runtime.identities)
    emitter = CallLogEmitter(runtime.sender, settings.call_log_buffer_size, settings.call_log_batch_size,
                             settings.call_log_linger_ms / 1000)
    limits = AddressLimits({
        "login": RateLimiter(settings.login_per_address_limit, settings.login_per_address_window_s),
        "signup": RateLimiter(settings.signup_per_address_limit, settings.signup_per_address_window_s),
    })
    key_loader: list[asyncio.Task[None]] = []

    async def load_public_key() -> None:
        # No key configured: ask auth for it (over REST), until auth answers.
        auth = runtime.sender.client(AuthClient, transport="rest")
        while not authenticator.ready:
            try:
                key = await auth.get_public_key(auth_pb2.GetPublicKeyRequest(), CallContext(transport="rest"))
                authenticator.set_verifier(TokenVerifier(key.pem))
                logger.info("loaded the auth public key from the auth service")
            except TridentError as exc:
                logger.info("waiting for the auth public key: {}", exc.message)
                await asyncio.sleep(1)

    async def start() -> None:
        await emitter.start()
        if not authenticator.ready:
            key_loader.append(asyncio.create_task(load_public_key(), name="load-public-key"))

    async def stop() -> None:
        for task in key_loader:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        await emitter.stop()

    openapi = openapi_document(contract, TITLE, VERSION)
    docs = swagger_ui_page("/openapi.json", "/swagger")
    edge = Edge(
        authenticate=authenticator.authenticate,
        middlewares=[limits.middleware, emitter.middleware],
        renderers={"image": render_image, "thumbnail": render_thumbnail},
        documents={"/openapi.json": lambda: openapi, "/docs": lambda: docs},
        web_dist=settings.web_dist_dir,
    )
    depends_on = sorted({route.target.service for route in contract.public.values()})
    return ServiceSpec(edge=edge, depends_on=depends_on, on_start=[start], on_stop=[stop])


HERE = Path(__file__).parent
SERVICE = ServiceDef("gateway", build, GatewaySettings, source=HERE)


