"""Several processes of the application in one OS process (`trident up --one-process`): one asyncio loop,
each `Process` with its own settings, ports, pool and sender — the same code and transports as apart.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Mapping, Sequence

from internal.common import tracing
from internal.common.config import Settings, load_settings
from internal.common.logger import logger, setup_logging
from internal.common.pipeline import sample_access_log
from internal.common.runtime import Process, Registry, ServiceDef

# Environment of a `serve` of several processes: {process: {VARIABLE: value}}, what each is given on its own.
PROCESS_ENV = "TRIDENT_PROCESS_ENV"


def settings_for(service: ServiceDef, own_env: Mapping[str, str]) -> Settings:
    """The settings `serve` would read with `own_env` added to the environment (its variables name fields)."""
    settings = load_settings(service.settings, service.name)
    # Validated like the environment would be: ports become ints, secrets SecretStr.
    overrides = service.settings.model_validate({**settings.model_dump(), **{k.lower(): v for k, v in own_env.items()}})
    return overrides


async def serve_together(registry: Registry, names: Sequence[str], process_env: Mapping[str, Mapping[str, str]],
                         ) -> None:
    """Run `names` until SIGINT or SIGTERM; stop the last (the public process) first, then the others."""
    base = Settings()
    setup_logging("+".join(names) if len(names) < 3 else "trident", base.log_level, base.log_format)
    sample_access_log(base.access_log_sample_rate)
    tracing.setup_tracing("trident", base.otel_exporter_otlp_endpoint)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    processes = []
    for name in names:
        service = registry.get(name)
        settings = settings_for(service, process_env.get(name, {}))
        processes.append(Process(service, settings, registry.contract(settings)))
    started: list[Process] = []
    try:
        for process in processes:
            await process.start()
            started.append(process)
        logger.info("{} serving in one process", ", ".join(names))
        await stop.wait()
        logger.info("stopping {}", ", ".join(names))
    finally:
        if started:
            *others, last = started
            await last.stop()
            await asyncio.gather(*(p.stop() for p in others))
        tracing.shutdown_tracing()
