"""The sender: the one way a process calls another, over REST, gRPC or Kafka events.

Callers use typed clients generated from the proto (`sender.client(UsersClient)`), never method names
as strings. Every call runs through the client pipeline (tracing, metrics, deadline, retries of the
methods the proto marks idempotent) into one transport client; clients are created once per process.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import ClassVar, Protocol, TypeVar

from aiokafka import AIOKafkaProducer
from google.protobuf.message import Message

from internal.common import mq
from internal.common.config import Settings
from internal.common.contract import Contract, MethodBinding
from internal.common.errors import Internal, InvalidArgument, Unavailable
from internal.common.pipeline import Middleware, Operation, chain, client_stack
from internal.common.service import TRANSPORTS, CallContext, Handler
from internal.common.tokens import InternalTokens

M = TypeVar("M", bound=Message)
C = TypeVar("C", bound="ServiceClient")


class TransportClient(Protocol):
    """One transport's side of a call: send `request` to `binding`, return the decoded response or raise."""

    async def call(self, binding: MethodBinding, request: Message, ctx: CallContext) -> Message: ...

    async def aclose(self) -> None: ...


class ServiceClient:
    """The base of the typed clients that tools/generate_clients.py writes from the proto."""

    SERVICE: ClassVar[str]

    def __init__(self, sender: Sender, transport: str | None) -> None:
        self._sender = sender
        self._transport = transport

    async def _call(self, method: str, request: Message, ctx: CallContext, response_type: type[M]) -> M:
        response = await self._sender.call(self.SERVICE, method, request, ctx, transport=self._transport)
        if not isinstance(response, response_type):
            raise Internal(f"{self.SERVICE}.{method} answered a {type(response).__name__}")
        return response


class Sender:
    def __init__(self, settings: Settings, contract: Contract, transports: Mapping[str, TransportClient],
                 internal: InternalTokens, producer: AIOKafkaProducer | None = None,
                 middlewares: Sequence[Middleware] | None = None) -> None:
        self.settings = settings
        self.contract = contract
        self._transports = transports
        self._internal = internal
        self._producer = producer
        self._middlewares = list(middlewares if middlewares is not None
                                 else client_stack(settings.call_timeout_ms / 1000, internal))
        self._pipelines: dict[tuple[str, str], Handler] = {}

    def client(self, client_type: type[C], transport: str | None = None) -> C:
        """A typed client of one service; without `transport`, each call goes over the caller's own."""
        if transport is not None and transport not in TRANSPORTS:
            raise InvalidArgument(f"unknown transport {transport!r}; use one of {', '.join(TRANSPORTS)}")
        return client_type(self, transport)

    async def call(self, service: str, method: str, request: Message, ctx: CallContext, *,
                   transport: str | None = None) -> Message:
        """Call `service.method`; raises the callee's error as a TridentError."""
        pipeline = self._pipelines.get((service, method))
        if pipeline is None:
            binding = self.contract.service(service).method(method)
            operation = Operation("client", self.settings.service_name, service, method, binding.idempotent)
            pipeline = chain(self._middlewares, operation, self._dispatcher(binding))
            self._pipelines[(service, method)] = pipeline
        if transport is not None and transport != ctx.transport:
            ctx = ctx.evolve(transport=transport)
        response: Message = await pipeline(request, ctx)
        return response

    def _dispatcher(self, binding: MethodBinding) -> Handler:
        async def dispatch(request: Message, ctx: CallContext) -> Message:
            client = self._transports.get(ctx.transport)
            if client is None:
                if ctx.transport not in TRANSPORTS:
                    raise InvalidArgument(f"unknown transport {ctx.transport!r}; use one of {', '.join(TRANSPORTS)}")
                raise Unavailable(f"the {ctx.transport} transport is not configured in {self.settings.service_name}")
            ctx.check_deadline()
            return await client.call(binding, request, ctx)

        return dispatch

    async def notify(self, service: str, method: str, request: Message, ctx: CallContext | None = None) -> None:
        """Send a request as an event that wants no reply (e.g. the gateway's call logs to analytics).

        It carries a correlation id all the same: a service with a database applies it once however often it is
        delivered (the id keys its processed-message record).
        """
        binding = self.contract.service(service).method(method)
        headers: mq.Headers = [(mq.EVENT, binding.event.encode()), (mq.CONTENT_TYPE, mq.PROTOBUF.encode()),
                               (mq.REPLY_TO, b""), (mq.CORRELATION_ID, uuid.uuid4().hex.encode())]
        await self._send(binding.service, request, headers, ctx)

    async def _send(self, topic: str, message: Message, headers: mq.Headers, ctx: CallContext | None) -> None:
        if self._producer is None:
            raise Unavailable("Kafka is not configured")
        # Events carry this process's identity (and the user's it is sent for), like calls do.
        ctx = ctx or CallContext(transport="events")
        ctx = ctx.evolve(credentials=self._internal.mint(ctx.user_id, ctx.username, ctx.session_id))
        headers.extend((k, v.encode()) for k, v in ctx.to_metadata().items())
        await mq.publish(self._producer, topic, message.SerializeToString(), headers, key=None,
                         record_max_bytes=self.settings.kafka_record_max_bytes, service=self.settings.service_name)

    async def aclose(self) -> None:
        for client in self._transports.values():
            await client.aclose()
