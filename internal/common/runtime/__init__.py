"""Serving one process: settings, logging, tracing, database, Kafka, the sender and the server transports.

The application describes its processes as `ServiceDef`s in a `Registry`; the runtime knows no
application. Everything a process opens is entered into one AsyncExitStack and closed in reverse.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import asyncpg
from aiokafka import AIOKafkaProducer

from internal.common import db, mq, tracing
from internal.common.config import Settings, load_settings
from internal.common.contract import Contract, MethodBinding
from internal.common.events import EventsServer, SubscriptionConsumer
from internal.common.events.revocations import RevocationFeed
from internal.common.grpc import GrpcServer
from internal.common.logger import logger, setup_logging
from internal.common.outbox import OutboxRelay
from internal.common.pipeline import Admission, Operation, applied_once, chain, sample_access_log, server_stack
from internal.common.rest import HttpServer, Response, base_app, json_response, mount_service
from internal.common.rest.openapi import service_openapi_document
from internal.common.rest.public import Edge, mount_edge
from internal.common.sender import Sender, TransportClient
from internal.common.sender.events import EventsClient
from internal.common.sender.grpc import GrpcClient
from internal.common.sender.http1 import Http1Client, ResponseTooLarge
from internal.common.sender.rest import RestClient
from internal.common.service import Handler, ServiceSpec, bind_handlers, check_subscription
from internal.common.tokens import Identities, InternalTokens, TokenVerifier


class ServerTransport(Protocol):
    async def start(self) -> None: ...

    async def aclose(self) -> None: ...


@dataclass
class Runtime:
    """What a service's `build()` is given: its settings and the shared clients of its process."""

    settings: Settings
    contract: Contract
    sender: Sender
    pool: asyncpg.Pool | None
    identities: Identities


@dataclass(frozen=True)
class ServiceDef:
    """One process of the application, as the framework runs it."""

    name: str
    build: Callable[[Runtime], Awaitable[ServiceSpec]]
    settings: type[Settings] = Settings
    # SQL migrations applied at start-up; a process with migrations has a database of its own.
    migrations: Path | None = None
    # The version its /openapi.json states.
    version: str = "0.1.0"
    # Its own source directory: under `trident up --reload`, a change there restarts only this process.
    source: Path | None = None


@dataclass(frozen=True)
class Registry:
    """The application: its processes, its contract, and what its development environment needs."""

    services: Sequence[ServiceDef]
    # Environment for `trident up` to hand every process (and extra per process), given the state directory.
    dev_environment: Callable[[Path], tuple[dict[str, str], dict[str, dict[str, str]]]] = field(
        default=lambda _: ({}, {}))
    # What `trident up --reload` watches: a change there restarts every process (one in a service's own
    # `source` directory restarts only that service).
    watch: Sequence[Path] = ()

    def get(self, name: str) -> ServiceDef:
        for service in self.services:
            if service.name == name:
                return service
        raise LookupError(f"no service {name!r}; the registry has {', '.join(self.names)}")

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.services]

    def contract(self, settings: Settings | None = None) -> Contract:
        """The contract of configs/api.yml (CONFIG_DIR moves it), checked against the proto."""
        return Contract.load((settings or Settings()).api_yml)


async def run_migrations(settings: Settings, service: ServiceDef) -> list[str]:
    if service.migrations is None or not service.migrations.is_dir():
        return []
    return await db.migrate(settings.database_url.get_secret_value(), service.migrations)


# The server transports of a service, in start order: REST last, so /readyz answers once the rest runs.
SERVER_TRANSPORTS = ("grpc", "events", "rest")


class Process:
    """One running process of the application."""

    def __init__(self, service: ServiceDef, settings: Settings, contract: Contract) -> None:
        self.service = service
        self.settings = settings
        self.contract = contract
        self._ready = False
        self._stack = AsyncExitStack()
        key = settings.internal_token_key.get_secret_value()
        if not key:
            raise RuntimeError("INTERNAL_TOKEN_KEY is not set: processes cannot prove who they are to each other")
        self.admission = Admission(settings.max_in_flight, settings.shed_lag_target_ms / 1000,
                                   settings.shed_lag_interval_ms / 1000, settings.shed_latency_target)
        self.identities = Identities(InternalTokens(key, service.name),
                                     TokenVerifier(settings.auth_public_key) if settings.auth_public_key else None)

    async def _is_ready(self) -> bool:
        return self._ready

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise

    async def _start(self) -> None:
        settings, name, stack = self.settings, self.service.name, self._stack
        producer = await self._kafka()
        transports: dict[str, TransportClient] = {"rest": RestClient(settings), "grpc": GrpcClient(settings)}
        if producer is not None:
            events_client = EventsClient(settings, producer)
            await events_client.start()
            transports["events"] = events_client
        sender = Sender(settings, self.contract, transports, self.identities.internal, producer)
        if producer is not None:
            feed = RevocationFeed(settings, self.contract, self.identities, producer)
            stack.push_async_callback(feed.aclose)
            await feed.start()
        stack.push_async_callback(sender.aclose)
        pool = None
        if self.service.migrations is not None:
            await run_migrations(settings, self.service)
            pool = await db.create_pool(settings.database_url.get_secret_value(), settings.db_pool_min_size,
                                        settings.db_pool_max_size)
            stack.push_async_callback(pool.close)
        spec = await self.service.build(Runtime(settings, self.contract, sender, pool, self.identities))
        for hook in spec.on_start:
            await hook()
        for hook in reversed(spec.on_stop):
            stack.push_async_callback(hook)
        for server in self._servers(spec, sender, producer, pool):
            await server.start()
            stack.push_async_callback(server.aclose)
        self._ready = True
        logger.info("{} serving REST on {}:{}{}{}", name, settings.host, settings.rest_port,
                    f" and {settings.host}:{settings.shared_port} (shared)" if settings.shared_port else "",
                    f", gRPC on {settings.host}:{settings.grpc_port}" if name in self.contract.services else "")

    async def _kafka(self) -> AIOKafkaProducer | None:
        settings = self.settings
        if not settings.kafka_bootstrap_servers:
            return None
        producer = mq.new_producer(settings)
        await producer.start()
        self._stack.push_async_callback(producer.stop)
        missing = await mq.missing_topics(producer, mq.system_topics(self.contract, settings.kafka_reply_topic))
        if missing:
            raise RuntimeError(f"Kafka topics missing: {', '.join(missing)} (topics are provisioned by the "
                               "environment)")
        return producer

    def _servers(self, spec: ServiceSpec, sender: Sender, producer: AIOKafkaProducer | None,
                 pool: asyncpg.Pool | None) -> list[ServerTransport]:
        settings, name = self.settings, self.service.name
        servers: list[ServerTransport] = []
        readiness = self._is_ready
        if spec.depends_on:
            peers = PeerReadiness(settings, spec.depends_on, self._is_ready)
            self._stack.push_async_callback(peers.aclose)
            readiness = peers.ready
        app = base_app(name, settings.max_body_bytes, settings.http_body_timeout_s, readiness)
        service_contract = self.contract.services.get(name)
        if service_contract is not None:
            if spec.implementation is None:
                raise RuntimeError(f"{name} is a service of api.yml but its build() gave no implementation")
            handlers = self._pipelines(service_contract.name, bind_handlers(service_contract, spec.implementation),
                                       pool)
            mount_service(app, service_contract, handlers)
            document = service_openapi_document(service_contract, self.service.version)
            app.add_get("/openapi.json", _document(json_response(document)))
            if settings.grpc_port:
                servers.append(GrpcServer(service_contract, handlers, settings.host, settings.grpc_port,
                                          settings.max_body_bytes))
            if producer is not None:
                servers.append(EventsServer(settings, service_contract, handlers, producer, pool,
                                            forbidden_replies=[*self.contract.services, *self.contract.topics]))
        if producer is not None:
            for subscription in spec.subscriptions:
                topic = self.contract.topic(subscription.topic)
                if name not in topic.subscribers:
                    # It works (a consumer group of its own), but ACLs and dead-letter topics follow the contract.
                    logger.warning("{} subscribes to {}, which api.yml's topics.{}.subscribers does not name",
                                   name, topic.name, topic.name)
                check_subscription(topic, subscription)
                servers.append(SubscriptionConsumer(settings, topic, subscription.handler, self.identities.internal,
                                                    producer, pool))
            if pool is not None:
                servers.append(OutboxRelay(settings, pool, producer, self.identities.internal))
        if isinstance(spec.edge, Edge):
            mount_edge(app, self.contract, sender, spec.edge, name, self.admission)
        servers.append(HttpServer(app, settings.host, settings.rest_port, settings.http_keepalive_timeout_s,
                                  header_timeout_s=settings.http_header_timeout_s,
                                  grace_s=settings.http_drain_grace_s, shared_port=settings.shared_port))
        return servers

    def _pipelines(self, service: str, handlers: Mapping[str, Handler],
                   pool: asyncpg.Pool | None) -> dict[str, Handler]:
        contract = self.contract.service(service)
        once = applied_once(pool, {name: m.response_type for name, m in contract.methods.items()})
        middlewares = server_stack(self.identities, self.admission, once)
        return {
            method: chain(middlewares, _operation(contract.methods[method]), handler)
            for method, handler in handlers.items()
        }

    async def stop(self) -> None:
        self._ready = False
        await self._stack.aclose()


def _document(response: Response) -> Callable[[object], Awaitable[Response]]:
    async def handle(_: object) -> Response:
        return response

    return handle


def _operation(binding: MethodBinding) -> Operation:
    return Operation("server", binding.service, binding.service, binding.name, binding.idempotent,
                     binding.success_status)


class PeerReadiness:
    """Ready when this process is and every peer has an instance whose /readyz answers 200."""

    def __init__(self, settings: Settings, peers: Sequence[str], own: Callable[[], Awaitable[bool]]) -> None:
        self._settings = settings
        self._peers = peers
        self._own = own
        self._http = Http1Client(max_connections=2, idle_s=settings.http_keepalive_timeout_s * 2 / 3)

    async def ready(self) -> bool:
        if not await self._own():
            return False
        for peer in self._peers:
            for base in self._settings.peer(peer).rest_urls:
                if await self._answers(base):
                    break
            else:
                return False
        return True

    async def _answers(self, base: str) -> bool:
        try:
            async with asyncio.timeout(2):
                return (await self._http.request(base, "GET", "/readyz")).status == 200
        except (OSError, TimeoutError, ResponseTooLarge):
            return False

    async def aclose(self) -> None:
        self._http.close()


async def serve(registry: Registry, name: str) -> None:
    """Run one process until SIGINT or SIGTERM."""
    service = registry.get(name)
    settings = load_settings(service.settings, name)
    setup_logging(name, settings.log_level, settings.log_format)
    sample_access_log(settings.access_log_sample_rate)
    tracing.setup_tracing(name, settings.otel_exporter_otlp_endpoint, protocol=settings.otel_exporter_otlp_protocol)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    process = Process(service, settings, registry.contract(settings))
    try:
        await process.start()
        await stop.wait()
        logger.info("{} stopping", name)
    finally:
        await process.stop()
        tracing.shutdown_tracing()
