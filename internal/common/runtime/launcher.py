"""`trident up`: the whole system on one machine, on embedded defaults.

Starts PostgreSQL from the pgserver wheel (one database per service), the development Kafka broker
when no KAFKA_BOOTSTRAP_SERVERS is set, and every service in its own OS process; writes the
addresses to .trident/up.json; stops everything it started on SIGINT or SIGTERM.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from internal.common import mq
from internal.common.config import PROJECT_ROOT
from internal.common.runtime import Registry

TOPIC_PARTITIONS = 3
INTERNAL_KEY_FILE = "internal-token.key"
DEV_FETCH_MAX_WAIT_MS = 5


@dataclass
class Ports:
    """The public process on `gateway`; the others REST on base+1… and gRPC on base+1001…, in registry order."""

    gateway: int
    base: int
    services: list[str]
    public: str

    def rest(self, name: str) -> int:
        return self.gateway if name == self.public else self.base + 1 + self.services.index(name)

    def grpc(self, name: str) -> int:
        return 0 if name == self.public else self.base + 1001 + self.services.index(name)


@dataclass
class System:
    registry: Registry
    state_dir: Path
    gateway_port: int
    port_base: int
    host: str = "127.0.0.1"
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    _pg: Any = None
    _broker: Any = None

    def __post_init__(self) -> None:
        contract = self.registry.contract()
        self.contract = contract
        self.services = [n for n in self.registry.names if n in contract.services]
        publics = [n for n in self.registry.names if n not in contract.services]
        if len(publics) != 1:
            raise RuntimeError(f"expected one public process (not a service of api.yml), found {publics}")
        self.ports = Ports(self.gateway_port, self.port_base, self.services, publics[0])
        self.with_database = [s.name for s in self.registry.services if s.migrations is not None]

    def start(self) -> dict[str, Any]:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        up_json = self.state_dir / "up.json"
        up_json.unlink(missing_ok=True)
        database_urls = self._start_postgres()
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
        fetch_wait = os.environ.get("KAFKA_FETCH_MAX_WAIT_MS", "")
        reply_topic = os.environ.get("KAFKA_REPLY_TOPIC", "results")
        if not bootstrap:
            from internal.common.mq.devbroker import DevBroker

            self._broker = DevBroker()
            self._broker.create_topics(mq.system_topics(self.contract, reply_topic), partitions=TOPIC_PARTITIONS)
            bootstrap = self._broker.bootstrap_servers
            fetch_wait = fetch_wait or str(DEV_FETCH_MAX_WAIT_MS)
        shared_env, own_env = self.registry.dev_environment(self.state_dir)
        shared_env.setdefault("INTERNAL_TOKEN_KEY", os.environ.get("INTERNAL_TOKEN_KEY")
                              or kept_secret(self.state_dir / INTERNAL_KEY_FILE, lambda: secrets.token_urlsafe(48)))
        common = {**os.environ, **shared_env, "HOST": self.host, "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                  "PYTHONUNBUFFERED": "1"}
        for private in {key for env in own_env.values() for key in env}:
            common.pop(private, None)  # what one process is given, the others are not
        if fetch_wait:
            common["KAFKA_FETCH_MAX_WAIT_MS"] = fetch_wait
        for service in self.services:
            common[f"PEERS__{service.upper()}__REST_URL"] = f"http://{self.host}:{self.ports.rest(service)}"
            common[f"PEERS__{service.upper()}__GRPC_TARGET"] = f"{self.host}:{self.ports.grpc(service)}"
        for name in (*self.services, self.ports.public):
            env = {
                **common,
                **own_env.get(name, {}),
                "SERVICE_NAME": name,
                "REST_PORT": str(self.ports.rest(name)),
                "GRPC_PORT": str(self.ports.grpc(name)),
            }
            if name in database_urls:
                env["DATABASE_URL"] = database_urls[name]
            self.children[name] = subprocess.Popen(
                [sys.executable, "-m", "internal.cli", "serve", name], env=env, cwd=PROJECT_ROOT,
            )
        self._wait_ready()
        self.info = {
            "gateway": f"http://{self.host}:{self.ports.gateway}",
            "services": {
                s: {"rest": f"http://{self.host}:{self.ports.rest(s)}", "grpc": f"{self.host}:{self.ports.grpc(s)}",
                    "topic": s}
                for s in self.services
            },
            "postgres": {s: _redact(u) for s, u in database_urls.items()},
            "kafka": {"bootstrap_servers": bootstrap, "dev_broker": self._broker is not None, "reply_topic": reply_topic},
            "pids": {name: child.pid for name, child in self.children.items()},
            "launcher_pid": os.getpid(),
        }
        up_json.write_text(json.dumps(self.info, indent=2))
        return self.info

    def _start_postgres(self) -> dict[str, str]:
        if os.environ.get("DATABASE_URL_TEMPLATE"):
            template = os.environ["DATABASE_URL_TEMPLATE"]
            return {s: template.format(service=s) for s in self.with_database}
        import pgserver

        self._pg = pgserver.get_server(  # type: ignore[attr-defined]
            self.state_dir / "pgdata", cleanup_mode="stop")
        existing = self._pg.psql("SELECT datname FROM pg_database;")
        for service in self.with_database:
            if f" {service}\n" not in existing:
                self._pg.psql(f"CREATE DATABASE {service};")
        base = self._pg.get_uri("postgres")
        return {s: base.replace("/postgres?", f"/{s}?") for s in self.with_database}

    def _wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        for name in (*self.services, self.ports.public):
            url = f"http://{self.host}:{self.ports.rest(name)}/readyz"
            while True:
                child = self.children[name]
                if child.poll() is not None:
                    raise RuntimeError(f"{name} exited with status {child.returncode} while starting")
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} was not ready within {timeout:.0f}s")
                time.sleep(0.1)

    def exited(self) -> str | None:
        for name, child in self.children.items():
            if child.poll() is not None:
                return name
        return None

    def stop(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if self._broker is not None:
            self._broker.close()
            self._broker = None
        if self._pg is not None:
            self._pg.cleanup()
            self._pg = None
        (self.state_dir / "up.json").unlink(missing_ok=True)


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
        "Trident is up.",
        f"  gateway          {info['gateway']}   (web app at /, API docs at /docs)",
    ]
    for service, addr in info["services"].items():
        lines.append(f"  {service:<16} REST {addr['rest']}   gRPC {addr['grpc']}   topic {addr['topic']}")
    for service, uri in info["postgres"].items():
        lines.append(f"  postgres/{service:<7} {uri}")
    lines.append(f"  kafka            {info['kafka']['bootstrap_servers']}" + ("   (development broker)" if info["kafka"]["dev_broker"] else ""))
    lines.append(f"  addresses saved  {state_dir / 'up.json'}")
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)


def up(registry: Registry, state_dir: Path, gateway_port: int, port_base: int) -> int:
    system = System(registry, state_dir, gateway_port, port_base)
    stopping = {"signal": 0}

    def on_signal(signum: int, _: Any) -> None:
        stopping["signal"] = signum

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        info = system.start()
        print_addresses(info, state_dir)
        while not stopping["signal"]:
            dead = system.exited()
            if dead is not None:
                print(f"{dead} exited unexpectedly; stopping everything", file=sys.stderr, flush=True)
                return 1
            time.sleep(0.2)
        print("Stopping…", flush=True)
        return 0
    except RuntimeError as exc:
        print(f"trident up failed: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        system.stop()
