"""Writes the provisioned Grafana dashboards (dashboards/*.json) from one description.

    .venv/bin/python deploy/grafana/generate_dashboards.py

Every query uses only the metrics of internal/common/metrics (plus the process_* collector and the
`job` label set by deploy/prometheus/prometheus.yml), and is written so that it has data once the
system has served traffic over rest, grpc and events: error panels divide failures by all requests
and fall back to 0 for series without failures, instead of showing nothing while all is well.
tests/deploy/test_deploy.py checks that the JSON files are what this script writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "dashboards"
W = "$__rate_interval"
DS = {"type": "prometheus", "uid": "prometheus"}
SERVICES = ("users", "auth", "pictures", "analytics")
QUANTILES = (0.5, 0.95, 0.99)

SRV_REQ = "trident_server_requests_total"
SRV_LAT = "trident_server_request_duration_seconds_bucket"
CLI_REQ = "trident_client_requests_total"
CLI_LAT = "trident_client_request_duration_seconds_bucket"


def sel(**labels: str) -> str:
    parts = []
    for key, value in labels.items():
        op = "!=" if key.endswith("_not") else "="
        parts.append(f'{key.removesuffix("_not")}{op}"{value}"')
    return "{" + ",".join(parts) + "}" if parts else ""


def rate_by(metric: str, by: str, **labels: str) -> str:
    return f"sum by ({by}) (rate({metric}{sel(**labels)}[{W}]))"


def error_ratio(metric: str, by: str, **labels: str) -> str:
    """Share of calls that did not end OK; 0 (not absent) for series that had no failures."""
    failed = rate_by(metric, by, **labels, code_not="OK")
    total = rate_by(metric, by, **labels)
    return f"({failed} or 0 * {total}) / {total}"


def quantile(q: float, metric: str, by: str, **labels: str) -> str:
    return f"histogram_quantile({q}, sum by ({by}, le) (rate({metric}{sel(**labels)}[{W}])))"


def legend(by: str) -> str:
    return " ".join("{{" + label.strip() + "}}" for label in by.split(","))


class Board:
    def __init__(self, uid: str, title: str, description: str) -> None:
        self.uid, self.title, self.description = uid, title, description
        self.panels: list[dict[str, Any]] = []
        self.y = 0
        self.x = 0
        self._id = 0

    def _next_id(self) -> int:
        self._id += 1
        return self._id

    def row(self, title: str) -> None:
        if self.x:
            self.x, self.y = 0, self.y + 8
        self.panels.append({"id": self._next_id(), "type": "row", "title": title, "collapsed": False,
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": []})
        self.y += 1

    def panel(self, title: str, targets: list[tuple[str, str]], unit: str, description: str = "", width: int = 12,
              stack: bool = False, max_one: bool = False) -> None:
        if self.x + width > 24:
            self.x, self.y = 0, self.y + 8
        defaults: dict[str, Any] = {
            "unit": unit,
            "custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
                       "spanNulls": True, "stacking": {"mode": "normal" if stack else "none", "group": "A"}},
        }
        if max_one:
            defaults.update({"min": 0, "max": 1})
        self.panels.append({
            "id": self._next_id(),
            "type": "timeseries",
            "title": title,
            "description": description,
            "datasource": DS,
            "gridPos": {"h": 8, "w": width, "x": self.x, "y": self.y},
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["mean", "max", "lastNotNull"]},
                        "tooltip": {"mode": "multi", "sort": "desc"}},
            "targets": [
                {"refId": chr(ord("A") + i), "datasource": DS, "expr": expr, "legendFormat": fmt, "range": True}
                for i, (expr, fmt) in enumerate(targets)
            ],
        })
        self.x += width
        if self.x >= 24:
            self.x, self.y = 0, self.y + 8

    def latency(self, title: str, metric: str, by: str, labels: dict[str, str] | None = None) -> None:
        self.panel(title, [(quantile(q, metric, by, **(labels or {})), f"p{round(q * 100)} {legend(by)}") for q in QUANTILES],
                   "s", "p50, p95 and p99 from the latency histogram.")

    def json(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": ["trident"],
            "timezone": "browser",
            "editable": False,
            "graphTooltip": 1,
            "schemaVersion": 39,
            "version": 1,
            "refresh": "10s",
            "time": {"from": "now-30m", "to": "now"},
            "templating": {"list": []},
            "annotations": {"list": []},
            "links": [{"title": "Trident", "type": "dashboards", "tags": ["trident"], "asDropdown": True}],
            "panels": self.panels,
        }


def overview() -> Board:
    b = Board("trident-overview", "Trident / Overview", "Every process: traffic, errors and latency per service and per transport.")
    b.row("Traffic")
    b.panel("Request rate by service", [(rate_by(SRV_REQ, "service"), "{{service}}")], "reqps", "Calls served per second (server side).")
    b.panel("Request rate by transport", [(rate_by(SRV_REQ, "transport"), "{{transport}}")], "reqps", "Calls served per second, all services.")
    b.row("Errors")
    b.panel("Error ratio by service", [(error_ratio(SRV_REQ, "service"), "{{service}}")], "percentunit",
            "Share of calls served that did not end OK (any code but OK, 4xx included).", max_one=True)
    b.panel("Error ratio by transport", [(error_ratio(SRV_REQ, "transport"), "{{transport}}")], "percentunit",
            "Share of calls served that did not end OK, by transport.", max_one=True)
    b.row("Latency")
    b.latency("Latency by service", SRV_LAT, "service")
    b.latency("Latency by transport", SRV_LAT, "transport")
    b.row("Gateway: the same API over three transports")
    b.panel("Gateway requests by transport", [(rate_by(SRV_REQ, "transport", service="gateway"), "{{transport}}")], "reqps",
            "Public API calls per second by the transport chosen in /{transport}/...")
    b.panel("Gateway p95 latency by transport",
            [(quantile(0.95, SRV_LAT, "transport", service="gateway"), "p95 {{transport}}")], "s")
    b.row("Service-to-service calls (sender)")
    b.panel("Calls by caller, target and transport", [(rate_by(CLI_REQ, "service, target, transport"), "{{service}} → {{target}} {{transport}}")],
            "reqps")
    b.panel("Call p95 latency by target and transport",
            [(quantile(0.95, CLI_LAT, "target, transport"), "p95 {{target}} {{transport}}")], "s")
    b.row("Kafka and processes")
    b.panel("Kafka consumer lag by service and topic", [("sum by (service, topic) (trident_kafka_consumer_lag)", "{{service}} {{topic}}")],
            "short", "Records behind the end of the partitions, summed over partitions.", width=8)
    b.panel("Process CPU by job", [(f"sum by (job) (rate(process_cpu_seconds_total[{W}]))", "{{job}}")], "percentunit", width=8)
    b.panel("Process resident memory by job", [("sum by (job) (process_resident_memory_bytes)", "{{job}}")], "bytes", width=8)
    return b


def service_board(service: str) -> Board:
    b = Board(f"trident-{service}", f"Trident / {service.capitalize()}", f"The {service} service over REST, gRPC and events.")
    s = {"service": service}
    b.row("Traffic")
    b.panel("Requests by transport", [(rate_by(SRV_REQ, "transport", **s), "{{transport}}")], "reqps", width=8)
    b.panel("Requests by method", [(rate_by(SRV_REQ, "method", **s), "{{method}}")], "reqps", width=8)
    b.panel("Requests by code", [(rate_by(SRV_REQ, "code", **s), "{{code}}")], "reqps", width=8, stack=True)
    b.row("Errors and latency")
    b.panel("Error ratio by transport", [(error_ratio(SRV_REQ, "transport", **s), "{{transport}}")], "percentunit",
            "Share of calls that did not end OK.", max_one=True)
    b.panel("Error ratio by method", [(error_ratio(SRV_REQ, "method", **s), "{{method}}")], "percentunit", max_one=True)
    b.latency("Latency by transport", SRV_LAT, "transport", s)
    b.panel("p95 latency by method", [(quantile(0.95, SRV_LAT, "method", **s), "p95 {{method}}")], "s")
    if service == "auth":
        b.row("Calls to users (sender)")
        b.panel("Calls to users by transport", [(rate_by(CLI_REQ, "target, transport", **s), "{{target}} {{transport}}")], "reqps", width=8)
        b.panel("Call error ratio by method", [(error_ratio(CLI_REQ, "method", **s), "{{method}}")], "percentunit", width=8, max_one=True)
        b.panel("Call p95 latency by transport", [(quantile(0.95, CLI_LAT, "target, transport", **s), "p95 {{target}} {{transport}}")], "s", width=8)
    if service == "analytics":
        b.row("Call-log ingestion")
        b.panel("Call logs stored", [(rate_by("trident_analytics_logs_stored_total", "service", **s), "stored/s")], "ops", width=12,
                description="Counted as each record's COPY commits; the record is acknowledged only after it.")
        b.panel("Call-log records waiting (analytics topic lag)",
                [('sum(trident_kafka_consumer_lag{service="analytics", topic="analytics"}) or vector(0)', "records")], "short", width=12,
                description="Records of call logs (up to CALL_LOG_BATCH_SIZE each) not yet stored.")
    b.row("Kafka and process")
    b.panel("Kafka consumer lag by topic and partition",
            [(f'max by (topic, partition) (trident_kafka_consumer_lag{{service="{service}"}})', "{{topic}}/{{partition}}")], "short", width=8)
    b.panel("CPU", [(f'sum(rate(process_cpu_seconds_total{{job="{service}"}}[{W}]))', "cpu")], "percentunit", width=8)
    b.panel("Resident memory", [(f'sum(process_resident_memory_bytes{{job="{service}"}})', "rss")], "bytes", width=8)
    return b


def gateway_board() -> Board:
    b = Board("trident-gateway", "Trident / Gateway", "The public API: routes by transport, downstream calls, the call-log pipeline.")
    g = {"service": "gateway"}
    b.row("Public API")
    b.panel("Requests by transport", [(rate_by(SRV_REQ, "transport", **g), "{{transport}}")], "reqps", width=8)
    b.panel("Requests by route", [(rate_by(SRV_REQ, "method", **g), "{{method}}")], "reqps", width=8)
    b.panel("Responses by code", [(rate_by(SRV_REQ, "code", **g), "{{code}}")], "reqps", width=8, stack=True)
    b.panel("Error ratio by transport", [(error_ratio(SRV_REQ, "transport", **g), "{{transport}}")], "percentunit", max_one=True)
    b.panel("Error ratio by route", [(error_ratio(SRV_REQ, "method", **g), "{{method}}")], "percentunit", max_one=True)
    b.latency("Latency by transport", SRV_LAT, "transport", g)
    b.panel("p95 latency by route and transport", [(quantile(0.95, SRV_LAT, "method, transport", **g), "p95 {{method}} {{transport}}")], "s")
    b.row("Downstream calls (sender)")
    b.panel("Calls by target and transport", [(rate_by(CLI_REQ, "target, transport", **g), "{{target}} {{transport}}")], "reqps", width=8)
    b.panel("Call error ratio by target", [(error_ratio(CLI_REQ, "target", **g), "{{target}}")], "percentunit", width=8, max_one=True)
    b.panel("Call p95 latency by target and transport", [(quantile(0.95, CLI_LAT, "target, transport", **g), "p95 {{target}} {{transport}}")],
            "s", width=8)
    b.row("Call logs and process")
    b.panel("Call-log buffer size", [('max by (service) (trident_analytics_buffer_size{service="gateway"})', "buffered")], "short", width=6)
    b.panel("Call logs dropped",
            [(f'sum(rate(trident_analytics_buffer_dropped_total{{service="gateway"}}[{W}])) or vector(0)', "dropped/s")], "ops", width=6,
            description="0 unless the buffer overflowed or publishing failed.")
    b.panel("Kafka segments produced",
            [(f"sum by (service, topic) (rate(trident_kafka_segments_total[{W}])) or vector(0)", "{{service}} {{topic}}")], "ops", width=6,
            description="Records produced as segments of messages larger than KAFKA_RECORD_MAX_BYTES (every process; 0 when none).")
    b.panel("CPU", [(f'sum(rate(process_cpu_seconds_total{{job="gateway"}}[{W}]))', "cpu")], "percentunit", width=6)
    return b


def boards() -> dict[str, dict[str, Any]]:
    all_boards = [overview(), *(service_board(s) for s in SERVICES), gateway_board()]
    return {f"{b.uid}.json": b.json() for b in all_boards}


def render(board: dict[str, Any]) -> str:
    return json.dumps(board, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, board in boards().items():
        (OUT / name).write_text(render(board))
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
