"""The auth service: binds AuthService's methods to the proto contract."""

from __future__ import annotations

from api.gen import users_pb2
from internal.common.runtime import Runtime
from internal.common.service import ServiceSpec, Subscription
from internal.common.tokens import TokenSigner, TokenVerifier, public_key_pem
from internal.services.auth.repository import RefreshTokenRepository
from internal.services.auth.service import AuthService

TOPICS = ("auth", "user.deleted")


async def build(runtime: Runtime) -> ServiceSpec:
    settings = runtime.settings
    assert runtime.pool is not None
    private_pem = settings.auth_private_key.get_secret_value()
    if not private_pem:
        raise RuntimeError("AUTH_PRIVATE_KEY is not set: auth cannot sign tokens")
    public_pem = settings.auth_public_key or public_key_pem(private_pem)
    service = AuthService(
        RefreshTokenRepository(runtime.pool), runtime.sender,
        TokenSigner(private_pem, settings.access_token_ttl_seconds), TokenVerifier(public_pem),
        public_pem, settings.refresh_token_ttl_seconds,
    )
    return ServiceSpec(
        name="auth",
        handlers={
            "Signup": service.signup,
            "Login": service.login,
            "Refresh": service.refresh,
            "Logout": service.logout,
            "ValidateToken": service.validate_token,
            "GetPublicKey": service.get_public_key,
        },
        subscriptions=[Subscription("user.deleted", users_pb2.UserDeleted, service.on_user_deleted)],
    )
