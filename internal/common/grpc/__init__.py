"""gRPC transport: a grpc.aio server with generic handlers from the proto, health and reflection."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from internal.common.contract import MethodBinding, ServiceContract
from internal.common.errors import TridentError
from internal.common.service import PROPAGATED, CallContext
from internal.common.service.endpoint import Endpoint


# Messages of up to the REST body limit travel over gRPC too.
def channel_options(max_message_bytes: int) -> list[tuple[str, Any]]:
    return [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.keepalive_time_ms", 30_000),
    ]


def status_code(error: TridentError) -> grpc.StatusCode:
    return grpc.StatusCode[error.code.grpc_name]


def _unary(binding: MethodBinding, endpoint: Endpoint) -> Callable[..., Any]:
    async def handle(request: Any, context: grpc.aio.ServicerContext) -> Any:
        metadata = {k: v for k, v in context.invocation_metadata() or () if k in PROPAGATED and isinstance(v, str)}
        ctx = CallContext.from_metadata("grpc", metadata, timeout=context.time_remaining())
        try:
            return await endpoint(request, ctx)
        except TridentError as exc:
            await context.abort(status_code(exc), exc.message)

    return grpc.unary_unary_rpc_method_handler(
        handle,
        request_deserializer=binding.request_type.FromString,
        response_serializer=binding.response_type.SerializeToString,
    )


class GrpcServer:
    def __init__(self, contract: ServiceContract, endpoints: Mapping[str, Endpoint], max_message_bytes: int) -> None:
        self._server = grpc.aio.server(options=channel_options(max_message_bytes))
        handlers = {name: _unary(binding, endpoints[name]) for name, binding in contract.methods.items()}
        service_name = contract.descriptor.full_name
        self._server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service_name, handlers),))
        self._health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        reflection.enable_server_reflection(
            (service_name, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME),
            self._server,
        )
        self._service_name = service_name

    async def start(self, host: str, port: int) -> int:
        bound = self._server.add_insecure_port(f"{host}:{port}")
        if bound == 0:
            raise OSError(f"cannot bind gRPC to {host}:{port}")
        await self._server.start()
        return bound

    async def set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        await self._health.set(self._service_name, status)
        await self._health.set("", status)

    async def stop(self, grace: float = 2.0) -> None:
        await self._server.stop(grace)
