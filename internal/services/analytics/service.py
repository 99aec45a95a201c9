"""Analytics: call logs buffered and stored in batches; recent logs and per-method aggregates."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import UTC, datetime

from google.protobuf.empty_pb2 import Empty
from google.protobuf.timestamp_pb2 import Timestamp

from api.gen import analytics_pb2 as pb
from internal.common import metrics
from internal.common.errors import InvalidArgument, ResourceExhausted
from internal.common.logger import logger
from internal.common.service import CallContext
from internal.services.analytics.repository import CallLogRepository, LogRow

LIMIT_DEFAULT, LIMIT_MAX = 50, 500


class AnalyticsService:
    def __init__(self, repository: CallLogRepository, buffer_size: int, batch_size: int, flush_interval_s: float) -> None:
        self._repo = repository
        self._buffer: asyncio.Queue[LogRow] = asyncio.Queue(maxsize=buffer_size)
        self._batch_size = batch_size
        self._interval = flush_interval_s
        self._task: asyncio.Task[None] | None = None

    async def log_data(self, req: pb.CallLog, ctx: CallContext) -> Empty:
        ctx.require_caller("gateway")  # call logs are the gateway's account of calls, nobody else's
        if not (req.transport and req.service and req.method):
            raise InvalidArgument("transport, service and method are required")
        when = req.time.ToDatetime(tzinfo=UTC) if req.HasField("time") else datetime.now(UTC)
        row = LogRow(when, req.transport, req.service, req.method, req.status, req.latency_ms, req.user_id, req.request_id)
        try:
            self._buffer.put_nowait(row)
        except asyncio.QueueFull:
            metrics.ANALYTICS_BUFFER_DROPS.labels("analytics").inc()
            raise ResourceExhausted("the analytics buffer is full") from None
        return Empty()

    async def get_logs(self, req: pb.GetLogsRequest, ctx: CallContext) -> pb.GetLogsResponse:
        if req.limit < 0 or req.limit > LIMIT_MAX:
            raise InvalidArgument(f"limit must be between 1 and {LIMIT_MAX}")
        limit = req.limit or LIMIT_DEFAULT
        logs, stats = await asyncio.gather(
            self._repo.latest(limit, req.transport, req.service, req.method),
            self._repo.stats(req.transport, req.service, req.method),
        )
        response = pb.GetLogsResponse()
        for row in logs:
            when = Timestamp()
            when.FromDatetime(row.time)
            response.logs.append(pb.CallLog(
                transport=row.transport, service=row.service, method=row.method, status=row.status,
                latency_ms=row.latency_ms, user_id=row.user_id, time=when, request_id=row.request_id,
            ))
        for s in stats:
            response.stats.append(pb.CallStats(
                transport=s.transport, service=s.service, method=s.method, count=s.count,
                error_count=s.error_count, p50_ms=s.p50_ms, p95_ms=s.p95_ms,
            ))
        return response

    async def start(self) -> None:
        self._task = asyncio.create_task(self._flush_loop(), name="analytics-flush")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        await self._flush()

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self._flush()
            except Exception:
                logger.exception("could not store call logs; will retry")

    async def _flush(self) -> None:
        while not self._buffer.empty():
            batch: list[LogRow] = []
            while len(batch) < self._batch_size and not self._buffer.empty():
                batch.append(self._buffer.get_nowait())
            metrics.ANALYTICS_BUFFER_SIZE.labels("analytics").set(self._buffer.qsize())
            try:
                await self._repo.insert_many(batch)
            except Exception:
                for row in batch:  # keep them for the next flush while there is room
                    with suppress(asyncio.QueueFull):
                        self._buffer.put_nowait(row)
                raise
            metrics.ANALYTICS_STORED.labels("analytics").inc(len(batch))
