"""Every process learns the contract's revocation topics (ended sessions, deleted users) as they happen.

Each process reads them whole, without a consumer group (every instance needs every revocation), from the
start of what the topic keeps, so a restarted process knows what was revoked before it started. A record
counts only when it carries the event token of one of the topic's declared publishers, however old it is.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from internal.common import mq
from internal.common.config import Settings
from internal.common.contract import Contract, Topic
from internal.common.errors import TridentError
from internal.common.events import decode, published_event
from internal.common.logger import logger
from internal.common.tokens import Identities


class RevocationFeed:
    def __init__(self, settings: Settings, contract: Contract, identities: Identities,
                 producer: AIOKafkaProducer) -> None:
        self._settings = settings
        self._producer = producer
        self._topics = {t.name: t for t in contract.topics.values() if t.revokes}
        self._identities = identities
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if not self._topics:
            return
        consumer = mq.new_consumer(self._settings, group_id=None,
                                   fetch_max_wait_ms=self._settings.kafka_event_fetch_max_wait_ms)
        await consumer.start()
        self._consumer = consumer
        partitions = [TopicPartition(topic, p) for topic in self._topics
                      for p in sorted(await self._producer.partitions_for(topic))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        self._task = asyncio.create_task(self._run(), name="revocations")

    async def _run(self) -> None:
        assert self._consumer is not None
        async for record in self._consumer:
            topic = self._topics[record.topic]
            try:
                self._apply(topic, list(record.headers or ()), record.value or b"")
            except TridentError as exc:
                logger.warning("ignoring a {} record at offset {}: {}", topic.name, record.offset, exc.message)

    def _apply(self, topic: Topic, headers: mq.Headers, value: bytes) -> None:
        published_event(self._identities.internal, topic, headers, value)  # raises for a record nobody may send
        message = decode(topic.message_type, value, mq.header(headers, mq.CONTENT_TYPE) or mq.JSON)
        field = {"session": "session_id", "user": "user_id"}[topic.revokes]
        revoke = self._identities.revocations.revoke_session if field == "session_id" else \
            self._identities.revocations.revoke_user
        revoke(str(getattr(message, field)))

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()
