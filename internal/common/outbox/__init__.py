"""The transactional outbox: a domain event is written with the change it announces, and a relay publishes it.

`Outbox.publish` joins the caller's transaction (`internal.common.db.transaction`), so the event exists if
and only if the change committed. `OutboxRelay` sends pending events to Kafka and marks them sent only once
the broker acknowledged them; a failed publish is retried until it goes out. The relay wakes when a row
commits, and while rows are pending it retries on a slow timer: at rest it sleeps.
"""

from __future__ import annotations

import asyncio
import uuid
from contextlib import suppress

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer
from google.protobuf.message import Message

from internal.common import db, metrics, mq
from internal.common.config import Settings
from internal.common.contract import Contract
from internal.common.errors import Internal
from internal.common.logger import logger
from internal.common.service import AUTHORIZATION, DEADLINE, CallContext
from internal.common.tokens import InternalTokens

_BATCH = 100
_RETRY_MIN_S, _RETRY_MAX_S = 1.0, 30.0
_SENT_RETENTION_DAYS = 7
_PUBLISH_TIMEOUT_S = 20.0

# Per pool, the wake-up of the relay of this process: a committed row is relayed at once.
_wakeups: dict[int, asyncio.Event] = {}


def _wake(pool: asyncpg.Pool) -> None:
    event = _wakeups.get(id(pool))
    if event is not None:
        event.set()


class Outbox:
    """Where a service publishes its domain events, in the transaction of the change."""

    def __init__(self, pool: asyncpg.Pool, contract: Contract) -> None:
        self._pool = pool
        self._contract = contract

    async def publish(self, topic: str, message: Message, ctx: CallContext | None = None) -> None:
        """Write `message` for `topic` (declared in api.yml's `topics`) to the outbox of the current transaction."""
        declared = self._contract.topic(topic)
        if not isinstance(message, declared.message_type):
            raise Internal(f"{topic} carries {declared.message_type.DESCRIPTOR.name}, not {type(message).__name__}")
        headers = [[mq.EVENT, topic], [mq.CONTENT_TYPE, mq.PROTOBUF], [mq.REPLY_TO, ""],
                   [mq.EVENT_ID, uuid.uuid4().hex]]
        identity: dict[str, str] = {}
        if ctx is not None:
            # Not the caller's credentials (a bearer token has no place in a table) nor its deadline (the event
            # may go out later): the relay signs the event when it sends it.
            headers.extend([k, v] for k, v in ctx.to_metadata().items() if k not in (AUTHORIZATION, DEADLINE))
            identity = {"user_id": ctx.user_id, "username": ctx.username, "session_id": ctx.session_id}
        async with db.connection(self._pool) as conn:
            await conn.execute("INSERT INTO outbox (topic, headers, identity, payload) VALUES ($1, $2, $3, $4)",
                               topic, orjson.dumps(headers).decode(), orjson.dumps(identity).decode(),
                               message.SerializeToString())
        pool = self._pool
        db.after_commit(pool, lambda: _wake(pool))


class OutboxRelay:
    """A ServerTransport of every process with a database and Kafka: publishes what its outbox holds."""

    def __init__(self, settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer,
                 tokens: InternalTokens | None = None) -> None:
        self.settings = settings
        self.pool = pool
        self.producer = producer
        self.tokens = tokens
        self._task: asyncio.Task[None] | None = None
        self._written = asyncio.Event()

    async def start(self) -> None:
        _wakeups[id(self.pool)] = self._written
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def aclose(self) -> None:
        _wakeups.pop(id(self.pool), None)
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        retry_s = _RETRY_MIN_S
        pending = True  # rows may be left from before a restart
        while True:
            if not pending:
                await self._written.wait()
            self._written.clear()
            try:
                pending = await self.relay_once()
                retry_s = _RETRY_MIN_S
            except Exception as exc:
                metrics.OUTBOX_FAILURES.labels(self.settings.service_name).inc()
                logger.warning("outbox: publishing failed ({}); trying again in {:.0f}s", exc, retry_s)
                pending = True
                # A new row does not cut the back-off short: the broker is what we wait for.
                await asyncio.sleep(retry_s)
                retry_s = min(retry_s * 2, _RETRY_MAX_S)

    async def relay_once(self) -> bool:
        """Publish one batch of pending events in order; True when more may be pending. Raises when a publish
        failed (what went out before it stays marked sent)."""
        failure: Exception | None = None
        async with self.pool.acquire() as conn, conn.transaction():
            # SKIP LOCKED: several instances of a service share one outbox without sending a row twice at once.
            rows = await conn.fetch(
                "SELECT id, topic, headers, identity, payload FROM outbox WHERE sent_at IS NULL"
                " ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED", _BATCH)
            for row in rows:
                headers: mq.Headers = [(k, v.encode()) for k, v in orjson.loads(row["headers"])]
                if self.tokens is not None:
                    # Events carry their publisher's identity, bound to the record (subscribers check who may
                    # publish a topic, however late they read it).
                    who = orjson.loads(row["identity"])
                    token = self.tokens.mint_event(
                        row["topic"], mq.header(headers, mq.EVENT_ID), bytes(row["payload"]),
                        who.get("user_id", ""), who.get("username", ""), who.get("session_id", ""))
                    headers.append((AUTHORIZATION, f"Bearer {token}".encode()))
                try:
                    async with asyncio.timeout(_PUBLISH_TIMEOUT_S):
                        await mq.publish(self.producer, row["topic"], bytes(row["payload"]), headers, key=None,
                                         record_max_bytes=self.settings.kafka_record_max_bytes,
                                         service=self.settings.service_name)
                except Exception as exc:
                    await conn.execute("UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1",
                                       row["id"], f"{type(exc).__name__}: {exc}"[:500])
                    failure = exc
                    break
                # Acknowledged by the broker: only now is it sent.
                await conn.execute("UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = $1",
                                   row["id"])
                metrics.OUTBOX_PUBLISHED.labels(self.settings.service_name, row["topic"]).inc()
            await conn.execute(
                "DELETE FROM outbox WHERE sent_at < now() - make_interval(days => $1)", _SENT_RETENTION_DAYS)
            left = await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        metrics.OUTBOX_PENDING.labels(self.settings.service_name).set(left)
        if failure is not None:
            raise failure
        return len(rows) == _BATCH
