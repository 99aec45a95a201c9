"""`trident ps` and `trident restart`: the running launcher, seen and driven through its state directory.

A service run as several instances (`trident up --replicas`) shows one row per instance, `pictures#1`….

A restart is a request file, state/control/restart-<process>, which the launcher's supervision loop picks up
within a tenth of a second; no port, no socket, nothing to secure beyond the directory's own permissions.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from internal.common.runtime.guard import running
from internal.common.runtime.launcher import StateDir, launcher_pid, read_up_json, ready

RESTART_TIMEOUT = 90.0


def _running_info(state: StateDir) -> dict[str, Any] | None:
    pid = launcher_pid(state)
    if pid is None:
        print(f"trident up is not running for {state.path}", file=sys.stderr)
        return None
    info = read_up_json(state)
    if info is None:
        print(f"trident up (pid {pid}) is still starting; try again in a moment", file=sys.stderr)
    return info


def _rest_urls(info: dict[str, Any], process: dict[str, Any]) -> list[str]:
    host = str(info["gateway"]).rsplit(":", 1)[0]
    return [f"{host}:{port}/readyz" for key, port in process["ports"].items() if key.endswith("rest")]


def ps(state_dir: Path) -> int:
    state = StateDir(state_dir)
    info = _running_info(state)
    if info is None:
        return 1
    rows = [("PROCESS", "PID", "ALIVE", "READY", "RESTARTS", "PORTS")]
    rows.append(("launcher", str(info["launcher_pid"]), "yes", "", "", ""))
    for name, process in info["processes"].items():
        pid = process["pid"]
        alive = isinstance(pid, int) and running(pid)
        is_ready = alive and all(ready(url) for url in _rest_urls(info, process))
        ports = " ".join(f"{key} {port}" for key, port in process["ports"].items())
        rows.append((name, str(pid), "yes" if alive else "no", "yes" if is_ready else "no", str(process["restarts"]),
                     ports))
    postgres = info.get("postgres_pid")
    if isinstance(postgres, int):
        rows.append(("postgres", str(postgres), "yes" if running(postgres) else "no", "", "", "unix socket"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def restart(state_dir: Path, name: str) -> int:
    """Restart one process, or every instance of a replicated service one after the other (each ready again before
    the next goes), so the service keeps serving."""
    state = StateDir(state_dir)
    info = _running_info(state)
    if info is None:
        return 1
    processes = info["processes"]
    targets = [name] if name in processes else [p for p in processes if p.partition("#")[0] == name]
    if not targets:
        print(f"no process {name!r}; the running ones are {', '.join(processes)}", file=sys.stderr)
        return 2
    for target in targets:
        status = _restart_one(state, info, target)
        if status:
            return status
    return 0


def _restart_one(state: StateDir, info: dict[str, Any], name: str) -> int:
    old = info["processes"][name]["pid"]
    state.control.mkdir(exist_ok=True)
    (state.control / f"restart-{name}").touch()
    deadline = time.monotonic() + RESTART_TIMEOUT
    while time.monotonic() < deadline:
        current = (read_up_json(state) or {}).get("processes", {}).get(name, {})
        pid = current.get("pid")
        if pid not in (None, old) and running(pid) and all(ready(url) for url in _rest_urls(info, current)):
            print(f"{name} restarted: pid {old} → {pid}")
            return 0
        if launcher_pid(state) is None:
            print("trident up stopped while restarting", file=sys.stderr)
            return 1
        time.sleep(0.2)
    print(f"{name} was not back within {RESTART_TIMEOUT:.0f}s; see `trident ps` and the launcher's output",
          file=sys.stderr)
    return 1
