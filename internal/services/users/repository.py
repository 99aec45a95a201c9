"""SQL of the users service."""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from internal.common import db


@dataclass(frozen=True)
class UserRow:
    id: uuid.UUID
    username: str
    password_hash: str
    created_at: datetime


class UsernameTaken(Exception):
    pass


class UserRepository:
    """Writes join the unit of work of the message being handled, if any (`internal.common.db`)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    def transaction(self) -> AbstractAsyncContextManager[Any]:
        """Several writes (and the outbox's events) that commit together."""
        return db.transaction(self._pool)

    async def create(self, user_id: uuid.UUID, username: str, password_hash: str) -> UserRow:
        try:
            async with db.connection(self._pool) as conn:
                # A savepoint: a taken username must not abort the unit of work it belongs to.
                async with conn.transaction():
                    row = await conn.fetchrow(
                        "INSERT INTO users (id, username, password_hash) VALUES ($1, $2, $3) RETURNING *",
                        user_id, username, password_hash,
                    )
        except asyncpg.UniqueViolationError:
            raise UsernameTaken(username) from None
        return UserRow(**dict(row))

    async def get(self, user_id: uuid.UUID) -> UserRow | None:
        row = await self._pool.fetchrow("SELECT * FROM users WHERE id = $1", user_id)
        return UserRow(**dict(row)) if row else None

    async def get_by_username(self, username: str) -> UserRow | None:
        row = await self._pool.fetchrow("SELECT * FROM users WHERE lower(username) = lower($1)", username)
        return UserRow(**dict(row)) if row else None

    async def delete(self, user_id: uuid.UUID) -> UserRow | None:
        async with db.connection(self._pool) as conn:
            row = await conn.fetchrow("DELETE FROM users WHERE id = $1 RETURNING *", user_id)
        return UserRow(**dict(row)) if row else None
