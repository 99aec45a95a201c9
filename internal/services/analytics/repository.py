"""SQL of the analytics service: call logs written with COPY, read back as logs and aggregates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from internal.common import db, metrics

COLUMNS = ("time", "transport", "service", "method", "status", "latency_ms", "user_id", "request_id", "trace_id")
# A call log to store, its values in COLUMNS order.
CallLogRecord = tuple[datetime, str, str, str, int, float, str, str, str]


@dataclass(frozen=True)
class LogRow:
    time: datetime
    transport: str
    service: str
    method: str
    status: int
    latency_ms: float
    user_id: str
    request_id: str
    trace_id: str = ""


@dataclass(frozen=True)
class StatsRow:
    transport: str
    service: str
    method: str
    count: int
    error_count: int
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class BucketRow:
    transport: str
    index: int  # the bucket's start is index × width seconds after the Unix epoch
    count: int
    error_count: int


@dataclass(frozen=True)
class WindowRows:
    logs: list[LogRow]
    stats: list[StatsRow]
    buckets: list[BucketRow]


def _filters(
    transport: str, service: str, method: str, user_id: str, since: datetime, until: datetime
) -> tuple[str, list[object]]:
    clauses = ["time >= $1", "time < $2"]
    args: list[object] = [since, until]
    for column, value in (("transport", transport), ("service", service), ("method", method), ("user_id", user_id)):
        if value:
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    return " WHERE " + " AND ".join(clauses), args


class CallLogRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def insert_many(self, records: list[CallLogRecord]) -> None:
        """One COPY per batch: far cheaper than an INSERT per call log. Part of the current unit of work."""
        async with db.connection(self._pool) as conn:
            await conn.copy_records_to_table("call_logs", records=records, columns=COLUMNS)
        db.after_commit(self._pool, lambda: metrics.ANALYTICS_STORED.labels("analytics").inc(len(records)))

    async def has_trace(self, user_id: str, trace_id: str) -> bool:
        """Whether a call of this user's has this trace."""
        found: bool = await self._pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM call_logs WHERE user_id = $1 AND trace_id = $2)", user_id, trace_id)
        return found

    async def earliest(
        self, until: datetime, transport: str, service: str, method: str, user_id: str
    ) -> datetime | None:
        where, args = _filters(transport, service, method, user_id, datetime.min.replace(tzinfo=UTC), until)
        earliest: datetime | None = await self._pool.fetchval(f"SELECT min(time) FROM call_logs{where}", *args)
        return earliest

    async def read_window(
        self,
        since: datetime,
        until: datetime,
        bucket_seconds: int,
        limit: int,
        transport: str,
        service: str,
        method: str,
        user_id: str,
    ) -> WindowRows:
        """Logs, stats and buckets of [since, until) from one snapshot: a batch stored meanwhile cannot make them
        disagree."""
        where, args = _filters(transport, service, method, user_id, since, until)
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            logs = await conn.fetch(
                f"SELECT {', '.join(COLUMNS)} FROM call_logs{where} ORDER BY time DESC, id DESC LIMIT ${len(args) + 1}",
                *args,
                limit,
            )
            stats = await conn.fetch(
                "SELECT transport, service, method, count(*) AS count,"
                " count(*) FILTER (WHERE status >= 400) AS error_count,"
                " percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50_ms,"
                " percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95_ms"
                f" FROM call_logs{where} GROUP BY transport, service, method ORDER BY transport, service, method",
                *args,
            )
            buckets = await conn.fetch(
                f"SELECT transport, floor(extract(epoch FROM time) / ${len(args) + 1})::bigint AS index,"
                " count(*) AS count, count(*) FILTER (WHERE status >= 400) AS error_count"
                f" FROM call_logs{where} GROUP BY transport, index ORDER BY transport, index",
                *args,
                bucket_seconds,
            )
        return WindowRows(
            [LogRow(**dict(r)) for r in logs],
            [StatsRow(**dict(r)) for r in stats],
            [BucketRow(**dict(r)) for r in buckets],
        )
