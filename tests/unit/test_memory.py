"""Freed large buffers go back to the OS (`internal.common.runtime.memory`), in a real process on this libc."""

from __future__ import annotations

import os
import subprocess
import sys

from internal.common.config import PROJECT_ROOT

# A process that frees five large buffers in turn (an upload's body, say), then reports how much of them it kept.
PROGRAM = """
import sys
from internal.common.runtime.memory import return_large_buffers
if sys.argv[1] == "held" and not return_large_buffers():
    raise SystemExit("mallopt refused")
def rss_kib():
    return int(next(line for line in open("/proc/self/status") if line.startswith("VmRSS")).split()[1])
before = rss_kib()
for mib in (5, 7, 6, 8, 5):
    buffer = bytearray(mib << 20)
    del buffer
print(rss_kib() - before)
"""


def kept_kib(mode: str) -> int:
    # glibc's own default: none of its MALLOC_* tunables from this environment.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUNABLES"))}
    done = subprocess.run([sys.executable, "-c", PROGRAM, mode], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=60, check=True, env=env)
    return int(done.stdout)


def test_large_buffers_are_given_back_once_freed() -> None:
    # glibc's own default keeps them (its mmap threshold rises past a buffer's size once one is freed)...
    assert kept_kib("default") >= 4 * 1024
    # ...a served process does not (`trident serve` holds the threshold first).
    assert kept_kib("held") < 1024
