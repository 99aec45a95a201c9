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
    """Where another service answers: `PEERS__USERS__REST_URL=http://…`, `PEERS__USERS__GRPC_TARGET=host:port`."""

    rest_url: str
    grpc_target: str


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, env_nested_delimiter="__")

    service_name: str = "trident"
    host: str = "127.0.0.1"
    rest_port: int = 8080
    # 0: this process serves no gRPC.
    grpc_port: int = 0
    config_dir: Path = PROJECT_ROOT / "configs"

    database_url: SecretStr = SecretStr("")
    db_pool_min_size: int = 1
    db_pool_max_size: int = 10

    kafka_bootstrap_servers: str = ""
    # Small against the development broker, which answers a fetch only when this wait runs out.
    kafka_fetch_max_wait_ms: int = 500
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
    kafka_reassembly_max_bytes: int = 256 * 1024 * 1024
    kafka_reassembly_timeout_ms: int = 30_000

    # Shared by every process of the system: signs and verifies the tokens processes present to each other.
    internal_token_key: SecretStr = SecretStr("")
    # PEM: verifies users' access tokens (issued by the auth service) wherever a user calls.
    auth_public_key: str = ""

    call_timeout_ms: int = 10_000
    max_body_bytes: int = 16 * 1024 * 1024
    # Load shedding: calls served at once by this process; more get 503 with Retry-After at once.
    max_in_flight: int = 256
    # HTTP: a request body must arrive within this; an idle keep-alive connection is closed after that.
    http_body_timeout_s: float = 30.0
    http_keepalive_timeout_s: float = 15.0
    # A stopping process keeps the connections it accepted open this long, so that a request a keep-alive peer
    # already sent on one is served, not cut off. `trident up --reload` shortens it: there a restart is for a
    # developer waiting to see an edit, and a call lost in that instant is retried by hand.
    http_drain_grace_s: float = 1.0

    log_level: str = "INFO"
    log_format: Literal["auto", "json", "text"] = "auto"
    otel_exporter_otlp_endpoint: str = ""

    peers: dict[str, Peer] = {}

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
