"""Events transport: a service's request topic in, replies out to the `reply_to` topic; and its codec.

The event name comes from the `event` header, else from the record key (so `kcat -K:` with
`login:{...}` works). JSON or binary protobuf by `content-type`; large messages are segmented.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextlib import suppress

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from google.protobuf.message import Message
from opentelemetry.trace import SpanKind

from internal.common import metrics, mq, tracing
from internal.common.config import Settings
from internal.common.contract import MethodBinding, ServiceContract, Topic, from_bytes, from_json, to_json
from internal.common.errors import DeadlineExceeded, InvalidArgument, TridentError
from internal.common.logger import logger
from internal.common.service import PROPAGATED, CallContext, EventHandler, Handler

# The codec: the one place messages and errors become Kafka records and back.


def metadata_of(headers: mq.Headers) -> dict[str, str]:
    return {k: mq.header(headers, k) for k in PROPAGATED if mq.header(headers, k)}


def decode(message_type: type[Message], value: bytes, content_type: str) -> Message:
    if content_type == mq.PROTOBUF:
        return from_bytes(message_type, value)
    try:
        data = orjson.loads(value) if value.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(f"malformed JSON payload: {exc}") from None
    return from_json(message_type, data)


def encode(message: Message, content_type: str) -> bytes:
    if content_type == mq.PROTOBUF:
        return message.SerializeToString()
    return orjson.dumps(to_json(message))


def request_headers(binding: MethodBinding, ctx: CallContext, correlation_id: str, reply_to: str) -> mq.Headers:
    return [
        (mq.EVENT, binding.event.encode()),
        (mq.CORRELATION_ID, correlation_id.encode()),
        (mq.REPLY_TO, reply_to.encode()),
        (mq.CONTENT_TYPE, mq.PROTOBUF.encode()),
        *((k, v.encode()) for k, v in ctx.to_metadata().items()),
    ]


def encode_error(error: TridentError) -> tuple[str, bytes]:
    """The `status` header and the JSON body of an error reply."""
    return error.code.name, orjson.dumps(error.to_dict())


def decode_reply(binding: MethodBinding, headers: mq.Headers, value: bytes) -> Message:
    """The response of a reply record, or its error raised."""
    status = mq.header(headers, mq.STATUS) or "OK"
    if status != "OK":
        try:
            body = orjson.loads(value)
        except orjson.JSONDecodeError:
            body = {"error": {"code": status, "message": f"{binding.service} replied {status}"}}
        raise TridentError.from_dict(body)
    return decode(binding.response_type, value, mq.header(headers, mq.CONTENT_TYPE) or mq.JSON)


async def serve(contract: ServiceContract, handlers: Mapping[str, Handler], headers: mq.Headers, key: bytes | None,
                value: bytes) -> tuple[str, str, bytes, str]:
    """One request record to `contract`'s topic: (event, status, reply body, reply content type)."""
    event = mq.header(headers, mq.EVENT) or (key or b"").decode("utf-8", "replace")
    content_type = mq.header(headers, mq.CONTENT_TYPE) or mq.JSON
    try:
        binding = contract.by_event(event)
        if binding is None:
            known = ", ".join(contract.events)
            raise InvalidArgument(f"unknown event {event!r} on topic {contract.topic}; known events: {known}")
        request = decode(binding.request_type, value, content_type)
        carrier: dict[str, str] = {}
        tracing.inject(carrier)  # the service's span is a child of the consumer span
        ctx = CallContext.from_metadata("events", {**metadata_of(headers), **carrier})
        response = await handlers[binding.name](request, ctx)
        return event, "OK", encode(response, content_type), content_type
    except TridentError as exc:
        status, body = encode_error(exc)
        return event, status, body, mq.JSON


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
        self._runners: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.consumer.start()
        self._runners = [
            asyncio.create_task(self._run(), name=f"consume:{self.topic}"),
            asyncio.create_task(self._housekeeping(), name=f"housekeeping:{self.topic}"),
        ]

    async def aclose(self) -> None:
        for task in self._runners:
            task.cancel()
        for task in self._runners:
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
                    metrics.KAFKA_CONSUMER_LAG.labels(service, tp.topic, str(tp.partition)).set(
                        max(0, highwater - position))


class EventsServer(_ConsumerLoop):
    """A ServerTransport: serves a service's methods on its request topic (consumer group: the service name)."""

    def __init__(self, settings: Settings, contract: ServiceContract, handlers: Mapping[str, Handler],
                 producer: AIOKafkaProducer) -> None:
        super().__init__(settings, contract.topic, group_id=contract.name)
        self.contract = contract
        self.handlers = handlers
        self.producer = producer

    async def handle(self, assembled: mq.Assembled) -> None:
        headers = assembled.headers
        event = mq.header(headers, mq.EVENT) or (assembled.key or b"").decode("utf-8", "replace")
        with tracing.tracer().start_as_current_span(
            f"{self.topic} process", context=tracing.extract(metadata_of(headers)), kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": self.topic,
                        "messaging.operation": "process", "trident.event": event},
        ):
            _, status, body, content_type = await serve(self.contract, self.handlers, headers, assembled.key,
                                                        assembled.value)
            await self._reply(headers, assembled.key, event, status, body, content_type)

    async def expired(self, expired: mq.Expired) -> None:
        status, body = encode_error(DeadlineExceeded("message incomplete: not every segment arrived in time"))
        await self._reply(expired.headers, None, mq.header(expired.headers, mq.EVENT), status, body, mq.JSON)

    async def _reply(self, headers: mq.Headers, key: bytes | None, event: str, status: str, value: bytes,
                     content_type: str) -> None:
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
            attributes={"messaging.system": "kafka", "messaging.destination.name": reply_to,
                        "messaging.operation": "publish"},
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
    """A ServerTransport for one pub/sub domain topic (consumer group: `<service>.<topic>`)."""

    def __init__(self, settings: Settings, topic: Topic, handler: EventHandler) -> None:
        # A group of its own: one member per group, whatever else the service consumes.
        super().__init__(settings, topic.name, group_id=f"{settings.service_name}.{topic.name}")
        self.message_type = topic.message_type
        self.handler = handler

    async def handle(self, assembled: mq.Assembled) -> None:
        content_type = mq.header(assembled.headers, mq.CONTENT_TYPE) or mq.JSON
        try:
            message = decode(self.message_type, assembled.value, content_type)
        except TridentError as exc:
            logger.warning("skipping a malformed {} event: {}", self.topic, exc.message)
            return
        with tracing.tracer().start_as_current_span(
            f"{self.topic} process", context=tracing.extract(metadata_of(assembled.headers)), kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": self.topic,
                        "messaging.operation": "process"},
        ):
            await self.handler(message, CallContext.from_metadata("events", metadata_of(assembled.headers)))

    async def expired(self, expired: mq.Expired) -> None:
        logger.warning("dropped an incomplete {} event", self.topic)
