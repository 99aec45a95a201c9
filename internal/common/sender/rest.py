"""The sender's REST client: one aiohttp session per process, kept alive."""

from __future__ import annotations

import aiohttp
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message

from internal.common.config import Settings
from internal.common.contract import MethodBinding
from internal.common.errors import DeadlineExceeded, Internal, Unavailable
from internal.common.rest import PROTOBUF, decode_error, outgoing_request
from internal.common.service import CallContext


class RestClient:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=256, limit_per_host=128, keepalive_timeout=30),
            )
        return self._session

    async def call(self, binding: MethodBinding, request: Message, ctx: CallContext) -> Message:
        path, query, body = outgoing_request(binding, request, protobuf=True)
        url = self.settings.peer(binding.service).rest_url.rstrip("/") + path
        headers = ctx.to_metadata()
        headers["Accept"] = PROTOBUF
        if body is not None:
            headers["Content-Type"] = PROTOBUF
        timeout = aiohttp.ClientTimeout(total=ctx.remaining())
        try:
            async with self._get_session().request(binding.http_method, url, params=query, data=body,
                                                   headers=headers, timeout=timeout) as response:
                raw = await response.read()
                if response.status >= 400:
                    raise decode_error(response.status, raw)
                if not raw:
                    return binding.response_type()
                if response.content_type == PROTOBUF:
                    return binding.response_type.FromString(raw)
                return json_format.Parse(raw, binding.response_type(), ignore_unknown_fields=True)
        except TimeoutError:
            raise DeadlineExceeded(f"no answer from {binding.service}.{binding.name} over REST within the deadline") \
                from None
        except aiohttp.ClientError as exc:
            raise Unavailable(f"{binding.service} is unavailable over REST: {type(exc).__name__}") from None
        except (json_format.ParseError, DecodeError) as exc:
            raise Internal(f"{binding.service} sent an unreadable answer: {exc}") from None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
