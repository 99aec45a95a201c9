"""SQL of the auth service: hashed, revocable refresh tokens."""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from internal.common import db


@dataclass(frozen=True)
class Session:
    user_id: uuid.UUID
    username: str
    family_id: uuid.UUID


@dataclass(frozen=True)
class Reused:
    """A refresh token that was already traded: its whole family has just been revoked."""

    session: Session


class RefreshTokenRepository:
    """Writes join the current transaction or unit of work, if any (`internal.common.db`)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    def transaction(self) -> AbstractAsyncContextManager[Any]:
        """Several writes (and the outbox's events) that commit together."""
        return db.transaction(self._pool)

    def standalone_transaction(self) -> AbstractAsyncContextManager[Any]:
        """Writes that commit even when the call then fails (outside the unit of work of a consumed request)."""
        return db.standalone_transaction(self._pool)

    async def store(self, token_hash: bytes, user_id: str, username: str, expires_at: datetime,
                    family_id: uuid.UUID) -> None:
        async with db.connection(self._pool) as conn:
            await conn.execute(
                "INSERT INTO refresh_tokens (token_hash, user_id, username, expires_at, family_id)"
                " VALUES ($1, $2, $3, $4, $5)",
                token_hash, uuid.UUID(user_id), username, expires_at, family_id,
            )

    async def trade(self, token_hash: bytes) -> Session | Reused | None:
        """Revoke a live token to trade it for the next of its family. Reused: it was traded before (the caller
        ends the session); None: unknown or expired.

        Part of the current unit of work: a consumed refresh whose process died before it committed is traded
        again when redelivered, not mistaken for a reuse.
        """
        async with db.transaction(self._pool) as conn:
            row = await conn.fetchrow(
                "SELECT user_id, username, family_id, revoked_at FROM refresh_tokens"
                " WHERE token_hash = $1 AND expires_at > now() FOR UPDATE",
                token_hash,
            )
            if row is None:
                return None
            session = Session(row["user_id"], row["username"], row["family_id"])
            if row["revoked_at"] is not None:
                return Reused(session)
            await conn.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE token_hash = $1", token_hash)
            return session

    async def revoke_family(self, family_id: uuid.UUID) -> None:
        async with db.connection(self._pool) as conn:
            await conn.execute("UPDATE refresh_tokens SET revoked_at = now()"
                               " WHERE family_id = $1 AND revoked_at IS NULL", family_id)

    async def end_session(self, token_hash: bytes) -> Session | None:
        """Revoke every token of the family `token_hash` belongs to; None when the token is unknown."""
        async with db.connection(self._pool) as conn:
            row = await conn.fetchrow(
                "UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())"
                " WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)"
                " RETURNING user_id, username, family_id",
                token_hash,
            )
        return Session(row["user_id"], row["username"], row["family_id"]) if row else None

    async def revoke_all(self, user_id: uuid.UUID) -> int:
        async with db.connection(self._pool) as conn:
            result = await conn.execute(
                "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", user_id
            )
        return int(result.split()[-1])
