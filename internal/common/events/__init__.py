"""Events transport: a service's request topic in, replies out to the `reply_to` topic.

The event name comes from the `event` header, else from the record key (so `kcat -K:` with
`login:{...}` works). JSON or binary protobuf by `content-type`; large messages are segmented.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from contextlib import suppress

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from google.protobuf.message import Message
from opentelemetry.trace import SpanKind

from internal.common import metrics, mq, tracing
from internal.common.config import Settings
from internal.common.contract import ServiceContract, from_bytes, from_json, to_json
from internal.common.errors import DeadlineExceeded, InvalidArgument, TridentError
from internal.common.logger import logger
from internal.common.service import PROPAGATED, CallContext, Subscription
from internal.common.service.endpoint import Endpoint


def metadata_of(headers: mq.Headers) -> dict[str, str]:
    return {k: mq.header(headers, k) for k in PROPAGATED if mq.header(headers, k)}


def decode(message_type: type[Message], value: bytes, content_type: str) -> Message:
    if content_type == mq.PROTOBUF:
        return from_bytes(message_type, value)
    try:
        data = json.loads(value) if value.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidArgument(f"malformed JSON payload: {exc}") from None
    return from_json(message_type, data)


def encode(message: Message, content_type: str) -> bytes:
    if content_type == mq.PROTOBUF:
        return message.SerializeToString()
    return json.dumps(to_json(message), separators=(",", ":")).encode()


class _ConsumerLoop:
    """Reads one topic in a consumer group, reassembles, and hands complete messages to `handle`."""

    def __init__(self, settings: Settings, topic: str, group_id: str) -> None:
        self.settings = settings
        self.topic = topic
        self.consumer: AIOKafkaConsumer = mq.new_consumer(settings, topic, group_id=group_id)
        self.reassembler = mq.Reassembler(
            max_bytes=settings.kafka_reassembly_max_bytes,
            timeout_s=settings.kafka_reassembly_timeout_ms / 1000,
            max_message_bytes=settings.max_body_bytes * 2,
        )
        self._slots = asyncio.Semaphore(settings.kafka_max_in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._housekeeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        self._runner = asyncio.create_task(self._run(), name=f"consume:{self.topic}")
        self._housekeeper = asyncio.create_task(self._housekeeping(), name=f"housekeeping:{self.topic}")

    async def stop(self) -> None:
        for task in (self._runner, self._housekeeper):
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        await self.consumer.stop()

    async def handle(self, assembled: mq.Assembled) -> None:
        raise NotImplementedError

    async def expired(self, expired: mq.Expired) -> None:
        raise NotImplementedError

    async def _run(self) -> None:
        async for record in self.consumer:
            try:
                result = self.reassembler.feed(record.value, list(record.headers or ()), record.key)
            except Exception:
                logger.exception("dropping an unreadable record on {}", self.topic)
                continue
            if isinstance(result, mq.Expired):
                await self.expired(result)
            elif result is not None:
                await self._slots.acquire()
                task = asyncio.create_task(self._guarded(result, record))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _guarded(self, assembled: mq.Assembled, record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            await self.handle(assembled)
        except Exception:
            logger.exception("failed to handle a record at {}:{}@{}", record.topic, record.partition, record.offset)
        finally:
            self._slots.release()

    async def _housekeeping(self) -> None:
        service = self.settings.service_name
        while True:
            await asyncio.sleep(1.0)
            for expired in self.reassembler.expire():
                metrics.KAFKA_REASSEMBLY_EXPIRED.labels(service, self.topic).inc()
                with suppress(Exception):
                    await self.expired(expired)
            for tp in self.consumer.assignment():
                highwater = self.consumer.highwater(tp)
                if highwater is None:
                    continue
                with suppress(Exception):
                    position = await self.consumer.position(tp)
                    metrics.KAFKA_CONSUMER_LAG.labels(service, tp.topic, str(tp.partition)).set(max(0, highwater - position))


class EventsServer(_ConsumerLoop):
    """Serves a service's methods on its request topic (consumer group: the service name)."""

    def __init__(self, settings: Settings, contract: ServiceContract, endpoints: Mapping[str, Endpoint], producer: AIOKafkaProducer) -> None:
        super().__init__(settings, contract.topic, group_id=contract.name)
        self.contract = contract
        self.endpoints = endpoints
        self.producer = producer

    async def handle(self, assembled: mq.Assembled) -> None:
        headers = assembled.headers
        event = mq.header(headers, mq.EVENT) or (assembled.key or b"").decode("utf-8", "replace")
        with tracing.tracer().start_as_current_span(
            f"{self.topic} process", context=tracing.extract(metadata_of(headers)), kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": self.topic, "messaging.operation": "process",
                        "trident.event": event},
        ):
            await self._handle(assembled, headers, event)

    async def _handle(self, assembled: mq.Assembled, headers: mq.Headers, event: str) -> None:
        content_type = mq.header(headers, mq.CONTENT_TYPE) or mq.JSON
        try:
            binding = self.contract.by_event(event)
            if binding is None:
                known = ", ".join(b.event for b in self.contract.methods.values())
                raise InvalidArgument(f"unknown event {event!r} on topic {self.topic}; known events: {known}")
            request = decode(binding.request_type, assembled.value, content_type)
            carrier: dict[str, str] = {}
            tracing.inject(carrier)  # the service's span is a child of this consumer span
            ctx = CallContext.from_metadata("events", {**metadata_of(headers), **carrier})
            response = await self.endpoints[binding.name](request, ctx)
            await self._reply(headers, assembled.key, event, "OK", encode(response, content_type), content_type)
        except TridentError as exc:
            body = json.dumps(exc.to_dict()).encode()
            await self._reply(headers, assembled.key, event, exc.code.wire_name, body, mq.JSON)

    async def expired(self, expired: mq.Expired) -> None:
        error = DeadlineExceeded("message incomplete: not every segment arrived in time")
        event = mq.header(expired.headers, mq.EVENT)
        await self._reply(expired.headers, None, event, error.code.wire_name, json.dumps(error.to_dict()).encode(), mq.JSON)

    async def _reply(self, headers: mq.Headers, key: bytes | None, event: str, status: str, value: bytes, content_type: str) -> None:
        has_reply_to = any(k == mq.REPLY_TO for k, _ in headers)
        reply_to = mq.header(headers, mq.REPLY_TO) if has_reply_to else self.settings.kafka_reply_topic
        if not reply_to:
            return  # fire-and-forget
        correlation_id = mq.header(headers, mq.CORRELATION_ID)
        reply_headers: mq.Headers = [
            (mq.EVENT, f"{event}.reply".encode()),
            (mq.STATUS, status.encode()),
            (mq.CONTENT_TYPE, content_type.encode()),
        ]
        if correlation_id:
            reply_headers.append((mq.CORRELATION_ID, correlation_id.encode()))
        with tracing.tracer().start_as_current_span(
            f"{reply_to} publish", kind=SpanKind.PRODUCER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": reply_to, "messaging.operation": "publish"},
        ):
            carrier: dict[str, str] = {}
            tracing.inject(carrier)  # the reply carries its place in the trace
            reply_headers.extend((k, v.encode()) for k, v in carrier.items())
            await mq.publish(
                self.producer, reply_to, value, reply_headers,
                key=correlation_id.encode() if correlation_id else key,
                record_max_bytes=self.settings.kafka_record_max_bytes,
                service=self.settings.service_name,
            )


class SubscriptionConsumer(_ConsumerLoop):
    """Consumes a pub/sub domain event topic (consumer group: the consuming service's name)."""

    def __init__(self, settings: Settings, subscription: Subscription) -> None:
        # A group of its own: one member per group, whatever else the service consumes.
        super().__init__(settings, subscription.topic, group_id=f"{settings.service_name}.{subscription.topic}")
        self.subscription = subscription

    async def handle(self, assembled: mq.Assembled) -> None:
        content_type = mq.header(assembled.headers, mq.CONTENT_TYPE) or mq.JSON
        try:
            message = decode(self.subscription.message_type, assembled.value, content_type)
        except TridentError as exc:
            logger.warning("skipping a malformed {} event: {}", self.topic, exc.message)
            return
        with tracing.tracer().start_as_current_span(
            f"{self.topic} process", context=tracing.extract(metadata_of(assembled.headers)), kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": self.topic, "messaging.operation": "process"},
        ):
            ctx = CallContext.from_metadata("events", metadata_of(assembled.headers))
            await self.subscription.handler(message, ctx)

    async def expired(self, expired: mq.Expired) -> None:
        logger.warning("dropped an incomplete {} event", self.topic)
