"""PostgreSQL: one asyncpg pool per process, ordered SQL migrations, and units of work.

A repository runs its SQL through `connection(pool)` (one statement) or `transaction(pool)` (several
statements at once). Both join the *unit of work* of the message being consumed, when there is one: the
events transport opens a unit per message (`Unit`), so the handler's writes, the processed-message
record of that message and its stored reply commit together — or not at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from internal.common.errors import Code, TridentError
from internal.common.logger import logger

_LOCK_KEY = 0x7472696465  # "tride": one advisory lock for every migrator of a database
# The framework's own tables (processed messages, outbox), applied to every service's database.
FRAMEWORK_MIGRATIONS = Path(__file__).parent / "migrations"

# How long a processed-message record is kept: longer than any redelivery can come late.
PROCESSED_RETENTION_DAYS = 7
_PRUNE_EVERY_S = 3600.0


async def _keep_session(connection: asyncpg.Connection) -> None:
    """What a released connection needs beyond asyncpg's own rollback of an open transaction: nothing.

    asyncpg's default reset sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every
    release, a round trip per query served. The services leave no session state behind (no SET, LISTEN,
    session advisory locks or cursors outside a transaction; migrations take their lock on a connection of their
    own), so there is nothing for it to undo."""


async def create_pool(dsn: str, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, command_timeout=30,
                                     reset=_keep_session)
    assert pool is not None
    return pool


async def migrate(dsn: str, migrations_dir: Path) -> list[str]:
    """Apply the *.sql files of `migrations_dir` (and the framework's) not applied yet, in name order, each in a
    transaction.

    Serialised by an advisory lock, so several instances starting at once apply each file once.
    """
    files = await asyncio.to_thread(
        lambda: sorted([*migrations_dir.glob("*.sql"), *FRAMEWORK_MIGRATIONS.glob("*.sql")], key=lambda p: p.name))
    applied: list[str] = []
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            for path in files:
                if path.stem in done:
                    continue
                async with conn.transaction():
                    await conn.execute(await asyncio.to_thread(path.read_text))
                    await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", path.stem)
                applied.append(path.stem)
                logger.info("applied migration {}", path.name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await conn.close()
    return applied


# Units of work.


class AlreadyProcessed(TridentError):
    """The message of this unit was processed (and committed) by an earlier delivery.

    A TridentError so the pipeline passes it through as an outcome rather than logging a bug; the consumer
    that opened the unit answers with the stored reply instead.
    """

    code = Code.ALREADY_EXISTS


@dataclass(frozen=True)
class StoredReply:
    status: str
    content_type: str
    body: bytes


class _Tx:
    """One open transaction on one connection, and what to run once it commits."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.conn: Any = None
        self._tx: Any = None
        self.after_commit: list[Callable[[], None]] = []

    async def begin(self) -> Any:
        if self.conn is None:
            conn = await self.pool.acquire()
            try:
                tx = conn.transaction()
                await tx.start()
            except BaseException:
                await self.pool.release(conn)
                raise
            self.conn, self._tx = conn, tx
        return self.conn

    async def end(self, commit: bool) -> None:
        if self.conn is None:
            return
        conn, tx, self.conn, self._tx = self.conn, self._tx, None, None
        try:
            if commit:
                await tx.commit()
            else:
                await tx.rollback()
        finally:
            await self.pool.release(conn)
        if commit:
            for callback in self.after_commit:
                callback()


class Unit:
    """The unit of work of one consumed message, keyed by its message id.

    The transaction starts lazily, at the handler's first SQL through `connection`/`transaction`: it first
    records the message as processed, so a second delivery of the same message — even one running at the same
    time — finds the record (or waits for it) and is not applied twice. `finish` stores the reply in the same
    transaction and commits; a failed handler rolls everything back, so a retry starts clean.
    """

    def __init__(self, pool: asyncpg.Pool, message_id: str, consumer: str) -> None:
        self.message_id = message_id
        self.consumer = consumer
        self.duplicate = False  # set when the record of an earlier delivery was found
        self._tx = _Tx(pool)

    @property
    def pool(self) -> asyncpg.Pool:
        return self._tx.pool

    async def previous(self) -> StoredReply | None:
        """The reply stored by an earlier delivery of this message, if it was processed."""
        row = await self.pool.fetchrow(
            "SELECT status, content_type, reply FROM processed_messages WHERE message_id = $1 AND consumer = $2",
            self.message_id, self.consumer)
        return StoredReply(row["status"], row["content_type"], bytes(row["reply"] or b"")) if row else None

    async def connection(self) -> Any:
        first = self._tx.conn is None
        conn = await self._tx.begin()
        if first:
            claimed = await conn.fetchval(
                "INSERT INTO processed_messages (message_id, consumer) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING RETURNING true", self.message_id, self.consumer)
            if not claimed:
                self.duplicate = True
                await self._tx.end(commit=False)
                raise AlreadyProcessed(f"message {self.message_id} was already processed")
        return conn

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._tx.after_commit.append(callback)

    async def finish(self, reply: StoredReply | None) -> None:
        """Commit the handler's writes with the processed-message record and the reply to send again."""
        if self._tx.conn is None:
            # The handler wrote nothing here: record the reply on its own so a redelivery gets the same answer.
            await self.connection()
        assert self._tx.conn is not None
        if reply is not None:
            await self._tx.conn.execute(
                "UPDATE processed_messages SET status = $3, content_type = $4, reply = $5"
                " WHERE message_id = $1 AND consumer = $2",
                self.message_id, self.consumer, reply.status, reply.content_type, reply.body)
        await self._tx.end(commit=True)

    async def abort(self) -> None:
        await self._tx.end(commit=False)


_unit: ContextVar[Unit | None] = ContextVar("trident_db_unit", default=None)
_tx: ContextVar[_Tx | None] = ContextVar("trident_db_tx", default=None)


@asynccontextmanager
async def unit_of_work(unit: Unit) -> AsyncIterator[Unit]:
    """Make `unit` the one the SQL of this task (and what it awaits) joins."""
    token = _unit.set(unit)
    try:
        yield unit
    finally:
        _unit.reset(token)


@asynccontextmanager
async def connection(pool: asyncpg.Pool) -> AsyncIterator[Any]:
    """A connection for a statement: the current unit's or transaction's, else one from the pool."""
    unit, tx = _unit.get(), _tx.get()
    if tx is not None and tx.pool is pool:
        yield await tx.begin()
    elif unit is not None and unit.pool is pool:
        yield await unit.connection()
    else:
        async with pool.acquire() as conn:
            yield conn


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[Any]:
    """Several statements that commit together; inside a unit of work, they are part of it."""
    unit, current = _unit.get(), _tx.get()
    if current is not None and current.pool is pool:
        yield await current.begin()
        return
    if unit is not None and unit.pool is pool:
        yield await unit.connection()
        return
    tx = _Tx(pool)
    token = _tx.set(tx)
    committed = False
    try:
        conn = await tx.begin()
        yield conn
        committed = True
    finally:
        _tx.reset(token)
        await tx.end(commit=committed)


@asynccontextmanager
async def standalone_transaction(pool: asyncpg.Pool) -> AsyncIterator[Any]:
    """A transaction of its own, outside the current unit of work: it commits whatever becomes of the unit.

    For what must hold whatever the call answers, e.g. revoking a session whose refresh token was reused, while
    the call itself fails (and so rolls its unit back)."""
    unit_token, tx_token = _unit.set(None), _tx.set(None)
    try:
        async with transaction(pool) as conn:
            yield conn
    finally:
        _tx.reset(tx_token)
        _unit.reset(unit_token)


def after_commit(pool: asyncpg.Pool, callback: Callable[[], None]) -> None:
    """Run `callback` once the current transaction or unit on `pool` commits (at once when there is none)."""
    unit, tx = _unit.get(), _tx.get()
    if tx is not None and tx.pool is pool:
        tx.after_commit.append(callback)
    elif unit is not None and unit.pool is pool:
        unit.after_commit(callback)
    else:
        callback()


async def prune_processed(pool: asyncpg.Pool, days: int = PROCESSED_RETENTION_DAYS) -> int:
    result = await pool.execute(
        "DELETE FROM processed_messages WHERE processed_at < now() - make_interval(days => $1)", days)
    return int(result.split()[-1])


async def prune_processed_forever(pool: asyncpg.Pool) -> None:
    """Bounded retention of the processed-message records: one delete an hour, sleeping in between."""
    while True:
        with suppress(Exception):
            removed = await prune_processed(pool)
            if removed:
                logger.info("pruned {} processed-message records", removed)
        await asyncio.sleep(_PRUNE_EVERY_S)
