"""The supervisor of `trident up`: starts each process, restarts one that dies, stops them in order.

Every child is started through guard.py, so it is SIGKILLed if the launcher dies, and in a process group of
its own, so a Ctrl-C in the terminal reaches only the launcher, which then stops the children in order.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from internal.common.runtime.guard import GUARD_PATH

FIRST_DELAY = 0.5
MAX_DELAY = 10.0
# A process up this long is healthy again: its next crash is restarted after FIRST_DELAY.
HEALTHY_AFTER = 30.0
# How long a process gets to finish its in-flight calls after SIGTERM before it is killed.
DRAIN_TIMEOUT = 12.0
# The pre-warmed interpreter a restart becomes (warm.py), and how long after one was used or discarded the next is
# started: not while the restarted processes import and start, which it would slow down on a machine of two cores.
WARM_MODULE = "internal.common.runtime.warm"
SPARE_AFTER = 3.0


def log(message: str) -> None:
    print(f"trident up: {message}", file=sys.stderr, flush=True)


@dataclass
class Child:
    """One supervised process and its restart accounting."""

    name: str
    argv: list[str]
    env: Mapping[str, str]
    cwd: Path
    ports: dict[str, int] = field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    last_exit: int | None = None
    delay: float = FIRST_DELAY
    # Set while it waits out its back-off after a crash.
    restart_at: float | None = None
    # Set while it drains after a SIGTERM we sent: (kill deadline, start again afterwards).
    stopping: tuple[float, bool] | None = None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen is not None else None

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def start(self) -> None:
        self.adopt(subprocess.Popen(guarded(self.argv), env=dict(self.env), cwd=self.cwd, process_group=0))

    def adopt(self, popen: subprocess.Popen[bytes]) -> None:
        """From now on `popen` is this child (started here, or a spare that became it)."""
        self.popen = popen
        self.started_at = time.monotonic()
        self.stopping = None
        self.restart_at = None

    def terminate(self, restart: bool, timeout: float = DRAIN_TIMEOUT) -> None:
        if self.running() and self.stopping is None:
            assert self.popen is not None
            self.popen.send_signal(signal.SIGTERM)
            self.stopping = (time.monotonic() + timeout, restart)
        elif not self.running() and restart:
            self.start()

    def state(self) -> dict[str, object]:
        return {"pid": self.pid, "restarts": self.restarts, "last_exit": self.last_exit, "ports": self.ports}


def guarded(argv: list[str]) -> list[str]:
    """`argv` started through guard.py, which has Linux kill it when this launcher dies."""
    return [sys.executable, "-I", "-S", str(GUARD_PATH), "exec", str(os.getpid()), "--", *argv]


def _interpreter_variables(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith("PYTHON")}


@dataclass
class Spare:
    """A pre-warmed interpreter (warm.py): a child restarting becomes it instead of importing everything anew."""

    popen: subprocess.Popen[bytes]
    env: Mapping[str, str]
    cwd: Path

    @classmethod
    def start(cls, env: Mapping[str, str], cwd: Path) -> Spare:
        popen = subprocess.Popen(guarded([sys.executable, "-m", WARM_MODULE]), env=dict(env), cwd=cwd,
                                 process_group=0, stdin=subprocess.PIPE)
        return cls(popen, env, cwd)

    def fits(self, child: Child) -> bool:
        # The interpreter read its PYTHON* variables (the import path among them) and its directory when it
        # started: only a child started the same way, as `python -m …`, can take it over.
        return (self.popen.poll() is None and child.argv[:2] == [sys.executable, "-m"] and child.cwd == self.cwd
                and _interpreter_variables(child.env) == _interpreter_variables(self.env))

    def become(self, child: Child) -> bool:
        """Hand it `child`'s command and environment; False if it died meanwhile."""
        assert self.popen.stdin is not None
        order = {"argv": child.argv, "env": dict(child.env), "cwd": str(child.cwd)}
        try:
            self.popen.stdin.write(json.dumps(order).encode() + b"\n")
            self.popen.stdin.close()
        except OSError:
            return False
        return True

    def discard(self) -> None:
        # It holds nothing yet (no port, no connection): killing it is the quick way.
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait()
        if self.popen.stdin is not None:
            self.popen.stdin.close()


@dataclass
class Supervisor:
    children: dict[str, Child]
    # Stopped first on the way down, so they finish their in-flight calls while the others still serve them.
    front: Collection[str] = ()
    changed: bool = False
    # Keep a pre-warmed interpreter for the next restart (`trident up --reload`, where restarts are the point).
    keep_spare: bool = False
    spare: Spare | None = None
    _spare_at: float | None = None

    def start_all(self) -> None:
        for child in self.children.values():
            self._launch(child)
        if self.keep_spare and self.children:
            # Now rather than once they are ready: it imports while they do (a little more CPU at start-up), so
            # that an edit made right away is as quick as any later one.
            first = next(iter(self.children.values()))
            self.spare = Spare.start(first.env, first.cwd)
            self._spare_at = None

    def discard_spare(self) -> None:
        """The code the spare imported changed: start the next restarts cold, and warm a new spare afterwards."""
        if self.spare is not None:
            self.spare.discard()
            self.spare = None
        if self.keep_spare:
            self._spare_at = time.monotonic() + SPARE_AFTER

    def restarting(self) -> bool:
        return any(c.stopping is not None for c in self.children.values())

    def _launch(self, child: Child) -> None:
        if not self.keep_spare:
            child.start()
            return
        # With spares, every child runs inside warm.py, also when none is ready (one is started for it at once):
        # then each exits the quick way that warm.py takes once the process it ran has stopped.
        self._spare_at = time.monotonic() + SPARE_AFTER
        spare, self.spare = self.spare, None
        if spare is not None and not spare.fits(child):
            spare.discard()
            spare = None
        spare = spare or Spare.start(child.env, child.cwd)
        if spare.become(child):
            child.adopt(spare.popen)
        else:
            spare.discard()
            child.start()

    def _keep_spare(self, now: float) -> None:
        if self.spare is not None and self.spare.popen.poll() is not None:
            # Its import failed (a half-saved edit of the framework, say): the next restart starts another.
            log(f"the pre-warmed interpreter exited with {describe(self.spare.popen.returncode)} (see above)")
            self.spare.discard()
            self.spare = None
            self._spare_at = None
        if self.spare is None and self._spare_at is not None and now >= self._spare_at and self.children:
            first = next(iter(self.children.values()))
            self.spare = Spare.start(first.env, first.cwd)
            self._spare_at = None

    def restart(self, names: Iterable[str], why: str) -> None:
        """Drain and start again (not a crash: no back-off)."""
        for name in names:
            child = self.children[name]
            if child.stopping is not None:
                continue  # already draining to start again (or to stop)
            log(f"restarting {name} ({why})")
            child.restarts += 1
            child.delay = FIRST_DELAY
            child.terminate(restart=True)
        self.changed = True

    def tick(self) -> None:
        """One supervision step: notice exits, start what is due, kill what overstayed its drain."""
        now = time.monotonic()
        for child in self.children.values():
            popen = child.popen
            if child.stopping is not None:
                deadline, again = child.stopping
                if popen is not None and popen.poll() is None:
                    if now > deadline:
                        log(f"{child.name} did not stop within its drain time; killing it")
                        popen.kill()
                    continue
                child.last_exit = popen.returncode if popen is not None else None
                child.stopping = None
                if again:
                    self._launch(child)
                    log(f"{child.name} started again (pid {child.pid})")
                self.changed = True
            elif child.restart_at is not None:
                if now >= child.restart_at:
                    child.restarts += 1
                    self._launch(child)
                    log(f"{child.name} restarted (pid {child.pid}, restart {child.restarts})")
                    self.changed = True
            elif popen is not None and popen.poll() is not None:
                child.last_exit = popen.returncode
                up_for = now - child.started_at
                child.delay = FIRST_DELAY if up_for >= HEALTHY_AFTER else child.delay
                child.restart_at = now + child.delay
                log(f"{child.name} (pid {popen.pid}) exited with {describe(popen.returncode)} after {up_for:.1f}s; "
                    f"restarting in {child.delay:g}s")
                child.delay = min(child.delay * 2, MAX_DELAY)
                self.changed = True
        if self.keep_spare:
            self._keep_spare(now)

    def stop_all(self) -> None:
        """The front process first (it finishes its in-flight calls), then the others together."""
        self.keep_spare = False
        self.discard_spare()
        front = [c for c in self.children.values() if c.name in self.front]
        rest = [c for c in self.children.values() if c.name not in self.front]
        for group in (front, rest):
            for child in group:
                child.restart_at = None
                child.stopping = None
                child.terminate(restart=False)
            for child in group:
                if child.popen is None:
                    continue
                try:
                    child.popen.wait(timeout=max(0.1, (child.stopping or (0.0, False))[0] - time.monotonic()))
                except subprocess.TimeoutExpired:
                    log(f"{child.name} did not stop within {DRAIN_TIMEOUT:g}s; killing it")
                    child.popen.kill()
                    child.popen.wait()
                child.stopping = None


def describe(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"status {returncode}"
