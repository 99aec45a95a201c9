"""Events transport: a service's request topic in, replies out to the `reply_to` topic; and its codec.

The event name comes from the `event` header, else from the record key (so `kcat -K:` with
`login:{...}` works). JSON or binary protobuf by `content-type`; large messages are segmented.
Delivery is at-least-once and applied once: offsets are committed after the handler finished and the
reply went out, a redelivered message is recognised by its id (see `internal.common.db.Unit`), failed
handling is retried with back-off and then dead-lettered to `<topic>.dlq`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from google.protobuf.message import Message
from opentelemetry.trace import SpanKind

from internal.common import db, metrics, mq, tracing
from internal.common.config import Settings
from internal.common.contract import MethodBinding, ServiceContract, Topic, from_bytes, from_json, to_json
from internal.common.errors import (
    Code,
    DeadlineExceeded,
    Internal,
    InvalidArgument,
    PermissionDenied,
    TridentError,
    Unauthenticated,
)
from internal.common.logger import logger
from internal.common.service import PROPAGATED, CallContext, EventHandler, Handler
from internal.common.tokens import InternalTokens

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


def published_event(internal: InternalTokens, topic: Topic, headers: mq.Headers, value: bytes) -> CallContext:
    """The context of a domain event sent by one of the topic's declared publishers (its event token names the
    publisher and is bound to this record); Unauthenticated or PermissionDenied for anything else."""
    ctx = CallContext.from_metadata("events", metadata_of(headers))
    if not ctx.credentials:
        raise Unauthenticated(f"a {topic.name} event must carry its publisher's event token")
    claims = internal.verify_event(ctx.credentials, topic.name, mq.header(headers, mq.EVENT_ID), value)
    if claims.caller not in topic.publishers:
        raise PermissionDenied(f"{claims.caller} may not publish {topic.name} (publishers: "
                               f"{', '.join(topic.publishers)})")
    return ctx.evolve(user_id=claims.user_id, username=claims.username, caller=claims.caller,
                      session_id=claims.session_id)


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


# Failures worth another try: the handler's dependencies may be back a moment later.
TRANSIENT = frozenset({Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED, Code.INTERNAL})
_MAX_BACKOFF_S = 5.0
_DLQ_RETRY_S = 1.0
_DRAIN_TIMEOUT_S = 10.0
_REPLY_PATIENCE_S = 30.0  # for a request without a deadline
_pruned_pools: set[int] = set()


@dataclass(frozen=True)
class Where:
    """Where a message was read: its first record."""

    topic: str
    partition: int
    offset: int


class _Failed(Exception):
    def __init__(self, error: TridentError, attempts: int) -> None:
        super().__init__(error.message)
        self.error = error
        self.attempts = attempts


class _Duplicate(Exception):
    """Another delivery of the message committed first; its stored outcome stands."""


def _as_error(exc: Exception) -> TridentError:
    if isinstance(exc, TridentError):
        return exc
    logger.opt(exception=exc).error("a consumed message's handler failed")
    return Internal("internal error")


class _ConsumerLoop:
    """Reads one topic in a consumer group, reassembles, hands complete messages to `process`, and commits.

    Up to `kafka_max_in_flight` messages are handled at once; per partition only the contiguous prefix of
    finished offsets is committed, so a crash re-delivers every message whose handling had not finished.
    """

    def __init__(self, settings: Settings, topic: str, group_id: str, producer: AIOKafkaProducer | None,
                 pool: asyncpg.Pool | None, fetch_max_wait_ms: int | None = None) -> None:
        self.settings = settings
        self.topic = topic
        self.group_id = group_id
        self.producer = producer
        self.pool = pool
        self.consumer: AIOKafkaConsumer = mq.new_group_consumer(settings, topic, group_id,
                                                                fetch_max_wait_ms=fetch_max_wait_ms)
        self.reassembler = mq.Reassembler(
            max_bytes=settings.kafka_reassembly_max_bytes,
            timeout_s=settings.kafka_reassembly_timeout_ms / 1000,
            max_message_bytes=settings.max_body_bytes * 2,
        )
        self.offsets = mq.OffsetTracker()
        self._segments: dict[str, list[tuple[TopicPartition, int]]] = {}
        self._to_commit: dict[TopicPartition, int] = {}
        self._commit_wanted = asyncio.Event()
        self._slots = asyncio.Semaphore(settings.kafka_max_in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self._reader: asyncio.Task[None] | None = None
        self._runners: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.consumer.start()
        await mq.join(self.consumer, self.producer, self.topic, self.settings)
        self._reader = asyncio.create_task(self._run(), name=f"consume:{self.topic}")
        self._runners = [
            asyncio.create_task(self._housekeeping(), name=f"housekeeping:{self.topic}"),
            asyncio.create_task(self._committer(), name=f"commit:{self.topic}"),
        ]
        if self.pool is not None and id(self.pool) not in _pruned_pools:
            _pruned_pools.add(id(self.pool))
            self._runners.append(asyncio.create_task(db.prune_processed_forever(self.pool), name="prune-processed"))

    async def aclose(self) -> None:
        """Stop reading, let the messages in hand finish (bounded), commit what finished, leave the group."""
        if self._reader is not None:
            self._reader.cancel()
            with suppress(asyncio.CancelledError):
                await self._reader
        if self._tasks:
            _, unfinished = await asyncio.wait(self._tasks, timeout=_DRAIN_TIMEOUT_S)
            for task in unfinished:
                task.cancel()  # not committed: delivered again to whoever reads next
            if unfinished:
                await asyncio.wait(unfinished, timeout=1)
        with suppress(Exception):
            await self._commit()
        for task in self._runners:
            task.cancel()
        for task in self._runners:
            with suppress(asyncio.CancelledError):
                await task
        if self.pool is not None:
            _pruned_pools.discard(id(self.pool))
        await self.consumer.stop()

    async def process(self, assembled: mq.Assembled, where: Where) -> None:
        raise NotImplementedError

    async def expired(self, expired: mq.Expired) -> None:
        raise NotImplementedError

    async def _run(self) -> None:
        async for record in self.consumer:
            tp = TopicPartition(record.topic, record.partition)
            self.offsets.started(tp, record.offset)
            headers = list(record.headers or ())
            try:
                result = self.reassembler.feed(record.value, headers, record.key)
            except Exception as exc:
                await self.dead_letter(record.value or b"", headers, record.key,
                                       Where(record.topic, record.partition, record.offset),
                                       InvalidArgument(f"unreadable record: {exc}"), attempts=0)
                self._finish([(tp, record.offset)])
                continue
            segment_id = mq.header(headers, mq.MESSAGE_ID) if mq.header(headers, mq.SEGMENT) else ""
            if segment_id:
                self._segments.setdefault(segment_id, []).append((tp, record.offset))
            if isinstance(result, mq.Expired):
                await self._on_expired(result)
                if not segment_id:
                    self._finish([(tp, record.offset)])
            elif result is not None:
                offsets = self._segments.pop(segment_id, []) if segment_id else [(tp, record.offset)]
                where = Where(record.topic, record.partition, offsets[0][1])
                await self._slots.acquire()
                task = asyncio.create_task(self._guarded(result, where, offsets))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _guarded(self, assembled: mq.Assembled, where: Where, offsets: list[tuple[TopicPartition, int]]) -> None:
        try:
            await self.process(assembled, where)
        except asyncio.CancelledError:
            self._slots.release()
            raise  # unfinished: its offset stays uncommitted
        except Exception:
            logger.exception("failed to handle a record at {}:{}@{}", where.topic, where.partition, where.offset)
        self._slots.release()
        self._finish(offsets)

    async def _on_expired(self, expired: mq.Expired) -> None:
        metrics.KAFKA_REASSEMBLY_EXPIRED.labels(self.settings.service_name, self.topic).inc()
        self._finish(self._segments.pop(expired.message_id, []))
        with suppress(Exception):
            await self.expired(expired)

    def _finish(self, offsets: Sequence[tuple[TopicPartition, int]]) -> None:
        for tp, offset in offsets:
            committable = self.offsets.finished(tp, offset)
            if committable is not None:
                self._to_commit[tp] = committable
                self._commit_wanted.set()

    async def _committer(self) -> None:
        while True:
            await self._commit_wanted.wait()
            self._commit_wanted.clear()
            try:
                await self._commit()
            except Exception as exc:
                # Not lost: a later commit covers it, or the messages come again and are recognised.
                logger.warning("could not commit offsets of {}: {}", self.topic, exc)
                await asyncio.sleep(1.0)

    async def _commit(self) -> None:
        batch, self._to_commit = self._to_commit, {}
        if not batch:
            return
        assigned = self.consumer.assignment()
        batch = {tp: offset for tp, offset in batch.items() if tp in assigned}
        if not batch:
            return
        try:
            await self.consumer.commit(batch)
        except Exception:
            for tp, offset in batch.items():
                self._to_commit.setdefault(tp, offset)
            raise

    async def with_retries(self, attempt: Callable[[], Awaitable[Any]], deadline: float | None) -> Any:
        """`attempt()`, tried again after transient failures with doubling back-off; raises _Failed."""
        delay = self.settings.kafka_retry_backoff_ms / 1000
        attempts = max(1, self.settings.kafka_handler_attempts)
        for n in range(1, attempts + 1):
            try:
                return await attempt()
            except (_Duplicate, asyncio.CancelledError):
                raise
            except Exception as exc:
                error = _as_error(exc)
                out_of_time = deadline is not None and deadline - time.time() < delay
                if error.code not in TRANSIENT or n == attempts or out_of_time:
                    raise _Failed(error, n) from None
                metrics.KAFKA_RETRIES.labels(self.settings.service_name, self.topic).inc()
                logger.warning("retrying a message of {} in {:.2f}s after {} ({}/{})", self.topic, delay,
                               error.code.name, n, attempts)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_BACKOFF_S)
        raise AssertionError("unreachable")

    async def dead_letter(self, value: bytes, headers: mq.Headers, key: bytes | None, where: Where,
                          error: TridentError, attempts: int) -> None:
        """Send a message to `<topic>.dlq` with why, where and how often; retried until it is out."""
        metrics.KAFKA_DEAD_LETTERS.labels(self.settings.service_name, self.topic, error.code.name).inc()
        logger.warning("dead-lettering a message of {}:{}@{} after {} attempt(s): {} {}", where.topic,
                       where.partition, where.offset, attempts, error.code.name, error.message)
        if self.producer is None:
            return
        dlq_headers: mq.Headers = [
            *((k, v) for k, v in headers if k not in mq.DLQ_HEADERS),
            (mq.DLQ_ERROR_CODE, error.code.name.encode()),
            (mq.DLQ_ERROR_MESSAGE, error.message.encode()[:1024]),
            (mq.DLQ_TOPIC, where.topic.encode()),
            (mq.DLQ_PARTITION, str(where.partition).encode()),
            (mq.DLQ_OFFSET, str(where.offset).encode()),
            (mq.DLQ_ATTEMPTS, str(attempts).encode()),
            (mq.DLQ_CONSUMER, self.group_id.encode()),
        ]
        while True:
            try:
                await mq.publish(self.producer, mq.dead_letter_topic(where.topic), value, dlq_headers, key=key,
                                 record_max_bytes=self.settings.kafka_record_max_bytes,
                                 service=self.settings.service_name)
                return
            except Exception as exc:
                logger.warning("could not dead-letter to {}: {}; trying again", mq.dead_letter_topic(where.topic), exc)
                await asyncio.sleep(_DLQ_RETRY_S)

    async def _housekeeping(self) -> None:
        service = self.settings.service_name
        while True:
            await asyncio.sleep(1.0)
            for expired in self.reassembler.expire():
                await self._on_expired(expired)
            for tp in self.consumer.assignment():
                highwater = self.consumer.highwater(tp)
                if highwater is None:
                    continue
                with suppress(Exception):
                    position = await self.consumer.position(tp)
                    metrics.KAFKA_CONSUMER_LAG.labels(service, tp.topic, str(tp.partition)).set(
                        max(0, highwater - position))


async def _in_unit(unit: db.Unit | None, call: Callable[[], Awaitable[db.StoredReply | None]]) -> db.StoredReply | None:
    """Run `call` as the unit of work of its message: its writes commit with the processed-message record."""
    if unit is None:
        return await call()
    async with db.unit_of_work(unit):
        try:
            reply = await call()
            await unit.finish(reply)
        except BaseException:
            await unit.abort()
            if unit.duplicate:
                raise _Duplicate() from None
            raise
    return reply


class EventsServer(_ConsumerLoop):
    """A ServerTransport: serves a service's methods on its request topic (consumer group: the service name).

    Requests to methods with side effects (not marked idempotent in the proto) that carry a correlation id
    are applied once per correlation id when the service has a database; a redelivery gets the stored reply.
    Replies go only to allowed reply topics (`kafka_reply_topic`, `kafka_reply_topics`, the
    `kafka_reply_topic_prefix`), never to one of `forbidden_replies` (the system's request and event topics).
    """

    def __init__(self, settings: Settings, contract: ServiceContract, handlers: Mapping[str, Handler],
                 producer: AIOKafkaProducer, pool: asyncpg.Pool | None = None,
                 forbidden_replies: Sequence[str] = ()) -> None:
        super().__init__(settings, contract.topic, contract.name, producer, pool)
        self.contract = contract
        self.handlers = handlers
        self.reply_producer = producer
        consumed = (contract.topic, *forbidden_replies)
        self.forbidden_replies = frozenset({*consumed, *(mq.dead_letter_topic(t) for t in consumed)})

    async def process(self, assembled: mq.Assembled, where: Where) -> None:
        headers = assembled.headers
        event = mq.header(headers, mq.EVENT) or (assembled.key or b"").decode("utf-8", "replace")
        reply_to = self._reply_target(headers, event)
        if reply_to is None:
            return
        with tracing.tracer().start_as_current_span(
            f"{self.topic} process", context=tracing.extract(metadata_of(headers)), kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": self.topic,
                        "messaging.operation": "process", "trident.event": event},
        ):
            status, body, content_type = await self._answer(assembled, where, event, wants_reply=bool(reply_to))
            if reply_to:
                await self._reply_until_sent(reply_to, headers, assembled.key, event, status, body, content_type)

    async def _reply_until_sent(self, reply_to: str, headers: mq.Headers, key: bytes | None, event: str, status: str,
                                body: bytes, content_type: str) -> None:
        """The offset is committed only after the reply went out: keep trying while the caller may still wait."""
        deadline = CallContext.from_metadata("events", metadata_of(headers)).deadline
        give_up = deadline if deadline is not None else time.time() + _REPLY_PATIENCE_S
        while True:
            try:
                await self._reply(reply_to, headers, key, event, status, body, content_type)
                return
            except Exception as exc:
                if time.time() >= give_up:
                    logger.warning("gave up replying to {} on {}: {}", event[:64], reply_to, exc)
                    return
                logger.warning("could not reply to {} on {} ({}); trying again", event[:64], reply_to, exc)
                await asyncio.sleep(_DLQ_RETRY_S)

    async def _answer(self, assembled: mq.Assembled, where: Where, event: str,
                      wants_reply: bool = True) -> tuple[str, bytes, str]:
        """The reply to a request (status, body, content type). A request that wants no reply (a notification,
        e.g. call logs) is still applied once, but no reply is looked up or stored for it: two round trips less."""
        headers = assembled.headers
        content_type = mq.header(headers, mq.CONTENT_TYPE) or mq.JSON
        try:
            binding = self.contract.by_event(event)
            if binding is None:
                known = ", ".join(self.contract.events)
                raise InvalidArgument(f"unknown event {event!r} on topic {self.topic}; known events: {known}")
            request = decode(binding.request_type, assembled.value, content_type)
        except TridentError as exc:  # cannot be decoded: no retry will help
            await self.dead_letter(assembled.value, headers, assembled.key, where, exc, attempts=1)
            status, body = encode_error(exc)
            return status, body, mq.JSON
        carrier: dict[str, str] = {}
        tracing.inject(carrier)  # the service's span is a child of the consumer span
        ctx = CallContext.from_metadata("events", {**metadata_of(headers), **carrier})
        handler = self.handlers[binding.name]
        correlation_id = mq.header(headers, mq.CORRELATION_ID)
        unit = None
        if self.pool is not None and correlation_id and not binding.idempotent:
            unit = db.Unit(self.pool, correlation_id, self.group_id)
            previous = await unit.previous() if wants_reply else None
            if previous is not None:
                metrics.KAFKA_REDELIVERED.labels(self.settings.service_name, self.topic).inc()
                return previous.status, previous.body, previous.content_type

        async def call() -> db.StoredReply | None:
            response = await handler(request, ctx)
            return db.StoredReply("OK", content_type, encode(response, content_type)) if wants_reply else None

        try:
            reply = await self.with_retries(lambda: _in_unit(unit, call), ctx.deadline)
            return (reply.status, reply.body, reply.content_type) if reply is not None else ("OK", b"", content_type)
        except _Duplicate:
            assert unit is not None
            metrics.KAFKA_REDELIVERED.labels(self.settings.service_name, self.topic).inc()
            if not wants_reply:
                return "OK", b"", content_type
            previous = await unit.previous()
            if previous is None:
                raise Internal("a redelivered message's stored reply is missing") from None
            return previous.status, previous.body, previous.content_type
        except _Failed as failed:
            error = failed.error
            caller_gone = ctx.deadline is not None and ctx.deadline <= time.time()
            if error.code in TRANSIENT and not caller_gone:
                await self.dead_letter(assembled.value, headers, assembled.key, where, error, failed.attempts)
            status, body = encode_error(error)
            return status, body, mq.JSON

    async def expired(self, expired: mq.Expired) -> None:
        reply_to = self._reply_target(expired.headers, mq.header(expired.headers, mq.EVENT))
        if reply_to:
            status, body = encode_error(DeadlineExceeded("message incomplete: not every segment arrived in time"))
            await self._reply(reply_to, expired.headers, None, mq.header(expired.headers, mq.EVENT), status, body,
                              mq.JSON)

    def _reply_target(self, headers: mq.Headers, event: str) -> str | None:
        """The topic to reply to; "" for a request that wants no reply; None when the request names a topic this
        service may not reply to (then it is not served at all: its answer could only go somewhere wrong)."""
        has_reply_to = any(k == mq.REPLY_TO for k, _ in headers)
        reply_to = mq.header(headers, mq.REPLY_TO) if has_reply_to else self.settings.kafka_reply_topic
        if not reply_to:
            return ""
        allowed = (self.settings.kafka_reply_topic, *self.settings.kafka_reply_topics)
        if mq.reply_allowed(reply_to, allowed, (self.settings.kafka_reply_topic_prefix,), self.forbidden_replies):
            return reply_to
        metrics.KAFKA_REPLIES_REFUSED.labels(self.settings.service_name, self.topic).inc()
        logger.warning("refused a {!r} request on {} that asked for its reply on {!r}: not an allowed reply topic",
                       event[:64], self.topic, reply_to[:100])
        return None

    async def _reply(self, reply_to: str, headers: mq.Headers, key: bytes | None, event: str, status: str,
                     value: bytes, content_type: str) -> None:
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
                self.reply_producer, reply_to, value, reply_headers,
                key=correlation_id.encode() if correlation_id else key,
                record_max_bytes=self.settings.kafka_record_max_bytes,
                service=self.settings.service_name,
            )


class SubscriptionConsumer(_ConsumerLoop):
    """A ServerTransport for one pub/sub domain topic (consumer group: `<service>.<topic>`).

    An event carrying an `event-id` header is applied once per id when the service has a database.
    """

    def __init__(self, settings: Settings, topic: Topic, handler: EventHandler, internal: InternalTokens,
                 producer: AIOKafkaProducer | None = None, pool: asyncpg.Pool | None = None) -> None:
        # A group of its own: one member per group, whatever else the service consumes.
        super().__init__(settings, topic.name, f"{settings.service_name}.{topic.name}", producer, pool,
                         fetch_max_wait_ms=settings.kafka_event_fetch_max_wait_ms)
        self.declared = topic
        self.message_type = topic.message_type
        self.handler = handler
        self.internal = internal

    async def process(self, assembled: mq.Assembled, where: Where) -> None:
        headers = assembled.headers
        content_type = mq.header(headers, mq.CONTENT_TYPE) or mq.JSON
        try:
            # Who sent it first: an event its topic's publishers did not sign is never applied.
            ctx = published_event(self.internal, self.declared, headers, assembled.value)
            message = decode(self.message_type, assembled.value, content_type)
        except TridentError as exc:
            await self.dead_letter(assembled.value, headers, assembled.key, where, exc, attempts=1)
            return
        event_id = mq.header(headers, mq.EVENT_ID)
        unit = db.Unit(self.pool, event_id, self.group_id) if self.pool is not None and event_id else None
        if unit is not None and await unit.previous() is not None:
            metrics.KAFKA_REDELIVERED.labels(self.settings.service_name, self.topic).inc()
            return

        async def call() -> None:
            await self.handler(message, ctx)

        with tracing.tracer().start_as_current_span(
            f"{self.topic} process", context=tracing.extract(metadata_of(headers)), kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": self.topic,
                        "messaging.operation": "process"},
        ):
            try:
                await self.with_retries(lambda: _in_unit(unit, call), None)
            except _Duplicate:
                metrics.KAFKA_REDELIVERED.labels(self.settings.service_name, self.topic).inc()
            except _Failed as failed:
                await self.dead_letter(assembled.value, headers, assembled.key, where, failed.error, failed.attempts)

    async def expired(self, expired: mq.Expired) -> None:
        logger.warning("dropped an incomplete {} event", self.topic)
