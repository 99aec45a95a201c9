"""Fixtures that start real parts: the whole system (`trident up`) on free loopback ports."""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from internal.common import mq
from internal.common.tokens import generate_private_key_pem
from internal.services.registry import REGISTRY
from tests.client import GatewayClient

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = REGISTRY.contract()
# The services of the contract (each with REST, gRPC and a request topic) and every topic of the system.
SERVICES = list(CONTRACT.services)
TOPICS = mq.system_topics(CONTRACT, "results")


def peer_env(rest_url: Callable[[str], str], grpc_target: Callable[[str], str]) -> dict[str, str]:
    """The PEERS__* variables that tell a process where each service answers."""
    env = {}
    for service in SERVICES:
        env[f"PEERS__{service.upper()}__REST_URL"] = rest_url(service)
        env[f"PEERS__{service.upper()}__GRPC_TARGET"] = grpc_target(service)
    return env


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_base() -> int:
    """A base B with B..B+n and B+1001..B+1000+n free for n services (the layout of `trident up --port-base`)."""
    n = len(SERVICES)
    for _ in range(200):
        # Below Linux's ephemeral ports (32768 and up), which outgoing connections take at any moment.
        base = random.randrange(20000, 31000, 10)
        if all(port_is_free(p) for p in (*range(base, base + n + 1), *range(base + 1001, base + 1001 + n))):
            return base
    raise RuntimeError("no free port range")


@dataclass
class RunningSystem:
    info: dict[str, Any]
    process: subprocess.Popen[bytes]
    state_dir: Path
    log_path: Path
    # The auth signing key the test passed in, to mint expired tokens with.
    private_key_pem: str
    # The key processes sign their calls to each other with.
    internal_key: str

    @property
    def gateway_url(self) -> str:
        return str(self.info["gateway"])

    @property
    def bootstrap_servers(self) -> str:
        return str(self.info["kafka"]["bootstrap_servers"])

    def rest_url(self, service: str) -> str:
        return str(self.info["services"][service]["rest"])

    def grpc_target(self, service: str) -> str:
        return str(self.info["services"][service]["grpc"])

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_system(state_dir: Path, extra_env: dict[str, str] | None = None, timeout: float = 120) -> RunningSystem:
    base = free_port_base()
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / "system.log"
    private_key_pem = generate_private_key_pem()
    internal_key = secrets.token_urlsafe(48)
    # A short reassembly timeout so the test of an incomplete message does not wait 30 s.
    env = {**os.environ, "LOG_FORMAT": "json", "AUTH_PRIVATE_KEY": private_key_pem, "INTERNAL_TOKEN_KEY": internal_key,
           # The suite signs up hundreds of users from one address; tests/test_abuse.py checks the limits.
           "SIGNUP_PER_ADDRESS_LIMIT": "100000", "LOGIN_PER_ADDRESS_LIMIT": "100000",
           "KAFKA_REASSEMBLY_TIMEOUT_MS": "5000", **(extra_env or {})}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "internal.cli", "up", "--state-dir", str(state_dir), "--port", str(base), "--port-base", str(base)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    up_json = state_dir / "up.json"
    deadline = time.monotonic() + timeout
    while not up_json.exists():
        if process.poll() is not None:
            raise RuntimeError(f"trident up exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"trident up not ready in {timeout}s:\n{log_path.read_text()[-4000:]}")
        time.sleep(0.2)
    return RunningSystem(json.loads(up_json.read_text()), process, state_dir, log_path, private_key_pem,
                         internal_key)


def stop_system(system: RunningSystem) -> int:
    if system.process.poll() is None:
        system.process.send_signal(signal.SIGINT)
        try:
            system.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            system.process.kill()
            system.process.wait()
    return system.process.returncode


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    running = start_system(tmp_path_factory.mktemp("system"))
    try:
        yield running
    finally:
        stop_system(running)


@pytest.fixture
async def gateway(system: RunningSystem) -> AsyncIterator[GatewayClient]:
    async with GatewayClient(system.gateway_url) as client:
        yield client
