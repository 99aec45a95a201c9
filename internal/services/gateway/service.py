"""What the gateway adds to the framework's generic edge: token checks, image answers and call logs."""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from typing import Any

from google.protobuf.message import Message

from api.gen import analytics_pb2, pictures_pb2
from internal.common import metrics, tracing
from internal.common.errors import Internal, TridentError, Unavailable
from internal.common.logger import logger
from internal.common.pipeline import Operation
from internal.common.ratelimit import RateLimiter
from internal.common.rest.public import RawResponse
from internal.common.sender import Sender
from internal.common.service import CallContext, Handler
from internal.common.tokens import Claims, Identities, TokenVerifier


class Authenticator:
    """Verifies users' access tokens locally with the auth service's public key (no extra hop)."""

    def __init__(self, identities: Identities) -> None:
        self._identities = identities

    def set_verifier(self, verifier: TokenVerifier) -> None:
        self._identities.set_user_verifier(verifier)

    @property
    def ready(self) -> bool:
        return self._identities.users is not None

    def authenticate(self, token: str) -> Claims:
        if self._identities.users is None:
            raise Unavailable("the gateway has not loaded the auth public key yet")
        return self._identities.verify_user(token)


def render_image(picture: Message) -> RawResponse:
    """A picture as its bytes, for <img> and downloads; never sniffed, never run as a document."""
    if not isinstance(picture, pictures_pb2.Picture):
        raise Internal(f"expected a picture, got {type(picture).__name__}")
    return RawResponse(
        body=picture.base64,
        content_type=picture.content_type,
        headers={"Cache-Control": "private, max-age=86400, immutable", "ETag": f'"{picture.sha256}"',
                 "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"},
    )


class AddressLimits:
    """Edge middleware: attempts per client address on the routes that guess or create accounts."""

    def __init__(self, limiters: dict[str, RateLimiter]) -> None:
        self._limiters = limiters  # by public route name

    def middleware(self, op: Operation, next_: Handler) -> Handler:
        limiter = self._limiters.get(op.method)
        if limiter is None:
            return next_

        async def handle(request: Any, ctx: CallContext) -> Any:
            limiter.check(ctx.client_address, f"{op.method} attempts from your address")
            limiter.hit(ctx.client_address)
            return await next_(request, ctx)

        return handle


def render_thumbnail(thumbnail: Message) -> RawResponse:
    if not isinstance(thumbnail, pictures_pb2.Thumbnail):
        raise Internal(f"expected a thumbnail, got {type(thumbnail).__name__}")
    return RawResponse(
        body=thumbnail.data,
        content_type=thumbnail.content_type,
        headers={"Cache-Control": "private, max-age=86400, immutable", "X-Content-Type-Options": "nosniff",
                 "Content-Security-Policy": "default-src 'none'; sandbox"},
    )


class CallLogEmitter:
    """Sends the call logs of API calls to analytics without slowing the calls.

    A bounded buffer drained in the background: the first log waits up to `linger_s` for others to join it, then
    they go as one `LogData` event of up to `batch_size` logs (one Kafka record, one COPY in analytics). At rest it
    sleeps on the empty buffer. When the buffer is full a log is dropped and counted.
    """

    def __init__(self, sender: Sender, buffer_size: int, batch_size: int = 500, linger_s: float = 0.05) -> None:
        self._sender = sender
        self._queue: asyncio.Queue[analytics_pb2.CallLog] = asyncio.Queue(maxsize=buffer_size)
        self._batch_size = batch_size
        self._linger_s = linger_s
        self._task: asyncio.Task[None] | None = None

    def middleware(self, op: Operation, next_: Handler) -> Handler:
        """Edge middleware: one call log per public call, with its HTTP status and latency.

        The call's trace id is kept only for a trace the gateway began: its owner may then read it, and a caller who
        sent someone else's `traceparent` does not get that trace listed as theirs.
        """

        async def handle(request: Any, ctx: CallContext) -> Any:
            started = time.perf_counter()
            status = op.success_status
            try:
                return await next_(request, ctx)
            except TridentError as exc:
                status = exc.http_status
                raise
            finally:
                log = analytics_pb2.CallLog(
                    transport=ctx.transport, service=op.service, method=op.method, status=status,
                    latency_ms=(time.perf_counter() - started) * 1000, user_id=ctx.user_id,
                    request_id=ctx.request_id, trace_id=tracing.current_trace_id(begun_here=True),
                )
                now, when = time.time_ns(), log.time  # set in place: no Timestamp built and copied in
                when.seconds, when.nanos = divmod(now, 1_000_000_000)
                self.record(log)

        return handle

    def record(self, log: analytics_pb2.CallLog) -> None:
        try:
            self._queue.put_nowait(log)
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
            batch = analytics_pb2.CallLogs(logs=[await self._queue.get()])
            if self._queue.qsize() < self._batch_size - 1:
                await asyncio.sleep(self._linger_s)
            while len(batch.logs) < self._batch_size and not self._queue.empty():
                batch.logs.append(self._queue.get_nowait())
            metrics.ANALYTICS_BUFFER_SIZE.labels("gateway").set(self._queue.qsize())
            try:
                await self._sender.notify("analytics", "LogData", batch)
            except Exception as exc:
                metrics.ANALYTICS_BUFFER_DROPS.labels("gateway").inc(len(batch.logs))
                logger.warning("could not send {} call logs: {}", len(batch.logs), exc)
            finally:
                for _ in batch.logs:
                    self._queue.task_done()
