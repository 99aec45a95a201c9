"""The analytics service: call logs stored with COPY; recent logs and per-method aggregates."""

from __future__ import annotations

from pathlib import Path

from internal.common.config import Settings
from internal.common.runtime import Runtime, ServiceDef
from internal.common.service import ServiceSpec
from internal.services.analytics.repository import CallLogRepository
from internal.services.analytics.service import AnalyticsService


class AnalyticsSettings(Settings):
    # The read API of the trace collector of `trident up` (it sets this); "" where traces go elsewhere.
    traces_collector_url: str = ""
    # A tracing UI's page of one trace, `{trace_id}` replaced: e.g. Jaeger's http://localhost:16686/trace/{trace_id}.
    traces_ui_url: str = ""


async def build(runtime: Runtime) -> ServiceSpec:
    settings = runtime.settings
    assert isinstance(settings, AnalyticsSettings) and runtime.pool is not None
    service = AnalyticsService(CallLogRepository(runtime.pool), settings.traces_collector_url, settings.traces_ui_url)
    return ServiceSpec(implementation=service)


HERE = Path(__file__).parent
SERVICE = ServiceDef("analytics", build, AnalyticsSettings, source=HERE, migrations=HERE / "migrations")
