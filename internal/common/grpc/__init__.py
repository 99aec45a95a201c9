"""gRPC transport: a grpc.aio server with generic handlers from the proto, health, reflection, and its codec."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2

from internal.common.contract import MethodBinding, ServiceContract
from internal.common.errors import DeadlineExceeded, TridentError, Unavailable, from_code
from internal.common.service import PROPAGATED, CallContext, Handler

# grpcio-reflection serves only v1alpha; grpcurl, Postman and most tools ask v1 first. The two protos differ
# only in their package, so their messages are the same on the wire and one servicer answers both.
REFLECTION_V1 = "grpc.reflection.v1.ServerReflection"

# The structured error reason, and when to try again, travel in the trailing metadata.
REASON = "trident-error-reason"
RETRY_AFTER = "retry-after"


def channel_options(max_message_bytes: int) -> list[tuple[str, Any]]:
    # Messages of up to the REST body limit travel over gRPC too.
    return [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.keepalive_time_ms", 30_000),
    ]


def server_options(max_message_bytes: int) -> list[tuple[str, Any]]:
    """Bounded streams per connection, idle connections closed, clients that ping too often refused."""
    return [
        *channel_options(max_message_bytes),
        ("grpc.max_concurrent_streams", 128),
        ("grpc.max_connection_idle_ms", 5 * 60_000),
        ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
        ("grpc.keepalive_permit_without_calls", 1),
    ]


# The codec of errors: the one place a TridentError becomes a gRPC status and back.

def encode_error(error: TridentError) -> tuple[grpc.StatusCode, str, tuple[tuple[str, str], ...]]:
    trailing: tuple[tuple[str, str], ...] = ((REASON, error.reason),) if error.reason else ()
    if error.retry_after is not None:
        trailing += ((RETRY_AFTER, str(error.retry_after)),)
    return grpc.StatusCode[error.code.name], error.message, trailing


def decode_error(code: grpc.StatusCode, details: str, trailing: Mapping[str, str], service: str) -> TridentError:
    if code == grpc.StatusCode.UNAVAILABLE:
        return Unavailable(f"{service} is unavailable over gRPC")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return DeadlineExceeded(details or f"no answer from {service} over gRPC within the deadline")
    error = from_code(code.name, details, trailing.get(REASON, ""))
    if trailing.get(RETRY_AFTER, "").isdigit():
        error.retry_after = int(trailing[RETRY_AFTER])
    return error


def _unary(binding: MethodBinding, handler: Handler) -> Any:
    async def handle(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        metadata = {k: v for k, v in context.invocation_metadata() or () if k in PROPAGATED and isinstance(v, str)}
        try:
            return await handler(request, CallContext.from_metadata("grpc", metadata, context.time_remaining()))
        except TridentError as exc:
            code, details, trailing = encode_error(exc)
            if trailing:
                context.set_trailing_metadata(trailing)
            await context.abort(code, details)

    return grpc.unary_unary_rpc_method_handler(
        handle,
        request_deserializer=binding.request_type.FromString,
        response_serializer=binding.response_type.SerializeToString,
    )


def _enable_reflection(server: grpc.aio.Server, services: tuple[str, ...]) -> None:
    """Server reflection under both v1 and v1alpha, each listing the other too."""
    servicer = reflection.aio.ReflectionServicer((*services, REFLECTION_V1, reflection.SERVICE_NAME))
    handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(tuple(
        grpc.method_handlers_generic_handler(name, {"ServerReflectionInfo": handler})
        for name in (REFLECTION_V1, reflection.SERVICE_NAME)
    ))


class GrpcServer:
    """A ServerTransport: the service's methods, the standard health service and server reflection."""

    def __init__(self, contract: ServiceContract, handlers: Mapping[str, Handler], host: str, port: int,
                 max_message_bytes: int) -> None:
        self._server = grpc.aio.server(options=server_options(max_message_bytes))
        methods = {name: _unary(binding, handlers[name]) for name, binding in contract.methods.items()}
        service_name = contract.descriptor.full_name
        self._server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service_name, methods),))
        self._health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        _enable_reflection(self._server, (service_name, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name))
        self._service_name = service_name
        self._address = f"{host}:{port}"

    async def start(self) -> None:
        if self._server.add_insecure_port(self._address) == 0:
            raise OSError(f"cannot bind gRPC to {self._address}")
        await self._server.start()
        for name in (self._service_name, ""):
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def aclose(self) -> None:
        # Calls in flight get as long as a call's deadline to finish.
        await self._server.stop(10.0)

