"""The sender's events client: request/reply over Kafka, replies routed by correlation id.

Each process reads the whole reply topic without a consumer group and keeps only the replies
whose correlation id it is waiting for, so instances never receive each other's replies. Once no call has
waited for a reply for a second the reader is paused: it fetches nothing at rest, and calls in quick
succession do not pause and resume it between them.
"""

from __future__ import annotations

import asyncio
import uuid
from contextlib import suppress

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from google.protobuf.message import Message

from internal.common import mq
from internal.common.config import Settings
from internal.common.contract import MethodBinding
from internal.common.errors import DeadlineExceeded, ResourceExhausted
from internal.common.events import decode_reply, request_headers
from internal.common.logger import logger
from internal.common.service import CallContext

_MAX_PENDING = 10_000
# With no call waiting this long, the reply reader is paused (no fetches at rest).
_PAUSE_AFTER_S = 1.0


class EventsClient:
    def __init__(self, settings: Settings, producer: AIOKafkaProducer) -> None:
        self.settings = settings
        self.producer = producer
        self.reply_topic = settings.kafka_reply_topic
        self._consumer: AIOKafkaConsumer | None = None
        self._pending: dict[str, asyncio.Future[mq.Assembled]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._paused = False
        self._pause_later: asyncio.TimerHandle | None = None
        self._reassembler = mq.Reassembler(
            max_bytes=settings.kafka_reassembly_max_bytes,
            timeout_s=settings.kafka_reassembly_timeout_ms / 1000,
            max_message_bytes=settings.max_body_bytes * 2,
        )

    async def start(self) -> None:
        self._consumer = mq.new_consumer(self.settings, group_id=None,
                                         fetch_max_wait_ms=self.settings.kafka_reply_fetch_max_wait_ms)
        await self._consumer.start()
        await mq.assign_from_end(self._consumer, self.producer, self.reply_topic)
        self._consumer.pause(*self._consumer.assignment())
        self._paused = True
        self._reader = asyncio.create_task(self._read_replies(), name="sender:replies")

    async def call(self, binding: MethodBinding, request: Message, ctx: CallContext) -> Message:
        if len(self._pending) >= _MAX_PENDING:
            raise ResourceExhausted("too many calls waiting for an events reply")
        correlation_id = uuid.uuid4().hex
        future: asyncio.Future[mq.Assembled] = asyncio.get_running_loop().create_future()
        if self._pause_later is not None:
            self._pause_later.cancel()
            self._pause_later = None
        if self._paused and self._consumer is not None:
            # Resumed before the request goes out, so its reply is after the position it reads from.
            self._consumer.resume(*self._consumer.assignment())
            self._paused = False
        self._pending[correlation_id] = future
        headers = request_headers(binding, ctx, correlation_id, self.reply_topic)
        try:
            async with asyncio.timeout(ctx.remaining()):
                await mq.publish(
                    self.producer, binding.service, request.SerializeToString(), headers,
                    key=None, record_max_bytes=self.settings.kafka_record_max_bytes,
                    service=self.settings.service_name,
                )
                reply = await future
        except TimeoutError:
            raise DeadlineExceeded(
                f"no reply from {binding.service}.{binding.name} over events within the deadline") from None
        finally:
            self._pending.pop(correlation_id, None)
            if not self._pending and self._pause_later is None:
                self._pause_later = asyncio.get_running_loop().call_later(_PAUSE_AFTER_S, self._pause_if_idle)
        return decode_reply(binding, reply.headers, reply.value)

    def _pause_if_idle(self) -> None:
        self._pause_later = None
        if not self._pending and not self._paused and self._consumer is not None:
            self._consumer.pause(*self._consumer.assignment())
            self._paused = True

    async def _read_replies(self) -> None:
        assert self._consumer is not None
        ticks = 0
        async for record in self._consumer:
            ticks += 1
            if ticks % 256 == 0:
                self._reassembler.expire()
            headers = list(record.headers or ())
            correlation_id = mq.header(headers, mq.CORRELATION_ID)
            if correlation_id not in self._pending:
                continue  # another instance's reply, or one that arrived after its deadline
            try:
                result = self._reassembler.feed(record.value, headers, record.key)
            except Exception:
                logger.exception("dropping an unreadable reply")
                continue
            if isinstance(result, mq.Assembled):
                future = self._pending.get(correlation_id)
                if future is not None and not future.done():
                    future.set_result(result)

    async def aclose(self) -> None:
        if self._pause_later is not None:
            self._pause_later.cancel()
        if self._reader is not None:
            self._reader.cancel()
            with suppress(asyncio.CancelledError):
                await self._reader
        if self._consumer is not None:
            await self._consumer.stop()
