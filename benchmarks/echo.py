"""The events floor's responder: consume a request topic, produce each value back to its reply topic.

Runs as its own process (`python -m benchmarks.echo BOOTSTRAP TOPIC FETCH_WAIT_MS`), as a service would,
so the client's event loop and the responder's do not share one Python thread. Prints `ready` once
positioned at the end of every partition; stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition


def _header(headers: object, name: str) -> bytes:
    for key, value in headers or ():  # type: ignore[attr-defined]
        if key == name:
            return bytes(value)
    return b""


async def serve(bootstrap: str, topic: str, fetch_wait_ms: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, client_id="bench-echo")
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, client_id="bench-echo", group_id=None, enable_auto_commit=False,
        fetch_max_wait_ms=fetch_wait_ms,
    )
    await producer.start()
    await consumer.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        partitions = sorted(await producer.partitions_for(topic))
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:
            await consumer.position(tp)
        print("ready", flush=True)
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            sends = []
            for records in batches.values():
                for record in records:
                    reply_to = _header(record.headers, "reply_to").decode()
                    correlation = _header(record.headers, "correlation_id")
                    sends.append(await producer.send(reply_to, record.value, headers=[("correlation_id", correlation)]))
            if sends:
                await asyncio.gather(*sends)
    finally:
        await consumer.stop()
        await producer.stop()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2], int(sys.argv[3])))
