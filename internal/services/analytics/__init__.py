"""The analytics service: call logs stored in batches; recent logs and per-method aggregates."""

from __future__ import annotations

from pathlib import Path

from internal.common.config import Settings
from internal.common.runtime import Runtime, ServiceDef
from internal.common.service import ServiceSpec
from internal.services.analytics.repository import CallLogRepository
from internal.services.analytics.service import AnalyticsService


class AnalyticsSettings(Settings):
    analytics_buffer_size: int = 10_000
    analytics_batch_size: int = 500
    analytics_flush_interval_ms: int = 200
    # The read API of the trace collector of `trident up` (it sets this); "" where traces go elsewhere.
    traces_collector_url: str = ""
    # A tracing UI's page of one trace, `{trace_id}` replaced: e.g. Jaeger's http://localhost:16686/trace/{trace_id}.
    traces_ui_url: str = ""


async def build(runtime: Runtime) -> ServiceSpec:
    settings = runtime.settings
    assert isinstance(settings, AnalyticsSettings) and runtime.pool is not None
    service = AnalyticsService(
        CallLogRepository(runtime.pool), settings.analytics_buffer_size, settings.analytics_batch_size,
        settings.analytics_flush_interval_ms / 1000, settings.traces_collector_url, settings.traces_ui_url,
    )
    return ServiceSpec(implementation=service, on_start=[service.start], on_stop=[service.stop])


HERE = Path(__file__).parent
SERVICE = ServiceDef("analytics", build, AnalyticsSettings, source=HERE, migrations=HERE / "migrations")
