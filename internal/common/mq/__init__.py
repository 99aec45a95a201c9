"""Kafka plumbing shared by the events server and the sender: clients, headers, segmentation, dead letters."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import aiokafka.client
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.protocol.metadata import MetadataRequest

from internal.common import metrics
from internal.common.config import Settings
from internal.common.contract import Contract

# Header names.
EVENT = "event"
CORRELATION_ID = "correlation_id"
REPLY_TO = "reply_to"
CONTENT_TYPE = "content-type"
STATUS = "status"
SEGMENT = "segment"  # "index/count", on every record of a segmented message
MESSAGE_ID = "message-id"  # of a segmented message, shared by its segments
EVENT_ID = "event-id"  # of a domain event: a redelivery is recognised by it
# On a dead-lettered record: why, where it was, and how often it was tried.
DLQ_ERROR_CODE = "dlq-error-code"
DLQ_ERROR_MESSAGE = "dlq-error-message"
DLQ_TOPIC = "dlq-topic"
DLQ_PARTITION = "dlq-partition"
DLQ_OFFSET = "dlq-offset"
DLQ_ATTEMPTS = "dlq-attempts"
DLQ_CONSUMER = "dlq-consumer-group"
DLQ_HEADERS = (DLQ_ERROR_CODE, DLQ_ERROR_MESSAGE, DLQ_TOPIC, DLQ_PARTITION, DLQ_OFFSET, DLQ_ATTEMPTS, DLQ_CONSUMER)
DLQ_SUFFIX = ".dlq"



class _MetadataRequestWithoutAutoCreate(MetadataRequest):  # type: ignore[misc]
    """Topics are provisioned by the environment: no client here creates one by naming it.

    aiokafka 0.14 has no `allow_auto_create_topics` setting and always asks the broker to create an unknown
    topic it looks up (Metadata v4+ AllowAutoTopicCreation=true); the development broker (librdkafka's mock
    cluster, which has no broker-side switch for it) and a real broker with auto.create.topics.enable do so.
    This asks with false instead, for every client of the process.
    """

    def __init__(self, topics: list[str] | None = None, allow_auto_topic_creation: bool | None = False) -> None:
        super().__init__(topics, allow_auto_topic_creation)


aiokafka.client.MetadataRequest = _MetadataRequestWithoutAutoCreate

JSON = "application/json"
PROTOBUF = "application/x-protobuf"

Headers = list[tuple[str, bytes]]

# Segmented messages go out one record at a time, one message at a time per process. Pacing keeps
# a burst from outrunning the consumers: the development broker keeps only the last 5 MB of each
# partition and drops older records even when nobody has read them yet (measured: 5 messages of
# 11 MiB arrive whole when paced; with 4 records in flight most lose their first segments).
_segmented_sends = asyncio.Lock()


def new_producer(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=settings.service_name,
        linger_ms=2,
        max_request_size=max(1024 * 1024, settings.kafka_record_max_bytes * 2),
        request_timeout_ms=15_000,
    )


def new_consumer(settings: Settings, *topics: str, group_id: str | None,
                 fetch_max_wait_ms: int | None = None) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=settings.service_name,
        group_id=group_id,
        # At-least-once: the consumer commits an offset itself, once the message was handled and answered.
        enable_auto_commit=False,
        auto_offset_reset="latest" if group_id is None else "earliest",
        fetch_max_wait_ms=fetch_max_wait_ms or settings.kafka_fetch_max_wait_ms,
        max_partition_fetch_bytes=max(1024 * 1024, settings.kafka_record_max_bytes * 4),
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
    )


def new_group_consumer(settings: Settings, topic: str, group_id: str,
                       fetch_max_wait_ms: int | None = None) -> AIOKafkaConsumer:
    """A consumer of `topic` for `group_id`: an ordinary group member, or with `kafka_static_member` one that is
    given its partitions by `join` (no subscription, so it never joins the group: offsets are still committed and
    read under the group id, which needs no SyncGroup)."""
    return new_consumer(settings, *(() if settings.static_member else (topic,)), group_id=group_id,
                        fetch_max_wait_ms=fetch_max_wait_ms)


async def join(consumer: AIOKafkaConsumer, producer: AIOKafkaProducer | None, topic: str, settings: Settings) -> None:
    """After `consumer.start()`: a static member takes its share of `topic`'s partitions (p % n == i - 1)."""
    member = settings.static_member
    if member is None:
        return
    if producer is None:
        raise RuntimeError("a static consumer group member needs a producer to look up its topic's partitions")
    partitions = await producer.partitions_for(topic)
    mine = static_partitions(partitions, member)
    if not mine:
        raise RuntimeError(f"{topic} has {len(partitions)} partition(s): none for member {member[0]}/{member[1]} "
                           "(give the topic at least as many partitions as the service has instances)")
    consumer.assign([TopicPartition(topic, p) for p in mine])


def static_partitions(partitions: Collection[int], member: tuple[int, int]) -> list[int]:
    """The partitions instance i of n reads: every n-th, so n instances share them without overlap."""
    index, count = member
    return sorted(p for p in partitions if p % count == index - 1)


def dead_letter_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


def system_topics(contract: Contract, reply_topic: str) -> list[str]:
    """Every topic of the system: a request topic per service, the domain topics, the reply topic, and the
    dead-letter topic of each topic a service consumes in a group (its requests, its subscriptions)."""
    consumed = [*contract.services, *(t.name for t in contract.topics.values() if t.subscribers)]
    return [*contract.services, *contract.topics, reply_topic, *(dead_letter_topic(t) for t in consumed)]


def reply_allowed(topic: str, allowed: Collection[str], prefixes: Collection[str], forbidden: Collection[str]) -> bool:
    """Whether a service may publish a reply to `topic`: a configured reply topic or prefix, and never one of
    the system's request or domain-event topics (a reply there would be read as a request or an event)."""
    if not topic or topic in forbidden:
        return False
    return topic in allowed or any(topic.startswith(p) and len(topic) > len(p) for p in prefixes if p)


async def missing_topics(producer: AIOKafkaProducer, topics: Sequence[str]) -> list[str]:
    """Topics the cluster does not have (the application never creates topics itself)."""
    missing = []
    for topic in topics:
        try:
            partitions = await producer.partitions_for(topic)
        except Exception:
            partitions = None
        if not partitions:
            missing.append(topic)
    return missing


async def assign_from_end(consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, topic: str) -> None:
    """Read every partition of `topic` from now on, without a consumer group."""
    partitions = await producer.partitions_for(topic)
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)  # resolves the end offset now, before any request goes out


def header(headers: Sequence[tuple[str, bytes]] | None, name: str) -> str:
    for key, value in headers or ():
        if key == name:
            return value.decode("utf-8", "replace")
    return ""


async def publish(
    producer: AIOKafkaProducer,
    topic: str,
    value: bytes,
    headers: Headers,
    *,
    key: bytes | None,
    record_max_bytes: int,
    service: str,
) -> None:
    """Send one message, as several records when it exceeds the record size, and wait for delivery.

    Segments share a fresh key so they land on one partition in order.
    """
    if len(value) <= record_max_bytes:
        await (await producer.send(topic, value, key=key, headers=headers))
        return
    message_id = uuid.uuid4().hex
    count = -(-len(value) // record_max_bytes)
    seg_key = message_id.encode()
    async with _segmented_sends:
        for index in range(count):
            chunk = value[index * record_max_bytes:(index + 1) * record_max_bytes]
            seg_headers = [*headers, (MESSAGE_ID, seg_key), (SEGMENT, f"{index}/{count}".encode())]
            await (await producer.send(topic, chunk, key=seg_key, headers=seg_headers))
    metrics.KAFKA_SEGMENTS.labels(service, topic).inc(count)


@dataclass
class _Partial:
    headers: Headers
    count: int
    started: float
    chunks: dict[int, bytes] = field(default_factory=dict)
    size: int = 0


@dataclass(frozen=True)
class Assembled:
    value: bytes
    headers: Headers
    key: bytes | None


@dataclass(frozen=True)
class Expired:
    """A segmented message that did not complete in time; its headers say where to reply."""

    headers: Headers
    message_id: str = ""


class Reassembler:
    """Joins segmented messages; bounded in memory and in how long a message may take."""

    def __init__(self, max_bytes: int, timeout_s: float, max_message_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.max_message_bytes = max_message_bytes
        self._partials: dict[str, _Partial] = {}
        self._bytes = 0

    @property
    def pending(self) -> int:
        return len(self._partials)

    def feed(self, value: bytes | None, headers: Sequence[tuple[str, bytes]],
             key: bytes | None) -> Assembled | Expired | None:
        """The whole message when `value` completes one (or is not a segment), else None.

        An Expired is returned for a message that cannot be accepted (too large, no memory left).
        """
        hdrs = list(headers)
        segment = header(hdrs, SEGMENT)
        if not segment:
            return Assembled(value or b"", hdrs, key)
        message_id = header(hdrs, MESSAGE_ID)
        try:
            index_s, count_s = segment.split("/")
            index, count = int(index_s), int(count_s)
        except ValueError:
            return Expired(hdrs, message_id)
        partial = self._partials.get(message_id)
        if partial is None:
            partial = _Partial(headers=[h for h in hdrs if h[0] not in (SEGMENT, MESSAGE_ID)], count=count,
                               started=time.monotonic())
            self._partials[message_id] = partial
        chunk = value or b""
        if partial.size + len(chunk) > self.max_message_bytes or self._bytes + len(chunk) > self.max_bytes:
            self._drop(message_id)
            return Expired(partial.headers, message_id)
        if index not in partial.chunks:
            partial.chunks[index] = chunk
            partial.size += len(chunk)
            self._bytes += len(chunk)
        if len(partial.chunks) < partial.count:
            return None
        self._drop(message_id)
        return Assembled(b"".join(partial.chunks[i] for i in range(partial.count)), partial.headers, key)

    def expire(self) -> list[Expired]:
        """Drop the messages older than the timeout, freeing their memory."""
        now = time.monotonic()
        stale = [mid for mid, p in self._partials.items() if now - p.started > self.timeout_s]
        expired = [Expired(self._partials[mid].headers, mid) for mid in stale]
        for mid in stale:
            self._drop(mid)
        return expired

    def _drop(self, message_id: str) -> None:
        partial = self._partials.pop(message_id, None)
        if partial is not None:
            self._bytes -= partial.size


class OffsetTracker:
    """Per partition, the offsets being handled and the next offset that may be committed.

    Messages finish out of order (several are handled at once); only the contiguous prefix of finished
    offsets is committed, so nothing unfinished is ever marked consumed.
    """

    def __init__(self) -> None:
        # Per partition, offset -> finished, in the order read (offsets only grow within a partition).
        self._open: dict[TopicPartition, dict[int, bool]] = {}

    def started(self, tp: TopicPartition, offset: int) -> None:
        self._open.setdefault(tp, {})[offset] = False

    def finished(self, tp: TopicPartition, offset: int) -> int | None:
        """The offset to commit now (the next one to read), or None when the committable prefix did not move."""
        pending = self._open.get(tp)
        if pending is None or offset not in pending:
            return None
        pending[offset] = True
        committable = None
        while pending:
            first = next(iter(pending))
            if not pending[first]:
                break
            del pending[first]
            committable = first + 1
        return committable

    def in_flight(self, tp: TopicPartition) -> int:
        return len(self._open.get(tp, {}))
