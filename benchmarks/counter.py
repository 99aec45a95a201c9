"""A bare aiokafka consumer reading call logs live, beside analytics: the ingestion benchmark's floor.

Runs as its own process (`python -m benchmarks.counter BOOTSTRAP TOPIC FETCH_WAIT_MS MARKER COUNT TIMEOUT_S`)
so it competes for the CPU as another service would, not inside the publisher's event loop. Prints
`ready` once positioned at the end of every partition, then one JSON line: how many occurrences of
MARKER (call logs) it saw, and the wall-clock time (time.time()) of the last one.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition


async def count(bootstrap: str, topic: str, fetch_wait_ms: int, marker: bytes, expected: int, timeout_s: float) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, client_id="bench-counter")
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, client_id="bench-counter", group_id=None, enable_auto_commit=False,
        fetch_max_wait_ms=fetch_wait_ms,
    )
    await producer.start()
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in sorted(await producer.partitions_for(topic))]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:
            await consumer.position(tp)
        print("ready", flush=True)
        seen = 0
        last = 0.0
        deadline = time.monotonic() + timeout_s
        while seen < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200, max_records=10_000)
            for records in batches.values():
                hits = sum((r.value or b"").count(marker) for r in records)
                if hits:
                    seen += hits
                    last = time.time()
        print(json.dumps({"seen": seen, "last": last}), flush=True)
    finally:
        await consumer.stop()
        await producer.stop()


if __name__ == "__main__":
    bootstrap, topic, wait, marker, expected, timeout = sys.argv[1:7]
    asyncio.run(count(bootstrap, topic, int(wait), marker.encode(), int(expected), float(timeout)))
