"""Large buffers go back to the operating system when they are freed, so a process's memory follows its load.

glibc serves an allocation above its mmap threshold (128 KiB at start) with a mapping of its own, unmapped when
freed. But the threshold moves: whenever such a mapping is freed it rises to that size (up to 32 MiB). After the
first 5 MiB upload, every later one is carved from the heap instead, and the heap keeps what is freed inside it:
the process's RSS grows by several buffers' worth and stays there. Measured through the gateway, 5 MiB uploads
(`make bench`, three each): RSS growth 4.25× the payload over REST, 3.86× gRPC, 4.05× events; with the
threshold held at 128 KiB, 3.52–3.76×, 3.13–3.67×, 3.35–3.41×, at the same MB/s.

Holding it (mallopt M_MMAP_THRESHOLD, what the MALLOC_MMAP_THRESHOLD_ environment variable does at startup)
turns that adjustment off, in every way a process is started (`trident up`, one process, a container). Small
allocations — every call's own — are below the threshold either way and are not affected.
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3  # glibc's malloc.h
THRESHOLD_BYTES = 128 * 1024  # glibc's initial value


def return_large_buffers() -> bool:
    """Hold glibc's mmap threshold at its initial value; False where there is no glibc to ask (macOS, musl)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES))
