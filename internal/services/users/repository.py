"""SQL of the users service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class UserRow:
    id: uuid.UUID
    username: str
    password_hash: str
    created_at: datetime


class UsernameTaken(Exception):
    pass


class UserRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(self, user_id: uuid.UUID, username: str, password_hash: str) -> UserRow:
        try:
            row = await self._pool.fetchrow(
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
        row = await self._pool.fetchrow("DELETE FROM users WHERE id = $1 RETURNING *", user_id)
        return UserRow(**dict(row)) if row else None
