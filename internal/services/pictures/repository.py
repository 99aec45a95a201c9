"""SQL of the pictures service: image bytes and their thumbnails in the service's own database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

# Sizes are NULL for pictures stored before they were recorded: 0 means unknown.
_META = "id, user_id, title, content_type, size, sha256, created_at, COALESCE(width, 0) AS width," \
        " COALESCE(height, 0) AS height"


@dataclass(frozen=True)
class PictureRow:
    id: uuid.UUID
    user_id: uuid.UUID
    title: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    width: int = 0
    height: int = 0
    data: bytes = b""


@dataclass(frozen=True)
class ThumbnailRow:
    data: bytes
    content_type: str
    width: int
    height: int


class PictureRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(self, row: PictureRow, thumbnail: ThumbnailRow) -> PictureRow:
        record = await self._pool.fetchrow(
            "INSERT INTO pictures (id, user_id, title, content_type, size, sha256, data, width, height,"
            " thumbnail, thumbnail_content_type, thumbnail_width, thumbnail_height)"
            f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING {_META}",
            row.id, row.user_id, row.title, row.content_type, row.size, row.sha256, row.data, row.width, row.height,
            thumbnail.data, thumbnail.content_type, thumbnail.width, thumbnail.height,
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

    async def get_thumbnail(self, user_id: uuid.UUID, picture_id: uuid.UUID) -> ThumbnailRow | None:
        """None when there is no such picture of this user, or it was stored before thumbnails existed."""
        record = await self._pool.fetchrow(
            "SELECT thumbnail AS data, thumbnail_content_type AS content_type, thumbnail_width AS width,"
            " thumbnail_height AS height FROM pictures WHERE id = $1 AND user_id = $2 AND thumbnail IS NOT NULL",
            picture_id, user_id,
        )
        return ThumbnailRow(**dict(record)) if record else None

    async def set_thumbnail(self, picture_id: uuid.UUID, width: int, height: int, thumbnail: ThumbnailRow) -> None:
        await self._pool.execute(
            "UPDATE pictures SET width = $2, height = $3, thumbnail = $4, thumbnail_content_type = $5,"
            " thumbnail_width = $6, thumbnail_height = $7 WHERE id = $1",
            picture_id, width, height, thumbnail.data, thumbnail.content_type, thumbnail.width, thumbnail.height,
        )

    async def delete(self, user_id: uuid.UUID, picture_id: uuid.UUID) -> bool:
        result = await self._pool.execute("DELETE FROM pictures WHERE id = $1 AND user_id = $2", picture_id, user_id)
        return result != "DELETE 0"

    async def delete_all(self, user_id: uuid.UUID) -> int:
        result = await self._pool.execute("DELETE FROM pictures WHERE user_id = $1", user_id)
        return int(result.split()[-1])
