"""What today's reply routing costs: every instance reads the whole reply topic and keeps its own replies.

`python -m benchmarks.reply_routing [--instances 1,2,4,8,16] [--replies 3000]` starts the development broker,
then for each instance count N starts N reader processes that consume `results` exactly as the sender's
events client does (no consumer group, from the end, filtering by correlation id), publishes the replies
(each addressed to one instance at random), and reports the readers' CPU: at rest, and per reply.
Prints a JSON document and a table; docs/reply-routing.md discusses the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from internal.common import mq
from internal.common.config import Settings

ROOT = Path(__file__).resolve().parents[1]
TOPIC = "results"
PARTITIONS = 3
FETCH_MAX_WAIT_MS = 5  # what `trident up` sets for the development broker
IDLE_S = 3.0
RATE_PER_S = 1000
REPLY = json.dumps({"id": "0f8c1f6e-3a58-4a53-9b1c-2f1d1a6b9e11", "username": "someone",
                    "created_at": "2026-11-21T13:00:00Z"}).encode()
START, STOP = b"bench-start", b"bench-stop"


async def reader(bootstrap: str, instance: str, fetch_wait_ms: int) -> None:
    """One simulated instance: the events client's reply loop, instrumented."""
    settings = Settings(kafka_bootstrap_servers=bootstrap, kafka_fetch_max_wait_ms=fetch_wait_ms,
                        service_name=f"bench-{instance}")
    producer = mq.new_producer(settings)
    consumer = mq.new_consumer(settings, group_id=None)
    await producer.start()
    await consumer.start()
    await mq.assign_from_end(consumer, producer, TOPIC)
    await producer.stop()
    # The instance waits for the replies addressed to it: a set of correlation ids, as `_pending` is.
    prefix = f"{instance}:"
    records = own = 0
    stops = 0
    ready_cpu, ready_wall = time.process_time(), time.monotonic()
    start_cpu = start_wall = 0.0
    print("ready", flush=True)
    async for record in consumer:
        marker = mq.header(record.headers, mq.EVENT)
        if marker == START.decode():
            if not start_wall:
                start_cpu, start_wall = time.process_time(), time.monotonic()
            continue
        if marker == STOP.decode():
            stops += 1
            if stops == PARTITIONS:
                break
            continue
        records += 1
        if mq.header(record.headers, mq.CORRELATION_ID).startswith(prefix):
            own += 1
    end_cpu, end_wall = time.process_time(), time.monotonic()
    await consumer.stop()
    print(json.dumps({
        "idle_cpu_s": start_cpu - ready_cpu, "idle_wall_s": start_wall - ready_wall,
        "busy_cpu_s": end_cpu - start_cpu, "busy_wall_s": end_wall - start_wall,
        "records": records, "own": own,
    }), flush=True)


async def publish_markers(producer: Any, marker: bytes) -> None:
    for partition in range(PARTITIONS):
        await producer.send_and_wait(TOPIC, b"", partition=partition, headers=[(mq.EVENT, marker)])


async def run_round(bootstrap: str, instances: int, replies: int) -> dict[str, Any]:
    from aiokafka import AIOKafkaProducer

    readers = [
        await asyncio.create_subprocess_exec(sys.executable, "-m", "benchmarks.reply_routing", "--reader", bootstrap,
                                             f"i{n}", cwd=ROOT, stdout=asyncio.subprocess.PIPE)
        for n in range(instances)
    ]
    try:
        for process in readers:
            assert process.stdout is not None
            line = (await asyncio.wait_for(process.stdout.readline(), 120)).decode()
            if line.strip() != "ready":
                raise RuntimeError(f"a reader did not start: {line!r}")
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=2)
        await producer.start()
        try:
            await asyncio.sleep(IDLE_S)  # every reader at rest: what polling alone costs
            await publish_markers(producer, START)
            sent_cpu, started = time.process_time(), time.monotonic()
            batch = 50
            for first in range(0, replies, batch):
                futures = []
                for n in range(first, min(first + batch, replies)):
                    target = random.randrange(instances)
                    headers = [(mq.EVENT, b"getuser.reply"), (mq.STATUS, b"OK"),
                               (mq.CORRELATION_ID, f"i{target}:{n}".encode()), (mq.CONTENT_TYPE, mq.JSON.encode())]
                    futures.append(await producer.send(TOPIC, REPLY, headers=headers))
                await asyncio.gather(*futures)
                await asyncio.sleep(max(0.0, started + (first + batch) / RATE_PER_S - time.monotonic()))
            publish_s = time.monotonic() - started
            await publish_markers(producer, STOP)
            publisher_cpu = time.process_time() - sent_cpu
        finally:
            await producer.stop()
        reports = []
        for process in readers:
            assert process.stdout is not None
            line = (await asyncio.wait_for(process.stdout.readline(), 120)).decode()
            reports.append(json.loads(line))
    finally:
        for process in readers:
            if process.returncode is None:
                process.terminate()
            await asyncio.wait_for(process.wait(), 30)
    busy_cpu = sum(r["busy_cpu_s"] for r in reports)
    idle_core = statistics.mean(r["idle_cpu_s"] / r["idle_wall_s"] for r in reports)
    # From the first reply sent to the last one read by the slowest reader: when it exceeds the publishing
    # time, the readers fell behind and every reply waited in the queue.
    busy_wall = max(r["busy_wall_s"] for r in reports)
    return {
        "instances": instances,
        "replies": replies,
        "records_read": sum(r["records"] for r in reports),
        "own_replies": sum(r["own"] for r in reports),
        "idle_core_per_instance": idle_core,
        "publish_s": publish_s,
        "drain_s": busy_wall,
        "busy_cpu_s_all_instances": busy_cpu,
        "total_cpu_us_per_reply": busy_cpu / replies * 1e6,
        "total_cpu_us_per_record_read": busy_cpu / max(1, sum(r["records"] for r in reports)) * 1e6,
        # This process hosts the broker (librdkafka's threads) and the publisher.
        "bench_cpu_us_per_reply": publisher_cpu / replies * 1e6,
    }


async def main_async(instance_counts: list[int], replies: int) -> list[dict[str, Any]]:
    from internal.common.mq.devbroker import DevBroker

    broker = DevBroker()
    try:
        broker.create_topics([TOPIC], partitions=PARTITIONS)
        results: list[dict[str, Any]] = []
        for instances in instance_counts:
            results.append(await run_round(broker.bootstrap_servers, instances, replies))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
        return results
    finally:
        broker.close()


def table(results: list[dict[str, Any]]) -> str:
    base = results[0]["total_cpu_us_per_reply"] if results else 1.0
    lines = ["| instances | records read | own replies | idle core per instance | readers' CPU per reply "
             "| per record read | vs 1 instance | broker + publisher CPU per reply | published in | all read after |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['instances']} | {r['records_read']} | {r['own_replies']} "
                     f"| {r['idle_core_per_instance'] * 100:.1f} % | {r['total_cpu_us_per_reply']:.0f} µs "
                     f"| {r['total_cpu_us_per_record_read']:.0f} µs | {r['total_cpu_us_per_reply'] / base:.1f}× "
                     f"| {r['bench_cpu_us_per_reply']:.0f} µs | {r['publish_s']:.1f} s | {r['drain_s']:.1f} s |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", default="1,2,4,8,16")
    parser.add_argument("--replies", type=int, default=3000)
    parser.add_argument("--reader", nargs=2, metavar=("BOOTSTRAP", "INSTANCE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reader:
        asyncio.run(reader(args.reader[0], args.reader[1], FETCH_MAX_WAIT_MS))
        return 0
    counts = [int(n) for n in args.instances.split(",")]
    results = asyncio.run(main_async(counts, args.replies))
    print(json.dumps({"cpus": os.cpu_count(), "fetch_max_wait_ms": FETCH_MAX_WAIT_MS, "rate_per_s": RATE_PER_S,
                      "results": results}, indent=2))
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
