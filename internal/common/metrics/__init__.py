"""Prometheus metrics every process exports on /metrics."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

__all__ = ["CONTENT_TYPE_LATEST", "render"]

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

SERVER_REQUESTS = Counter(
    "trident_server_requests_total", "Calls served, by outcome code.",
    ["service", "transport", "method", "code"],
)
SERVER_ERRORS = Counter(
    "trident_server_errors_total", "Calls served that ended in an error.",
    ["service", "transport", "method", "code"],
)
SERVER_LATENCY = Histogram(
    "trident_server_request_duration_seconds", "Time to serve a call.",
    ["service", "transport", "method"], buckets=_BUCKETS,
)
CLIENT_REQUESTS = Counter(
    "trident_client_requests_total", "Calls made through the sender, by outcome code.",
    ["service", "target", "transport", "method", "code"],
)
CLIENT_ERRORS = Counter(
    "trident_client_errors_total", "Calls made through the sender that ended in an error.",
    ["service", "target", "transport", "method", "code"],
)
CLIENT_LATENCY = Histogram(
    "trident_client_request_duration_seconds", "Time a call through the sender took.",
    ["service", "target", "transport", "method"], buckets=_BUCKETS,
)
SHED = Counter(
    "trident_shed_requests_total", "Calls refused at once because the process was at its in-flight limit.",
    ["service", "transport", "method"],
)
KAFKA_CONSUMER_LAG = Gauge(
    "trident_kafka_consumer_lag", "Records behind the end of the partition.",
    ["service", "topic", "partition"],
)
KAFKA_SEGMENTS = Counter(
    "trident_kafka_segments_total", "Records produced as segments of a larger message.",
    ["service", "topic"],
)
KAFKA_REASSEMBLY_EXPIRED = Counter(
    "trident_kafka_reassembly_expired_total", "Segmented messages dropped before they were complete.",
    ["service", "topic"],
)
KAFKA_RETRIES = Counter(
    "trident_kafka_handler_retries_total", "Consumed messages handled again after a transient failure.",
    ["service", "topic"],
)
KAFKA_DEAD_LETTERS = Counter(
    "trident_kafka_dead_letters_total", "Consumed records sent to the dead-letter topic, by error code.",
    ["service", "topic", "code"],
)
IDEMPOTENT_REPLAYS = Counter(
    "trident_idempotent_replays_total",
    "Calls with an idempotency key already applied: answered from the stored reply, not applied again.",
    ["service", "transport", "method"],
)
KAFKA_REDELIVERED = Counter(
    "trident_kafka_redelivered_total", "Consumed messages recognised as already processed (not applied again).",
    ["service", "topic"],
)
KAFKA_REPLIES_REFUSED = Counter(
    "trident_kafka_replies_refused_total", "Replies not sent because the request named a reply topic not allowed.",
    ["service", "topic"],
)
OUTBOX_PUBLISHED = Counter(
    "trident_outbox_published_total", "Domain events the outbox relay published.", ["service", "topic"],
)
OUTBOX_FAILURES = Counter(
    "trident_outbox_publish_failures_total", "Outbox publishes that failed and will be retried.", ["service"],
)
OUTBOX_PENDING = Gauge(
    "trident_outbox_pending", "Domain events written to the outbox and not yet published.", ["service"],
)
ANALYTICS_BUFFER_DROPS = Counter(
    "trident_analytics_buffer_dropped_total", "Call logs dropped because the buffer was full.",
    ["service"],
)
ANALYTICS_BUFFER_SIZE = Gauge(
    "trident_analytics_buffer_size", "Call logs waiting in the buffer.", ["service"],
)
ANALYTICS_STORED = Counter(
    "trident_analytics_logs_stored_total", "Call logs written to the analytics database.", ["service"],
)


def render() -> bytes:
    return generate_latest()
