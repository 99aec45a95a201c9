"""`make bench` results against issue 11's targets: `python -m benchmarks.compare [BEFORE.json] AFTER.json`.

Compares the ratios the issue's targets are stated in (each taken within its own run), not raw
numbers from two runs on a machine whose load may have changed in between.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Metric = tuple[str, Callable[[dict[str, Any]], float], str]


def _path(name: str, *keys: str) -> Callable[[dict[str, Any]], float]:
    def get(r: dict[str, Any]) -> float:
        value: Any = r["read_path"]["paths"][name]
        for key in keys:
            value = value[key]
        return float(value)

    return get


def _gateway_cpu(name: str) -> Callable[[dict[str, Any]], float]:
    def get(r: dict[str, Any]) -> float:
        path = r["read_path"]["paths"][name]
        return float(path.get("cpu_us_per_request_net_of_idle", path["cpu_us_per_request"])["gateway"])

    return get


def _upload_growth(transport: str) -> Callable[[dict[str, Any]], float]:
    return lambda r: float(r["upload"][transport]["growth_vs_payload"])


def _rps(name: str, r: dict[str, Any]) -> float:
    return float(r["read_path"]["paths"][name]["rps"])


def _floor_ratio(r: dict[str, Any]) -> float:
    http, grpc = r["transport_floor"]["http"], r["transport_floor"]["grpc"]
    return float((grpc["client_us_per_call"] + grpc["server_us_per_call"])
                 / (http["client_us_per_call"] + http["server_us_per_call"]))


METRICS: list[Metric] = [
    ("/rest req/s vs direct", _path("rest", "vs_direct"), "≥ 0.8"),
    *((f"/{t} req/s vs direct", _path(t, "vs_direct"), "") for t in ("grpc", "events")),
    ("nginx req/s vs direct", _path("nginx", "vs_direct"), "reference"),
    ("/rest added p50 at 1 conn (ms)", _path("rest", "one", "added_p50_ms"), "≤ 1"),
    *((f"/{t} added p50 at 1 conn (ms)", _path(t, "one", "added_p50_ms"), "") for t in ("grpc", "events")),
    ("/rest gateway CPU µs/request (net of idle)", _gateway_cpu("rest"), "≤ 300"),
    *((f"/{t} gateway CPU µs/request (net of idle)", _gateway_cpu(t), "") for t in ("grpc", "events")),
    ("/grpc req/s ÷ /rest req/s", lambda r: _rps("grpc", r) / _rps("rest", r), "≥ 1.0"),
    ("events p50 ÷ raw request/reply p50", lambda r: r["events_floor"]["p50_vs_raw"], "≤ 1.3"),
    ("events req/s ÷ raw pipelined req/s", lambda r: r["events_floor"]["rps_vs_raw"], "≥ 0.8"),
    ("pictures over Kafka, no gateway: p50 ÷ raw", lambda r: r["events_floor"]["service_direct_p50_vs_raw"], ""),
    ("pictures over Kafka, no gateway: req/s ÷ raw", lambda r: r["events_floor"]["service_direct_rps_vs_raw"], ""),
    ("idle CPU, whole system (% of a core)", lambda r: r["idle"]["total_percent_of_core"], "≤ 10"),
    *((f"5 MiB upload over {t}: gateway RSS growth × payload", _upload_growth(t), "≤ 4")
      for t in ("rest", "grpc", "events")),
    ("gRPC ÷ HTTP CPU per echo call, both ends (transport floor)", _floor_ratio, ""),
    ("overload: admitted p99 ÷ unloaded p99 (median round)",
     lambda r: r["overload"]["admitted_p99_vs_unloaded_p99"], "≤ 3 (issue 10)"),
    ("analytics stored/s ÷ raw consume/s",
     lambda r: r["analytics_ingestion"]["stored_per_s"] / r["analytics_ingestion"]["raw_consumed_per_s"], "≥ 0.8"),
]


def compare(*results: dict[str, Any]) -> str:
    def title(r: dict[str, Any]) -> str:
        return f"{r['date']}, {r.get('commit', '?')}"

    lines = [
        "| metric | target | " + " | ".join(title(r) for r in results) + " |",
        "|---|---|" + "---:|" * len(results),
    ]
    for label, get, target in METRICS:
        cells = []
        for result in results:
            try:
                cells.append(f"{get(result):,.2f}")
            except (KeyError, ZeroDivisionError):
                cells.append("–")
        lines.append(f"| {label} | {target} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    print(compare(*(json.loads(Path(p).read_text()) for p in sys.argv[1:])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
