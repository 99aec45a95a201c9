"""The one settings object: environment variables, then configs/<service>.env, then defaults."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SERVICES = ("users", "auth", "pictures", "analytics")
PROCESSES = (*SERVICES, "gateway")
TRANSPORTS = ("rest", "grpc", "events")
# Every topic the system uses; provisioned by the environment, never by the services.
TOPICS = (*SERVICES, "results", "user.deleted")


class PeerAddress(BaseModel):
    rest_url: str
    grpc_target: str


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    service_name: str = "trident"
    host: str = "127.0.0.1"
    rest_port: int = 8080
    # 0: this process serves no gRPC (the gateway).
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
    kafka_max_in_flight: int = 64
    kafka_reassembly_max_bytes: int = 256 * 1024 * 1024
    kafka_reassembly_timeout_ms: int = 30_000

    call_timeout_ms: int = 10_000
    max_body_bytes: int = 16 * 1024 * 1024

    log_level: str = "INFO"
    log_format: Literal["auto", "json", "text"] = "auto"
    otel_exporter_otlp_endpoint: str = ""

    users_rest_url: str = "http://127.0.0.1:8081"
    users_grpc_target: str = "127.0.0.1:9081"
    auth_rest_url: str = "http://127.0.0.1:8082"
    auth_grpc_target: str = "127.0.0.1:9082"
    pictures_rest_url: str = "http://127.0.0.1:8083"
    pictures_grpc_target: str = "127.0.0.1:9083"
    analytics_rest_url: str = "http://127.0.0.1:8084"
    analytics_grpc_target: str = "127.0.0.1:9084"

    # PEM; the private key only for auth, the public key for auth and the gateway.
    auth_private_key: SecretStr = SecretStr("")
    auth_public_key: str = ""
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600

    picture_max_bytes: int = 10 * 1024 * 1024
    analytics_buffer_size: int = 10_000
    analytics_batch_size: int = 500
    analytics_flush_interval_ms: int = 200

    web_dist_dir: Path = PROJECT_ROOT / "web" / "dist"

    def peer(self, service: str) -> PeerAddress:
        return PeerAddress(
            rest_url=getattr(self, f"{service}_rest_url"),
            grpc_target=getattr(self, f"{service}_grpc_target"),
        )

    @cached_property
    def api_yml(self) -> Path:
        return self.config_dir / "api.yml"


def load_settings(service: str) -> Settings:
    """Settings for one process, with configs/<service>.env under the environment."""
    env_file = Settings().config_dir / f"{service}.env"
    settings = Settings(_env_file=env_file if env_file.exists() else None)  # type: ignore[call-arg]
    if settings.service_name == "trident":
        settings = settings.model_copy(update={"service_name": service})
    return settings
