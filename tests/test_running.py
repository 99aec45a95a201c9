"""The two commands of the README, as a person runs them, and the start-up checks."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import ROOT, free_port_base


def is_listening(port: int) -> bool:
    """Something still holds the port as a server (connections left in TIME_WAIT do not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not a leftover process: its parent has just not reaped it yet.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_make_run_starts_everything_and_ctrl_c_leaves_nothing_behind(tmp_path: Path) -> None:
    base = free_port_base()
    state = tmp_path / "state"
    env = {**os.environ, "TRIDENT_STATE_DIR": str(state), "GATEWAY_PORT": str(base), "TRIDENT_PORT_BASE": str(base)}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    log = (tmp_path / "make-run.log").open("wb")
    # A session of its own, so SIGINT goes to the whole group as Ctrl-C in a terminal would.
    make = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not (state / "up.json").exists():
            assert make.poll() is None, (tmp_path / "make-run.log").read_text()[-3000:]
            assert time.monotonic() < deadline
            time.sleep(0.2)
        info = json.loads((state / "up.json").read_text())
        with urllib.request.urlopen(info["gateway"] + "/readyz", timeout=5) as response:
            assert response.status == 200
            assert json.loads(response.read())["status"] == "ready"
        output = (tmp_path / "make-run.log").read_text()
        assert info["gateway"] in output and info["kafka"]["bootstrap_servers"] in output
        for service, addresses in info["services"].items():
            assert addresses["grpc"] in output, service
        ps = subprocess.run([str(ROOT / ".venv" / "bin" / "trident"), "ps"], env=env, capture_output=True, text=True,
                            timeout=60)
        assert ps.returncode == 0, ps.stderr
        for name, pid in info["pids"].items():
            assert f"{name} {pid} yes yes 0 " in " ".join(ps.stdout.split()) + " ", ps.stdout
        pids = [info["launcher_pid"], *info["pids"].values(), info["postgres_pid"]]
        pgdata_pid = state / "pgdata" / "postmaster.pid"
        assert pgdata_pid.exists()
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGINT)
        make.wait(timeout=60)
    # make exits by the signal itself (-SIGINT), or reports an interrupted recipe as 2.
    assert make.returncode in (0, 2, 130, -signal.SIGINT), make.returncode
    leftovers = [pid for pid in pids if _alive(pid)]
    assert leftovers == []
    ports = [base, *range(base + 1, base + 5), *range(base + 1001, base + 1005)]
    assert [p for p in ports if is_listening(p)] == []
    assert not pgdata_pid.exists(), "PostgreSQL is still running"
    assert not (state / "up.json").exists()


def test_a_service_refuses_to_start_when_api_yml_disagrees_with_the_proto(tmp_path: Path) -> None:
    configs = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", configs)
    api = (configs / "api.yml").read_text()
    api = api.replace("      getUser: {event: getuser}\n", "")
    api = api.replace("deleteUser: {method: DELETE", "removeUser: {method: DELETE")
    (configs / "api.yml").write_text(api)
    result = subprocess.run(
        [sys.executable, "-m", "internal.cli", "serve", "users"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "CONFIG_DIR": str(configs)},
    )
    assert result.returncode == 2
    assert "users.events.getUser is missing" in result.stderr
    assert "users.rest.deleteUser is missing" in result.stderr
    assert "users.rest.removeUser is not a method of trident.users.v1.Users" in result.stderr
    assert "Traceback" not in result.stderr
