"""The one logger: loguru, one ECS JSON object per line (or coloured text on a terminal)."""

from __future__ import annotations

import json
import sys
from datetime import UTC
from typing import TYPE_CHECKING, Any

from loguru import logger
from opentelemetry import trace

if TYPE_CHECKING:
    from loguru import Message, Record

__all__ = ["logger", "setup_logging"]

# Extra keys that are ECS fields of their own rather than labels.
_ECS_EXTRA = {
    "transport": "transport",
    "method": "event.action",
    "duration_ns": "event.duration",
    "status": "http.response.status_code",
    "code": "error.code",
    "request_id": "http.request.id",
    "user_id": "user.id",
    "target": "destination.service",
}


def _ecs(record: Record, service_name: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@timestamp": record["time"].astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "log.level": record["level"].name.lower(),
        "message": record["message"],
        "service.name": service_name,
        "log.logger": record["name"],
        "process.pid": record["process"].id,
        "ecs.version": "8.11.0",
    }
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        doc["trace.id"] = format(span.trace_id, "032x")
        doc["span.id"] = format(span.span_id, "016x")
    labels: dict[str, str] = {}
    for key, value in record["extra"].items():
        if key in _ECS_EXTRA:
            doc[_ECS_EXTRA[key]] = value
        else:
            labels[key] = str(value)
    if labels:
        doc["labels"] = labels
    if record["exception"] is not None:
        exc = record["exception"]
        doc["error.type"] = exc.type.__name__ if exc.type else "Exception"
        doc["error.message"] = str(exc.value)
    return doc


def setup_logging(service_name: str, level: str = "INFO", fmt: str = "auto") -> None:
    logger.remove()
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    if use_json:

        def sink(message: Message) -> None:
            sys.stderr.write(json.dumps(_ecs(message.record, service_name), default=str) + "\n")

        logger.add(sink, level=level.upper(), backtrace=False, diagnose=False)
    else:
        line = (f"<green>{{time:HH:mm:ss.SSS}}</green> <level>{{level: <7}}</level> <cyan>{service_name}</cyan> "
                "{message} <dim>{extra}</dim>")

        def text(record: Record) -> str:
            # The trace id, as in the JSON lines: a line on the terminal leads to its trace.
            span = trace.get_current_span().get_span_context()
            traced = f" <dim>trace.id={span.trace_id:032x}</dim>" if span.is_valid else ""
            return line + traced + "\n{exception}"

        logger.add(sys.stderr, level=level.upper(), colorize=True, diagnose=False, format=text)
