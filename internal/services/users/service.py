"""Users: accounts, argon2id password hashes, and the `user.deleted` event."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from google.protobuf.empty_pb2 import Empty
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

from api.gen import users_pb2 as pb
from internal.common.errors import AlreadyExists, InvalidArgument, NotFound, Unauthenticated
from internal.common.service import CallContext
from internal.services.users.repository import UsernameTaken, UserRepository, UserRow

COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])
USERNAME = re.compile(r"[A-Za-z0-9_.@+-]{3,64}")
PASSWORD_MIN, PASSWORD_MAX = 8, 1024
USER_DELETED_TOPIC = "user.deleted"
# The processes allowed to make the calls users keep to the system (account creation, password checks).
AUTH, GATEWAY = "auth", "gateway"

# Publishes a domain event in the current transaction (the framework's outbox).
Publish = Callable[[str, Message, CallContext], Awaitable[None]]


def validate_username(username: str) -> None:
    if not username:
        raise InvalidArgument("username is required")
    if not USERNAME.fullmatch(username):
        raise InvalidArgument("username must be 3 to 64 characters of letters, digits and _ . @ + -")


def validate_password(password: str, username: str) -> None:
    """At least 8 characters, not one of the most common passwords, and not built on the username."""
    if not password:
        raise InvalidArgument("password is required")
    if len(password) < PASSWORD_MIN:
        raise InvalidArgument(f"password must be at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise InvalidArgument(f"password must be at most {PASSWORD_MAX} characters")
    folded = password.casefold()
    if len(set(folded.strip())) <= 1 or folded in COMMON_PASSWORDS:
        raise InvalidArgument("password is too common: choose one that is not on lists of common passwords")
    if username and username.casefold() in folded:
        raise InvalidArgument("password must not contain the username")


def parse_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidArgument("id must be a UUID") from None


def _require_self_or_process(ctx: CallContext, user_id: str) -> None:
    """A user may act on their own account only; the system's processes act for whoever they serve."""
    if ctx.caller:
        return
    if ctx.require_user() != user_id:
        raise NotFound("user not found")


def _to_proto(row: UserRow) -> pb.User:
    created = Timestamp()
    created.FromDatetime(row.created_at)
    return pb.User(id=str(row.id), username=row.username, created_at=created)


class UsersService:
    def __init__(self, repository: UserRepository, publish: Publish, hasher: PasswordHasher | None = None) -> None:
        self._repo = repository
        self._publish = publish
        self._hasher = hasher or PasswordHasher()
        # Verified against when the username is unknown, so both failures take the same time. Hashed in a worker
        # thread: an argon2 hash is ~0.4 s of CPU that every start of the process (each `--reload`) would wait for.
        self._dummy_hash = asyncio.get_running_loop().run_in_executor(None, self._hasher.hash, "not-a-real-password")

    async def create_user(self, req: pb.CreateUserRequest, ctx: CallContext) -> pb.User:
        ctx.require_caller(AUTH)
        validate_username(req.username)
        validate_password(req.password, req.username)
        password_hash = await asyncio.to_thread(self._hasher.hash, req.password)
        try:
            row = await self._repo.create(uuid.uuid4(), req.username, password_hash)
        except UsernameTaken:
            raise AlreadyExists("username already exists") from None
        return _to_proto(row)

    async def get_user(self, req: pb.GetUserRequest, ctx: CallContext) -> pb.User:
        _require_self_or_process(ctx, req.id)
        row = await self._repo.get(parse_id(req.id))
        if row is None:
            raise NotFound("user not found")
        return _to_proto(row)

    async def get_user_by_username(self, req: pb.GetUserByUsernameRequest, ctx: CallContext) -> pb.User:
        if req.username != ctx.username:
            ctx.require_caller(AUTH, GATEWAY)  # no looking up other users by name
        row = await self._repo.get_by_username(req.username)
        if row is None:
            raise NotFound("user not found")
        return _to_proto(row)

    async def validate_password(self, req: pb.ValidatePasswordRequest, ctx: CallContext) -> pb.User:
        ctx.require_caller(AUTH)  # where attempts are limited
        if not req.username:
            raise InvalidArgument("username is required")
        if not req.password:
            raise InvalidArgument("password is required")
        row = await self._repo.get_by_username(req.username)
        known_hash = row.password_hash if row else await self._dummy_hash
        if not await asyncio.to_thread(self._verify, known_hash, req.password) or row is None:
            raise Unauthenticated("invalid username or password")
        return _to_proto(row)

    async def delete_user(self, req: pb.DeleteUserRequest, ctx: CallContext) -> Empty:
        _require_self_or_process(ctx, req.id)
        user_id = parse_id(req.id)
        # The event is written with the delete (a transactional outbox): both happen or neither does, and it
        # reaches the subscribers even if Kafka is down right now.
        async with self._repo.transaction():
            row = await self._repo.delete(user_id)
            if row is None:
                raise NotFound("user not found")
            await self._publish(USER_DELETED_TOPIC, pb.UserDeleted(user_id=str(row.id), username=row.username), ctx)
        return Empty()

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
