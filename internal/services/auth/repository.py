"""SQL of the auth service: hashed, revocable refresh tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from internal.common import db


@dataclass(frozen=True)
class Session:
    user_id: uuid.UUID
    username: str


class RefreshTokenRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def store(self, token_hash: bytes, user_id: str, username: str, expires_at: datetime) -> None:
        await self._pool.execute(
            "INSERT INTO refresh_tokens (token_hash, user_id, username, expires_at) VALUES ($1, $2, $3, $4)",
            token_hash, uuid.UUID(user_id), username, expires_at,
        )

    async def revoke(self, token_hash: bytes) -> Session | None:
        """Revoke a live token and say whose it was; None when it was unknown, expired or revoked."""
        row = await self._pool.fetchrow(
            "UPDATE refresh_tokens SET revoked_at = now()"
            " WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()"
            " RETURNING user_id, username",
            token_hash,
        )
        return Session(row["user_id"], row["username"]) if row else None

    async def revoke_all(self, user_id: uuid.UUID) -> int:
        async with db.connection(self._pool) as conn:
            result = await conn.execute(
                "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", user_id
            )
        return int(result.split()[-1])
