"""Pictures: validated images owned by one user each; someone else's picture does not exist."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import datetime

from google.protobuf.empty_pb2 import Empty
from google.protobuf.timestamp_pb2 import Timestamp

from api.gen import pictures_pb2 as pb
from api.gen import users_pb2
from internal.common.errors import InvalidArgument, NotFound, too_large
from internal.common.service import CallContext
from internal.services.pictures.repository import PictureRepository, PictureRow

TITLE_MAX = 200
PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX = 20, 100


def sniff_content_type(data: bytes) -> str | None:
    """The image type by its bytes, whatever the caller claims."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


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


def _to_proto(row: PictureRow, with_data: bool = False) -> pb.Picture:
    created = Timestamp()
    created.FromDatetime(row.created_at)
    picture = pb.Picture(
        id=str(row.id), title=row.title, user_id=str(row.user_id), content_type=row.content_type,
        size=row.size, created_at=created, sha256=row.sha256,
    )
    if with_data:
        picture.base64 = row.data
    return picture


class PicturesService:
    def __init__(self, repository: PictureRepository, max_bytes: int) -> None:
        self._repo = repository
        self._max_bytes = max_bytes

    async def create_picture(self, req: pb.CreatePictureRequest, ctx: CallContext) -> pb.Picture:
        user_id = uuid.UUID(ctx.require_user())
        title = req.title.strip()
        if not title:
            raise InvalidArgument("title is required")
        if len(title) > TITLE_MAX:
            raise InvalidArgument(f"title must be at most {TITLE_MAX} characters")
        data = req.base64
        if not data:
            raise InvalidArgument("base64 is required: the image, base64-encoded")
        if len(data) > self._max_bytes:
            raise too_large(f"the image is {len(data)} bytes; the limit is {self._max_bytes} bytes")
        content_type = sniff_content_type(data)
        if content_type is None:
            raise InvalidArgument("base64 is not a PNG, JPEG, GIF or WebP image")
        row = await self._repo.create(PictureRow(
            id=uuid.uuid4(), user_id=user_id, title=title, content_type=content_type, size=len(data),
            sha256=hashlib.sha256(data).hexdigest(), created_at=datetime.min, data=data,
        ))
        return _to_proto(row)

    async def list_pictures(self, req: pb.ListPicturesRequest, ctx: CallContext) -> pb.ListPicturesResponse:
        user_id = uuid.UUID(ctx.require_user())
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
        user_id = uuid.UUID(ctx.require_user())
        row = await self._repo.get(user_id, _parse_id(req.id))
        if row is None:
            raise NotFound("picture not found")
        return _to_proto(row, with_data=True)

    async def delete_picture(self, req: pb.DeletePictureRequest, ctx: CallContext) -> Empty:
        user_id = uuid.UUID(ctx.require_user())
        if not await self._repo.delete(user_id, _parse_id(req.id)):
            raise NotFound("picture not found")
        return Empty()

    async def on_user_deleted(self, event: users_pb2.UserDeleted, ctx: CallContext) -> None:
        await self._repo.delete_all(uuid.UUID(event.user_id))
