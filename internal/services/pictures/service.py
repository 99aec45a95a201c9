"""Pictures: validated images owned by one user each; someone else's picture does not exist."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import unicodedata
import uuid
from datetime import datetime

from google.protobuf.empty_pb2 import Empty
from google.protobuf.timestamp_pb2 import Timestamp

from api.gen import pictures_pb2 as pb
from api.gen import users_pb2
from internal.common.errors import InvalidArgument, NotFound, Unauthenticated, too_large
from internal.common.logger import logger
from internal.common.service import CallContext
from internal.services.pictures import images
from internal.services.pictures.repository import PictureRepository, PictureRow, ThumbnailRow

TITLE_MAX = 200
# Decoding holds a whole image in memory (up to 40 megapixels): a few at a time, not one per request.
IMAGE_WORK_CONCURRENCY = 2
# Control characters (NUL, escape sequences, newlines), lone surrogates and line/paragraph separators.
_TITLE_FORBIDDEN = {"Cc", "Cs", "Zl", "Zp"}
PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX = 20, 100


def _caller(ctx: CallContext) -> uuid.UUID:
    try:
        return uuid.UUID(ctx.require_user())
    except ValueError:
        raise Unauthenticated("the caller's identity is not a user id") from None


def _parse_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidArgument("id must be a UUID") from None


def _encode_token(row: PictureRow) -> str:
    raw = json.dumps([row.created_at.isoformat(), str(row.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> tuple[datetime, uuid.UUID]:
    try:
        created, picture_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return datetime.fromisoformat(created), uuid.UUID(picture_id)
    except (ValueError, TypeError):
        raise InvalidArgument("page_token is not valid") from None


def _check_title(raw: str) -> str:
    title = raw.strip()
    if not title:
        raise InvalidArgument("title is required")
    if len(title) > TITLE_MAX:
        raise InvalidArgument(f"title must be at most {TITLE_MAX} characters")
    if any(unicodedata.category(c) in _TITLE_FORBIDDEN for c in title):
        raise InvalidArgument("title must not contain control characters (NUL, newlines, escapes)")
    return title


def _to_proto(row: PictureRow, with_data: bool = False) -> pb.Picture:
    created = Timestamp()
    created.FromDatetime(row.created_at)
    picture = pb.Picture(
        id=str(row.id), title=row.title, user_id=str(row.user_id), content_type=row.content_type,
        size=row.size, created_at=created, sha256=row.sha256, width=row.width, height=row.height,
    )
    if with_data:
        picture.base64 = row.data
    return picture


def _thumbnail_row(thumbnail: images.Thumbnail) -> ThumbnailRow:
    return ThumbnailRow(thumbnail.data, thumbnail.content_type, thumbnail.width, thumbnail.height)


class PicturesService:
    def __init__(self, repository: PictureRepository, max_bytes: int) -> None:
        self._repo = repository
        self._max_bytes = max_bytes
        self._image_work = asyncio.Semaphore(IMAGE_WORK_CONCURRENCY)

    async def create_picture(self, req: pb.CreatePictureRequest, ctx: CallContext) -> pb.Picture:
        user_id = _caller(ctx)
        title = _check_title(req.title)
        data = req.base64
        if not data:
            raise InvalidArgument("base64 is required: the image, base64-encoded")
        if len(data) > self._max_bytes:
            raise too_large(f"the image is {len(data)} bytes; the limit is {self._max_bytes} bytes")
        async with self._image_work:
            # Decoding and resizing are CPU-bound: off the event loop, so other calls keep being served.
            image = await asyncio.to_thread(images.inspect, data, req.content_type)
        row = await self._repo.create(
            PictureRow(
                id=uuid.uuid4(), user_id=user_id, title=title, content_type=image.content_type, size=len(data),
                sha256=hashlib.sha256(data).hexdigest(), created_at=datetime.min, width=image.width,
                height=image.height, data=data,
            ),
            _thumbnail_row(image.thumbnail),
        )
        return _to_proto(row)

    async def list_pictures(self, req: pb.ListPicturesRequest, ctx: CallContext) -> pb.ListPicturesResponse:
        user_id = _caller(ctx)
        if req.page_size < 0 or req.page_size > PAGE_SIZE_MAX:
            raise InvalidArgument(f"page_size must be between 1 and {PAGE_SIZE_MAX}")
        size = req.page_size or PAGE_SIZE_DEFAULT
        after = _decode_token(req.page_token) if req.page_token else None
        rows = await self._repo.list(user_id, size + 1, after)
        response = pb.ListPicturesResponse(pictures=[_to_proto(r) for r in rows[:size]])
        if len(rows) > size:
            response.next_page_token = _encode_token(rows[size - 1])
        return response

    async def get_picture(self, req: pb.GetPictureRequest, ctx: CallContext) -> pb.Picture:
        user_id = _caller(ctx)
        row = await self._repo.get(user_id, _parse_id(req.id))
        if row is None:
            raise NotFound("picture not found")
        return _to_proto(row, with_data=True)

    async def get_thumbnail(self, req: pb.GetPictureRequest, ctx: CallContext) -> pb.Thumbnail:
        user_id = _caller(ctx)
        picture_id = _parse_id(req.id)
        thumbnail = await self._repo.get_thumbnail(user_id, picture_id)
        if thumbnail is None:
            thumbnail = await self._make_missing_thumbnail(user_id, picture_id)
        return pb.Thumbnail(
            data=thumbnail.data, content_type=thumbnail.content_type, width=thumbnail.width, height=thumbnail.height,
        )

    async def _make_missing_thumbnail(self, user_id: uuid.UUID, picture_id: uuid.UUID) -> ThumbnailRow:
        """Pictures stored before thumbnails existed get theirs on first request (SQL cannot decode images)."""
        row = await self._repo.get(user_id, picture_id)
        if row is None:
            raise NotFound("picture not found")
        try:
            async with self._image_work:
                image = await asyncio.to_thread(images.thumbnail_of, row.data)
        except Exception as exc:
            # Stored before uploads were decoded whole: it may not be an image at all, or a decompression bomb.
            logger.warning("no thumbnail for picture {}: {}", picture_id, type(exc).__name__)
            raise NotFound("this picture has no thumbnail: its stored bytes are not an image that can be decoded") from None
        thumbnail = _thumbnail_row(image.thumbnail)
        await self._repo.set_thumbnail(picture_id, image.width, image.height, thumbnail)
        return thumbnail

    async def delete_picture(self, req: pb.DeletePictureRequest, ctx: CallContext) -> Empty:
        user_id = _caller(ctx)
        if not await self._repo.delete(user_id, _parse_id(req.id)):
            raise NotFound("picture not found")
        return Empty()

    async def on_user_deleted(self, event: users_pb2.UserDeleted, ctx: CallContext) -> None:
        await self._repo.delete_all(uuid.UUID(event.user_id))
