"""Serving one process: wire settings, logging, tracing, database, Kafka, sender and transports."""

from __future__ import annotations

import asyncio
import importlib
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import asyncpg
from aiokafka import AIOKafkaProducer

from internal.common import db, mq, tracing
from internal.common.config import Settings, load_settings
from internal.common.contract import Contract
from internal.common.events import EventsServer, SubscriptionConsumer
from internal.common.grpc import GrpcServer
from internal.common.logger import logger, setup_logging
from internal.common.rest import base_app, mount_service, start_site
from internal.common.rest.public import PublicApi, mount_public_api
from internal.common.sender import Sender
from internal.common.service import ServiceSpec
from internal.common.service.endpoint import Endpoint


@dataclass
class Runtime:
    """What a service's `build()` is given: its settings and the shared clients of its process."""

    settings: Settings
    contract: Contract
    sender: Sender
    pool: asyncpg.Pool | None


class ServiceModule(Protocol):
    TOPICS: tuple[str, ...]

    async def build(self, runtime: Runtime) -> ServiceSpec | PublicApi: ...


def service_module(name: str) -> Any:
    return importlib.import_module(f"internal.services.{name}")


def migrations_dir(name: str) -> Path:
    return Path(service_module(name).__file__).parent / "migrations"


async def run_migrations(settings: Settings, name: str) -> list[str]:
    directory = migrations_dir(name)
    if not directory.is_dir():
        return []
    return await db.migrate(settings.database_url.get_secret_value(), directory)


class Process:
    """One running service or gateway process."""

    def __init__(self, name: str, settings: Settings) -> None:
        self.name = name
        self.settings = settings
        self._ready = False
        self._stack: list[Any] = []

    async def _is_ready(self) -> bool:
        return self._ready

    async def start(self) -> None:
        settings = self.settings
        module = service_module(self.name)
        contract = Contract.load(settings.api_yml)
        producer: AIOKafkaProducer | None = None
        if settings.kafka_bootstrap_servers:
            producer = mq.new_producer(settings)
            await producer.start()
            self._stack.append(producer.stop)
            needed = (settings.kafka_reply_topic, *module.TOPICS)
            missing = await mq.missing_topics(producer, needed)
            if missing:
                raise RuntimeError(f"Kafka topics missing: {', '.join(missing)} (topics are provisioned by the environment)")
        sender = Sender(settings, contract, producer)
        await sender.start()
        self._stack.append(sender.close)
        pool = None
        if migrations_dir(self.name).is_dir():
            await run_migrations(settings, self.name)
            pool = await db.create_pool(settings.database_url.get_secret_value(), settings.db_pool_min_size, settings.db_pool_max_size)
            self._stack.append(pool.close)
        spec = await module.build(Runtime(settings, contract, sender, pool))
        for hook in spec.on_start:
            await hook()
        self._stack.extend(spec.on_stop)

        if isinstance(spec, PublicApi):
            peers = PeerReadiness(settings, spec.depends_on, self._is_ready)
            self._stack.append(peers.close)
            app = base_app(self.name, settings.max_body_bytes, peers.ready)
            mount_public_api(app, spec)
        else:
            service_contract = contract.service(self.name)
            missing_handlers = set(service_contract.methods) - set(spec.handlers)
            if missing_handlers:
                raise RuntimeError(f"{self.name} has no handler for {', '.join(sorted(missing_handlers))}")
            endpoints = {m: Endpoint(self.name, m, spec.handlers[m]) for m in service_contract.methods}
            app = base_app(self.name, settings.max_body_bytes, self._is_ready)
            mount_service(app, service_contract, endpoints)
            if settings.grpc_port:
                grpc_server = GrpcServer(service_contract, endpoints, settings.max_body_bytes)
                await grpc_server.start(settings.host, settings.grpc_port)
                await grpc_server.set_serving(True)
                self._stack.append(grpc_server.stop)
            if producer is not None:
                events = EventsServer(settings, service_contract, endpoints, producer)
                await events.start()
                self._stack.append(events.stop)
                for subscription in spec.subscriptions:
                    consumer = SubscriptionConsumer(settings, subscription)
                    await consumer.start()
                    self._stack.append(consumer.stop)
        runner = await start_site(app, settings.host, settings.rest_port)
        self._stack.append(runner.cleanup)
        self._ready = True
        logger.info(
            "{} serving REST on {}:{}{}", self.name, settings.host, settings.rest_port,
            f", gRPC on {settings.host}:{settings.grpc_port}" if settings.grpc_port and not isinstance(spec, PublicApi) else "",
        )

    async def stop(self) -> None:
        self._ready = False
        while self._stack:
            close = self._stack.pop()
            try:
                await close()
            except Exception:
                logger.exception("error while stopping {}", self.name)


class PeerReadiness:
    """Ready when this process is and every peer's /readyz answers 200."""

    def __init__(self, settings: Settings, peers: Sequence[str], own: Callable[[], Awaitable[bool]]) -> None:
        self._settings = settings
        self._peers = peers
        self._own = own
        self._session: aiohttp.ClientSession | None = None

    async def ready(self) -> bool:
        if not await self._own():
            return False
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2))
        for peer in self._peers:
            try:
                async with self._session.get(self._settings.peer(peer).rest_url.rstrip("/") + "/readyz") as response:
                    if response.status != 200:
                        return False
            except (aiohttp.ClientError, TimeoutError):
                return False
        return True

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


async def serve(name: str) -> None:
    """Run one process until SIGINT or SIGTERM."""
    settings = load_settings(name)
    setup_logging(name, settings.log_level, settings.log_format)
    tracing.setup_tracing(name, settings.otel_exporter_otlp_endpoint)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    process = Process(name, settings)
    try:
        await process.start()
        await stop.wait()
        logger.info("{} stopping", name)
    finally:
        await process.stop()
        tracing.shutdown_tracing()
