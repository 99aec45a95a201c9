"""The analytics service: binds AnalyticsService's methods to the proto contract."""

from __future__ import annotations

from internal.common.runtime import Runtime
from internal.common.service import ServiceSpec
from internal.services.analytics.repository import CallLogRepository
from internal.services.analytics.service import AnalyticsService

TOPICS = ("analytics",)


async def build(runtime: Runtime) -> ServiceSpec:
    assert runtime.pool is not None
    settings = runtime.settings
    service = AnalyticsService(
        CallLogRepository(runtime.pool), settings.analytics_buffer_size, settings.analytics_batch_size,
        settings.analytics_flush_interval_ms / 1000,
    )
    return ServiceSpec(
        name="analytics",
        handlers={"LogData": service.log_data, "GetLogs": service.get_logs},
        on_start=[service.start],
        on_stop=[service.stop],
    )
