"""The one settings base: environment variables, then configs/<service>.env, then defaults.

Each service extends `Settings` with its own fields; the framework reads only what is here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[3]


class Peer(BaseModel):
    """Where another service answers: `PEERS__USERS__REST_URL=http://…`, `PEERS__USERS__GRPC_TARGET=host:port`.

    A service run as several instances lists each, comma-separated (`http://h:1,http://h:2`, `h:11,h:12`); the
    sender spreads calls over them.
    """

    rest_url: str
    grpc_target: str

    @property
    def rest_urls(self) -> list[str]:
        return [u.strip().rstrip("/") for u in self.rest_url.split(",") if u.strip()]

    @property
    def grpc_targets(self) -> list[str]:
        return [t.strip() for t in self.grpc_target.split(",") if t.strip()]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, env_nested_delimiter="__")

    service_name: str = "trident"
    host: str = "127.0.0.1"
    rest_port: int = 8080
    # Also serve REST on this port, shared with sibling processes of the same service (SO_REUSEPORT: the kernel
    # spreads new connections over them); 0: none. `trident up` sets it for the gateway's workers
    # (GATEWAY_WORKERS), whose own `rest_port` then carries their health and metrics.
    shared_port: int = 0
    # 0: this process serves no gRPC.
    grpc_port: int = 0
    config_dir: Path = PROJECT_ROOT / "configs"

    database_url: SecretStr = SecretStr("")
    db_pool_min_size: int = 1
    db_pool_max_size: int = 10

    kafka_bootstrap_servers: str = ""
    # How long a fetch may wait for records. A real broker answers as soon as a record arrives, so this only
    # sets how often an idle consumer asks; the development broker answers only when the wait runs out, so
    # there it is also the latency floor (see the README's fetch-wait trade-off). Three waits, by who reads:
    # - requests to this service (always read, so the one that costs CPU at rest);
    kafka_fetch_max_wait_ms: int = 500
    # - replies to this process's own calls (read only while a call waits: short costs nothing at rest);
    kafka_reply_fetch_max_wait_ms: int = 500
    # - domain events and revocations (a fraction of a second late is fine; long keeps the readers nearly free).
    kafka_event_fetch_max_wait_ms: int = 500
    # Larger payloads travel as several records of at most this size and are reassembled.
    kafka_record_max_bytes: int = 128 * 1024
    kafka_reply_topic: str = "results"
    # Where a service may send replies besides kafka_reply_topic: more topics by name, and per-instance reply
    # topics by prefix. Any other `reply_to` gets no reply (and never a request or domain-event topic).
    kafka_reply_topics: list[str] = []
    kafka_reply_topic_prefix: str = "results."
    # A consumed message whose handler fails for a transient reason (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL)
    # is tried this many times in all, with doubling back-off, then sent to `<topic>.dlq`.
    kafka_handler_attempts: int = 4
    kafka_retry_backoff_ms: int = 100
    kafka_max_in_flight: int = 64
    # How long a consumer that died stays a member of its group (its successor waits that long for partitions).
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000
    # "i/n": this process is instance i (1..n) of its service's n and reads the partitions p with p % n == i - 1 of
    # its request and subscribed topics itself, committing under the group without joining it. For a broker where
    # groups of several members do not work (the development broker); empty: an ordinary group member.
    kafka_static_member: str = ""
    kafka_reassembly_max_bytes: int = 256 * 1024 * 1024
    kafka_reassembly_timeout_ms: int = 30_000

    # Shared by every process of the system: signs and verifies the tokens processes present to each other.
    internal_token_key: SecretStr = SecretStr("")
    # PEM: verifies users' access tokens (issued by the auth service) wherever a user calls.
    auth_public_key: str = ""

    call_timeout_ms: int = 10_000
    # An instance of a peer that refused a connection is skipped this long (when another is there to call).
    peer_down_backoff_ms: int = 1_000
    max_body_bytes: int = 16 * 1024 * 1024
    # Load shedding: calls served at once by this process; more get 503 with Retry-After at once.
    max_in_flight: int = 256
    # ... and calls refused while the event loop's lag (the time every call here waits for the CPU) has stayed
    # above this for the interval; 0 turns it off. Chosen with `make bench`'s overload run (README).
    shed_lag_target_ms: float = 10.0
    shed_lag_interval_ms: float = 100.0
    # ... and while admitted calls take more than this many times the fastest their method was served lately
    # (the median over each interval); 0 turns it off. Chosen with `make bench`'s overload run (README).
    shed_latency_target: float = 3.0
    # HTTP: a request's head must arrive within the first, its body within the second; an idle keep-alive
    # connection is closed after the third.
    http_header_timeout_s: float = 10.0
    http_body_timeout_s: float = 30.0
    http_keepalive_timeout_s: float = 15.0
    # A stopping process keeps the connections it accepted open this long, so that a request a keep-alive peer
    # already sent on one is served, not cut off. `trident up --reload` shortens it: there a restart is for a
    # developer waiting to see an edit, and a call lost in that instant is retried by hand.
    http_drain_grace_s: float = 1.0

    log_level: str = "INFO"
    # Successful calls written to the access log while tracing is off (failures always are; with tracing on, all).
    access_log_sample_rate: float = 0.1
    log_format: Literal["auto", "json", "text"] = "auto"
    otel_exporter_otlp_endpoint: str = ""
    # OTLP/gRPC (Jaeger's port 4317), or OTLP/HTTP protobuf (4318; `trident up`'s local collector).
    otel_exporter_otlp_protocol: Literal["grpc", "http/protobuf"] = "grpc"

    peers: dict[str, Peer] = {}

    @property
    def static_member(self) -> tuple[int, int] | None:
        """(i, n) of `kafka_static_member`, or None for an ordinary consumer group member."""
        if not self.kafka_static_member.strip():
            return None
        index, _, count = self.kafka_static_member.partition("/")
        try:
            i, n = int(index), int(count)
        except ValueError:
            i = n = 0
        if not 1 <= i <= n:
            raise ValueError(f"KAFKA_STATIC_MEMBER must be i/n with 1 <= i <= n, not {self.kafka_static_member!r}")
        return i, n

    @property
    def api_yml(self) -> Path:
        return self.config_dir / "api.yml"

    def peer(self, service: str) -> Peer:
        try:
            return self.peers[service]
        except KeyError:
            raise LookupError(f"{self.service_name} has no address for {service}: set PEERS__{service.upper()}__"
                              f"REST_URL and PEERS__{service.upper()}__GRPC_TARGET") from None


S = TypeVar("S", bound=Settings)


def load_settings(settings_type: type[S], service: str) -> S:
    """Settings for one process, with configs/<service>.env under the environment."""
    env_file = settings_type().config_dir / f"{service}.env"
    settings = settings_type(_env_file=env_file if env_file.exists() else None)  # type: ignore[call-arg]
    if settings.service_name == "trident":
        settings = settings.model_copy(update={"service_name": service})
    return settings
