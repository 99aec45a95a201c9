"""The system under measurement: started with `trident up` on free ports, one user, one token, one picture."""

from __future__ import annotations

import base64
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.procs import Tracked
from tests.conftest import RunningSystem, start_system, stop_system
from tests.images import png

PROCESS_NAMES = ("gateway", "pictures", "analytics", "users", "auth")
# The launcher process hosts the development broker (librdkafka's mock cluster runs in its threads).
BROKER = "launcher/broker"
POSTGRES = "postgres"


@dataclass
class Prepared:
    """What every measured call needs: a signed-up user, its access token, one 64×64 PNG it owns."""

    user_id: str
    token: str
    picture_id: str
    picture_bytes: int


def direct_headers(prepared: Prepared) -> dict[str, str]:
    """How a caller other than the gateway identifies the user to the pictures service: their access token,
    which the service verifies itself (once per token, then from its cache)."""
    return {"Authorization": f"Bearer {prepared.token}"}


def gateway_headers(prepared: Prepared) -> dict[str, str]:
    return {"Authorization": f"Bearer {prepared.token}"}


@contextmanager
def running_system(extra_env: dict[str, str] | None = None) -> Iterator[RunningSystem]:
    with tempfile.TemporaryDirectory(prefix="trident-bench-") as state:
        # One token serves the whole run, however long --rounds and --seconds make it.
        env = {"ACCESS_TOKEN_TTL_SECONDS": str(24 * 3600),
               # The raw echo's topics: the development broker creates none on demand.
               "KAFKA_DEV_EXTRA_TOPICS": "bench.echo.requests,bench.echo.replies",
               # The hop as a proxy: `make run` traces every call to its local collector (an OTel span costs
               # ~0.1 ms to make and export here), which would be measured too.
               "TRACES_COLLECTOR": "off", **(extra_env or {})}
        system = start_system(Path(state) / "state", extra_env=env)
        try:
            yield system
        finally:
            stop_system(system)


def parties(system: RunningSystem) -> list[Tracked]:
    pids = system.info["pids"]
    found = [Tracked(name, int(pids[name])) for name in PROCESS_NAMES]
    found.append(Tracked(BROKER, int(system.info["launcher_pid"])))
    postmaster = postmaster_pid(system)
    if postmaster is not None:
        found.append(Tracked(POSTGRES, postmaster, with_children=True))
    return found


def postmaster_pid(system: RunningSystem) -> int | None:
    pid_file = system.state_dir / "pgdata" / "postmaster.pid"
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def effective_fetch_wait_ms(system: RunningSystem, variable: str = "KAFKA_FETCH_MAX_WAIT_MS") -> int | None:
    """A fetch wait as the gateway process really got it (the launcher's defaults may change)."""
    environ = Path(f"/proc/{system.info['pids']['gateway']}/environ").read_bytes().split(b"\0")
    for entry in environ:
        if entry.startswith(variable.encode() + b"="):
            return int(entry.split(b"=", 1)[1])
    return None


def analytics_dsn(system: RunningSystem) -> str:
    return str(system.info["postgres"]["analytics"])


async def prepare(system: RunningSystem, width: int = 64, height: int = 64) -> Prepared:
    picture = png(width, height, seed=7)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        username = f"bench_{uuid.uuid4().hex[:12]}"
        async with session.post(
            f"{system.gateway_url}/rest/signup", json={"username": username, "password": "benchmark password"},
        ) as response:
            body: Any = await response.json()
            if response.status != 201:
                raise RuntimeError(f"signup failed: {response.status} {body}")
        token = str(body["access_token"])
        upload = {"title": "benchmark", "base64": base64.b64encode(picture).decode()}
        async with session.post(
            f"{system.gateway_url}/rest/pictures", json=upload, headers={"Authorization": f"Bearer {token}"},
        ) as response:
            created: Any = await response.json()
            if response.status != 201:
                raise RuntimeError(f"upload failed: {response.status} {created}")
    prepared = Prepared(str(created["user_id"]), token, str(created["id"]), len(picture))
    # Fail early, with a readable reason, if a path the benchmark drives does not answer 200.
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        for url, headers in read_targets(system, prepared).values():
            async with session.get(url, headers=headers) as response:
                if response.status != 200:
                    raise RuntimeError(f"GET {url} answered {response.status}: {(await response.text())[:300]}")
    return prepared


Target = tuple[str, dict[str, str]]


def read_targets(system: RunningSystem, prepared: Prepared, nginx_url: str | None = None) -> dict[str, Target]:
    """Every read path by name: its URL and headers. `nginx` only when a proxy URL is given."""
    path = f"/pictures/{prepared.picture_id}"
    targets = {
        "direct": (system.rest_url("pictures") + path, direct_headers(prepared)),
        **{t: (f"{system.gateway_url}/{t}{path}", gateway_headers(prepared)) for t in ("rest", "grpc", "events")},
    }
    if nginx_url is not None:
        targets["nginx"] = (nginx_url + path, direct_headers(prepared))
    return targets
