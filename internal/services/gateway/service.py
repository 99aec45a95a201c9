"""The gateway's API: each public route becomes one call, over the transport the caller chose."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Protocol

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from api.gen import analytics_pb2, auth_pb2, pictures_pb2, users_pb2
from internal.common import metrics
from internal.common.contract import from_json
from internal.common.errors import Unavailable
from internal.common.logger import logger
from internal.common.rest.public import CallRecord, Identity, PublicRequest, RawResponse
from internal.common.service import CallContext
from internal.common.tokens import TokenVerifier


class Caller(Protocol):
    async def call(self, service: str, method: str, request: Message, *, transport: str, ctx: CallContext) -> Message: ...

    async def publish(self, topic: str, event: str, message: Message, ctx: CallContext | None = None) -> None: ...


class Gateway:
    def __init__(self, sender: Caller, verifier: TokenVerifier | None) -> None:
        self._sender = sender
        self._verifier = verifier

    def set_verifier(self, verifier: TokenVerifier) -> None:
        self._verifier = verifier

    def authenticate(self, token: str) -> Identity:
        if self._verifier is None:
            raise Unavailable("the gateway has not loaded the auth public key yet")
        claims = self._verifier.verify(token)
        return Identity(user_id=claims.user_id, username=claims.username)

    async def _call(self, service: str, method: str, request: Message, r: PublicRequest) -> Message:
        return await self._sender.call(service, method, request, transport=r.transport, ctx=r.ctx)

    # Accounts
    async def signup(self, r: PublicRequest) -> Message:
        return await self._call("auth", "Signup", from_json(auth_pb2.SignupRequest, r.body), r)

    async def login(self, r: PublicRequest) -> Message:
        return await self._call("auth", "Login", from_json(auth_pb2.LoginRequest, r.body), r)

    async def refresh(self, r: PublicRequest) -> Message:
        return await self._call("auth", "Refresh", from_json(auth_pb2.RefreshRequest, r.body), r)

    async def logout(self, r: PublicRequest) -> None:
        await self._call("auth", "Logout", from_json(auth_pb2.LogoutRequest, r.body), r)

    async def me(self, r: PublicRequest) -> Message:
        return await self._call("users", "GetUser", users_pb2.GetUserRequest(id=r.ctx.user_id), r)

    async def delete_me(self, r: PublicRequest) -> None:
        await self._call("users", "DeleteUser", users_pb2.DeleteUserRequest(id=r.ctx.user_id), r)

    # Pictures
    async def create_picture(self, r: PublicRequest) -> Message:
        return await self._call("pictures", "CreatePicture", from_json(pictures_pb2.CreatePictureRequest, r.body), r)

    async def list_pictures(self, r: PublicRequest) -> Message:
        return await self._call("pictures", "ListPictures", from_json(pictures_pb2.ListPicturesRequest, r.query), r)

    async def get_picture(self, r: PublicRequest) -> Message:
        return await self._call("pictures", "GetPicture", from_json(pictures_pb2.GetPictureRequest, r.params), r)

    async def get_picture_raw(self, r: PublicRequest) -> RawResponse:
        picture = await self._call("pictures", "GetPicture", from_json(pictures_pb2.GetPictureRequest, r.params), r)
        assert isinstance(picture, pictures_pb2.Picture)
        return RawResponse(
            body=picture.base64,
            content_type=picture.content_type,
            headers={
                "Cache-Control": "private, max-age=86400, immutable", "ETag": f'"{picture.sha256}"',
                # services branch: never sniffed into HTML, never run as a document even if opened directly.
                "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
            },
        )

    # services branch: thumbnails
    async def get_thumbnail(self, r: PublicRequest) -> RawResponse:
        thumbnail = await self._call("pictures", "GetThumbnail", from_json(pictures_pb2.GetPictureRequest, r.params), r)
        assert isinstance(thumbnail, pictures_pb2.Thumbnail)
        return RawResponse(
            body=thumbnail.data,
            content_type=thumbnail.content_type,
            headers={"Cache-Control": "private, max-age=86400, immutable", "X-Content-Type-Options": "nosniff"},
        )

    async def delete_picture(self, r: PublicRequest) -> None:
        await self._call("pictures", "DeletePicture", from_json(pictures_pb2.DeletePictureRequest, r.params), r)

    # Analytics
    async def analytics(self, r: PublicRequest) -> Message:
        return await self._call("analytics", "GetLogs", from_json(analytics_pb2.GetLogsRequest, r.query), r)


class CallLogEmitter:
    """Sends one call-log event per API call to analytics without slowing the call.

    A bounded buffer drained in the background; when it is full the log is dropped and counted.
    """

    def __init__(self, sender: Caller, buffer_size: int, batch_size: int = 256) -> None:
        self._sender = sender
        self._queue: asyncio.Queue[CallRecord] = asyncio.Queue(maxsize=buffer_size)
        self._batch_size = batch_size
        self._task: asyncio.Task[None] | None = None

    def record(self, record: CallRecord) -> None:
        try:
            self._queue.put_nowait(record)
        except asyncio.QueueFull:
            metrics.ANALYTICS_BUFFER_DROPS.labels("gateway").inc()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="call-log-emitter")

    async def stop(self) -> None:
        if self._task is not None:
            # Give what is buffered a moment to go out.
            with suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), timeout=2)
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._batch_size and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            metrics.ANALYTICS_BUFFER_SIZE.labels("gateway").set(self._queue.qsize())
            results = await asyncio.gather(*(self._send(r) for r in batch), return_exceptions=True)
            for _ in batch:
                self._queue.task_done()
            failures = [r for r in results if isinstance(r, Exception)]
            if failures:
                metrics.ANALYTICS_BUFFER_DROPS.labels("gateway").inc(len(failures))
                logger.warning("could not send {} call logs: {}", len(failures), failures[0])

    async def _send(self, record: CallRecord) -> None:
        when = Timestamp()
        when.FromNanoseconds(int(record.time * 1e9))
        log = analytics_pb2.CallLog(
            transport=record.transport, service=record.service, method=record.method, status=record.status,
            latency_ms=record.latency_ms, user_id=record.user_id, time=when, request_id=record.request_id,
        )
        await self._sender.publish("analytics", "logdata", log)
