"""The sender's gRPC client: one channel per peer, reused by every call."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf.message import Message

from internal.common.config import Settings
from internal.common.contract import MethodBinding
from internal.common.grpc import channel_options, decode_error
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
