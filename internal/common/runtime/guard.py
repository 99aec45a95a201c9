"""What keeps `trident up`'s processes from outliving it; run by path (`python -I -S guard.py …`), stdlib only.

`exec PARENT -- ARGV…`: ask Linux to SIGKILL this process when PARENT dies (PR_SET_PDEATHSIG survives exec),
then become ARGV. Doing it here rather than in a Popen preexec_fn keeps ctypes out of the fork of a launcher
that runs librdkafka threads.
`postgres PGDATA`: wait until stdin reaches end of file — the launcher holds the only write end, so that is
the moment it exits, however it exits — then stop the PostgreSQL of PGDATA (a daemon of its own, which
PR_SET_PDEATHSIG cannot reach) with a fast shutdown, as `pg_ctl stop -m fast` would.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1
GUARD_PATH = Path(__file__).resolve()


def die_with_parent(parent: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    # The parent may have died between fork and prctl; the signal would then never come.
    if os.getppid() != parent:
        os._exit(1)


def postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop_postgres(pgdata: Path, fast_for: float = 10.0) -> None:
    """SIGINT is PostgreSQL's fast shutdown; SIGQUIT (immediate, recovery at next start) when that hangs."""
    pid = postmaster_pid(pgdata)
    if pid is None or not running(pid):
        return
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + fast_for
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if running(pid):
        os.kill(pid, signal.SIGQUIT)


def main(argv: list[str]) -> int:
    if len(argv) >= 4 and argv[0] == "exec" and argv[2] == "--":
        die_with_parent(int(argv[1]))
        os.execv(argv[3], argv[3:])
    if len(argv) == 2 and argv[0] == "postgres":
        # Ctrl-C in the terminal is the launcher's to handle, not ours.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        while sys.stdin.buffer.read(4096):
            pass
        # The launcher is gone (likely killed): bounded, so nothing of the system is left seconds later.
        stop_postgres(Path(argv[1]), fast_for=2.0)
        return 0
    print(f"usage: {Path(__file__).name} exec PARENT -- ARGV… | postgres PGDATA", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
