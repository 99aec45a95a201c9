"""Raw aiokafka on the system's own broker: request/reply through an echo process, and consuming call logs.

These are the floors the events transport and the analytics ingestion are compared with: what aiokafka
itself does on the same broker with the same fetch wait, with no framework in the way.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from google.protobuf.timestamp_pb2 import Timestamp

from api.gen import analytics_pb2
from internal.common.tokens import InternalTokens

ROOT = Path(__file__).resolve().parents[1]
# Harness-only topics, created by the development broker on first use (the application never does this).
REQUEST_TOPIC = "bench.echo.requests"
REPLY_TOPIC = "bench.echo.replies"
ANALYTICS_TOPIC = "analytics"


def percentiles(latencies_ms: list[float]) -> dict[str, float]:
    ordered = sorted(latencies_ms)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]

    return {"p50_ms": statistics.median(ordered), "p95_ms": at(0.95), "p99_ms": at(0.99)}


class RequestReplyClient:
    """Publishes to a request topic and awaits the reply with the same correlation id on a reply topic."""

    def __init__(self, bootstrap: str, fetch_wait_ms: int, request_topic: str, reply_topic: str,
                 headers: dict[str, str] | None = None) -> None:
        # `fetch_wait_ms` is the reply reader's: the responder reads requests at its own wait.
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, client_id="bench-client")
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, client_id="bench-client", group_id=None, enable_auto_commit=False,
            fetch_max_wait_ms=fetch_wait_ms,
        )
        self.request_topic = request_topic
        self.reply_topic = reply_topic
        self.headers = [(k, v.encode()) for k, v in (headers or {}).items()]
        self.waiting: dict[bytes, asyncio.Future[str]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RequestReplyClient:
        await self.producer.start()
        await self.consumer.start()
        partitions = sorted(await self.producer.partitions_for(self.reply_topic))
        tps = [TopicPartition(self.reply_topic, p) for p in partitions]
        self.consumer.assign(tps)
        await self.consumer.seek_to_end(*tps)
        for tp in tps:
            await self.consumer.position(tp)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self.consumer.stop()
        await self.producer.stop()

    async def _read(self) -> None:
        async for record in self.consumer:
            headers = dict(record.headers or ())
            future = self.waiting.pop(bytes(headers.get("correlation_id", b"")), None)
            if future is not None and not future.done():
                future.set_result(bytes(headers.get("status", b"OK")).decode())

    async def call(self, payload: bytes, timeout_s: float = 10) -> str:
        """The reply's status (`OK` when the reply carries none, as the echo's)."""
        correlation = uuid.uuid4().hex.encode()
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.waiting[correlation] = future
        try:
            await self.producer.send(self.request_topic, payload, headers=[
                *self.headers, ("correlation_id", correlation), ("reply_to", self.reply_topic.encode()),
            ])
            return await asyncio.wait_for(future, timeout_s)
        finally:
            self.waiting.pop(correlation, None)


async def _request_reply(make_client: Callable[[], RequestReplyClient], payload: bytes, seconds: float,
                         in_flight: int) -> dict[str, Any]:
    async with make_client() as client:
        for _ in range(20):  # warm-up: metadata, connections, the first fetches
            await client.call(payload)
        latencies: list[float] = []
        failed = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(latencies) < 100_000:
            started = time.perf_counter()
            failed += await client.call(payload) != "OK"
            latencies.append((time.perf_counter() - started) * 1000)
        done = 0

        async def worker(until: float) -> None:
            nonlocal done, failed
            while time.monotonic() < until:
                failed += await client.call(payload) != "OK"
                done += 1

        started = time.monotonic()
        await asyncio.gather(*(worker(started + seconds) for _ in range(in_flight)))
        elapsed = time.monotonic() - started
    return {
        "sequential": {"requests": len(latencies), **percentiles(latencies)},
        "pipelined": {"in_flight": in_flight, "requests": done, "rps": done / elapsed},
        "failed": failed,
    }


def service_over_events(bootstrap: str, reply_wait_ms: int, topic: str, event: str, body: dict[str, Any],
                        headers: dict[str, str], seconds: float, in_flight: int = 32) -> dict[str, Any]:
    """A service called straight over Kafka, as the gateway's sender does, without the gateway's HTTP hop."""
    def make_client() -> RequestReplyClient:
        # Kafka header names are case-sensitive; the system's are lower-case (`authorization`).
        return RequestReplyClient(bootstrap, reply_wait_ms, topic, "results", {
            **{k.lower(): v for k, v in headers.items()}, "event": event, "content-type": "application/json",
        })

    result = asyncio.run(_request_reply(make_client, json.dumps(body).encode(), seconds, in_flight))
    return {"reply_fetch_max_wait_ms": reply_wait_ms, **result}


def echo_floor(bootstrap: str, fetch_wait_ms: int, reply_wait_ms: int, seconds: float,
               in_flight: int = 32) -> dict[str, Any]:
    """Raw request/reply latency at one in flight and throughput at `in_flight`, through an echo process that
    reads requests at `fetch_wait_ms`, the client reading replies at `reply_wait_ms`, as the system does."""
    responder = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.echo", bootstrap, REQUEST_TOPIC, str(fetch_wait_ms)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert responder.stdout is not None
        ready = responder.stdout.readline().strip()
        if ready != "ready":
            responder.kill()
            reason = responder.stderr.read()[-500:] if responder.stderr else ""
            raise RuntimeError(f"echo responder did not start: {reason}")
        payload = b"x" * 700  # about the size of the read path's reply for the 64×64 picture
        def make_client() -> RequestReplyClient:
            return RequestReplyClient(bootstrap, reply_wait_ms, REQUEST_TOPIC, REPLY_TOPIC)

        result = asyncio.run(_request_reply(make_client, payload, seconds, in_flight))
        return {"fetch_max_wait_ms": fetch_wait_ms, "reply_fetch_max_wait_ms": reply_wait_ms, **result}
    finally:
        responder.terminate()
        try:
            responder.wait(timeout=10)
        except subprocess.TimeoutExpired:
            responder.kill()
            responder.wait()


# What the gateway's emitter sends at the rate this publishes (tens of thousands of calls/s): full records of
# CALL_LOG_BATCH_SIZE (500) logs. At ~1,000 calls/s its 50 ms linger gathers ~50, and analytics idles.
LOGS_PER_RECORD = 500


def call_log_record(marker: str, first: int, count: int, token: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    """Call logs `first`…`first + count - 1` as the gateway's call-log emitter publishes them (value, headers).

    Mirrors `Sender.notify` of a `CallLogs` batch; change it here if the framework's wire format changes.
    """
    when = Timestamp()
    when.GetCurrentTime()
    logs = analytics_pb2.CallLogs(logs=[
        analytics_pb2.CallLog(transport="rest", service="pictures", method="GetPicture", status=200, latency_ms=1.5,
                              user_id="bench", time=when, request_id=f"{marker}-{index}")
        for index in range(first, first + count)
    ])
    headers = [("event", b"logdata"), ("content-type", b"application/x-protobuf"), ("reply_to", b""),
               ("correlation_id", uuid.uuid4().hex.encode()), ("authorization", f"Bearer {token}".encode())]
    return logs.SerializeToString(), headers


async def _call_logs(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        query = "SELECT count(*) FROM call_logs WHERE request_id NOT LIKE 'bench-ingest-%'"
        return int(await connection.fetchval(query))
    finally:
        await connection.close()


def _start_counter(
    bootstrap: str, fetch_wait: int, marker: str, records: int, timeout_s: float,
) -> subprocess.Popen[str]:
    counter = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.counter", bootstrap, ANALYTICS_TOPIC, str(fetch_wait), marker,
         str(records), str(timeout_s)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert counter.stdout is not None
    if counter.stdout.readline().strip() != "ready":
        counter.kill()
        reason = counter.stderr.read()[-500:] if counter.stderr else ""
        raise RuntimeError(f"live counter did not start: {reason}")
    return counter


async def _ingestion(bootstrap: str, dsn: str, fetch_wait_ms: int, records: int, timeout_s: float,
                     token: str) -> dict[str, Any]:
    marker = f"bench-ingest-{uuid.uuid4().hex[:8]}"
    counter = _start_counter(bootstrap, fetch_wait_ms, marker, records, timeout_s)
    try:
        return await _measure_ingestion(bootstrap, dsn, fetch_wait_ms, records, timeout_s, marker, counter, token)
    finally:
        if counter.poll() is None:
            counter.kill()
            counter.wait()


async def _measure_ingestion(bootstrap: str, dsn: str, fetch_wait_ms: int, records: int, timeout_s: float,
                             marker: str, counter: subprocess.Popen[str], token: str) -> dict[str, Any]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, client_id="bench-ingest", linger_ms=5)
    await producer.start()
    try:
        partitions = sorted(await producer.partitions_for(ANALYTICS_TOPIC))
        tps = [TopicPartition(ANALYTICS_TOPIC, p) for p in partitions]
        probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
        await probe.start()
        try:
            start_offsets = await probe.end_offsets(tps)
        finally:
            await probe.stop()
        connection = await asyncpg.connect(dsn)
        try:
            started_wall = time.time()
            started = time.monotonic()
            sends = []
            for first in range(0, records, LOGS_PER_RECORD):
                value, headers = call_log_record(marker, first, min(LOGS_PER_RECORD, records - first), token)
                sends.append(await producer.send(ANALYTICS_TOPIC, value, headers=headers))
            await asyncio.gather(*sends)
            published = time.monotonic() - started
            stored = 0
            while time.monotonic() - started < timeout_s:
                stored = int(await connection.fetchval(
                    "SELECT count(*) FROM call_logs WHERE request_id LIKE $1", f"{marker}-%"))
                if stored >= records:
                    break
                await asyncio.sleep(0.05)
            stored_after = time.monotonic() - started
        finally:
            await connection.close()
    finally:
        await producer.stop()
    try:
        out, _ = counter.communicate(timeout=timeout_s + 10)
    except subprocess.TimeoutExpired:
        counter.kill()
        out, _ = counter.communicate()
    live = json.loads(out.strip().splitlines()[-1]) if out.strip() else {"seen": 0, "last": 0.0}
    live_seconds = live["last"] - started_wall

    # The same records once more, as a backlog from the same offsets: how fast aiokafka alone can read them.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=fetch_wait_ms,
    )
    await consumer.start()
    try:
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, start_offsets[tp])
        seen = 0
        began = time.monotonic()
        while seen < records and time.monotonic() - began < timeout_s:
            batches = await consumer.getmany(timeout_ms=500, max_records=10_000)
            for batch in batches.values():
                seen += sum((r.value or b"").count(marker.encode()) for r in batch)
        consumed = time.monotonic() - began
    finally:
        await consumer.stop()
    return {
        "records": records,
        "logs_per_record": LOGS_PER_RECORD,
        "published_per_s": records / published,
        "stored": stored,
        "stored_per_s": stored / stored_after if stored_after else 0.0,
        "stored_seconds": stored_after,
        # Live, beside analytics, from the same first publish: the comparison the target is stated in.
        "raw_consumed": live["seen"],
        "raw_consumed_per_s": live["seen"] / live_seconds if live_seconds > 0 else 0.0,
        "raw_consumed_seconds": live_seconds,
        "raw_backlog_consumed": seen,
        "raw_backlog_per_s": seen / consumed if consumed else 0.0,
    }


def ingestion(bootstrap: str, dsn: str, fetch_wait_ms: int, records: int, internal_key: str,
              timeout_s: float = 60) -> dict[str, Any]:
    """Call logs published straight to analytics' topic, LOGS_PER_RECORD to a record as the gateway sends them:
    rows stored per second vs call logs a bare consumer reads per second.

    They carry the gateway's internal token, as the gateway's own call logs do (analytics takes no others).
    """
    token = InternalTokens(internal_key, "gateway").mint("", "")
    return asyncio.run(_ingestion(bootstrap, dsn, fetch_wait_ms, records, timeout_s, token))


def call_logs_from_gateway(dsn: str) -> int:
    """Rows analytics stored for real gateway calls (not the ingestion benchmark's own records)."""
    return asyncio.run(_call_logs(dsn))
