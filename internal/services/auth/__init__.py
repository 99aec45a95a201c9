"""The auth service: signup and login through users, signed access tokens, rotating refresh tokens."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from api.gen.clients import UsersClient
from internal.common.config import Settings
from internal.common.outbox import Outbox
from internal.common.ratelimit import RateLimiter
from internal.common.runtime import Runtime, ServiceDef
from internal.common.service import ServiceSpec, Subscription
from internal.common.tokens import TokenSigner, TokenVerifier, public_key_pem
from internal.services.auth.repository import RefreshTokenRepository
from internal.services.auth.service import AuthService


class AuthSettings(Settings):
    # PEM, from the environment only: the private key signs access tokens.
    auth_private_key: SecretStr = SecretStr("")
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    # Failed sign-ins per username before 429 RESOURCE_EXHAUSTED, within the window.
    login_failures_limit: int = 10
    login_failures_window_s: float = 300.0


async def build(runtime: Runtime) -> ServiceSpec:
    settings = runtime.settings
    assert isinstance(settings, AuthSettings) and runtime.pool is not None
    private_pem = settings.auth_private_key.get_secret_value()
    if not private_pem:
        raise RuntimeError("AUTH_PRIVATE_KEY is not set: auth cannot sign tokens")
    public_pem = settings.auth_public_key or public_key_pem(private_pem)
    service = AuthService(
        RefreshTokenRepository(runtime.pool),
        # Users is called over the transport each call arrived on.
        runtime.sender.client(UsersClient),
        TokenSigner(private_pem, settings.access_token_ttl_seconds), TokenVerifier(public_pem),
        public_pem, settings.refresh_token_ttl_seconds,
        RateLimiter(settings.login_failures_limit, settings.login_failures_window_s),
        Outbox(runtime.pool, runtime.contract).publish,
    )
    return ServiceSpec(implementation=service,
                       subscriptions=[Subscription("user.deleted", service.on_user_deleted)])


HERE = Path(__file__).parent
SERVICE = ServiceDef("auth", build, AuthSettings, source=HERE, migrations=HERE / "migrations")
