"""`trident up`: the whole system on one machine, on embedded defaults, supervised.

Starts PostgreSQL from the pgserver wheel (one database per service), the development Kafka broker when no
KAFKA_BOOTSTRAP_SERVERS is set, and every process of the registry (each its own OS process, a service as several
with `--replicas`, or all in one with `--one-process`); restarts a process that dies; writes the addresses, pids
and restarts to .trident/up.json; on SIGINT or SIGTERM stops the public process first, then the services, then Kafka and
PostgreSQL. `trident ps` and `trident restart` read and drive a running launcher through its state directory.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from internal.common import mq
from internal.common.config import PROJECT_ROOT
from internal.common.runtime import Registry
from internal.common.runtime.guard import GUARD_PATH, running, stop_postgres
from internal.common.runtime.oneprocess import PROCESS_ENV
from internal.common.runtime.supervisor import WARM_MODULE, Child, Supervisor, log
from internal.common.tracing.collector import TraceCollector, local_collector

TOPIC_PARTITIONS = 3
# Instances of one service `--replicas` runs at most (each takes two ports and a share of the topics' partitions).
MAX_REPLICAS = 16
INTERNAL_KEY_FILE = "internal-token.key"
# The development broker answers a fetch only when its wait runs out: requests are read at this wait (the
# trade-off of latency against CPU at rest, measured by `make bench`), replies, read only while a call waits,
# at a short one.
DEV_FETCH_MAX_WAIT_MS = 50
DEV_REPLY_FETCH_MAX_WAIT_MS = 5
# Where tools such as kcat find the development broker, whose own port the kernel picks on every start.
DEV_BROKER_PORT = 9192
DEV_CONSUMER_SESSION = {"KAFKA_SESSION_TIMEOUT_MS": "1500", "KAFKA_HEARTBEAT_INTERVAL_MS": "500"}
# Under --reload a restart is a developer waiting for an edit to show: the old process keeps its accepted
# connections open this briefly (1 s otherwise), enough for a request already on its way.
RELOAD_DRAIN_GRACE = {"HTTP_DRAIN_GRACE_S": "0.1"}
# The name of the one child of `--one-process`.
ONE_PROCESS = "all"
RELOADED_SUFFIXES = {".py", ".yml", ".yaml", ".proto", ".sql", ".env"}


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived while starting."""


class UpError(Exception):
    """A reason `trident up` cannot start, said in one line."""


def gateway_workers(text: str) -> int:
    """GATEWAY_WORKERS / --gateway-workers: how many processes serve the public port (0: one per CPU core)."""
    if not text.strip().isdigit():
        raise UpError(f"--gateway-workers: {text!r} is not a number of processes (0: one per CPU core)")
    count = int(text) or os.cpu_count() or 1
    if count > MAX_REPLICAS:
        raise UpError(f"--gateway-workers: at most {MAX_REPLICAS}, not {count}")
    return count


def parse_replicas(text: str, services: list[str]) -> dict[str, int]:
    """`pictures=3,users=2` (from --replicas or TRIDENT_REPLICAS): how many instances of which services."""
    replicas: dict[str, int] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, equals, count = item.partition("=")
        name = name.strip()
        if not equals or not count.strip().isdigit():
            raise UpError(f"--replicas: {item!r} is not SERVICE=COUNT (e.g. pictures=3,users=2)")
        if name not in services:
            raise UpError(f"--replicas: {name!r} is not a service; replicas are for {', '.join(services)} (the "
                          "public process runs once)")
        if not 1 <= int(count) <= MAX_REPLICAS:
            raise UpError(f"--replicas: {name} needs 1 to {MAX_REPLICAS} instances, not {count.strip()}")
        replicas[name] = int(count)
    return replicas


def service_of(process: str) -> str:
    """The service an instance belongs to: `pictures#2` → `pictures`."""
    return process.partition("#")[0]


@dataclass
class Ports:
    """The public process on `gateway`; each service's (first) instance REST on base+1… and gRPC on base+1001…, in
    registry order; further instances of replicated services after those, in the same order. A public process run
    as n > 1 workers: each shares `gateway` (SO_REUSEPORT) and has a REST port of its own after those (health,
    metrics, and a way to reach one worker)."""

    gateway: int
    base: int
    services: list[str]
    public: str
    replicas: dict[str, int] = field(default_factory=dict)

    def instances(self, service: str) -> list[str]:
        """Its process names: the service's own name, or `name#1`…`name#n` when it runs as n > 1 instances."""
        count = self.replicas.get(service, 1)
        return [service] if count == 1 else [f"{service}#{i}" for i in range(1, count + 1)]

    @property
    def workers(self) -> list[str]:
        """The public process's workers when it runs as several, else none."""
        workers = self.instances(self.public)
        return workers if len(workers) > 1 else []

    def _slot(self, process: str) -> int:
        extra = [i for s in self.services for i in self.instances(s)[1:]] + self.workers
        if process in extra:
            return len(self.services) + extra.index(process)
        return self.services.index(service_of(process))

    def rest(self, process: str) -> int:
        return self.gateway if process == self.public else self.base + 1 + self._slot(process)

    def grpc(self, process: str) -> int:
        return 0 if service_of(process) == self.public else self.base + 1001 + self._slot(process)

    def shared(self, process: str) -> int:
        """The port a worker shares with the others (0: none)."""
        return self.gateway if process in self.workers else 0

    def of(self, process: str) -> dict[str, int]:
        return {"rest": self.rest(process), **({"grpc": self.grpc(process)} if self.grpc(process) else {}),
                **({"shared": self.shared(process)} if self.shared(process) else {})}


# The state directory: who owns it, and what a launcher that died without stopping left there.


class StateDir:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.up_json = path / "up.json"
        self.control = path / "control"
        self.pgdata = path / "pgdata"
        self._lock: IO[str] | None = None

    def acquire(self) -> None:
        """Own the directory for the life of this process (a flock, which the kernel drops when it dies)."""
        self.path.mkdir(parents=True, exist_ok=True)
        lock = (self.path / "launcher.lock").open("a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            owner = launcher_pid(self)
            raise UpError(f"trident up is already running for {self.path}" + (f" (pid {owner})" if owner else "")
                          + "; stop it first, or use another --state-dir") from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        self._lock = lock

    def clean_stale(self) -> None:
        """What a launcher killed without stopping left behind: processes, PostgreSQL, files."""
        stale = read_up_json(self)
        for name, pid in (stale or {}).get("pids", {}).items():
            if isinstance(pid, int) and running(pid) and _is_trident_process(pid):
                log(f"stopping {name} (pid {pid}) left over from a launcher that died")
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if stale is not None:
            log(f"removing stale {self.up_json} of launcher pid {stale.get('launcher_pid')}")
            self.up_json.unlink(missing_ok=True)
        postmaster = self.pgdata / "postmaster.pid"
        if postmaster.exists():
            log("stopping PostgreSQL left over from a launcher that died")
            stop_postgres(self.pgdata)
            deadline = time.monotonic() + 15
            while postmaster.exists() and _postmaster_alive(self.pgdata) and time.monotonic() < deadline:
                time.sleep(0.1)
        # pgserver counts the processes using the server here; a dead launcher's entry would keep it running.
        (self.pgdata / ".handle_pids.json").unlink(missing_ok=True)
        for request in self.control.glob("restart-*"):
            request.unlink(missing_ok=True)

    def write(self, info: dict[str, Any]) -> None:
        tmp = self.up_json.with_suffix(".tmp")
        tmp.write_text(json.dumps(info, indent=2))
        os.replace(tmp, self.up_json)

    def release(self) -> None:
        if self._lock is not None:
            self.up_json.unlink(missing_ok=True)
            self._lock.close()
            self._lock = None


def read_up_json(state: StateDir) -> dict[str, Any] | None:
    try:
        data = json.loads(state.up_json.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def launcher_pid(state: StateDir) -> int | None:
    """The pid of the live launcher of this state directory, if one holds it."""
    lock_file = state.path / "launcher.lock"
    if not lock_file.exists():
        return None
    with lock_file.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            text = lock.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(lock, fcntl.LOCK_UN)
    return None


def _is_trident_process(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    # Under --reload every process runs inside a pre-warmed interpreter, named only by its module.
    return (b"internal.cli" in cmdline and b"serve" in cmdline) or WARM_MODULE.encode() in cmdline


def _postmaster_alive(pgdata: Path) -> bool:
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return False
    return running(pid)


def port_in_use(host: str, port: int) -> bool:
    """Something listens there (connections left in TIME_WAIT by our own last run do not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


@dataclass
class System:
    registry: Registry
    state_dir: Path
    gateway_port: int
    port_base: int
    host: str = "127.0.0.1"
    one_process: bool = False
    reload: bool = False
    replicas: dict[str, int] = field(default_factory=dict)
    workers: int = 1
    supervisor: Supervisor = field(default_factory=lambda: Supervisor({}))
    info: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False
    _pg: Any = None
    _pg_watchdog: subprocess.Popen[bytes] | None = None
    _broker: Any = None
    _collector: TraceCollector | None = None

    def __post_init__(self) -> None:
        contract = self.registry.contract()
        self.contract = contract
        self.state = StateDir(self.state_dir)
        self.services = [n for n in self.registry.names if n in contract.services]
        publics = [n for n in self.registry.names if n not in contract.services]
        if len(publics) != 1:
            raise RuntimeError(f"expected one public process (not a service of api.yml), found {publics}")
        if self.one_process and (any(n > 1 for n in self.replicas.values()) or self.workers > 1):
            raise UpError("--replicas and --gateway-workers run each instance as a process of its own: not with "
                          "--one-process")
        self.ports = Ports(self.gateway_port, self.port_base, self.services, publics[0],
                           {**self.replicas, publics[0]: self.workers})
        self.with_database = [s.name for s in self.registry.services if s.migrations is not None]

    @property
    def processes(self) -> list[str]:
        return [*(i for s in self.services for i in self.ports.instances(s)), *self.ports.instances(self.ports.public)]

    def start(self) -> dict[str, Any]:
        self.state.acquire()
        self.state.clean_stale()
        self._check_ports()
        database_urls = self._start_postgres()
        bootstrap = tools_bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
        fetch_wait = os.environ.get("KAFKA_FETCH_MAX_WAIT_MS", "")
        reply_topic = os.environ.get("KAFKA_REPLY_TOPIC", "results")
        if not bootstrap:
            from internal.common.mq.devbroker import DevBroker

            self._broker = DevBroker()
            # Nothing creates topics on demand: the system's, and any a developer lists (benchmarks, experiments).
            extra = [t for t in os.environ.get("KAFKA_DEV_EXTRA_TOPICS", "").split(",") if t.strip()]
            # Every instance of a service reads a share of its topics' partitions: at least one each.
            self._broker.create_topics([*mq.system_topics(self.contract, reply_topic), *extra],
                                       partitions=max(TOPIC_PARTITIONS, *self.replicas.values(), 1))
            bootstrap = self._broker.bootstrap_servers
            fetch_wait = fetch_wait or str(DEV_FETCH_MAX_WAIT_MS)
            tools_bootstrap = self._dev_broker_port(bootstrap)
        shared_env, own_env = self.registry.dev_environment(self.state_dir)
        shared_env.setdefault("INTERNAL_TOKEN_KEY", os.environ.get("INTERNAL_TOKEN_KEY")
                              or kept_secret(self.state_dir / INTERNAL_KEY_FILE, lambda: secrets.token_urlsafe(48)))
        common = {**os.environ, **shared_env, "HOST": self.host, "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                  "PYTHONUNBUFFERED": "1"}
        for private in {key for env in own_env.values() for key in env}:
            common.pop(private, None)  # what one process is given, the others are not
        if fetch_wait:
            common["KAFKA_FETCH_MAX_WAIT_MS"] = fetch_wait
        # Traces on by default, kept in memory here, unless they go to the operator's own collector.
        self._collector = local_collector(os.environ, self.host)
        for variable, value in (self._collector.environment() if self._collector else {}).items():
            common.setdefault(variable, value)
        if self._broker is not None:
            # A consumer killed with its process stays a group member until its session times out, and its
            # restarted successor waits that long for an assignment; short here, where one machine runs it all.
            # (The services' own consumers are static members here, below, and join no group at all.)
            for variable, value in DEV_CONSUMER_SESSION.items():
                common.setdefault(variable, value)
            common.setdefault("KAFKA_REPLY_FETCH_MAX_WAIT_MS", str(DEV_REPLY_FETCH_MAX_WAIT_MS))
        if self.reload:
            for variable, value in RELOAD_DRAIN_GRACE.items():
                common.setdefault(variable, value)
        for service in self.services:
            instances = self.ports.instances(service)
            common[f"PEERS__{service.upper()}__REST_URL"] = ",".join(
                f"http://{self.host}:{self.ports.rest(i)}" for i in instances)
            common[f"PEERS__{service.upper()}__GRPC_TARGET"] = ",".join(
                f"{self.host}:{self.ports.grpc(i)}" for i in instances)
        own: dict[str, dict[str, str]] = {}
        for name in self.processes:
            service = service_of(name)
            own[name] = {**own_env.get(service, {}), "SERVICE_NAME": service, "REST_PORT": str(self.ports.rest(name)),
                         "GRPC_PORT": str(self.ports.grpc(name)), "SHARED_PORT": str(self.ports.shared(name))}
            if service in database_urls:
                own[name]["DATABASE_URL"] = database_urls[service]
            if self._broker is not None and service in self.services:
                # The development broker cannot run a group of several members (DESIGN.md, "Kafka here"): each
                # instance reads its own share of the partitions, committing under the group without joining it.
                # It also spares a restarted instance the wait for its dead predecessor's group session.
                instances = self.ports.instances(service)
                own[name]["KAFKA_STATIC_MEMBER"] = f"{instances.index(name) + 1}/{len(instances)}"
        serve = [sys.executable, "-m", "internal.cli", "serve"]
        if self.one_process:
            ports = {f"{name}.{kind}": port for name in self.processes for kind, port in self.ports.of(name).items()}
            children = [Child(ONE_PROCESS, [*serve, *self.processes], {**common, PROCESS_ENV: json.dumps(own)},
                              PROJECT_ROOT, ports)]
        else:
            children = [Child(name, [*serve, service_of(name)], {**common, **own[name]}, PROJECT_ROOT,
                              self.ports.of(name)) for name in self.processes]
        # Under --reload a pre-warmed interpreter waits to become the next restarted process (warm.py).
        self.supervisor = Supervisor({c.name: c for c in children}, front=self.ports.instances(self.ports.public),
                                     keep_spare=self.reload)
        self.supervisor.start_all()
        self._wait_ready()
        self.info = {
            "gateway": f"http://{self.host}:{self.ports.gateway}",
            "gateway_workers": {w: f"http://{self.host}:{self.ports.rest(w)}" for w in self.ports.workers},
            "services": {s: self._addresses(s) for s in self.services},
            "postgres": {s: _redact(u) for s, u in database_urls.items()},
            "kafka": {"bootstrap_servers": tools_bootstrap, "dev_broker": self._broker is not None,
                      "reply_topic": reply_topic},
            "traces": self._collector.url if self._collector else None,
            "launcher_pid": os.getpid(),
            "one_process": self.one_process,
        }
        self.save()
        return self.info

    def _addresses(self, service: str) -> dict[str, Any]:
        """Where a service answers: its first instance's REST and gRPC (as without replicas), and every instance."""
        host = self.host
        instances = {i: {"rest": f"http://{host}:{self.ports.rest(i)}", "grpc": f"{host}:{self.ports.grpc(i)}"}
                     for i in self.ports.instances(service)}
        first = next(iter(instances.values()))
        return {**first, "topic": service, "instances": instances}

    def _dev_broker_port(self, direct: str) -> str:
        """The fixed port of the development broker for tools (KAFKA_DEV_PORT, 0: none), or its random one."""
        port = int(os.environ.get("KAFKA_DEV_PORT", str(DEV_BROKER_PORT)) or 0)
        if not port:
            return direct
        try:
            return str(self._broker.listen_on(port))
        except OSError as exc:
            log(f"Kafka: port {port} is taken ({exc.strerror}), so the development broker is only on {direct} this "
                "time (`trident kafka bootstrap` prints it; KAFKA_DEV_PORT chooses another port)")
            return direct

    def save(self) -> None:
        children = self.supervisor.children.values()
        self.info["pids"] = {c.name: c.pid for c in children}
        self.info["processes"] = {c.name: c.state() for c in children}
        self.info["postgres_pid"] = self._pg.get_pid() if self._pg is not None else None
        self.state.write(self.info)
        self.supervisor.changed = False

    def _check_ports(self) -> None:
        wanted = [(f"{name} REST", self.ports.rest(name)) for name in self.processes]
        if self.ports.workers:
            wanted.append(("gateway", self.ports.gateway))
        wanted += [(f"{name} gRPC", self.ports.grpc(name)) for name in self.processes if name != self.ports.public]
        # A process of a launcher that just died may take a moment to let go of its ports.
        deadline = time.monotonic() + 3
        while True:
            busy = [(what, port) for what, port in wanted if port_in_use(self.host, port)]
            if not busy or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if busy:
            what, port = busy[0]
            others = f" (and {len(busy) - 1} more)" if len(busy) > 1 else ""
            raise UpError(f"port {port} ({what}) on {self.host} is in use by another program{others}; stop it, or "
                          "choose other ports with --port / --port-base (GATEWAY_PORT / TRIDENT_PORT_BASE)")

    def _start_postgres(self) -> dict[str, str]:
        if os.environ.get("DATABASE_URL_TEMPLATE"):
            template = os.environ["DATABASE_URL_TEMPLATE"]
            return {s: template.format(service=s) for s in self.with_database}
        with warnings.catch_warnings():
            # pgserver keeps a lock file under the user's runtime directory; without XDG_RUNTIME_DIR (a root shell,
            # a container) platformdirs warns and falls back to a private directory in /tmp, which serves as well.
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
            import pgserver

        self._pg = pgserver.get_server(  # type: ignore[attr-defined]
            self.state.pgdata, cleanup_mode="stop")
        # PostgreSQL is a daemon of its own: this watchdog stops it when the launcher is gone, however it went.
        self._pg_watchdog = subprocess.Popen(
            [sys.executable, "-I", "-S", str(GUARD_PATH), "postgres", str(self.state.pgdata)],
            stdin=subprocess.PIPE, process_group=0)
        existing = self._pg.psql("SELECT datname FROM pg_database;")
        for service in self.with_database:
            if f" {service}\n" not in existing:
                self._pg.psql(f"CREATE DATABASE {service};")
        base = self._pg.get_uri("postgres")
        return {s: base.replace("/postgres?", f"/{s}?") for s in self.with_database}

    def _wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        for child in self.supervisor.children.values():
            rest_ports = [port for key, port in child.ports.items() if key.endswith("rest")]
            for port in rest_ports:
                while not ready(f"http://{self.host}:{port}/readyz"):
                    if self.interrupted:
                        raise Interrupted
                    if child.popen is not None and child.popen.poll() is not None:
                        raise UpError(f"{child.name} exited with status {child.popen.returncode} while starting")
                    if time.monotonic() > deadline:
                        raise UpError(f"{child.name} was not ready within {timeout:.0f}s")
                    time.sleep(0.1)

    def control_requests(self) -> list[str]:
        """Processes that `trident restart` asked to restart (a file per request in state/control); a replicated
        service's name means all its instances."""
        names = []
        for request in sorted(self.state.control.glob("restart-*")):
            request.unlink(missing_ok=True)
            name = request.name.removeprefix("restart-")
            if name in self.supervisor.children:
                names.append(name)
            elif name in (*self.services, self.ports.public):
                names += self.ports.instances(name)
            else:
                log(f"ignoring a restart of {name!r}: no such process")
        return names

    def changed_code(self, paths: set[str]) -> tuple[set[str], bool]:
        """Of the changed paths: the services whose own source directory changed, and whether code shared by
        all (anything else under the registry's `watch` paths) changed."""
        sources = {s.name: s.source.resolve() for s in self.registry.services if s.source is not None}
        owners: set[str] = set()
        shared = False
        for path in paths:
            changed = Path(path).resolve()
            if changed.suffix not in RELOADED_SUFFIXES:
                continue
            owner = next((name for name, source in sources.items() if changed.is_relative_to(source)), None)
            if owner is not None:
                owners.add(owner)
            elif any(changed.is_relative_to(w.resolve()) for w in self.registry.watch):
                shared = True
        return owners, shared

    def to_reload(self, paths: set[str]) -> list[str]:
        """The processes whose code is among the changed paths: a change inside a service's own source directory
        restarts that process; a change elsewhere under the registry's `watch` paths restarts all."""
        owners, shared = self.changed_code(paths)
        if not owners and not shared:
            return []
        if self.one_process:
            return [ONE_PROCESS]
        # A service of the contract runs as one child or several (its replicas); a process that is not one (the
        # gateway) as one child of its own name.
        if shared or not owners <= {*self.services, *self.supervisor.children}:
            return list(self.supervisor.children)
        return [n for n in self.supervisor.children if service_of(n) in owners]

    def reload_changed(self, paths: set[str]) -> None:
        """Restart what runs the changed code (`trident up --reload`)."""
        _, shared = self.changed_code(paths)
        if shared:
            # The spare imported the framework as it was; the restarts below start cold, and a new spare later.
            self.supervisor.discard_spare()
        changed = self.to_reload(paths)
        if changed:
            self.supervisor.restart(changed, "code changed")

    def stop(self) -> None:
        self.supervisor.stop_all()
        if self._collector is not None:
            self._collector.stop()
            self._collector = None
        if self._broker is not None:
            self._broker.close()
            self._broker = None
        if self._pg is not None:
            self._pg.cleanup()
            self._pg = None
        if self._pg_watchdog is not None:
            assert self._pg_watchdog.stdin is not None
            self._pg_watchdog.stdin.close()
            self._pg_watchdog.wait(timeout=30)
            self._pg_watchdog = None
        self.state.release()


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def kept_secret(path: Path, generate: Callable[[], str]) -> str:
    """A development secret generated once and kept in the state directory, readable by its owner only."""
    if path.exists():
        return path.read_text()
    value = generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value)
    return value


def _redact(url: str) -> str:
    # pgserver's URIs carry no password; a configured template might.
    scheme, _, rest = url.partition("//")
    credentials, at, location = rest.partition("@")
    user, _, password = credentials.partition(":")
    if at and password:
        return f"{scheme}//{user}:***@{location}"
    return url


def print_addresses(info: dict[str, Any], state_dir: Path) -> None:
    lines = [
        "Trident is up" + (" (every process in one, --one-process)." if info.get("one_process") else "."),
        f"  gateway          {info['gateway']}   (web app at /, API docs at /docs)",
    ]
    for name, url in info.get("gateway_workers", {}).items():
        lines.append(f"  {name:<16} {url}   (this worker alone: health, metrics)")
    for service, addr in info["services"].items():
        for name, instance in addr.get("instances", {service: addr}).items():
            lines.append(f"  {name:<16} REST {instance['rest']}   gRPC {instance['grpc']}   topic {addr['topic']}")
    for service, uri in info["postgres"].items():
        lines.append(f"  postgres/{service:<7} {uri}")
    lines.append(f"  kafka            {info['kafka']['bootstrap_servers']}"
                 + ("   (development broker)" if info["kafka"]["dev_broker"] else ""))
    if info.get("traces"):
        lines.append(f"  traces           {info['traces']}   (local collector; open a call's trace from analytics)")
    lines.append(f"  addresses saved  {state_dir / 'up.json'}   (`trident ps` shows the processes)")
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)


def watch_code(changes: queue.Queue[set[str]], stop: threading.Event) -> None:
    """Put each batch of changed paths under the project's code into `changes` (a thread of its own)."""
    import watchfiles

    roots = [PROJECT_ROOT / p for p in ("internal", "configs", "api") if (PROJECT_ROOT / p).exists()]
    for batch in watchfiles.watch(*roots, stop_event=stop, debounce=200, step=50, raise_interrupt=False):
        changes.put({path for _, path in batch})


def _drain(changes: queue.Queue[set[str]]) -> Iterator[set[str]]:
    while True:
        try:
            yield changes.get_nowait()
        except queue.Empty:
            return


def _next_changes(changes: queue.Queue[set[str]], timeout: float) -> list[set[str]]:
    """The batches of changed paths waiting, or the first to come within `timeout` (the supervision loop's pause,
    so that an edit is acted on at once rather than at the next tick)."""
    try:
        first = changes.get(timeout=timeout)
    except queue.Empty:
        return []
    return [first, *_drain(changes)]


def up(registry: Registry, state_dir: Path, gateway_port: int, port_base: int, *, one_process: bool = False,
       reload: bool = False, replicas: str = "", workers: str = "1") -> int:
    try:
        services = [n for n in registry.names if n in registry.contract().services]
        system = System(registry, state_dir, gateway_port, port_base, one_process=one_process, reload=reload,
                        replicas=parse_replicas(replicas, services), workers=gateway_workers(workers))
    except UpError as exc:
        print(f"trident up: {exc}", file=sys.stderr, flush=True)
        return 2

    def on_signal(signum: int, _: Any) -> None:
        system.interrupted = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    changes: queue.Queue[set[str]] = queue.Queue()
    stop_watching = threading.Event()
    try:
        if reload:
            try:
                import watchfiles  # noqa: F401
            except ImportError:
                raise UpError("--reload needs the watchfiles package (pip install watchfiles)") from None
        info = system.start()
        print_addresses(info, state_dir)
        if reload:
            threading.Thread(target=watch_code, args=(changes, stop_watching), name="reload", daemon=True).start()
            log("--reload: a change in a service's own directory restarts that process; any other code, contract "
                "or config change restarts every process")
        edited: list[set[str]] = []
        while not system.interrupted:
            system.supervisor.tick()
            asked = system.control_requests()
            if asked:
                system.supervisor.restart(asked, "asked by trident restart")
            for paths in edited:
                system.reload_changed(paths)
            if system.supervisor.changed:
                system.save()
            # While a process drains to be started again, its exit is noticed within 20 ms, not 100.
            edited = _next_changes(changes, 0.02 if system.supervisor.restarting() else 0.1)
        print("Stopping: the gateway first, then the services, then Kafka and PostgreSQL…", flush=True)
        return 0
    except Interrupted:
        return 0
    except (UpError, RuntimeError) as exc:
        print(f"trident up: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        stop_watching.set()
        # A second Ctrl-C must not cut the ordered stop short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        system.stop()
