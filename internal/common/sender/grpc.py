"""The sender's gRPC client: one channel per peer, reused by every call, balancing over the peer's instances."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import grpc
from google.protobuf.message import Message

from internal.common.config import Settings
from internal.common.contract import MethodBinding
from internal.common.grpc import channel_options, decode_error
from internal.common.service import CallContext

# gRPC's standard client-side balancing: each call goes to the next connected address (a DNS name's records, or
# the instances listed). Without wait_for_ready, a call fails at once with UNAVAILABLE when none is connected.
ROUND_ROBIN = json.dumps({"loadBalancingConfig": [{"round_robin": {}}]})
# An instance that comes back is connected again within this (gRPC's default backs off up to 120 s).
RECONNECT_BACKOFF_MS = {"grpc.initial_reconnect_backoff_ms": 200, "grpc.min_reconnect_backoff_ms": 200,
                        "grpc.max_reconnect_backoff_ms": 2_000}


def channel_target(targets: list[str]) -> str:
    """One gRPC target for a peer's instances: the target itself for one, an `ipv4:`/`ipv6:` address list for
    several (a static list needs IP addresses; host names are one DNS name whose records are the instances)."""
    if len(targets) == 1:
        return targets[0]
    families = set()
    for target in targets:
        host = target.rpartition(":")[0].removeprefix("[").removesuffix("]")
        try:
            families.add(ipaddress.ip_address(host).version)
        except ValueError:
            raise LookupError(f"several gRPC targets must be IP addresses (host:port), not {target!r}; for host "
                              "names use one DNS name that resolves to every instance") from None
    if len(families) != 1:
        raise LookupError(f"gRPC targets mix IPv4 and IPv6: {', '.join(targets)}")
    return f"ipv{families.pop()}:{','.join(targets)}"


class GrpcClient:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._stubs: dict[tuple[str, str], Any] = {}

    def _stub(self, binding: MethodBinding) -> Any:
        key = (binding.service, binding.full_path)
        stub = self._stubs.get(key)
        if stub is None:
            target = channel_target(self.settings.peer(binding.service).grpc_targets)
            channel = self._channels.get(target)
            if channel is None:
                options = [*channel_options(self.settings.max_body_bytes), ("grpc.service_config", ROUND_ROBIN),
                           *RECONNECT_BACKOFF_MS.items()]
                channel = grpc.aio.insecure_channel(target, options=options)
                self._channels[target] = channel
            stub = channel.unary_unary(
                binding.full_path,
                request_serializer=binding.request_type.SerializeToString,
                response_deserializer=binding.response_type.FromString,
            )
            self._stubs[key] = stub
        return stub

    async def call(self, binding: MethodBinding, request: Message, ctx: CallContext) -> Message:
        call = self._stub(binding)(request, timeout=ctx.remaining(), metadata=tuple(ctx.to_metadata().items()))
        try:
            response: Message = await call
            return response
        except grpc.aio.AioRpcError as exc:
            trailing = {k: v for k, v in exc.trailing_metadata() or () if isinstance(v, str)}
            raise decode_error(exc.code(), exc.details() or "", trailing, binding.service) from None

    async def aclose(self) -> None:
        for channel in self._channels.values():
            await channel.close()
