"""The native load generator: wrk from Debian, with a Lua `done()` that prints the numbers as one JSON line."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

# wrk --latency prints 50/75/90/99 only; the script adds p95 and makes the output machine-readable.
DONE_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"p50_us":%d,"p75_us":%d,"p90_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
"""


class LoadGenerator:
    def __init__(self) -> None:
        wrk = shutil.which("wrk")
        if wrk is None:
            raise SystemExit("wrk is not installed: `make system-deps` installs it (Debian package wrk)")
        self.wrk = wrk
        self._dir = tempfile.TemporaryDirectory(prefix="trident-wrk-")
        self.script = Path(self._dir.name) / "done.lua"
        self.script.write_text(DONE_SCRIPT)

    def close(self) -> None:
        self._dir.cleanup()

    def run(self, url: str, headers: dict[str, str], connections: int, duration_s: int) -> dict[str, Any]:
        """GET `url` with `connections` keep-alive connections for `duration_s`; req/s, percentiles in ms, errors."""
        command = [self.wrk, "-t1", f"-c{connections}", f"-d{duration_s}s", "--timeout", "10s", "-s", str(self.script)]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        # The command line holds a token: it is never printed, and neither is wrk's output on failure.
        done = subprocess.run([*command, url], capture_output=True, text=True, timeout=duration_s + 60, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        line = next((s for s in done.stdout.splitlines() if s.startswith("BENCH_JSON ")), None)
        if done.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed (exit {done.returncode}) against {url}: {done.stderr.strip()[:300]}")
        raw = json.loads(line.removeprefix("BENCH_JSON "))
        seconds = raw["duration_us"] / 1e6
        errors = sum(raw["errors"].values())
        result: dict[str, Any] = {
            "connections": connections,
            "duration_s": round(seconds, 3),
            "requests": raw["requests"],
            "errors": raw["errors"],
            "ok": raw["requests"] - raw["errors"]["status"],
            "rps": raw["requests"] / seconds if seconds else 0.0,
            "loadgen_cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        }
        for key in ("p50", "p75", "p90", "p95", "p99", "max", "mean"):
            result[f"{key}_ms"] = raw[f"{key}_us"] / 1000
        if errors:
            result["error_count"] = errors
        return result
