"""In-process harness: services served through the real pipeline and the real codec of each transport, no sockets.

In the spirit of httpx's MockTransport and FastStream's TestBroker: a call made with `harness.sender`
(or a typed client from it) is encoded as its transport would put it on the wire, decoded by the same
server-side code the REST, gRPC and events servers run, handled by the service's pipeline, and its answer
or error travels back the same way. What it leaves out is only the network: sockets, HTTP framing,
HTTP/2, and the Kafka broker.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping
from urllib.parse import unquote

from google.protobuf import json_format
from google.protobuf.message import Message

from internal.common import events, grpc, mq, rest
from internal.common.config import Settings
from internal.common.contract import Contract, MethodBinding
from internal.common.errors import Internal, TridentError
from internal.common.pipeline import Admission, Operation, chain, server_stack
from internal.common.sender import Sender, TransportClient
from internal.common.service import PROPAGATED, CallContext, Handler, ServiceSpec, bind_handlers
from internal.common.tokens import Identities, InternalTokens


class Harness:
    """Services of `contract` served in this process; `sender` reaches them over any of the three codecs."""

    def __init__(self, contract: Contract, settings: Settings | None = None) -> None:
        self.contract = contract
        self.settings = settings or Settings(service_name="harness")
        self._handlers: dict[str, dict[str, Handler]] = {}
        transports: dict[str, TransportClient] = {"rest": _Rest(self), "grpc": _Grpc(self), "events": _Events(self)}
        # A key of this harness only: the calls it makes are signed and verified like between real processes.
        self.identities = Identities(InternalTokens(secrets.token_urlsafe(32), "harness"), None)
        self.sender = Sender(self.settings, contract, transports, self.identities.internal)

    def serve(self, name: str, spec: ServiceSpec) -> None:
        """Serve `spec.implementation` as the service `name` of the contract, through the server pipeline."""
        service = self.contract.service(name)
        handlers = bind_handlers(service, spec.implementation)
        self._handlers[name] = {
            method: chain(
                server_stack(self.identities, Admission(self.settings.max_in_flight)),
                Operation(
                    "server",
                    name,
                    name,
                    method,
                    service.methods[method].idempotent,
                    service.methods[method].success_status,
                ),
                handler,
            )
            for method, handler in handlers.items()
        }

    def handlers(self, service: str) -> Mapping[str, Handler]:
        try:
            return self._handlers[service]
        except KeyError:
            raise LookupError(f"the harness serves no {service!r}; call serve() first") from None


def _metadata(ctx: CallContext) -> dict[str, str]:
    return {k: v for k, v in ctx.to_metadata().items() if k in PROPAGATED}


class _Rest:
    def __init__(self, harness: Harness) -> None:
        self._harness = harness

    async def call(self, binding: MethodBinding, request: Message, ctx: CallContext) -> Message:
        path, query, body = rest.outgoing_request(binding, request)
        pattern = re.escape(binding.url).replace(r"\{", "{").replace(r"\}", "}")
        match = re.fullmatch(re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", pattern), path)
        if match is None:
            raise Internal(f"{path} does not match {binding.url}")
        params = {k: unquote(v) for k, v in match.groupdict().items()}
        handler = self._harness.handlers(binding.service)[binding.name]
        response = await rest.serve(binding, handler, body or b"", query, params, _metadata(ctx))
        raw = response.body if isinstance(response.body, bytes) else b""
        if response.status >= 400:
            raise rest.decode_error(response.status, raw)
        return (
            json_format.Parse(raw, binding.response_type(), ignore_unknown_fields=True)
            if raw
            else binding.response_type()
        )

    async def aclose(self) -> None:
        return None


class _Grpc:
    def __init__(self, harness: Harness) -> None:
        self._harness = harness

    async def call(self, binding: MethodBinding, request: Message, ctx: CallContext) -> Message:
        wire = binding.request_type.FromString(request.SerializeToString())
        handler = self._harness.handlers(binding.service)[binding.name]
        try:
            response = await handler(wire, CallContext.from_metadata("grpc", _metadata(ctx), ctx.remaining()))
        except TridentError as exc:
            code, details, trailing = grpc.encode_error(exc)
            raise grpc.decode_error(code, details, dict(trailing), binding.service) from None
        return binding.response_type.FromString(response.SerializeToString())

    async def aclose(self) -> None:
        return None


class _Events:
    def __init__(self, harness: Harness) -> None:
        self._harness = harness

    async def call(self, binding: MethodBinding, request: Message, ctx: CallContext) -> Message:
        headers = events.request_headers(binding, ctx, uuid.uuid4().hex, self._harness.settings.kafka_reply_topic)
        contract = self._harness.contract.service(binding.service)
        _, status, body, content_type = await events.serve(
            contract, self._harness.handlers(binding.service), headers, None, request.SerializeToString()
        )
        reply_headers = [(mq.STATUS, status.encode()), (mq.CONTENT_TYPE, content_type.encode())]
        return events.decode_reply(binding, reply_headers, body)

    async def aclose(self) -> None:
        return None


def with_user(ctx: CallContext, user_id: str, username: str = "") -> CallContext:
    """`ctx` as if the gateway had authenticated `user_id`."""
    return ctx.evolve(user_id=user_id, username=username)
