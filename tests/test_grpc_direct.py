"""Each service's gRPC server answers health checks and reflection, as grpcurl and Postman need."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import descriptor_pool, message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from tests.client import GatewayClient
from tests.conftest import RunningSystem

SERVICES = {
    "users": "trident.users.v1.Users",
    "auth": "trident.auth.v1.Auth",
    "pictures": "trident.pictures.v1.Pictures",
    "analytics": "trident.analytics.v1.Analytics",
}


@pytest.mark.parametrize("service", SERVICES)
async def test_health_says_serving(system: RunningSystem, service: str) -> None:
    async with grpc.aio.insecure_channel(system.grpc_target(service)) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for name in ("", SERVICES[service]):
            response = await stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
            assert response.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize("service", SERVICES)
def test_reflection_lists_the_service_and_its_methods(system: RunningSystem, service: str) -> None:
    with grpc.insecure_channel(system.grpc_target(service)) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        names = set(database.get_services())
        assert {SERVICES[service], "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"} <= names
        pool = descriptor_pool.DescriptorPool(database)
        methods = {m.name for m in pool.FindServiceByName(SERVICES[service]).methods}
        assert methods


async def test_a_call_built_only_from_reflection_works(system: RunningSystem, gateway: GatewayClient) -> None:
    """What grpcurl does: no generated code, only descriptors fetched from the server, and the user's token."""
    username, signup = await gateway.signup("rest")
    token = signup.body["access_token"]
    user_id = (await gateway.request("GET", "/rest/me", token=token)).body["id"]
    with grpc.insecure_channel(system.grpc_target("users")) as channel:
        pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
        method = pool.FindServiceByName("trident.users.v1.Users").FindMethodByName("GetUser")
        request_cls = message_factory.GetMessageClass(method.input_type)
        response_cls = message_factory.GetMessageClass(method.output_type)
        call = channel.unary_unary(
            "/trident.users.v1.Users/GetUser",
            request_serializer=request_cls.SerializeToString,
            response_deserializer=response_cls.FromString,
        )
        metadata = (("authorization", f"Bearer {token}"),)
        user = call(request_cls(id=user_id), timeout=10, metadata=metadata)
        assert (user.username, user.id) == (username, user_id)
        with pytest.raises(grpc.RpcError) as someone_else:
            call(request_cls(id="00000000-0000-4000-8000-000000000000"), timeout=10, metadata=metadata)
        assert someone_else.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as anonymous:
            call(request_cls(id=user_id), timeout=10)
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
