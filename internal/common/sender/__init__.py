"""The sender: the one way a process calls another, over REST, gRPC or Kafka events.

Clients are created once per process and reused. Every call has a deadline; only idempotent
methods are retried, and only when the peer was unavailable.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Protocol, TypeVar

from aiokafka import AIOKafkaProducer
from google.protobuf.message import Message
from opentelemetry.trace import SpanKind, Status, StatusCode

from internal.common import metrics, mq, tracing
from internal.common.config import TRANSPORTS, Settings
from internal.common.contract import Contract, MethodBinding
from internal.common.errors import DeadlineExceeded, InvalidArgument, TridentError, Unavailable
from internal.common.sender.events import EventsClient
from internal.common.sender.grpc import GrpcClient
from internal.common.sender.rest import RestClient
from internal.common.service import CallContext

M = TypeVar("M", bound=Message)

_RETRIES = 2
_BACKOFF_S = 0.05


class TransportClient(Protocol):
    async def call(self, binding: MethodBinding, request: Message, ctx: CallContext, budget_s: float) -> Message: ...

    async def close(self) -> None: ...


class Sender:
    def __init__(self, settings: Settings, contract: Contract, producer: AIOKafkaProducer | None) -> None:
        self.settings = settings
        self.contract = contract
        self.producer = producer
        self.events: EventsClient | None = EventsClient(settings, producer) if producer is not None else None
        self._clients: Mapping[str, TransportClient | None] = {
            "rest": RestClient(settings),
            "grpc": GrpcClient(settings),
            "events": self.events,
        }

    async def start(self) -> None:
        if self.events is not None:
            await self.events.start()

    async def close(self) -> None:
        for client in self._clients.values():
            if client is not None:
                await client.close()

    async def call(self, service: str, method: str, request: M, *, transport: str, ctx: CallContext) -> Message:
        """Call `service.method` over `transport`; raises the callee's error as a TridentError."""
        client = self._clients.get(transport)
        if transport not in TRANSPORTS:
            raise InvalidArgument(f"unknown transport {transport!r}; use one of {', '.join(TRANSPORTS)}")
        if client is None:
            raise Unavailable(f"the {transport} transport is not configured in {self.settings.service_name}")
        binding = self.contract.service(service).method(method)
        ctx = ctx.with_timeout(self.settings.call_timeout_ms / 1000)
        started = time.perf_counter()
        code = "OK"
        with tracing.tracer().start_as_current_span(
            f"{service}/{method}",
            kind=SpanKind.CLIENT,
            attributes={"rpc.service": service, "rpc.method": method, "trident.transport": transport},
        ) as span:
            try:
                return await self._with_retries(client, binding, request, ctx)
            except TridentError as exc:
                code = exc.code.name
                span.set_status(Status(StatusCode.ERROR, exc.message))
                raise
            finally:
                labels = (self.settings.service_name, service, transport, method)
                metrics.CLIENT_REQUESTS.labels(*labels, code).inc()
                if code != "OK":
                    metrics.CLIENT_ERRORS.labels(*labels, code).inc()
                metrics.CLIENT_LATENCY.labels(*labels).observe(time.perf_counter() - started)

    async def _with_retries(self, client: TransportClient, binding: MethodBinding, request: Message, ctx: CallContext) -> Message:
        attempt = 0
        while True:
            remaining = ctx.remaining() or 0.0
            if remaining <= 0:
                raise DeadlineExceeded(f"no answer from {binding.service}.{binding.name} within the deadline")
            try:
                return await client.call(binding, request, ctx, remaining)
            except Unavailable:
                attempt += 1
                backoff = _BACKOFF_S * 2 ** (attempt - 1)
                if not binding.idempotent or attempt > _RETRIES or (ctx.remaining() or 0) <= backoff:
                    raise
                await asyncio.sleep(backoff)

    async def publish(self, topic: str, event: str, message: Message, ctx: CallContext | None = None) -> None:
        """Publish a domain event (no reply), e.g. `user.deleted` or a gateway call log."""
        if self.producer is None:
            raise Unavailable("Kafka is not configured")
        headers: mq.Headers = [
            (mq.EVENT, event.encode()),
            (mq.CONTENT_TYPE, mq.PROTOBUF.encode()),
            (mq.REPLY_TO, b""),
        ]
        if ctx is not None:
            headers.extend((k, v.encode()) for k, v in ctx.to_metadata().items())
        await mq.publish(
            self.producer, topic, message.SerializeToString(), headers,
            key=None, record_max_bytes=self.settings.kafka_record_max_bytes, service=self.settings.service_name,
        )
