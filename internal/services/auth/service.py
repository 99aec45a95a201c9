"""Auth: signup and login through users, signed access tokens, rotating refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from google.protobuf.empty_pb2 import Empty
from google.protobuf.message import Message

from api.gen import auth_pb2 as pb
from api.gen import users_pb2
from api.gen.clients import UsersClient
from internal.common.errors import InvalidArgument, Unauthenticated
from internal.common.ratelimit import RateLimiter
from internal.common.service import CallContext
from internal.common.tokens import ALGORITHM, TokenSigner, TokenVerifier
from internal.services.auth.repository import RefreshTokenRepository, Reused, Session

SESSION_REVOKED_TOPIC = "session.revoked"
Publish = Callable[[str, Message, CallContext], Awaitable[None]]


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class AuthService:
    def __init__(
        self, repository: RefreshTokenRepository, users: UsersClient, signer: TokenSigner, verifier: TokenVerifier,
        public_pem: str, refresh_ttl_seconds: int, failed_logins: RateLimiter, publish: Publish,
    ) -> None:
        self._repo = repository
        self._users = users
        self._signer = signer
        self._verifier = verifier
        self._public_pem = public_pem
        self._refresh_ttl = timedelta(seconds=refresh_ttl_seconds)
        self._failed_logins = failed_logins
        self._publish = publish

    async def signup(self, req: pb.SignupRequest, ctx: CallContext) -> pb.TokenPair:
        user = await self._users.create_user(
            users_pb2.CreateUserRequest(username=req.username, password=req.password), ctx)
        return await self._issue(user.id, user.username)

    async def login(self, req: pb.LoginRequest, ctx: CallContext) -> pb.TokenPair:
        # Failed attempts are limited per username, whatever the transport or the client's address.
        key = req.username.casefold()
        self._failed_logins.check(key, "failed sign-ins for this username")
        try:
            user = await self._users.validate_password(
                users_pb2.ValidatePasswordRequest(username=req.username, password=req.password), ctx)
        except Unauthenticated:
            self._failed_logins.hit(key)
            raise
        self._failed_logins.reset(key)
        return await self._issue(user.id, user.username)

    async def refresh(self, req: pb.RefreshRequest, ctx: CallContext) -> pb.TokenPair:
        if not req.refresh_token:
            raise InvalidArgument("refresh_token is required")
        # The trade and the new token commit together, in one transaction (part of a consumed request's unit of
        # work): a crash between them must not leave a traded token without its successor.
        async with self._repo.transaction():
            traded = await self._repo.trade(_hash(req.refresh_token))
            if isinstance(traded, Reused):
                # Used twice: someone else has a copy. The session ends for both, access tokens included —
                # committed on its own, as the call fails (which rolls its transaction or unit of work back).
                async with self._repo.standalone_transaction():
                    await self._repo.revoke_family(traded.session.family_id)
                    await self._session_ended(traded.session, ctx)
                raise Unauthenticated("this refresh token was already used: the session has ended, sign in again")
            if traded is None:
                raise Unauthenticated("invalid or expired refresh token")
            return await self._issue(str(traded.user_id), traded.username, traded.family_id)

    async def logout(self, req: pb.LogoutRequest, ctx: CallContext) -> Empty:
        if not req.refresh_token:
            raise InvalidArgument("refresh_token is required")
        async with self._repo.transaction():
            session = await self._repo.end_session(_hash(req.refresh_token))
            if session is not None:  # logging out twice is not an error
                await self._session_ended(session, ctx)
        return Empty()

    async def _session_ended(self, session: Session, ctx: CallContext) -> None:
        """`session.revoked`, written to the outbox with the revocation: the gateways and services learn it even
        when Kafka is down at the moment of the logout (the relay sends it once Kafka is back)."""
        event = pb.SessionRevoked(session_id=str(session.family_id), user_id=str(session.user_id))
        await self._publish(SESSION_REVOKED_TOPIC, event, ctx)

    async def validate_token(self, req: pb.ValidateTokenRequest, ctx: CallContext) -> pb.TokenClaims:
        if not req.access_token:
            raise InvalidArgument("access_token is required")
        claims = self._verifier.verify(req.access_token)
        return pb.TokenClaims(user_id=claims.user_id, username=claims.username, expires_at=claims.expires_at)

    async def get_public_key(self, req: pb.GetPublicKeyRequest, ctx: CallContext) -> pb.PublicKey:
        return pb.PublicKey(algorithm=ALGORITHM, pem=self._public_pem)

    async def on_user_deleted(self, event: users_pb2.UserDeleted, ctx: CallContext) -> None:
        await self._repo.revoke_all(uuid.UUID(event.user_id))

    async def _issue(self, user_id: str, username: str, family_id: uuid.UUID | None = None) -> pb.TokenPair:
        refresh_token = secrets.token_urlsafe(32)
        expires_at = datetime.now(UTC) + self._refresh_ttl
        family_id = family_id or uuid.uuid4()
        await self._repo.store(_hash(refresh_token), user_id, username, expires_at, family_id)
        return pb.TokenPair(
            access_token=self._signer.sign(user_id, username, str(family_id)),
            refresh_token=refresh_token,
            token_type="Bearer",
            expires_in=self._signer.ttl_seconds,
        )
