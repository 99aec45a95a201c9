"""What the processes cost, read from /proc: CPU time (own and reaped children), resident memory, the machine."""

from __future__ import annotations

import os
import platform
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces and parentheses: fields start after the last ')'.
    return raw[raw.rindex(")") + 2:].split()


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(_stat_fields(int(entry))[1]) == pid:
                    found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


@dataclass
class Tracked:
    """One measured party: a process, or a process with its children (PostgreSQL, nginx)."""

    name: str
    pid: int
    with_children: bool = False

    def cpu_seconds(self) -> float:
        """utime+stime of the process (all its threads); with children: theirs too, live and reaped."""
        try:
            f = _stat_fields(self.pid)
        except OSError:
            return 0.0
        ticks = int(f[11]) + int(f[12])
        if self.with_children:
            ticks += int(f[13]) + int(f[14])  # cutime+cstime: children already reaped
            for child in children_of(self.pid):
                try:
                    c = _stat_fields(child)
                    ticks += int(c[11]) + int(c[12])
                except (OSError, ValueError, IndexError):
                    continue
        return ticks / TICKS


def status_kib(pid: int, key: str) -> int:
    """A `kB` line of /proc/<pid>/status, e.g. VmRSS or VmHWM."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


@dataclass
class CpuMeter:
    """CPU seconds of every tracked party between start() and stop()."""

    parties: list[Tracked]
    _before: dict[str, float] = field(default_factory=dict)
    _started: float = 0.0
    seconds: dict[str, float] = field(default_factory=dict)
    wall: float = 0.0

    def start(self) -> None:
        self._before = {p.name: p.cpu_seconds() for p in self.parties}
        self._started = time.monotonic()

    def stop(self) -> dict[str, float]:
        self.wall = time.monotonic() - self._started
        self.seconds = {p.name: max(0.0, p.cpu_seconds() - self._before[p.name]) for p in self.parties}
        return self.seconds


class RssSampler:
    """Samples a process's VmRSS every few milliseconds in a thread; `peak_kib` is the highest seen."""

    def __init__(self, pid: int, interval: float = 0.005) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_kib = max(self.peak_kib, status_kib(self.pid, "VmRSS"))
            except (OSError, KeyError):
                return
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self.peak_kib = status_kib(self.pid, "VmRSS")
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def machine() -> dict[str, object]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
