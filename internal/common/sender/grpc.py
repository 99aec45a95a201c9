"""The sender's gRPC client: one channel per peer, reused by every call."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf.message import Message

from internal.common.config import Settings
from internal.common.contract import MethodBinding
from internal.common.errors import DeadlineExceeded, Unavailable, from_code
from internal.common.grpc import channel_options
from internal.common.service import CallContext


class GrpcClient:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._stubs: dict[tuple[str, str], Any] = {}

    def _stub(self, binding: MethodBinding) -> Any:
        target = self.settings.peer(binding.service).grpc_target
        key = (target, binding.full_path)
        stub = self._stubs.get(key)
        if stub is None:
            channel = self._channels.get(target)
            if channel is None:
                channel = grpc.aio.insecure_channel(target, options=channel_options(self.settings.max_body_bytes))
                self._channels[target] = channel
            stub = channel.unary_unary(
                binding.full_path,
                request_serializer=binding.request_type.SerializeToString,
                response_deserializer=binding.response_type.FromString,
            )
            self._stubs[key] = stub
        return stub

    async def call(self, binding: MethodBinding, request: Message, ctx: CallContext, budget_s: float) -> Message:
        metadata = tuple(ctx.to_metadata().items())
        try:
            response: Message = await self._stub(binding)(request, timeout=budget_s, metadata=metadata)
            return response
        except grpc.aio.AioRpcError as exc:
            code = exc.code()
            if code == grpc.StatusCode.UNAVAILABLE:
                raise Unavailable(f"{binding.service} is unavailable over gRPC") from None
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise DeadlineExceeded(exc.details() or f"no answer from {binding.service}.{binding.name} over gRPC within the deadline") from None
            raise from_code(code.name, exc.details() or "") from None

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
