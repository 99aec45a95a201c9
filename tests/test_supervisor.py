"""`trident up` as a supervisor: a process that dies comes back, a dead launcher leaves nothing, a stop drains."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from internal.common.runtime.launcher import ONE_PROCESS, System
from internal.common.runtime.supervisor import Child, Supervisor
from internal.services.registry import REGISTRY
from tests.client import TRANSPORTS, GatewayClient, Reply
from tests.conftest import ROOT, free_port_base
from tests.images import png
from tests.test_running import _alive, is_listening

CREATES_PER_SECOND = 20
# A restarted process is ready once its consumer groups have assigned it partitions again, which against the
# development broker waits out the killed consumer's session (KAFKA_SESSION_TIMEOUT_MS) once per group.
READY_WITHIN = 30.0


@dataclass
class Up:
    """A `trident up` started as a person starts it: its own session, so SIGINT to the group is a Ctrl-C."""

    process: subprocess.Popen[bytes]
    state_dir: Path
    log_path: Path
    info: dict[str, Any]

    @property
    def gateway_url(self) -> str:
        return str(self.info["gateway"])

    def refresh(self) -> dict[str, Any]:
        self.info = json.loads((self.state_dir / "up.json").read_text())
        return self.info

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def system_pids(self) -> list[int]:
        """Every process of the system: launcher, children, PostgreSQL and whatever else names its state dir."""
        named = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
                 and str(self.state_dir / "pgdata") in _cmdline(int(p.name))]
        return sorted({self.info["launcher_pid"], *self.info["pids"].values(), self.info["postgres_pid"], *named})


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def start_up(state_dir: Path, *flags: str, cwd: Path = ROOT, extra_env: dict[str, str] | None = None,
             timeout: float = 240) -> Up:
    base = free_port_base()
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / f"up-{time.monotonic_ns()}.log"
    env = {**os.environ, "LOG_FORMAT": "json", **(extra_env or {})}
    # As `make run` does: the signing key is the one kept in the state directory.
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "AUTH_PRIVATE_KEY", "TRIDENT_ONE_PROCESS"):
        env.pop(name, None)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "internal.cli", "up", "--state-dir", str(state_dir), "--port", str(base),
             "--port-base", str(base), *flags],
            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    up_json = state_dir / "up.json"
    deadline = time.monotonic() + timeout
    # A killed launcher's up.json may still be there until this one cleans it up.
    while _launcher_of(up_json) != process.pid:
        if process.poll() is not None:
            raise RuntimeError(f"trident up exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"trident up not ready in {timeout}s:\n{log_path.read_text()[-4000:]}")
        time.sleep(0.2)
    return Up(process, state_dir, log_path, json.loads(up_json.read_text()))


def _launcher_of(up_json: Path) -> int | None:
    try:
        return int(json.loads(up_json.read_text())["launcher_pid"])
    except (OSError, ValueError, KeyError):
        return None


def ctrl_c(up: Up, timeout: float = 90) -> int:
    """SIGINT to the launcher's whole process group, as a terminal sends it."""
    if up.process.poll() is None:
        os.killpg(up.process.pid, signal.SIGINT)
        try:
            up.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(up.process.pid, signal.SIGKILL)
            up.process.wait()
            raise
    return up.process.returncode


def wait_gone(pids: list[int], within: float) -> list[int]:
    deadline = time.monotonic() + within
    while True:
        left = [pid for pid in pids if _alive(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


async def wait_ready(url: str, within: float) -> bool:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url + "/readyz") as response:
                    if response.status == 200:
                        return True
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.05)
    return False


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def list_titles(gateway: GatewayClient, token: str) -> list[str]:
    titles: list[str] = []
    page_token = ""
    for _ in range(1000):
        params = {"page_size": "100", **({"page_token": page_token} if page_token else {})}
        page = await gateway.request("GET", "/rest/pictures", token=token, params=params)
        assert page.status == 200, page.body
        titles += [p["title"] for p in page.body.get("pictures", [])]
        page_token = page.body.get("next_page_token", "")
        if not page_token:
            return titles
    raise AssertionError("more than 1000 pages")


@pytest.fixture(scope="module")
def supervised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    up = start_up(tmp_path_factory.mktemp("supervised"))
    try:
        yield up
    finally:
        ctrl_c(up)


@pytest.fixture
async def client(supervised: Up) -> AsyncIterator[GatewayClient]:
    async with GatewayClient(supervised.gateway_url) as gateway:
        yield gateway


# What must keep working while each process is down, over every transport; with the gateway down no call
# through it can, and the services' own ports must keep answering.
BYSTANDERS = {"pictures": ("GET", "/{transport}/me"), "users": ("POST", "/{transport}/pictures"),
              "gateway": ("GET", "/readyz")}


@pytest.mark.parametrize("victim", ["pictures", "users", "gateway"])
async def test_a_killed_process_is_back_within_5s_the_others_keep_serving_and_no_create_is_lost_or_doubled(
        supervised: Up, client: GatewayClient, victim: str) -> None:
    info = supervised.refresh()
    old_pid = info["pids"][victim]
    restarts = info["processes"][victim]["restarts"]
    rest_url = info["gateway"] if victim == "gateway" else info["services"][victim]["rest"]
    tokens = {t: (await client.signup(t))[1].body["access_token"] for t in TRANSPORTS}
    outcomes: dict[str, list[tuple[str, Reply | BaseException]]] = {t: [] for t in TRANSPORTS}
    bystander_replies: list[tuple[str, int, float]] = []
    stop = asyncio.Event()
    killed = SimpleNamespace(at=0.0, back=0.0)

    async def create(transport: str, title: str) -> int:
        body = {"title": title, "base64": b64(png(seed=len(title)))}
        try:
            reply: Reply | BaseException = await client.request("POST", f"/{transport}/pictures", body,
                                                               token=tokens[transport])
        except (aiohttp.ClientError, TimeoutError) as exc:
            reply = exc
        outcomes[transport].append((title, reply))
        return reply.status if isinstance(reply, Reply) else 0

    async def stream(transport: str) -> None:
        tasks = []
        for i in range(60 * CREATES_PER_SECOND):  # bounded: at most a minute
            if stop.is_set():
                break
            tasks.append(asyncio.create_task(create(transport, f"{victim}-{transport}-{i}")))
            await asyncio.sleep(1 / CREATES_PER_SECOND)
        await asyncio.gather(*tasks)

    async def bystander(transport: str) -> None:
        method, path = BYSTANDERS[victim]
        # With the gateway down, each transport's stream asks one service directly instead.
        base = info["services"][["users", "auth", "pictures"][TRANSPORTS.index(transport)]]["rest"] \
            if victim == "gateway" else info["gateway"]
        async with GatewayClient(base) as caller:
            while not stop.is_set():
                body = {"title": "bystander", "base64": b64(png())} if method == "POST" else None
                reply = await caller.request(method, path.format(transport=transport), body, token=tokens[transport])
                if killed.at and not killed.back:
                    bystander_replies.append((transport, reply.status, time.monotonic() - killed.at))
                await asyncio.sleep(0.1)

    streams = [asyncio.create_task(stream(t)) for t in TRANSPORTS]
    bystanders = [asyncio.create_task(bystander(t)) for t in TRANSPORTS]
    await asyncio.sleep(2)
    os.kill(old_pid, signal.SIGKILL)
    killed.at = time.monotonic()
    assert wait_gone([old_pid], within=2.0) == []
    # Back: the supervisor has a new process of that name running within 5 s of the kill...
    while not _alive(new_pid := supervised.refresh()["pids"][victim]) or new_pid == old_pid:
        assert time.monotonic() < killed.at + 5.0, supervised.logs()[-3000:]
        await asyncio.sleep(0.05)
    restarted_after = time.monotonic() - killed.at
    # ...which answers /readyz on the same port once its transports run (its Kafka consumers must first be
    # given their partitions again: see READY_WITHIN).
    assert await wait_ready(rest_url, within=READY_WITHIN), supervised.logs()[-3000:]
    killed.back = time.monotonic()
    print(f"\n{victim}: running again {restarted_after:.1f}s and ready {killed.back - killed.at:.1f}s after kill -9")
    # After it is back, every transport serves creates again.
    deadline = time.monotonic() + 30
    for transport in TRANSPORTS:
        for attempt in range(100):
            title = f"{victim}-{transport}-after-{attempt}"
            if await create(transport, title) == 201:
                break
            assert time.monotonic() < deadline, outcomes[transport][-1]
            await asyncio.sleep(0.5)
    await asyncio.sleep(1)
    stop.set()
    await asyncio.gather(*streams, *bystanders)

    info = supervised.refresh()
    assert info["pids"][victim] != old_pid
    assert info["processes"][victim]["restarts"] == restarts + 1
    assert f"{victim} (pid {old_pid}) exited with signal SIGKILL" in supervised.logs()
    assert all(status in (200, 201) for _, status, _ in bystander_replies), bystander_replies
    report = []
    for transport in TRANSPORTS:
        acknowledged = [title for title, reply in outcomes[transport]
                        if isinstance(reply, Reply) and reply.status == 201]
        stored = Counter(t for t in await list_titles(client, tokens[transport]) if t != "bystander")
        assert {t: n for t, n in stored.items() if n > 1} == {}, f"duplicates over {transport}"
        assert [t for t in acknowledged if stored[t] != 1] == [], f"acknowledged creates lost over {transport}"
        report.append(f"{transport}: sent {len(outcomes[transport])} acknowledged {len(acknowledged)} "
                      f"stored {sum(stored.values())} duplicates 0")
    print(f"\nkill -9 {victim}: " + "; ".join(report))


def test_trident_ps_shows_every_process_and_trident_restart_restarts_one(supervised: Up) -> None:
    env = {**os.environ, "TRIDENT_STATE_DIR": str(supervised.state_dir)}
    run = [sys.executable, "-m", "internal.cli"]
    old = supervised.refresh()["pids"]["pictures"]
    restarted = subprocess.run([*run, "restart", "pictures"], cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=120)
    assert restarted.returncode == 0, restarted.stderr
    new = supervised.refresh()["pids"]["pictures"]
    assert new != old and not _alive(old)
    assert f"pictures restarted: pid {old} → {new}" in restarted.stdout
    ps = subprocess.run([*run, "ps"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert ps.returncode == 0, ps.stderr
    rows = {line.split()[0]: line.split() for line in ps.stdout.splitlines()[1:]}
    assert set(rows) == {"launcher", "users", "auth", "pictures", "analytics", "gateway", "postgres"}
    for name in ("users", "auth", "pictures", "analytics", "gateway"):
        assert rows[name][1] == str(supervised.info["pids"][name])
        assert rows[name][2:4] == ["yes", "yes"], ps.stdout
    assert f"rest {supervised.info['services']['pictures']['rest'].rsplit(':', 1)[1]}" in ps.stdout
    unknown = subprocess.run([*run, "restart", "nosuch"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=60)
    assert unknown.returncode == 2 and "no process 'nosuch'" in unknown.stderr


def test_ps_and_restart_say_when_nothing_runs(tmp_path: Path) -> None:
    env = {**os.environ, "TRIDENT_STATE_DIR": str(tmp_path)}
    for command in (["ps"], ["restart", "pictures"]):
        result = subprocess.run([sys.executable, "-m", "internal.cli", *command], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 1
        assert result.stderr.strip() == f"trident up is not running for {tmp_path}"


async def test_ctrl_c_with_50_requests_in_flight_completes_all_50(tmp_path: Path) -> None:
    up = start_up(tmp_path / "state")
    try:
        received: dict[int, Reply | BaseException] = {}
        async with GatewayClient(up.gateway_url) as gateway:
            tokens = {t: (await gateway.signup(t))[1].body["access_token"] for t in TRANSPORTS}

            async def create(n: int) -> None:
                transport = TRANSPORTS[n % 3]
                body = {"title": f"in flight {n}", "base64": b64(png(64, 64, seed=n))}
                try:
                    received[n] = await gateway.request("POST", f"/{transport}/pictures", body, token=tokens[transport])
                except (aiohttp.ClientError, TimeoutError) as exc:
                    received[n] = exc

            tasks = [asyncio.create_task(create(n)) for n in range(50)]
            deadline = time.monotonic() + 60
            while not received:
                assert time.monotonic() < deadline, "no create answered within 60 s"
                await asyncio.sleep(0.01)
            in_flight = 50 - len(received)
            os.killpg(up.process.pid, signal.SIGINT)
            await asyncio.gather(*tasks)
        failed = {n: r for n, r in received.items() if not isinstance(r, Reply) or r.status != 201}
        assert failed == {}
        print(f"\n{in_flight} of 50 requests were in flight at SIGINT; all 50 answered 201")
        assert in_flight > 0
        assert up.process.wait(timeout=90) == 0
        assert "Stopping: the gateway first" in up.logs()
    finally:
        ctrl_c(up)


async def test_sessions_and_data_survive_a_stop_and_a_start_on_the_same_state_dir(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = start_up(state)
    try:
        async with GatewayClient(first.gateway_url) as gateway:
            username, signup = await gateway.signup("rest")
            token = signup.body["access_token"]
            created = await gateway.request("POST", "/grpc/pictures", {"title": "kept", "base64": b64(png())},
                                            token=token)
            assert created.status == 201
    finally:
        assert ctrl_c(first) == 0
    key = state / "auth-signing-key.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    second = start_up(state)
    try:
        async with GatewayClient(second.gateway_url) as gateway:
            for transport in TRANSPORTS:
                me = await gateway.request("GET", f"/{transport}/me", token=token)
                assert (me.status, me.body.get("username")) == (200, username), me.body
            picture = await gateway.request("GET", f"/rest/pictures/{created.body['id']}", token=token)
            assert picture.status == 200 and picture.body["title"] == "kept"
    finally:
        assert ctrl_c(second) == 0


async def test_a_killed_launcher_leaves_no_process_and_the_next_run_starts_cleanly_with_its_data(
        tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = start_up(state)
    try:
        async with GatewayClient(first.gateway_url) as gateway:
            username, signup = await gateway.signup("events")
            token = signup.body["access_token"]
        pids = first.system_pids()
        assert len(pids) == 8, pids  # launcher, five processes, PostgreSQL, its watchdog
        ports = [int(p) for child in first.info["processes"].values() for p in child["ports"].values()]
        os.kill(first.info["launcher_pid"], signal.SIGKILL)
        assert wait_gone(pids, within=5.0) == []
    finally:
        if first.process.poll() is None:
            os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait()
    assert [p for p in ports if is_listening(p)] == []
    # What the killed launcher left: its up.json and pgserver's record of it; the next run cleans them up.
    assert json.loads((state / "up.json").read_text())["launcher_pid"] == first.info["launcher_pid"]
    second = start_up(state)
    try:
        assert "removing stale" in second.logs()
        async with GatewayClient(second.gateway_url) as gateway:
            me = await gateway.request("GET", "/rest/me", token=token)
            assert (me.status, me.body.get("username")) == (200, username)
        # A second launcher on the same state directory is refused while this one runs.
        refused = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "internal.cli", "up", "--state-dir", str(state), "--port", "1",
                             "--port-base", "1"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert refused.returncode == 1
        assert f"trident up is already running for {state} (pid {second.info['launcher_pid']})" in refused.stderr
        assert "Traceback" not in refused.stderr
    finally:
        assert ctrl_c(second) == 0
    assert wait_gone(second.system_pids(), within=5.0) == []
    assert not (state / "pgdata" / "postmaster.pid").exists()


def test_a_port_in_use_by_another_program_is_named_in_one_line(tmp_path: Path) -> None:
    base = free_port_base()
    with socket_listening(base + 3):
        result = subprocess.run(
            [sys.executable, "-m", "internal.cli", "up", "--state-dir", str(tmp_path), "--port", str(base),
             "--port-base", str(base)], cwd=ROOT, capture_output=True, text=True, timeout=60,
            env={k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"})
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("trident up:")]
    assert lines == [f"trident up: port {base + 3} (pictures REST) on 127.0.0.1 is in use by another program; stop "
                     "it, or choose other ports with --port / --port-base (GATEWAY_PORT / TRIDENT_PORT_BASE)"]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "up.json").exists() and not (tmp_path / "pgdata").exists()


@contextmanager
def socket_listening(port: int) -> Iterator[None]:
    """Another program's server on `port`."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen()
        yield


async def test_reload_restarts_the_process_whose_handler_was_edited_and_it_answers_the_new_way(
        tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".venv", ".git", "node_modules", ".trident", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"))
    up = start_up(tmp_path / "state", "--reload", cwd=copy)
    try:
        async with GatewayClient(up.gateway_url) as gateway:
            username, signup = await gateway.signup("rest", f"reload_{tmp_path.name[-8:].lower()}")
            token = signup.body["access_token"]
            assert (await gateway.request("GET", "/rest/me", token=token)).body["username"] == username
            service = copy / "internal" / "services" / "users" / "service.py"
            before = service.read_text()
            edited = before.replace(
                '            raise NotFound("user not found")\n        return _to_proto(row)\n\n'
                '    async def get_user_by_username',
                '            raise NotFound("user not found")\n        user = _to_proto(row)\n'
                '        user.username = user.username.upper()\n        return user\n\n'
                '    async def get_user_by_username', 1)
            assert edited != before
            service.write_text(edited)
            edited_at = time.monotonic()
            for _ in range(600):
                me = await gateway.request("GET", "/rest/me", token=token)
                if me.status == 200 and me.body["username"] == username.upper():
                    break
                assert time.monotonic() < edited_at + 60, up.logs()[-3000:]
                await asyncio.sleep(0.1)
            answered = {"rest": time.monotonic() - edited_at}
            for transport in ("grpc", "events"):
                me = await gateway.request("GET", f"/{transport}/me", token=token)
                assert (me.status, me.body["username"]) == (200, username.upper())
                answered[transport] = time.monotonic() - edited_at
            # Reported, not asserted (README states the number measured on a 2-core machine).
            print("\nthe edited handler answered, counted from the edit: "
                  + ", ".join(f"{t} {s:.2f} s" for t, s in answered.items()))
        restarts = {name: p["restarts"] for name, p in up.refresh()["processes"].items()}
        assert restarts == {"users": 1, "auth": 0, "pictures": 0, "analytics": 0, "gateway": 0}
        assert "restarting users (code changed)" in up.logs()
    finally:
        assert ctrl_c(up) == 0


async def test_a_postgresql_orphaned_with_its_watchdog_is_stopped_by_the_next_run(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = start_up(state)
    try:
        async with GatewayClient(first.gateway_url) as gateway:
            username, _ = await gateway.signup("grpc")
        postgres = first.info["postgres_pid"]
        watchdogs = [pid for pid in first.system_pids() if "guard.py postgres" in _cmdline(pid)]
        assert len(watchdogs) == 1
        # Nothing is left to stop PostgreSQL: it outlives this launcher.
        for pid in (first.info["launcher_pid"], *watchdogs):
            os.kill(pid, signal.SIGKILL)
        assert wait_gone([first.info["launcher_pid"], *first.info["pids"].values(), *watchdogs], within=5.0) == []
        assert _alive(postgres)
    finally:
        first.process.wait()
    second = start_up(state)
    try:
        # The orphan is gone and the data is there (in the full suite it is sometimes already stopping when the
        # second launcher looks, so which of them logs its end is not asserted).
        assert not _alive(postgres)
        async with GatewayClient(second.gateway_url) as gateway:
            login = await gateway.request("POST", "/rest/login", {"username": username, "password": "correct horse"})
            assert login.status == 200, login.body
    finally:
        assert ctrl_c(second) == 0
    assert wait_gone(second.system_pids(), within=5.0) == []


def test_a_process_that_keeps_crashing_is_restarted_with_doubling_back_off(tmp_path: Path) -> None:
    child = Child("crasher", [sys.executable, "-c", "import sys; sys.exit(3)"], dict(os.environ), tmp_path)
    supervisor = Supervisor({"crasher": child})
    supervisor.start_all()
    delays: list[tuple[int, float]] = []
    deadline = time.monotonic() + 30
    while child.restarts < 3:
        assert time.monotonic() < deadline
        supervisor.tick()
        if child.restart_at is not None and (not delays or delays[-1][0] != child.restarts):
            delays.append((child.restarts, round(child.restart_at - time.monotonic(), 1)))
        time.sleep(0.02)
    assert [restarts for restarts, _ in delays] == [0, 1, 2]
    # The next back-off doubles each time; the waits seen are at most those.
    assert child.delay == 4.0 and all(wait <= 0.5 * 2 ** n for n, wait in delays)
    assert child.last_exit == 3
    supervisor.stop_all()


def test_under_reload_a_process_starts_in_a_pre_warmed_interpreter_as_the_command_it_was_given(
        tmp_path: Path) -> None:
    (tmp_path / "reporter.py").write_text(
        "import json, os, sys\n"
        "report = {'argv': sys.argv[1:], 'own': os.environ.get('CHILD_ONLY'), 'pid': os.getpid(),\n"
        "          'framework_imported_before': 'internal.common.runtime' in sys.modules}\n"
        "with open('reports.jsonl', 'a') as out:\n"
        "    out.write(json.dumps(report) + '\\n')\n"
        "sys.exit(7)\n")
    child = Child("reporter", [sys.executable, "-m", "reporter", "a", "b"], {**os.environ, "CHILD_ONLY": "yes"},
                  tmp_path)
    supervisor = Supervisor({"reporter": child}, keep_spare=True)
    supervisor.start_all()
    spares: list[int] = []
    deadline = time.monotonic() + 60
    try:
        # It exits at once, so it is restarted after its back-off: by then a spare waits, and becomes it.
        while child.restarts < 1 or child.running():
            assert time.monotonic() < deadline, child.state()
            supervisor.tick()
            if supervisor.spare is not None and supervisor.spare.popen.pid not in spares:
                spares.append(supervisor.spare.popen.pid)
            time.sleep(0.02)
    finally:
        supervisor.stop_all()
    reports = [json.loads(line) for line in (tmp_path / "reports.jsonl").read_text().splitlines()]
    assert [r["argv"] for r in reports] == [["a", "b"], ["a", "b"]]
    assert [r["own"] for r in reports] == ["yes", "yes"]
    assert all(r["framework_imported_before"] for r in reports)
    assert child.last_exit == 7
    assert reports[1]["pid"] in spares  # the restart was the spare that had waited
    assert supervisor.spare is None


def test_reload_maps_an_edited_file_to_the_processes_that_run_it() -> None:
    system = System(REGISTRY, Path("/nonexistent"), 1, 1)
    everyone = system.processes
    system.supervisor = Supervisor({n: Child(n, [], {}, ROOT) for n in everyone})

    def reloads(*paths: str) -> list[str]:
        return system.to_reload({str(ROOT / p) for p in paths})

    assert reloads("internal/services/users/service.py") == ["users"]
    assert reloads("internal/services/gateway/service.py", "internal/services/pictures/migrations/9.sql") == [
        "pictures", "gateway"]
    assert reloads("internal/common/sender/__init__.py") == everyone
    assert reloads("configs/api.yml") == everyone
    assert reloads("api/proto/users.proto") == everyone
    assert reloads("web/src/App.tsx", "internal/services/users/__pycache__/service.cpython-311.pyc") == []
    system.one_process = True
    system.supervisor = Supervisor({ONE_PROCESS: Child(ONE_PROCESS, [], {}, ROOT)})
    assert reloads("internal/services/users/service.py") == [ONE_PROCESS]
