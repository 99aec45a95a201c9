"""`make bench --quick` runs end to end and leaves its three reports; no timing is asserted (not a test of speed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

SECTIONS = ("read_path", "events_floor", "transport_floor", "upload", "analytics_ingestion", "overload", "idle",
            "fetch_wait", "machine", "date")
PATHS = ("direct", "nginx", "rest", "grpc", "events")
PROCESSES = ("gateway", "pictures", "analytics", "users", "auth", "launcher/broker")


def test_quick_benchmark_writes_json_markdown_and_chart_with_every_section(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=400, check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert (out / "report.png").read_bytes().startswith(b"\x89PNG")
    markdown = (out / "REPORT.md").read_text()
    assert "| path | req/s |" in markdown and "vs direct" in markdown
    assert markdown.strip() in done.stdout  # the table is printed at the end

    results = json.loads((out / "report.json").read_text())
    assert all(section in results for section in SECTIONS)
    assert results["machine"]["nproc"] >= 1 and results["machine"]["python"]

    paths = results["read_path"]["paths"]
    assert set(paths) == set(PATHS)
    for name, path in paths.items():
        assert path["requests"] > 0 and path["one"]["requests"] > 0, name
        assert path["rps"] > 0 and path["p50_ms"] > 0, name
        assert set(PROCESSES) <= set(path["cpu_us_per_request"]), name
    assert paths["direct"]["vs_direct"] == 1.0
    assert "nginx" in paths["nginx"]["cpu_us_per_request"]

    floor = results["events_floor"]
    for floor_part in (floor["raw"], floor["service_direct"]):
        assert floor_part["sequential"]["requests"] > 0 and floor_part["pipelined"]["requests"] > 0
        assert floor_part["failed"] == 0

    for library in ("http", "grpc"):  # an echo through each transport library, both ends measured
        echo = results["transport_floor"][library]
        assert echo["calls"] > 0 and echo["client_us_per_call"] > 0 and echo["server_us_per_call"] > 0, library
    assert "## Transport floor" in markdown

    overload = results["overload"]
    assert len(overload["rounds"]) == 1 and overload["admitted"]["count"] > 0 and overload["unloaded"]["count"] > 0

    for transport in ("rest", "grpc", "events"):
        upload = results["upload"][transport]
        assert upload["ok"] == upload["requests"] > 0, upload
        assert upload["gateway_rss_peak_kib"] > 0

    ingestion = results["analytics_ingestion"]
    assert ingestion["stored"] == ingestion["records"] > 0
    assert ingestion["raw_consumed"] == ingestion["records"]

    assert set(PROCESSES) <= set(results["idle"]["cpu_percent_of_core"])
    assert results["idle"]["seconds"] > 0
    assert results["fetch_wait"] == {"skipped": "--quick", "points": []}
