"""Reading and replaying a dead-letter topic (`trident dlq list|replay`).

The dead-letter topic is read without a consumer group, from its beginning to the end it had when the
command started: nothing is committed, so other readers of the topic are not disturbed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from internal.common import mq

_MAX_RECORDS = 100_000
_FETCH_TIMEOUT_MS = 1000


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: mq.Headers

    def reason(self, name: str) -> str:
        return mq.header(self.headers, name)

    @property
    def original_topic(self) -> str:
        return self.reason(mq.DLQ_TOPIC)

    def describe(self) -> str:
        where = f"{self.original_topic}[{self.reason(mq.DLQ_PARTITION)}]@{self.reason(mq.DLQ_OFFSET)}"
        return (f"{self.partition}:{self.offset}  {self.reason(mq.DLQ_ERROR_CODE)}"
                f"  attempts={self.reason(mq.DLQ_ATTEMPTS)}"
                f"  from {where}  consumer={self.reason(mq.DLQ_CONSUMER)}  event={mq.header(self.headers, mq.EVENT)!r}"
                f"  {len(self.value)} bytes  {self.reason(mq.DLQ_ERROR_MESSAGE)}")


def dlq_name(topic: str) -> str:
    """The dead-letter topic of `topic` (given either as the original topic or as the dead-letter topic)."""
    return topic if topic.endswith(mq.DLQ_SUFFIX) else mq.dead_letter_topic(topic)


async def read(bootstrap_servers: str, topic: str, limit: int = _MAX_RECORDS) -> list[DeadLetter]:
    """The records of `topic`'s dead-letter topic, oldest first per partition (segmented ones reassembled)."""
    name = dlq_name(topic)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False,
                                fetch_max_wait_ms=100)
    await producer.start()
    await consumer.start()
    try:
        partitions = await producer.partitions_for(name)
        if not partitions:
            raise LookupError(f"no topic {name!r} on {bootstrap_servers}")
        tps = [TopicPartition(name, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        reassembler = mq.Reassembler(max_bytes=1 << 30, timeout_s=3600, max_message_bytes=1 << 28)
        letters: list[DeadLetter] = []
        positions = {tp: await consumer.position(tp) for tp in tps}
        idle_rounds = 0
        while any(positions[tp] < ends[tp] for tp in tps) and len(letters) < limit and idle_rounds < 30:
            batches = await consumer.getmany(*tps, timeout_ms=_FETCH_TIMEOUT_MS)
            idle_rounds = 0 if batches else idle_rounds + 1
            for tp, records in batches.items():
                for record in records:
                    if record.offset >= ends[tp]:
                        continue
                    result = reassembler.feed(record.value, list(record.headers or ()), record.key)
                    if isinstance(result, mq.Assembled):
                        letters.append(DeadLetter(tp.partition, record.offset, result.key, result.value,
                                                  result.headers))
                positions[tp] = await consumer.position(tp)
        return letters[:limit]
    finally:
        await consumer.stop()
        await producer.stop()


async def replay(bootstrap_servers: str, topic: str, offsets: Collection[int] = (),
                 record_max_bytes: int = 128 * 1024) -> list[DeadLetter]:
    """Publish dead letters (all, or those at `offsets`) again to the topics they came from, without the
    dead-letter headers; returns what was replayed. Consumers recognise a message they already applied."""
    letters = [d for d in await read(bootstrap_servers, topic) if not offsets or d.offset in offsets]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers)
    await producer.start()
    try:
        for letter in letters:
            target = letter.original_topic or dlq_name(topic).removesuffix(mq.DLQ_SUFFIX)
            headers = [(k, v) for k, v in letter.headers if k not in mq.DLQ_HEADERS]
            await mq.publish(producer, target, letter.value, headers, key=letter.key,
                             record_max_bytes=record_max_bytes, service="trident-dlq")
    finally:
        await producer.stop()
    return letters
