"""SQL of the pictures service: image bytes in the service's own database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from internal.common import db

_META = "id, user_id, title, content_type, size, sha256, created_at"


@dataclass(frozen=True)
class PictureRow:
    id: uuid.UUID
    user_id: uuid.UUID
    title: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    data: bytes = b""


class PictureRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(self, row: PictureRow) -> PictureRow:
        # Part of the unit of work of a consumed request, if any: stored once however often it is delivered.
        async with db.connection(self._pool) as conn:
            record = await conn.fetchrow(
                f"INSERT INTO pictures (id, user_id, title, content_type, size, sha256, data)"
                f" VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_META}",
                row.id, row.user_id, row.title, row.content_type, row.size, row.sha256, row.data,
            )
        return PictureRow(**dict(record))

    async def list(self, user_id: uuid.UUID, limit: int, after: tuple[datetime, uuid.UUID] | None) -> list[PictureRow]:
        if after is None:
            records = await self._pool.fetch(
                f"SELECT {_META} FROM pictures WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
                user_id, limit,
            )
        else:
            records = await self._pool.fetch(
                f"SELECT {_META} FROM pictures WHERE user_id = $1 AND (created_at, id) < ($2, $3)"
                " ORDER BY created_at DESC, id DESC LIMIT $4",
                user_id, after[0], after[1], limit,
            )
        return [PictureRow(**dict(r)) for r in records]

    async def get(self, user_id: uuid.UUID, picture_id: uuid.UUID) -> PictureRow | None:
        record = await self._pool.fetchrow(
            f"SELECT {_META}, data FROM pictures WHERE id = $1 AND user_id = $2", picture_id, user_id
        )
        return PictureRow(**dict(record)) if record else None

    async def delete(self, user_id: uuid.UUID, picture_id: uuid.UUID) -> bool:
        result = await self._pool.execute("DELETE FROM pictures WHERE id = $1 AND user_id = $2", picture_id, user_id)
        return bool(result != "DELETE 0")

    async def delete_all(self, user_id: uuid.UUID) -> int:
        async with db.connection(self._pool) as conn:
            result = await conn.execute("DELETE FROM pictures WHERE user_id = $1", user_id)
        return int(result.split()[-1])
