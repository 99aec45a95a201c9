"""Large payloads over Kafka: segmented on the way out, reassembled within bounds on the way in."""

from __future__ import annotations

import asyncio
import json
import os
import time

from internal.common import mq
from internal.common.config import Settings
from internal.common.mq.devbroker import DevBroker
from tests.conftest import RunningSystem


def segments(value: bytes, size: int, message_id: bytes = b"m1") -> list[tuple[bytes, list[tuple[str, bytes]]]]:
    count = -(-len(value) // size)
    return [
        (
            value[i * size : (i + 1) * size],
            [("event", b"x"), (mq.MESSAGE_ID, message_id), (mq.SEGMENT, f"{i}/{count}".encode())],
        )
        for i in range(count)
    ]


def test_segments_reassemble_in_any_order_and_free_their_memory() -> None:
    value = os.urandom(1000)
    parts = segments(value, 128)
    reassembler = mq.Reassembler(max_bytes=10_000, timeout_s=30, max_message_bytes=10_000)
    results = [reassembler.feed(chunk, headers, b"m1") for chunk, headers in reversed(parts)]
    assert results[:-1] == [None] * (len(parts) - 1)
    last = results[-1]
    assert isinstance(last, mq.Assembled) and last.value == value
    assert last.headers == [("event", b"x")]
    assert reassembler.pending == 0


def test_a_message_missing_a_segment_expires_with_its_headers() -> None:
    parts = segments(os.urandom(1000), 128)
    reassembler = mq.Reassembler(max_bytes=10_000, timeout_s=0.05, max_message_bytes=10_000)
    for chunk, headers in parts[:-1]:
        assert reassembler.feed(chunk, headers, b"m1") is None
    assert reassembler.pending == 1
    time.sleep(0.1)
    expired = reassembler.expire()
    assert [e.headers for e in expired] == [[("event", b"x")]]
    assert reassembler.pending == 0


def test_reassembly_is_bounded_in_memory() -> None:
    reassembler = mq.Reassembler(max_bytes=500, timeout_s=30, max_message_bytes=10_000)
    outcomes = [reassembler.feed(chunk, headers, b"m1") for chunk, headers in segments(os.urandom(1000), 128)]
    assert any(isinstance(o, mq.Expired) for o in outcomes)
    assert not any(isinstance(o, mq.Assembled) for o in outcomes)


async def test_an_incomplete_request_gets_an_error_reply_and_the_service_keeps_serving(system: RunningSystem) -> None:
    """Segments 0..n-2 of a request reach the auth topic; the last never does."""
    from tests.test_kafka_direct import Replies

    async with Replies(system.bootstrap_servers) as replies:
        body = json.dumps({"username": "x" * 400_000, "password": "whatever1"}).encode()
        parts = segments(body, 128 * 1024, message_id=b"incomplete-1")
        for chunk, headers in parts[:-1]:
            headers = [("event", b"login"), ("correlation_id", b"incomplete-1"), *headers[1:]]
            await replies.producer.send_and_wait("auth", chunk, key=b"incomplete-1", headers=headers)
        reply = await replies.find(lambda r: mq.header(r.headers, "correlation_id") == "incomplete-1", wait_s=60)
        assert mq.header(reply.headers, "status") == "DEADLINE_EXCEEDED"
        assert "incomplete" in json.loads(reply.value)["error"]["message"]


async def test_many_large_messages_cross_the_development_broker_whole() -> None:
    broker = DevBroker()
    try:
        broker.create_topics(["big"], partitions=1)
        settings = Settings(
            kafka_bootstrap_servers=broker.bootstrap_servers, kafka_fetch_max_wait_ms=5, service_name="test"
        )
        producer = mq.new_producer(settings)
        consumer = mq.new_consumer(settings, "big", group_id="test-big")
        await producer.start()
        await consumer.start()
        try:
            reassembler = mq.Reassembler(max_bytes=256 * 1024 * 1024, timeout_s=30, max_message_bytes=32 * 1024 * 1024)
            sent = [os.urandom(6 * 1024 * 1024) for _ in range(6)]  # 36 MiB through one partition
            received: list[bytes] = []

            async def consume() -> None:
                async for record in consumer:
                    result = reassembler.feed(record.value, list(record.headers), record.key)
                    if isinstance(result, mq.Assembled):
                        received.append(result.value)
                        if len(received) == len(sent):
                            return

            reader = asyncio.create_task(consume())
            await asyncio.sleep(1)  # the group's single member gets its partition
            for value in sent:
                await mq.publish(producer, "big", value, [], key=None, record_max_bytes=128 * 1024, service="test")
            async with asyncio.timeout(60):
                await reader
            assert received == sent
        finally:
            await consumer.stop()
            await producer.stop()
    finally:
        broker.close()
