"""The Grafana dashboards of deploy/grafana/dashboards, as data for tests.

`panel_queries()` lists every query of every panel as (dashboard title, panel title, PromQL), with
Grafana's interval variables replaced so that the expression runs as-is against Prometheus.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DASHBOARD_DIR = REPO / "deploy" / "grafana" / "dashboards"

GRAFANA_INTERVALS = ("$__rate_interval", "${__rate_interval}", "$__interval", "${__interval}", "$__range", "${__range}")

_PROMQL_WORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "and",
    "or",
    "unless",
    "atan2",
    "inf",
    "nan",
}


def load_dashboards() -> dict[str, dict[str, Any]]:
    """File name -> dashboard JSON."""
    return {path.name: json.loads(path.read_text()) for path in sorted(DASHBOARD_DIR.glob("*.json"))}


def _panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for panel in panels:
        out.append(panel)
        out.extend(_panels(panel.get("panels", [])))  # panels nested in collapsed rows
    return out


def substitute(expr: str, window: str = "1m") -> str:
    """Replace Grafana's interval variables by a fixed window."""
    for variable in GRAFANA_INTERVALS:
        expr = expr.replace(variable, window)
    return expr


def panel_queries(window: str | None = "1m") -> list[tuple[str, str, str]]:
    """(dashboard title, panel title, expr) for every target of every panel.

    With `window=None` the expressions are returned as stored, Grafana variables included.
    """
    queries: list[tuple[str, str, str]] = []
    for board in load_dashboards().values():
        for panel in _panels(board.get("panels", [])):
            for target in panel.get("targets", []):
                expr = target.get("expr")
                if expr:
                    queries.append(
                        (board["title"], panel["title"], expr if window is None else substitute(expr, window))
                    )
    return queries


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (functions, labels and keywords left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)  # string literals
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # range and subquery windows
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)  # label lists
    names: set[str] = set()
    for match in re.finditer(r"(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?", text):
        word, call = match.group(1), match.group(2)
        if call or word.lower() in _PROMQL_WORDS:
            continue
        names.add(word)
    return names
