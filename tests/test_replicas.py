"""`trident up --replicas pictures=3`: calls spread over the instances, one killed instance costs no idempotent call
and no acknowledged create, and each instance is seen and restarted on its own."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from internal.common.config import Peer, Settings
from internal.common.errors import Unavailable
from internal.common.mq import static_partitions
from internal.common.runtime.launcher import TOPIC_PARTITIONS, Ports, UpError, gateway_workers, parse_replicas
from internal.common.sender import Sender, TransportClient
from internal.common.sender.grpc import GrpcClient, channel_target
from internal.common.sender.rest import Instances, RestClient
from internal.common.service import CallContext
from internal.common.tokens import InternalTokens
from internal.services.registry import REGISTRY
from tests.client import TRANSPORTS, GatewayClient, Reply
from tests.conftest import ROOT, SERVICES, port_is_free
from tests.images import png
from tests.test_running import _alive
from tests.test_supervisor import Up, _launcher_of, b64, ctrl_c, wait_gone, wait_ready

REPLICAS = 3
INSTANCES = [f"pictures#{i}" for i in range(1, REPLICAS + 1)]
# The replicated system also runs the gateway as this many workers sharing its port.
WORKERS = 2
GATEWAY_WORKERS = [f"gateway#{i}" for i in range(1, WORKERS + 1)]
# The restarted instance is ready once its transports run; bounded generously for a loaded machine.
BACK_WITHIN = 30.0


# What the launcher and the sender are made of, without processes.


def test_replicas_are_given_as_service_counts_and_a_bad_one_is_named() -> None:
    services = ["users", "pictures"]
    assert parse_replicas("pictures=3, users=2", services) == {"pictures": 3, "users": 2}
    assert parse_replicas("", services) == {}
    for bad, said in (("pictures", "not SERVICE=COUNT"), ("gateway=2", "not a service"),
                      ("pictures=0", "1 to 16"), ("pictures=x", "not SERVICE=COUNT")):
        with pytest.raises(UpError, match=said):
            parse_replicas(bad, services)


def test_gateway_workers_are_a_count_and_zero_means_one_per_core() -> None:
    assert gateway_workers("1") == 1 and gateway_workers("4") == 4
    assert gateway_workers("0") == (os.cpu_count() or 1)
    for bad, said in (("x", "not a number"), ("-1", "not a number"), ("17", "at most 16")):
        with pytest.raises(UpError, match=said):
            gateway_workers(bad)


def test_gateway_workers_share_the_gateway_port_and_each_has_one_of_its_own() -> None:
    ports = Ports(gateway=8080, base=8080, services=["users", "pictures"], public="gateway",
                  replicas={"pictures": 3, "gateway": 2})
    assert ports.workers == GATEWAY_WORKERS == ports.instances("gateway")
    assert [ports.rest(p) for p in ("users", *INSTANCES, *GATEWAY_WORKERS)] == [8081, 8082, 8083, 8084, 8085, 8086]
    assert [ports.shared(p) for p in ("users", *INSTANCES, *GATEWAY_WORKERS)] == [0, 0, 0, 0, 8080, 8080]
    assert ports.of("gateway#2") == {"rest": 8086, "shared": 8080}
    one = Ports(gateway=8080, base=8080, services=["users"], public="gateway")
    assert one.workers == [] and one.of("gateway") == {"rest": 8080}


def test_each_instance_has_its_own_ports_and_a_single_instance_keeps_the_usual_ones() -> None:
    ports = Ports(gateway=8080, base=8080, services=["users", "pictures"], public="gateway",
                  replicas={"pictures": 3})
    assert ports.instances("users") == ["users"]
    assert ports.instances("pictures") == INSTANCES
    assert [ports.rest(p) for p in ("users", *INSTANCES)] == [8081, 8082, 8083, 8084]
    assert [ports.grpc(p) for p in ("users", *INSTANCES)] == [9081, 9082, 9083, 9084]
    assert ports.rest("gateway") == 8080 and ports.grpc("gateway") == 0


def test_instances_share_a_topics_partitions_without_overlap() -> None:
    shares = [static_partitions(range(6), (i, 3)) for i in (1, 2, 3)]
    assert shares == [[0, 3], [1, 4], [2, 5]]
    assert static_partitions(range(3), (1, 1)) == [0, 1, 2]


def test_a_peer_lists_its_instances_comma_separated_and_one_address_works_as_before() -> None:
    peer = Peer(rest_url="http://127.0.0.1:1/, http://127.0.0.1:2", grpc_target="127.0.0.1:11,127.0.0.1:12")
    assert peer.rest_urls == ["http://127.0.0.1:1", "http://127.0.0.1:2"]
    assert channel_target(peer.grpc_targets) == "ipv4:127.0.0.1:11,127.0.0.1:12"
    assert channel_target(["pictures:9090"]) == "pictures:9090"
    assert channel_target(["[::1]:1", "[::1]:2"]) == "ipv6:[::1]:1,[::1]:2"
    with pytest.raises(LookupError, match="must be IP addresses"):
        channel_target(["pictures-1:9090", "pictures-2:9090"])


def test_the_rest_balancer_takes_turns_and_tries_a_failed_instance_last() -> None:
    instances = Instances(["a", "b", "c"], backoff_s=60)
    assert [instances.order()[0] for _ in range(6)] == ["a", "b", "c", "a", "b", "c"]
    instances.failed("b")
    assert instances.order() == ["a", "c", "b"]
    assert instances.order() == ["c", "a", "b"]
    instances.answered("b")
    assert [instances.order() for _ in range(2)] == [["c", "a", "b"], ["a", "b", "c"]]


# A running system with three instances of pictures.


def free_port_base(extra: int) -> int:
    """A base with the ports of every service and of `extra` more instances free (the launcher's layout)."""
    n = len(SERVICES) + extra
    for _ in range(200):
        base = random.randrange(20000, 31000, 10)
        if all(port_is_free(p) for p in (*range(base, base + n + 1), *range(base + 1001, base + 1001 + n))):
            return base
    raise RuntimeError("no free port range")


def start_replicated(state_dir: Path, replicas: str, extra: int, workers: int = 1, timeout: float = 240) -> Up:
    base = free_port_base(extra + (workers if workers > 1 else 0))
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / "up.log"
    env = {k: v for k, v in os.environ.items()
           if k not in ("KAFKA_BOOTSTRAP_SERVERS", "AUTH_PRIVATE_KEY", "TRIDENT_ONE_PROCESS")}
    env.update({"LOG_FORMAT": "json", "TRIDENT_REPLICAS": replicas, "GATEWAY_WORKERS": str(workers)})
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "internal.cli", "up", "--state-dir", str(state_dir), "--port", str(base),
             "--port-base", str(base)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    deadline = time.monotonic() + timeout
    while _launcher_of(state_dir / "up.json") != process.pid:
        if process.poll() is not None:
            raise RuntimeError(f"trident up exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            raise RuntimeError(f"trident up not ready in {timeout}s:\n{log_path.read_text()[-4000:]}")
        time.sleep(0.2)
    up = Up(process, state_dir, log_path, {})
    up.refresh()
    return up


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    up = start_replicated(tmp_path_factory.mktemp("replicated"), f"pictures={REPLICAS}", extra=REPLICAS - 1,
                          workers=WORKERS)
    try:
        yield up
    finally:
        ctrl_c(up)


@pytest.fixture
async def gateway(replicated: Up) -> AsyncIterator[GatewayClient]:
    async with GatewayClient(replicated.gateway_url) as client:
        yield client


async def served(up: Up, gateway_workers: bool = False) -> dict[str, Counter[str]]:
    """Per instance of pictures (or per gateway worker), the calls it served by transport (its own /metrics)."""
    counts: dict[str, Counter[str]] = {}
    instances = ({name: {"rest": url} for name, url in up.info["gateway_workers"].items()} if gateway_workers
                 else up.info["services"]["pictures"]["instances"])
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        for name, address in instances.items():
            async with session.get(address["rest"] + "/metrics") as response:
                text = await response.text()
            counts[name] = Counter()
            for labels, value in re.findall(r'^trident_server_requests_total\{([^}]*)\} (\S+)$', text, re.M):
                transport = re.search(r'transport="([^"]*)"', labels)
                if transport is not None:
                    counts[name][transport.group(1)] += int(float(value))
    return counts


def test_up_json_ps_and_the_peers_list_every_instance(replicated: Up) -> None:
    info = replicated.refresh()
    pictures = info["services"]["pictures"]
    assert list(pictures["instances"]) == INSTANCES
    assert pictures["rest"] == pictures["instances"]["pictures#1"]["rest"]
    assert len({i["rest"] for i in pictures["instances"].values()} | {i["grpc"] for i in
                                                                     pictures["instances"].values()}) == 2 * REPLICAS
    assert list(info["services"]["users"]["instances"]) == ["users"]
    env = {**os.environ, "TRIDENT_STATE_DIR": str(replicated.state_dir)}
    ps = subprocess.run([sys.executable, "-m", "internal.cli", "ps"], cwd=ROOT, env=env, capture_output=True,
                        text=True, timeout=60)
    assert ps.returncode == 0, ps.stderr
    rows = {line.split()[0]: line.split() for line in ps.stdout.splitlines()[1:]}
    assert {*INSTANCES, "users", *GATEWAY_WORKERS} <= set(rows) and not {"pictures", "gateway"} & set(rows)
    assert list(info["gateway_workers"]) == GATEWAY_WORKERS
    for name in [*INSTANCES, *GATEWAY_WORKERS]:
        assert rows[name][1] == str(info["pids"][name]) and rows[name][2:4] == ["yes", "yes"], ps.stdout


async def test_calls_are_spread_over_the_three_instances_over_every_transport(replicated: Up,
                                                                              gateway: GatewayClient) -> None:
    token = (await gateway.signup("rest"))[1].body["access_token"]
    calls = 30
    before = await served(replicated)
    for transport in TRANSPORTS:
        for _ in range(calls):
            reply = await gateway.request("GET", f"/{transport}/pictures", token=token)
            assert reply.status == 200, reply.body
    after = await served(replicated)
    spread = {t: {name: after[name][t] - before[name][t] for name in INSTANCES} for t in TRANSPORTS}
    print(f"\n{calls} ListPictures per transport, served per instance: {spread}")
    for transport in TRANSPORTS:
        assert sum(spread[transport].values()) == calls, spread
        # Round robin (REST, gRPC) and the partitions of the request topic (events): every instance takes a share.
        assert all(n > 0 for n in spread[transport].values()), spread
    assert sorted(spread["rest"].values()) == [calls // REPLICAS] * REPLICAS, "REST takes turns"


async def metric_series(up: Up, name: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Per instance of pictures, the samples of one metric with their labels."""
    series: dict[str, list[tuple[dict[str, str], float]]] = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        for instance, address in up.info["services"]["pictures"]["instances"].items():
            async with session.get(address["rest"] + "/metrics") as response:
                text = await response.text()
            series[instance] = [(dict(re.findall(r'(\w+)="([^"]*)"', labels)), float(value))
                                for labels, value in re.findall(rf'^{name}\{{([^}}]*)\}} (\S+)$', text, re.M)]
    return series


async def test_each_instance_reads_its_own_partitions_and_a_domain_event_is_applied_by_one(
        replicated: Up, gateway: GatewayClient) -> None:
    # Users whose pictures go when they delete their account: pictures subscribes to user.deleted.
    titles = []
    for n in range(6):
        token = (await gateway.signup("rest"))[1].body["access_token"]
        for i in range(2):
            title = f"deleted-{n}-{i}"
            created = await gateway.request("POST", "/rest/pictures", {"title": title, "base64": b64(png(seed=i))},
                                            token=token)
            assert created.status == 201, created.body
            titles.append(title)
        deleted = await gateway.request("DELETE", "/rest/me", token=token)
        assert deleted.status == 204, deleted.body
    dsn = replicated.info["postgres"]["pictures"]
    for _ in range(600):  # at most a minute
        if not await count_rows(dsn, "deleted-"):
            break
        await asyncio.sleep(0.1)
    assert await count_rows(dsn, "deleted-") == Counter(), "the deleted users' pictures are still there"
    # Who read what: each instance reports the lag of the partitions it reads, and none reads another's.
    lag = await metric_series(replicated, "trident_kafka_consumer_lag")
    for topic in ("pictures", "user.deleted"):
        owned = {i: {labels["partition"] for labels, _ in samples if labels.get("topic") == topic}
                 for i, samples in lag.items()}
        print(f"\npartitions of {topic} per instance: {owned}")
        assert all(len(p) == 1 for p in owned.values()), owned
        assert set.union(*owned.values()) == {"0", "1", "2"}, owned
    # ...and commits what it handled under the service's group, which none of them joined.
    bootstrap = replicated.info["kafka"]["bootstrap_servers"]
    for _ in range(100):  # the commit follows the handling closely; at most 10 s
        committed = await committed_offsets(bootstrap, "pictures.user.deleted", "user.deleted")
        if sum(committed.values()) == len(titles) // 2:
            break
        await asyncio.sleep(0.1)
    print(f"offsets of user.deleted committed under the group pictures.user.deleted: {committed}")
    assert sum(committed.values()) == len(titles) // 2, committed  # one event per deleted user, each committed
    redelivered = await metric_series(replicated, "trident_kafka_redelivered_total")
    assert sum(v for samples in redelivered.values() for labels, v in samples
               if labels.get("topic") == "user.deleted") == 0, redelivered


async def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """The offsets committed for `group` on each partition of `topic` (read without joining the group)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        # The launcher gives every topic this many partitions here.
        partitions = range(max(TOPIC_PARTITIONS, REPLICAS))
        return {p: await consumer.committed(TopicPartition(topic, p)) or 0 for p in partitions}
    finally:
        await consumer.stop()


async def count_rows(dsn: str, prefix: str) -> Counter[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT title, count(*) AS n FROM pictures WHERE title LIKE $1 GROUP BY title",
                                prefix + "%")
    finally:
        await conn.close()
    return Counter({row["title"]: row["n"] for row in rows})


async def test_a_killed_instance_fails_no_read_loses_no_acknowledged_create_and_comes_back(
        replicated: Up, gateway: GatewayClient) -> None:
    info = replicated.refresh()
    victim = "pictures#2"
    old_pid = info["pids"][victim]
    victim_url = info["services"]["pictures"]["instances"][victim]["rest"]
    tokens = {t: (await gateway.signup(t))[1].body["access_token"] for t in TRANSPORTS}
    reads: list[tuple[str, int, str]] = []
    creates: list[tuple[str, str, int]] = []
    killed = SimpleNamespace(at=0.0, running=0.0, back=0.0, served_meanwhile=Counter[str]())
    stop = asyncio.Event()

    async def read_once(transport: str) -> None:
        reply = await gateway.request("GET", f"/{transport}/pictures", token=tokens[transport],
                                      params={"page_size": "5"})
        reads.append((transport, reply.status, str(reply.body)[:200] if reply.status != 200 else ""))
        if reply.status == 200 and killed.at and not killed.back:
            killed.served_meanwhile[transport] += 1

    async def read(transport: str) -> None:
        # A steady stream, not one call after another: over Kafka, the calls that land on the killed instance's
        # partitions wait for it to come back while the others are served.
        calls = []
        for _ in range(1200):  # bounded; ends when the instance is back
            if stop.is_set():
                break
            calls.append(asyncio.create_task(read_once(transport)))
            await asyncio.sleep(0.05)
        await asyncio.gather(*calls)

    async def create(transport: str) -> None:
        for i in range(1000):
            if stop.is_set():
                return
            title = f"replica-{transport}-{i}"
            try:
                reply: Reply | None = await gateway.request(
                    "POST", f"/{transport}/pictures", {"title": title, "base64": b64(png(seed=i))},
                    token=tokens[transport])
            except (aiohttp.ClientError, TimeoutError):
                reply = None
            creates.append((transport, title, reply.status if reply is not None else 0))
            await asyncio.sleep(0.1)

    load = [asyncio.create_task(f(t)) for t in TRANSPORTS for f in (read, create)]
    try:
        await asyncio.sleep(2)
        os.kill(old_pid, signal.SIGKILL)
        killed.at = time.monotonic()
        assert wait_gone([old_pid], within=2.0) == []
        while not _alive(new_pid := replicated.refresh()["pids"][victim]) or new_pid == old_pid:
            assert time.monotonic() < killed.at + BACK_WITHIN, replicated.logs()[-3000:]
            await asyncio.sleep(0.05)
        killed.running = time.monotonic() - killed.at
        assert await wait_ready(victim_url, within=BACK_WITHIN), replicated.logs()[-3000:]
        killed.back = time.monotonic()
        await asyncio.sleep(2)
    finally:
        stop.set()
        await asyncio.gather(*load)

    failed_reads = [r for r in reads if r[1] != 200]
    acknowledged = [title for _, title, status in creates if status == 201]
    stored = await count_rows(info["postgres"]["pictures"], "replica-")
    per_transport = {t: (sum(1 for c in creates if c[0] == t), sum(1 for c in creates if c[0] == t and c[2] == 201))
                     for t in TRANSPORTS}
    print(f"\nkill -9 {victim}: running again after {killed.running:.1f}s, ready after "
          f"{killed.back - killed.at:.1f}s; reads {len(reads)} failed {len(failed_reads)}; creates (sent, "
          f"acknowledged) {per_transport}, stored {sum(stored.values())}, duplicates "
          f"{sum(n - 1 for n in stored.values())}; served while it was down: {dict(killed.served_meanwhile)}")
    assert failed_reads == [], failed_reads[:5]
    assert [t for t in acknowledged if stored[t] != 1] == [], "an acknowledged create stored other than once"
    assert {t: n for t, n in stored.items() if n > 1} == {}
    # Every transport, Kafka included, kept serving while the instance was down.
    assert set(killed.served_meanwhile) == set(TRANSPORTS), killed.served_meanwhile
    info = replicated.refresh()
    assert info["processes"][victim]["restarts"] >= 1 and f"{victim} (pid {old_pid}) exited" in replicated.logs()


async def test_trident_restart_restarts_one_instance_or_every_instance_in_turn_and_no_read_fails(
        replicated: Up, gateway: GatewayClient) -> None:
    env = {**os.environ, "TRIDENT_STATE_DIR": str(replicated.state_dir)}
    run = [sys.executable, "-m", "internal.cli", "restart"]
    token = (await gateway.signup("rest"))[1].body["access_token"]
    statuses: Counter[int] = Counter()
    done = asyncio.Event()

    async def restart(target: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(*run, target, cwd=ROOT, env=env,
                                                       stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), timeout=400)
        return process.returncode or 0, out.decode(), err.decode()

    async def read(transport: str) -> None:
        # REST and gRPC: a draining instance stops taking connections and finishes what it has, so the others take
        # the calls. (Over Kafka the calls on its partitions wait for its successor instead.)
        for _ in range(3000):  # bounded; ends with the restarts
            if done.is_set():
                return
            reply = await gateway.request("GET", f"/{transport}/pictures", token=token, params={"page_size": "5"})
            statuses[reply.status] += 1
            await asyncio.sleep(0.02)

    readers = [asyncio.create_task(read(t)) for t in ("rest", "grpc")]
    try:
        before = replicated.refresh()["pids"]
        code, _, err = await restart("pictures#3")
        assert code == 0, err
        middle = replicated.refresh()["pids"]
        assert middle["pictures#3"] != before["pictures#3"]
        assert {n: p for n, p in middle.items() if n != "pictures#3"} == \
            {n: p for n, p in before.items() if n != "pictures#3"}
        code, out, err = await restart("pictures")
        assert code == 0, err
        after = replicated.refresh()["pids"]
        assert all(after[n] != middle[n] for n in INSTANCES) and after["users"] == middle["users"]
        assert [line.split()[0] for line in out.splitlines()] == INSTANCES, out
    finally:
        done.set()
        await asyncio.gather(*readers)
    print(f"\nreads during four instance restarts: {dict(statuses)}")
    assert set(statuses) == {200}, statuses


def closed_port() -> int:
    """A loopback port nothing listens on (bound and released: connections to it are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("transport", ["rest", "grpc"])
async def test_a_call_to_a_service_with_no_live_instance_fails_at_once_with_unavailable(transport: str) -> None:
    ports = [closed_port() for _ in range(4)]
    peer = Peer(rest_url=",".join(f"http://127.0.0.1:{p}" for p in ports[:2]),
                grpc_target=",".join(f"127.0.0.1:{p}" for p in ports[2:]))
    settings = Settings(service_name="caller", peers={"pictures": peer}, call_timeout_ms=60_000)
    contract = REGISTRY.contract()
    transports: dict[str, TransportClient] = {"rest": RestClient(settings), "grpc": GrpcClient(settings)}
    sender = Sender(settings, contract, transports, InternalTokens("k" * 48, "caller"))
    try:
        for method in ("ListPictures", "CreatePicture"):  # retried (idempotent) or not
            binding = contract.service("pictures").method(method)
            # Within a minute's deadline, refused connections end the call with UNAVAILABLE, not DEADLINE_EXCEEDED.
            with pytest.raises(Unavailable):
                await sender.call("pictures", method, binding.request_type(), CallContext(transport=transport))
    finally:
        await sender.aclose()


async def _fresh_connection_reads(url: str, token: str, count: int) -> Counter[int]:
    """`count` reads, each on a new connection: the kernel picks the worker that accepts each."""
    statuses: Counter[int] = Counter()
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10)) as session:
        for _ in range(count):
            async with session.get(f"{url}/rest/pictures", headers={"Authorization": f"Bearer {token}"}) as response:
                await response.read()
                statuses[response.status] += 1
    return statuses


async def test_gateway_workers_share_its_port_and_a_killed_one_costs_no_new_call(replicated: Up,
                                                                                gateway: GatewayClient) -> None:
    info = replicated.refresh()
    token = (await gateway.signup("rest"))[1].body["access_token"]
    before = await served(replicated, gateway_workers=True)
    assert await _fresh_connection_reads(replicated.gateway_url, token, 40) == Counter({200: 40})
    after = await served(replicated, gateway_workers=True)
    spread = {w: after[w]["rest"] - before[w]["rest"] for w in GATEWAY_WORKERS}
    print(f"\n40 reads on new connections to the gateway's port, served per worker: {spread}")
    assert sum(spread.values()) == 40 and all(n > 0 for n in spread.values()), spread

    victim = GATEWAY_WORKERS[0]
    old_pid = info["pids"][victim]
    os.kill(old_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    assert wait_gone([old_pid], within=2.0) == []
    # The other worker takes every new connection while the killed one is down.
    meanwhile = await _fresh_connection_reads(replicated.gateway_url, token, 30)
    while not _alive(new_pid := replicated.refresh()["pids"][victim]) or new_pid == old_pid:
        assert time.monotonic() < killed_at + BACK_WITHIN, replicated.logs()[-3000:]
        await asyncio.sleep(0.05)
    assert await wait_ready(replicated.info["gateway_workers"][victim], within=BACK_WITHIN), replicated.logs()[-3000:]
    again = await served(replicated, gateway_workers=True)
    assert await _fresh_connection_reads(replicated.gateway_url, token, 40) == Counter({200: 40})
    served_by_new = (await served(replicated, gateway_workers=True))[victim]["rest"] - again[victim]["rest"]
    print(f"while {victim} was down: {dict(meanwhile)}; after its restart it served {served_by_new} of 40")
    assert meanwhile == Counter({200: 30})
    assert served_by_new > 0
    assert f"{victim} (pid {old_pid}) exited" in replicated.logs()


async def test_trident_restart_gateway_restarts_each_worker_in_turn_and_no_read_fails(replicated: Up) -> None:
    env = {**os.environ, "TRIDENT_STATE_DIR": str(replicated.state_dir)}
    async with GatewayClient(replicated.gateway_url) as client:
        token = (await client.signup("rest"))[1].body["access_token"]
    statuses: Counter[int] = Counter()
    done = asyncio.Event()

    async def read() -> None:
        # A browser's way: kept-alive connections, each to whichever worker accepted it.
        async with GatewayClient(replicated.gateway_url) as reader:
            for _ in range(3000):  # bounded; ends with the restarts
                if done.is_set():
                    return
                reply = await reader.request("GET", "/rest/pictures", token=token, params={"page_size": "5"})
                statuses[reply.status] += 1
                await asyncio.sleep(0.02)

    readers = [asyncio.create_task(read()) for _ in range(4)]
    try:
        before = replicated.refresh()["pids"]
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "internal.cli", "restart", "gateway",
                                                       cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
                                                       stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), timeout=400)
        assert process.returncode == 0, err.decode()
        after = replicated.refresh()["pids"]
        assert all(after[w] != before[w] for w in GATEWAY_WORKERS) and after["users"] == before["users"]
        assert [line.split()[0] for line in out.decode().splitlines()] == GATEWAY_WORKERS, out
    finally:
        done.set()
        await asyncio.gather(*readers)
    print(f"\nreads during the restart of both gateway workers: {dict(statuses)}")
    assert set(statuses) == {200}, statuses
