"""Kafka plumbing shared by the events server and the sender: clients, headers, segmentation."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

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
MESSAGE_ID = "message-id"

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
        enable_auto_commit=group_id is not None,
        auto_offset_reset="latest" if group_id is None else "earliest",
        fetch_max_wait_ms=fetch_max_wait_ms or settings.kafka_fetch_max_wait_ms,
        max_partition_fetch_bytes=max(1024 * 1024, settings.kafka_record_max_bytes * 4),
    )


def system_topics(contract: Contract, reply_topic: str) -> list[str]:
    """Every topic of the system: a request topic per service, the domain topics, and the reply topic."""
    return [*contract.services, *contract.topics, reply_topic]


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

    def feed(self, value: bytes | None, headers: Sequence[tuple[str, bytes]], key: bytes | None) -> Assembled | Expired | None:
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
            return Expired(hdrs)
        partial = self._partials.get(message_id)
        if partial is None:
            partial = _Partial(headers=[h for h in hdrs if h[0] not in (SEGMENT, MESSAGE_ID)], count=count, started=time.monotonic())
            self._partials[message_id] = partial
        chunk = value or b""
        if partial.size + len(chunk) > self.max_message_bytes or self._bytes + len(chunk) > self.max_bytes:
            self._drop(message_id)
            return Expired(partial.headers)
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
        expired = [Expired(self._partials[mid].headers) for mid in stale]
        for mid in stale:
            self._drop(mid)
        return expired

    def _drop(self, message_id: str) -> None:
        partial = self._partials.pop(message_id, None)
        if partial is not None:
            self._bytes -= partial.size
