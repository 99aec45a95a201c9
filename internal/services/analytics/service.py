"""Analytics: call logs stored a record at a time with COPY; recent logs and per-method aggregates."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from google.protobuf.empty_pb2 import Empty
from google.protobuf.timestamp_pb2 import Timestamp

from api.gen import analytics_pb2 as pb
from internal.common.errors import InvalidArgument, NotFound
from internal.common.service import CallContext
from internal.common.tracing.collector import SpanView, read_trace
from internal.services.analytics.repository import BucketRow, CallLogRecord, CallLogRepository

LIMIT_DEFAULT, LIMIT_MAX = 50, 500
MAX_LOGS_PER_CALL = 1000
# Every field of a call log in one C call (`time.seconds`: 0 when the log has no time).
_LOG_FIELDS = operator.attrgetter("time.seconds", "time.nanos", "transport", "service", "method", "status",
                                  "latency_ms", "user_id", "request_id", "trace_id")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BUCKETS_TARGET = 60
# Bucket widths a person reads at a glance; beyond a day, whole days.
_ROUND_SECONDS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
_DAY = 86400
_TRACE_ID = re.compile(r"[0-9a-f]{32}")


def bucket_seconds_for(window: timedelta) -> int:
    """The smallest round width that cuts `window` into about BUCKETS_TARGET buckets.

    5 % slack: "the last 5 minutes", computed by a client a moment before the request arrives, is a little longer
    than 300 s by then and should still get 5-second buckets.
    """
    wanted = math.ceil(window.total_seconds() / (BUCKETS_TARGET * 1.05))
    for width in _ROUND_SECONDS:
        if width >= wanted:
            return width
    return math.ceil(wanted / _DAY) * _DAY


def _since(req: pb.GetLogsRequest) -> datetime:
    try:
        return req.since.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InvalidArgument("since is not a valid time") from None


def _rows(logs: Iterable[pb.CallLog]) -> list[CallLogRecord]:
    """Call logs as rows in COLUMNS order, ready for COPY: each field read once, no object in between (this runs
    for every stored call log). A log without a time (seconds and nanos 0) is stored at the time it arrives."""
    rows: list[CallLogRecord] = []
    append, epoch, after, trace_id_ok = rows.append, _EPOCH, timedelta, _TRACE_ID.fullmatch
    for index, fields in enumerate(map(_LOG_FIELDS, logs)):
        seconds, nanos, transport, service, method, status, latency_ms, user_id, request_id, trace_id = fields
        if not (transport and service and method):
            raise InvalidArgument(f"logs[{index}]: transport, service and method are required")
        try:
            when = epoch + after(0, seconds, nanos // 1000) if seconds or nanos else datetime.now(UTC)
        except OverflowError:
            raise InvalidArgument(f"logs[{index}]: time is not a valid time") from None
        append((when, transport, service, method, status, latency_ms, user_id, request_id,
                trace_id if not trace_id or trace_id_ok(trace_id) else ""))
    return rows


def _timestamp(when: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(when)
    return stamp


def trace_of(trace_id: str, spans: list[SpanView]) -> pb.Trace:
    """The collector's spans as the contract's Trace: times in milliseconds after the earliest span began."""
    trace = pb.Trace(trace_id=trace_id)
    if not spans:
        return trace
    origin = min(s["start_unix_nano"] for s in spans)
    trace.start.FromNanoseconds(origin)
    for s in sorted(spans, key=lambda s: s["start_unix_nano"]):
        trace.spans.append(pb.Span(
            span_id=s["span_id"], parent_span_id=s["parent_span_id"], name=s["name"], service=s["service"],
            kind=s["kind"], start_ms=(s["start_unix_nano"] - origin) / 1e6, duration_ms=s["duration_ns"] / 1e6,
            status=s["status"], status_message=s["status_message"], attributes=s["attributes"],
        ))
    return trace


def _dense_buckets(rows: list[BucketRow], since: datetime, until: datetime, width: int) -> list[pb.TimeBucket]:
    """Every bucket of the window for each transport with calls, empty ones included: ready to chart.

    Buckets are aligned to multiples of the width since the Unix epoch, so a refreshed chart keeps its buckets.
    """
    first = math.floor(since.timestamp() / width)
    last = math.ceil(until.timestamp() / width) - 1
    counts = {(r.transport, r.index): r for r in rows}
    series: list[pb.TimeBucket] = []
    for transport in sorted({r.transport for r in rows}):
        for index in range(first, last + 1):
            row = counts.get((transport, index))
            start = Timestamp()
            start.FromSeconds(index * width)
            series.append(
                pb.TimeBucket(
                    start=start,
                    transport=transport,
                    count=row.count if row else 0,
                    error_count=row.error_count if row else 0,
                )
            )
    return series


class AnalyticsService:
    def __init__(self, repository: CallLogRepository, traces_collector_url: str = "", traces_ui_url: str = "") -> None:
        self._repo = repository
        self._collector_url = traces_collector_url
        self._ui_url = traces_ui_url

    async def log_data(self, req: pb.CallLogs, ctx: CallContext) -> Empty:
        """Stores the gateway's call logs with one COPY, before the record that carried them is acknowledged.

        Over Kafka the COPY commits with the record's processed-message entry (the events server's unit of work):
        a redelivered record stores nothing twice, and a crash before the commit loses nothing acknowledged.
        """
        ctx.require_caller("gateway")  # call logs are the gateway's account of calls, nobody else's
        if not 0 < len(req.logs) <= MAX_LOGS_PER_CALL:
            raise InvalidArgument(f"logs must hold 1 to {MAX_LOGS_PER_CALL} call logs")
        rows = _rows(req.logs)
        await self._repo.insert_many(rows)
        return Empty()

    async def get_logs(self, req: pb.GetLogsRequest, ctx: CallContext) -> pb.GetLogsResponse:
        if req.limit < 0 or req.limit > LIMIT_MAX:
            raise InvalidArgument(f"limit must be between 1 and {LIMIT_MAX}")
        limit = req.limit or LIMIT_DEFAULT
        until = datetime.now(UTC)
        # A user sees their own calls only: the logs and every aggregate are of the caller's calls.
        filters = (req.transport, req.service, req.method, ctx.require_user())
        since = _since(req) if req.HasField("since") else await self._repo.earliest(until, *filters)
        response = pb.GetLogsResponse(until=_timestamp(until))
        if since is None:  # nothing stored yet
            return response
        if since >= until:
            raise InvalidArgument("since must be in the past")
        width = bucket_seconds_for(until - since)
        window = await self._repo.read_window(since, until, width, limit, *filters)
        response.since.CopyFrom(_timestamp(since))
        response.bucket_seconds = width
        for row in window.logs:
            response.logs.append(
                pb.CallLog(
                    transport=row.transport,
                    service=row.service,
                    method=row.method,
                    status=row.status,
                    latency_ms=row.latency_ms,
                    user_id=row.user_id,
                    time=_timestamp(row.time),
                    request_id=row.request_id,
                    trace_id=row.trace_id,
                )
            )
        for s in window.stats:
            response.stats.append(
                pb.CallStats(
                    transport=s.transport,
                    service=s.service,
                    method=s.method,
                    count=s.count,
                    error_count=s.error_count,
                    p50_ms=s.p50_ms,
                    p95_ms=s.p95_ms,
                )
            )
            response.total += s.count
        response.buckets.extend(_dense_buckets(window.buckets, since, until, width))
        return response

    async def get_trace(self, req: pb.GetTraceRequest, ctx: CallContext) -> pb.Trace:
        user_id = ctx.require_user()
        if not req.trace_id:
            raise InvalidArgument("trace_id is required")
        # Another user's trace is as absent as one that never was.
        if not await self._repo.has_trace(user_id, req.trace_id):
            raise NotFound("none of your calls has this trace")
        # No spans yet is an answer too: they have not been exported yet, or the bounded collector let them go.
        spans = await read_trace(self._collector_url, req.trace_id) if self._collector_url else None
        trace = trace_of(req.trace_id, spans or [])
        trace.ui_url = self._ui_url.replace("{trace_id}", req.trace_id)
        return trace
