"""SQL of the analytics service: call logs written in batches, read back as logs and aggregates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

COLUMNS = ("time", "transport", "service", "method", "status", "latency_ms", "user_id", "request_id")


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


@dataclass(frozen=True)
class StatsRow:
    transport: str
    service: str
    method: str
    count: int
    error_count: int
    p50_ms: float
    p95_ms: float


def _filters(transport: str, service: str, method: str) -> tuple[str, list[object]]:
    clauses: list[str] = []
    args: list[object] = []
    for column, value in (("transport", transport), ("service", service), ("method", method)):
        if value:
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


class CallLogRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def insert_many(self, rows: list[LogRow]) -> None:
        records = [tuple(getattr(r, c) for c in COLUMNS) for r in rows]
        async with self._pool.acquire() as conn:
            await conn.copy_records_to_table("call_logs", records=records, columns=COLUMNS)

    async def latest(self, limit: int, transport: str, service: str, method: str) -> list[LogRow]:
        where, args = _filters(transport, service, method)
        records = await self._pool.fetch(
            f"SELECT {', '.join(COLUMNS)} FROM call_logs{where} ORDER BY time DESC, id DESC LIMIT ${len(args) + 1}",
            *args, limit,
        )
        return [LogRow(**dict(r)) for r in records]

    async def stats(self, transport: str, service: str, method: str) -> list[StatsRow]:
        where, args = _filters(transport, service, method)
        records = await self._pool.fetch(
            "SELECT transport, service, method, count(*) AS count,"
            " count(*) FILTER (WHERE status >= 400) AS error_count,"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50_ms,"
            " percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95_ms"
            f" FROM call_logs{where} GROUP BY transport, service, method ORDER BY transport, service, method",
            *args,
        )
        return [StatsRow(**dict(r)) for r in records]
