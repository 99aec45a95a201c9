"""Events are delivered at least once and applied once; failures are retried, then dead-lettered; domain events
go out through an outbox even when Kafka was down; replies go only to allowed topics.

Real processes (`trident serve`), real PostgreSQL (pgserver) and the development broker, started here so the
tests can stop the broker (librdkafka's mock: a broker set down closes every connection and refuses new
ones) and kill a service with SIGKILL.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from api.gen import analytics_pb2, auth_pb2
from internal.common import mq
from internal.common.mq import deadletters
from internal.common.mq.devbroker import DevBroker
from internal.common.tokens import InternalTokens, generate_private_key_pem
from internal.services.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = REGISTRY.contract()
PASSWORD = "a long enough password"
INTERNAL_TOKEN_KEY = uuid.uuid4().hex + uuid.uuid4().hex


def bearer(caller: str, user_id: str = "", username: str = "") -> str:
    """What a process of the system (`caller`) presents, calling for a user or for itself."""
    return "Bearer " + InternalTokens(INTERNAL_TOKEN_KEY, caller).mint(user_id, username)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Node:
    """One process of the system, started, killed and restarted by the test."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    rest_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def wait_ready(self, timeout: float = 90) -> None:
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.logs()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready in {timeout}s:\n{self.logs()[-3000:]}")

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class Cluster:
    broker: DevBroker
    dsns: dict[str, str]
    nodes: dict[str, Node] = field(default_factory=dict)

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap_servers


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    import pgserver

    state = tmp_path_factory.mktemp("reliability")
    pg = pgserver.get_server(state / "pgdata", cleanup_mode="stop")  # type: ignore[attr-defined]
    broker = DevBroker()
    try:
        dsns = {}
        for name in ("users", "pictures", "analytics", "auth", "probe"):
            pg.psql(f"CREATE DATABASE {name};")
            dsns[name] = pg.get_uri(name)
        broker.create_topics(mq.system_topics(CONTRACT, "results"), partitions=3)
        running = Cluster(broker, dsns)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "PEERS__", "DATABASE_"))}
        base.update({"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers, "KAFKA_FETCH_MAX_WAIT_MS": "5",
                     "KAFKA_RETRY_BACKOFF_MS": "50", "LOG_FORMAT": "json", "PYTHONUNBUFFERED": "1",
                     "HOST": "127.0.0.1", "INTERNAL_TOKEN_KEY": INTERNAL_TOKEN_KEY,
                     "AUTH_PRIVATE_KEY": generate_private_key_pem()})
        commands = {
            "users": [sys.executable, "-m", "internal.cli", "serve", "users"],
            "pictures": [sys.executable, "-m", "internal.cli", "serve", "pictures"],
            "analytics": [sys.executable, "-m", "internal.cli", "serve", "analytics"],
            "auth": [sys.executable, "-m", "internal.cli", "serve", "auth"],
            "probe": [sys.executable, "-m", "tests.reliability_probe"],
        }
        for name, argv in commands.items():
            rest_port = free_port()
            env = {**base, "SERVICE_NAME": name, "REST_PORT": str(rest_port), "GRPC_PORT": str(free_port()),
                   "DATABASE_URL": dsns[name]}
            running.nodes[name] = Node(name, argv, env, state / f"{name}.log", rest_port)
            running.nodes[name].start()
        for node in running.nodes.values():
            node.wait_ready()
        yield running
    finally:
        for node in locals().get("running", Cluster(broker, {})).nodes.values():
            node.stop()
        broker.close()
        pg.cleanup()


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {within:.0f}s: {what}")


async def query(dsn: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def blocked_on(lock: asyncpg.Connection, table: str, what: str) -> None:
    """Until a statement of the service waits for the lock `lock` holds on `table`."""

    async def waiting() -> bool:
        return bool(await lock.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = $1::regclass",
                                        table))

    await eventually(waiting, what=what)


async def reply_to(replies: AIOKafkaConsumer, correlation_id: str, within: float = 120) -> Any:
    """The reply record with this correlation id."""
    async with asyncio.timeout(within):
        async for record in replies:
            if mq.header(record.headers, mq.CORRELATION_ID) == correlation_id:
                return record
    raise AssertionError(f"no reply {correlation_id}")


async def stored_session(dsn: str) -> tuple[str, uuid.UUID, uuid.UUID]:
    """A live refresh token written straight into auth's database: (token, user id, session id)."""
    refresh_token, user_id, session_id = secrets.token_urlsafe(32), uuid.uuid4(), uuid.uuid4()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("INSERT INTO refresh_tokens (token_hash, user_id, username, expires_at, family_id)"
                           " VALUES ($1, $2, 'someone', now() + interval '1 hour', $3)",
                           hashlib.sha256(refresh_token.encode()).digest(), user_id, session_id)
    finally:
        await conn.close()
    return refresh_token, user_id, session_id


async def metric(node: Node, name: str) -> float:
    """The sum of a counter over its labels, from the process's /metrics."""
    async with aiohttp.ClientSession() as session, session.get(node.url + "/metrics") as response:
        text = await response.text()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name + "{") or line.startswith(name + " "))


async def create_user(cluster: Cluster, username: str) -> str:
    async with aiohttp.ClientSession() as session, session.post(
            cluster.nodes["users"].url + "/users", json={"username": username, "password": PASSWORD},
            headers={"Authorization": bearer("auth")}) as response:
        assert response.status == 201, await response.text()
        return str((await response.json())["id"])


async def delete_user(cluster: Cluster, user_id: str) -> None:
    async with aiohttp.ClientSession() as session, session.delete(
            cluster.nodes["users"].url + f"/users/{user_id}", headers={"Authorization": bearer("gateway")}) as response:
        assert response.status == 204, await response.text()


async def store_pictures(cluster: Cluster, user_id: str, count: int) -> None:
    conn = await asyncpg.connect(cluster.dsns["pictures"])
    try:
        for i in range(count):
            await conn.execute(
                "INSERT INTO pictures (id, user_id, title, content_type, size, sha256, data)"
                " VALUES ($1, $2, $3, 'image/png', 4, 'x', $4)", uuid.uuid4(), uuid.UUID(user_id), f"p{i}", b"\x89PNG")
    finally:
        await conn.close()


async def pictures_of(cluster: Cluster, user_id: str) -> int:
    return int(await query(cluster.dsns["pictures"], "SELECT count(*) FROM pictures WHERE user_id = $1",
                           uuid.UUID(user_id)))


async def probe_counts(cluster: Cluster, user_id: str) -> tuple[int, int]:
    """(attempts, effects) of the probe for a user's deletion."""
    attempts = await query(cluster.dsns["probe"], "SELECT count(*) FROM attempts WHERE user_id = $1", user_id)
    effects = await query(cluster.dsns["probe"], "SELECT count(*) FROM effects WHERE user_id = $1", user_id)
    return int(attempts), int(effects)


@pytest.fixture
async def kafka(cluster: Cluster) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=cluster.bootstrap)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def dead_letters(cluster: Cluster, topic: str, predicate: Callable[[deadletters.DeadLetter], bool],
                       count: int = 1, within: float = 60) -> list[deadletters.DeadLetter]:
    found: list[deadletters.DeadLetter] = []

    async def check() -> bool:
        nonlocal found
        found = [d for d in await deadletters.read(cluster.bootstrap, topic) if predicate(d)]
        return len(found) >= count

    await eventually(check, within, f"{count} dead letter(s) on {topic}.dlq")
    return found


async def test_a_subscriber_failing_twice_then_succeeding_applies_the_event_once(
        cluster: Cluster, kafka: AIOKafkaProducer) -> None:
    user_id = await create_user(cluster, f"fail2-{uuid.uuid4().hex[:8]}")
    await delete_user(cluster, user_id)

    async def three_attempts_one_effect() -> bool:
        return await probe_counts(cluster, user_id) == (3, 1)

    await eventually(three_attempts_one_effect, what="the probe tried 3 times and kept 1 effect")
    assert await query(cluster.dsns["probe"], "SELECT count(*) FROM processed_messages"
                       " WHERE consumer = 'probe.user.deleted'") >= 1

    # The same event delivered again (same event id) is recognised and not applied, nor even handled, again.
    event = await find_event(cluster, user_id)
    before = await metric(cluster.nodes["probe"], "trident_kafka_redelivered_total")
    await (await kafka.send("user.deleted", event.value, headers=list(event.headers or ())))

    async def recognised() -> bool:
        return await metric(cluster.nodes["probe"], "trident_kafka_redelivered_total") > before

    await eventually(recognised, what="the redelivered event recognised")
    assert await probe_counts(cluster, user_id) == (3, 1)


async def find_event(cluster: Cluster, user_id: str) -> Any:
    """The `user.deleted` record announcing `user_id`'s deletion, read from the topic's beginning."""
    consumer = AIOKafkaConsumer(bootstrap_servers=cluster.bootstrap, group_id=None, enable_auto_commit=False,
                                fetch_max_wait_ms=50)
    await consumer.start()
    try:
        tps = [TopicPartition("user.deleted", p) for p in range(3)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    if user_id.encode() in (record.value or b""):
                        assert mq.header(record.headers, mq.EVENT_ID), "a domain event carries its event id"
                        token = mq.header(record.headers, "authorization").removeprefix("Bearer ")
                        claims = InternalTokens(INTERNAL_TOKEN_KEY, "test").verify(token)
                        assert claims.caller == "users", "signed by its publisher when the outbox relay sent it"
                        return record
            if all([await consumer.position(tp) >= ends[tp] for tp in tps]):
                break
    finally:
        await consumer.stop()
    raise AssertionError(f"no user.deleted event for {user_id}")


async def test_a_poison_event_is_dead_lettered_with_its_reason_and_the_consumers_keep_going(
        cluster: Cluster, kafka: AIOKafkaProducer) -> None:
    # Signed by its publisher (users), so it is read, and cannot be decoded.
    poison = b'{"user_id": "not json'
    event_id = uuid.uuid4().hex
    token = InternalTokens(INTERNAL_TOKEN_KEY, "users").mint_event("user.deleted", event_id, poison)
    sent = await (await kafka.send("user.deleted", poison, headers=[
        (mq.CONTENT_TYPE, mq.JSON.encode()), (mq.EVENT_ID, event_id.encode()),
        ("authorization", f"Bearer {token}".encode())]))
    # Well-formed, naming a real user, and signed by nobody: never applied.
    victim = await create_user(cluster, f"victim-{uuid.uuid4().hex[:8]}")
    await store_pictures(cluster, victim, 1)
    forged = json.dumps({"user_id": victim, "username": "victim"}).encode()
    forged_sent = await (await kafka.send("user.deleted", forged, headers=[(mq.CONTENT_TYPE, mq.JSON.encode())]))

    letters = await dead_letters(
        cluster, "user.deleted",
        lambda d: d.value == poison and d.reason(mq.DLQ_OFFSET) == str(sent.offset)
        and d.reason(mq.DLQ_PARTITION) == str(sent.partition), count=3)
    assert {d.reason(mq.DLQ_CONSUMER) for d in letters} == \
        {"pictures.user.deleted", "auth.user.deleted", "probe.user.deleted"}
    for letter in letters:
        assert letter.reason(mq.DLQ_ERROR_CODE) == "INVALID_ARGUMENT"
        assert "malformed JSON" in letter.reason(mq.DLQ_ERROR_MESSAGE)
        assert letter.reason(mq.DLQ_TOPIC) == "user.deleted"
        assert letter.reason(mq.DLQ_ATTEMPTS) == "1"
    unsigned = await dead_letters(
        cluster, "user.deleted",
        lambda d: d.value == forged and d.reason(mq.DLQ_OFFSET) == str(forged_sent.offset), count=3)
    assert {d.reason(mq.DLQ_ERROR_CODE) for d in unsigned} == {"UNAUTHENTICATED"}
    assert await pictures_of(cluster, victim) == 1

    # Both consumers go on with the next event.
    user_id = await create_user(cluster, f"after-poison-{uuid.uuid4().hex[:8]}")
    await store_pictures(cluster, user_id, 2)
    await delete_user(cluster, user_id)

    async def applied() -> bool:
        return await pictures_of(cluster, user_id) == 0 and await probe_counts(cluster, user_id) == (1, 1)

    await eventually(applied, what="the next event applied by pictures and the probe")


async def test_an_event_that_kept_failing_is_dead_lettered_and_replaying_it_applies_it_once(
        cluster: Cluster) -> None:
    # Fails on its first 4 attempts: every attempt of the first delivery (KAFKA_HANDLER_ATTEMPTS=4).
    user_id = await create_user(cluster, f"fail4-{uuid.uuid4().hex[:8]}")
    await delete_user(cluster, user_id)
    [letter] = await dead_letters(cluster, "user.deleted", lambda d: user_id.encode() in d.value)
    assert letter.reason(mq.DLQ_ERROR_CODE) == "UNAVAILABLE"
    assert letter.reason(mq.DLQ_ATTEMPTS) == "4"
    assert letter.reason(mq.DLQ_CONSUMER) == "probe.user.deleted"
    assert await probe_counts(cluster, user_id) == (4, 0)

    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": cluster.bootstrap}
    listed = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "internal.cli", "dlq", "list",
                                                      "user.deleted"],
                                     cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    line = next(ln for ln in listed.stdout.splitlines() if ln.startswith(f"{letter.partition}:{letter.offset} "))
    assert "UNAVAILABLE" in line and "attempts=4" in line and "consumer=probe.user.deleted" in line

    replayed = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "internal.cli", "dlq", "replay",
                                                        "user.deleted", "--offset", str(letter.offset)],
                                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert replayed.returncode == 0, replayed.stderr
    assert "replayed" in replayed.stdout and "to user.deleted" in replayed.stdout

    async def applied_once() -> bool:
        return await probe_counts(cluster, user_id) == (5, 1)

    await eventually(applied_once, what="the replayed event applied on its 5th attempt")
    # Replaying reads the dead-letter topic without a group: it is all still there for the next reader.
    assert [d for d in await deadletters.read(cluster.bootstrap, "user.deleted") if d.offset == letter.offset]


async def test_a_deleted_users_pictures_go_once_kafka_is_back(cluster: Cluster) -> None:
    user_id = await create_user(cluster, f"outbox-{uuid.uuid4().hex[:8]}")
    await store_pictures(cluster, user_id, 3)
    users_dsn = cluster.dsns["users"]
    cluster.broker.set_down()
    try:
        await delete_user(cluster, user_id)  # acknowledged with Kafka unreachable

        async def publish_failed() -> bool:
            return int(await query(users_dsn, "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND attempts > 0"
                                   " AND headers::text LIKE '%user.deleted%'")) >= 1

        await eventually(publish_failed, within=90, what="the outbox relay tried and failed to publish")
        assert await query(users_dsn, "SELECT count(*) FROM users WHERE id = $1", uuid.UUID(user_id)) == 0
        assert await pictures_of(cluster, user_id) == 3
    finally:
        cluster.broker.set_up()

    async def gone() -> bool:
        return await pictures_of(cluster, user_id) == 0

    await eventually(gone, within=120, what="the pictures deleted after Kafka came back")
    assert await query(users_dsn, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0


@pytest.mark.parametrize("moment", ["while-handling", "after-commit-before-reply"])
async def test_a_request_whose_service_was_killed_before_answering_is_applied_once_after_restart(
        cluster: Cluster, kafka: AIOKafkaProducer, moment: str) -> None:
    users, users_dsn = cluster.nodes["users"], cluster.dsns["users"]
    username = f"killed-{uuid.uuid4().hex[:8]}"
    correlation_id = uuid.uuid4().hex
    replies = AIOKafkaConsumer(bootstrap_servers=cluster.bootstrap, group_id=None, enable_auto_commit=False,
                               fetch_max_wait_ms=20)
    await replies.start()
    await mq.assign_from_end(replies, kafka, "results")
    lock = await asyncpg.connect(users_dsn)
    try:
        # Hold the handler at its INSERT: it is being handled, its unit of work open.
        lock_tx = lock.transaction()
        await lock_tx.start()
        await lock.execute("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
        await kafka.send_and_wait("users", json.dumps({"username": username, "password": PASSWORD}).encode(),
                                  headers=[(mq.EVENT, b"createuser"), (mq.CORRELATION_ID, correlation_id.encode()),
                                           (mq.REPLY_TO, b"results"), (mq.CONTENT_TYPE, mq.JSON.encode()),
                                           ("authorization", bearer("auth").encode())])

        await blocked_on(lock, "users", "the createuser handler blocked at its INSERT")
        if moment == "while-handling":
            users.kill9()
            await lock_tx.commit()
        else:
            # Kafka goes away, the handler commits, and its reply cannot go out: then the process dies.
            cluster.broker.set_down()
            await lock_tx.commit()

            async def committed() -> bool:
                return bool(await query(users_dsn, "SELECT count(*) FROM users WHERE username = $1", username))

            await eventually(committed, what="the user row committed")
            users.kill9()
    finally:
        cluster.broker.set_up()
        await lock.close()
    try:
        users.start()
        await asyncio.to_thread(users.wait_ready, 120)

        reply = await reply_to(replies, correlation_id)
        assert mq.header(reply.headers, mq.STATUS) == "OK", reply.value
        stored_id = await query(users_dsn, "SELECT id::text FROM users WHERE username = $1", username)
        assert json.loads(reply.value)["id"] == stored_id  # the same user, not ALREADY_EXISTS
        assert await query(users_dsn, "SELECT count(*) FROM users WHERE username = $1", username) == 1
        # The restarted process counts from 0. After the commit the redelivery is answered from the stored reply;
        # before it, it is simply handled (the killed attempt left nothing).
        recognised = await metric(users, "trident_kafka_redelivered_total")
        assert recognised >= 1 if moment == "after-commit-before-reply" else recognised == 0
    finally:
        await replies.stop()


async def test_a_reply_to_a_domain_event_topic_is_refused_and_no_topic_is_created(
        cluster: Cluster, kafka: AIOKafkaProducer) -> None:
    user_id = await create_user(cluster, f"victim-{uuid.uuid4().hex[:8]}")
    username = await query(cluster.dsns["users"], "SELECT username FROM users WHERE id = $1", uuid.UUID(user_id))
    await store_pictures(cluster, user_id, 2)
    tps = [TopicPartition("user.deleted", p) for p in range(3)]
    consumer = AIOKafkaConsumer(bootstrap_servers=cluster.bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        before = await consumer.end_offsets(tps)
        refused = await metric(cluster.nodes["users"], "trident_kafka_replies_refused_total")
        made_up = f"made-up-{uuid.uuid4().hex[:8]}"
        for reply_to in ("user.deleted", made_up, "users"):
            await kafka.send_and_wait(
                "users", json.dumps({"username": username}).encode(),
                headers=[(mq.EVENT, b"getuserbyusername"), (mq.CORRELATION_ID, uuid.uuid4().hex.encode()),
                         (mq.REPLY_TO, reply_to.encode()), (mq.CONTENT_TYPE, mq.JSON.encode()),
                         ("authorization", bearer("auth").encode())])

        async def all_refused() -> bool:
            return await metric(cluster.nodes["users"], "trident_kafka_replies_refused_total") >= refused + 3

        await eventually(all_refused, what="the three requests refused")
        assert await consumer.end_offsets(tps) == before  # nothing published on user.deleted
        assert await pictures_of(cluster, user_id) == 2
        await consumer._client.force_metadata_update()
        assert made_up not in consumer._client.cluster.topics()
        assert "not an allowed reply topic" in cluster.nodes["users"].logs()
    finally:
        await consumer.stop()


async def test_a_request_that_cannot_be_decoded_gets_an_error_reply_and_is_dead_lettered(
        cluster: Cluster, kafka: AIOKafkaProducer) -> None:
    correlation_id = uuid.uuid4().hex
    replies = AIOKafkaConsumer(bootstrap_servers=cluster.bootstrap, group_id=None, enable_auto_commit=False,
                               fetch_max_wait_ms=20)
    await replies.start()
    try:
        await mq.assign_from_end(replies, kafka, "results")
        sent = await kafka.send_and_wait(
            "users", b'{"username": ', headers=[(mq.EVENT, b"createuser"), (mq.CORRELATION_ID, correlation_id.encode()),
                                                (mq.REPLY_TO, b"results"), (mq.CONTENT_TYPE, mq.JSON.encode())])
        record = await reply_to(replies, correlation_id, within=60)
        assert mq.header(record.headers, mq.STATUS) == "INVALID_ARGUMENT"
        assert json.loads(record.value)["error"]["code"] == "INVALID_ARGUMENT"
    finally:
        await replies.stop()
    [letter] = await dead_letters(cluster, "users", lambda d: mq.header(d.headers, mq.CORRELATION_ID) == correlation_id)
    assert letter.reason(mq.DLQ_ERROR_CODE) == "INVALID_ARGUMENT"
    assert (letter.reason(mq.DLQ_PARTITION), letter.reason(mq.DLQ_OFFSET)) == (str(sent.partition), str(sent.offset))
    assert letter.reason(mq.DLQ_CONSUMER) == "users"


async def test_processed_message_records_are_kept_seven_days(cluster: Cluster) -> None:
    from internal.common import db

    pool = await db.create_pool(cluster.dsns["users"])
    try:
        old, recent = f"old-{uuid.uuid4().hex}", f"recent-{uuid.uuid4().hex}"
        await pool.execute("INSERT INTO processed_messages (message_id, consumer, processed_at)"
                           " VALUES ($1, 'test', now() - interval '8 days'), ($2, 'test', now() - interval '6 days')",
                           old, recent)
        assert await db.prune_processed(pool) >= 1
        kept = {r["message_id"] for r in await pool.fetch(
            "SELECT message_id FROM processed_messages WHERE message_id = ANY($1::text[])", [old, recent])}
        assert kept == {recent}
    finally:
        await pool.close()


async def test_a_picture_request_delivered_twice_stores_one_picture_and_answers_the_same_twice(
        cluster: Cluster, kafka: AIOKafkaProducer) -> None:
    user_id = str(uuid.uuid4())
    correlation_id = uuid.uuid4().hex
    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    request = json.dumps({"title": "twice", "base64": png}).encode()
    headers = [(mq.EVENT, b"createpicture"), (mq.CORRELATION_ID, correlation_id.encode()),
               (mq.REPLY_TO, b"results"), (mq.CONTENT_TYPE, mq.JSON.encode()),
               ("authorization", bearer("gateway", user_id, "someone").encode())]
    replies = AIOKafkaConsumer(bootstrap_servers=cluster.bootstrap, group_id=None, enable_auto_commit=False,
                               fetch_max_wait_ms=20)
    await replies.start()
    try:
        await mq.assign_from_end(replies, kafka, "results")
        answers = []
        for _ in range(2):  # the second delivery of the same message, as after a crash before the commit
            await kafka.send_and_wait("pictures", request, headers=headers)
            answers.append(await reply_to(replies, correlation_id, within=60))
    finally:
        await replies.stop()
    assert [mq.header(a.headers, mq.STATUS) for a in answers] == ["OK", "OK"], [a.value for a in answers]
    assert json.loads(answers[0].value)["id"] == json.loads(answers[1].value)["id"]
    assert await pictures_of(cluster, user_id) == 1


def call_logs_record(marker: str, count: int) -> tuple[bytes, list[tuple[str, bytes]]]:
    """What the gateway's call-log emitter sends: `count` logs in one LogData record, with a correlation id."""
    logs = analytics_pb2.CallLogs(logs=[
        analytics_pb2.CallLog(transport="rest", service="pictures", method="GetPicture", status=200, latency_ms=1.5,
                              request_id=f"{marker}-{i}") for i in range(count)])
    headers = [(mq.EVENT, b"logdata"), (mq.CORRELATION_ID, uuid.uuid4().hex.encode()), (mq.REPLY_TO, b""),
               (mq.CONTENT_TYPE, mq.PROTOBUF.encode()), ("authorization", bearer("gateway").encode())]
    return logs.SerializeToString(), headers


async def call_logs_stored(cluster: Cluster, marker: str) -> int:
    return int(await query(cluster.dsns["analytics"], "SELECT count(*) FROM call_logs WHERE request_id LIKE $1",
                           f"{marker}-%"))


async def test_call_logs_delivered_twice_are_stored_once(cluster: Cluster, kafka: AIOKafkaProducer) -> None:
    analytics = cluster.nodes["analytics"]
    marker = f"twice-{uuid.uuid4().hex[:8]}"
    value, headers = call_logs_record(marker, 40)
    redelivered = await metric(analytics, "trident_kafka_redelivered_total")
    for _ in range(2):  # the second delivery of the same record, as after a crash before the offset commit
        await kafka.send_and_wait("analytics", value, headers=headers)

    async def second_recognised() -> bool:
        return await metric(analytics, "trident_kafka_redelivered_total") > redelivered

    await eventually(second_recognised, what="analytics recognised the second delivery")
    assert await call_logs_stored(cluster, marker) == 40


async def test_call_logs_are_acknowledged_only_once_stored_and_survive_a_killed_analytics(
        cluster: Cluster, kafka: AIOKafkaProducer) -> None:
    analytics, dsn = cluster.nodes["analytics"], cluster.dsns["analytics"]
    marker = f"killed-{uuid.uuid4().hex[:8]}"
    lock = await asyncpg.connect(dsn)
    try:
        # Hold analytics at its COPY: the record is being stored, its transaction open, its offset not committed.
        lock_tx = lock.transaction()
        await lock_tx.start()
        await lock.execute("LOCK TABLE call_logs IN SHARE ROW EXCLUSIVE MODE")
        for index in range(3):
            value, headers = call_logs_record(f"{marker}-{index}", 25)
            await kafka.send_and_wait("analytics", value, headers=headers)

        await blocked_on(lock, "call_logs", "analytics blocked at its COPY")
        analytics.kill9()
        await lock_tx.commit()
    finally:
        await lock.close()
    assert await call_logs_stored(cluster, marker) == 0
    analytics.start()
    await asyncio.to_thread(analytics.wait_ready, 120)

    async def all_stored() -> bool:
        return await call_logs_stored(cluster, marker) >= 75

    await eventually(all_stored, what="the 75 call logs stored after the restart")
    await asyncio.sleep(1)  # nothing more arrives: each record stored once
    assert await call_logs_stored(cluster, marker) == 75


async def test_a_call_log_record_without_logs_is_refused_and_the_next_one_is_stored(
        cluster: Cluster, kafka: AIOKafkaProducer) -> None:
    analytics = cluster.nodes["analytics"]
    marker = f"bad-{uuid.uuid4().hex[:8]}"
    refused = await metric(analytics, "trident_server_errors_total")
    empty, headers = call_logs_record(marker, 0)
    await kafka.send_and_wait("analytics", empty, headers=headers)

    async def was_refused() -> bool:
        return await metric(analytics, "trident_server_errors_total") > refused

    await eventually(was_refused, what="the empty record refused")
    value, headers = call_logs_record(marker, 5)  # the consumer goes on
    await kafka.send_and_wait("analytics", value, headers=headers)

    async def stored() -> bool:
        return await call_logs_stored(cluster, marker) == 5

    await eventually(stored, what="the next record stored")


async def test_a_logout_while_kafka_is_down_is_acknowledged_and_the_revocation_goes_out_once_it_is_back(
        cluster: Cluster, kafka: AIOKafkaProducer) -> None:
    auth, dsn = cluster.nodes["auth"], cluster.dsns["auth"]
    refresh_token, user_id, session_id = await stored_session(dsn)
    revocations = AIOKafkaConsumer(bootstrap_servers=cluster.bootstrap, group_id=None, enable_auto_commit=False,
                                   fetch_max_wait_ms=20)
    await revocations.start()
    try:
        await mq.assign_from_end(revocations, kafka, "session.revoked")
        cluster.broker.set_down()
        try:
            async with aiohttp.ClientSession() as session, session.post(
                    auth.url + "/logout", json={"refresh_token": refresh_token},
                    headers={"Authorization": bearer("gateway", str(user_id), "someone")}) as response:
                assert response.status == 204, await response.text()
            pending = await query(dsn, "SELECT count(*) FROM outbox WHERE topic = 'session.revoked'"
                                       " AND sent_at IS NULL")
            assert pending >= 1  # kept, with the revocation, until Kafka takes it
            assert await query(dsn, "SELECT revoked_at IS NOT NULL FROM refresh_tokens WHERE family_id = $1",
                               session_id)
        finally:
            cluster.broker.set_up()
        found = None
        async with asyncio.timeout(90):
            async for record in revocations:
                event = auth_pb2.SessionRevoked.FromString(record.value)
                if event.session_id == str(session_id):
                    found = event
                    break
        assert found is not None and found.user_id == str(user_id)
    finally:
        await revocations.stop()


async def test_a_refresh_whose_auth_was_killed_before_it_committed_is_applied_once_after_restart(
        cluster: Cluster, kafka: AIOKafkaProducer) -> None:
    """A crash must not turn a redelivered refresh into a "reuse" that ends the session: the trade of the token and
    the new token commit in the unit of work of the consumed request, or neither does."""
    auth, dsn = cluster.nodes["auth"], cluster.dsns["auth"]
    refresh_token, _, session_id = await stored_session(dsn)
    correlation_id = uuid.uuid4().hex
    replies = AIOKafkaConsumer(bootstrap_servers=cluster.bootstrap, group_id=None, enable_auto_commit=False,
                               fetch_max_wait_ms=20)
    await replies.start()
    await mq.assign_from_end(replies, kafka, "results")
    lock = await asyncpg.connect(dsn)
    try:
        # Hold the request's unit of work at its processed-message record, then kill auth: whatever the handler
        # did before that point must not have committed on its own.
        lock_tx = lock.transaction()
        await lock_tx.start()
        await lock.execute("LOCK TABLE processed_messages IN SHARE ROW EXCLUSIVE MODE")
        await kafka.send_and_wait("auth", json.dumps({"refresh_token": refresh_token}).encode(),
                                  headers=[(mq.EVENT, b"refresh"), (mq.CORRELATION_ID, correlation_id.encode()),
                                           (mq.REPLY_TO, b"results"), (mq.CONTENT_TYPE, mq.JSON.encode()),
                                           ("authorization", bearer("gateway").encode())])

        await blocked_on(lock, "processed_messages", "the refresh handler blocked in its unit of work")
        auth.kill9()
        await lock_tx.commit()
    finally:
        await lock.close()
    try:
        auth.start()
        await asyncio.to_thread(auth.wait_ready, 120)
        reply = await reply_to(replies, correlation_id)
        assert mq.header(reply.headers, mq.STATUS) == "OK", reply.value
        pair = json.loads(reply.value)
        assert pair["refresh_token"] and pair["refresh_token"] != refresh_token
        # The session lives on: the old token traded once, the new one live, no revocation.
        tokens = await query(dsn, "SELECT count(*) FILTER (WHERE revoked_at IS NULL) || '/' || count(*)"
                                  " FROM refresh_tokens WHERE family_id = $1", session_id)
        assert tokens == "1/2"
    finally:
        await replies.stop()
