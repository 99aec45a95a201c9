"""The sender's REST client: kept-alive connections to every instance of a peer (`http1`), calls spread over them."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlencode

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message

from internal.common.config import Settings
from internal.common.contract import MethodBinding
from internal.common.errors import DeadlineExceeded, Internal, Unavailable
from internal.common.rest import PROTOBUF, decode_error, outgoing_request
from internal.common.sender.http1 import ConnectFailed, Http1Client, ResponseTooLarge
from internal.common.service import CallContext


class Instances:
    """Round robin over the base URLs of one peer's instances; one that failed is tried last for a short while."""

    def __init__(self, urls: list[str], backoff_s: float) -> None:
        if not urls:
            raise ValueError("a peer needs at least one REST URL")
        self.urls = urls
        self._backoff_s = backoff_s
        self._next = 0
        self._down_until: dict[str, float] = {}

    def order(self) -> list[str]:
        """Every instance for one call: the next in turn first, then the others; those that failed lately last."""
        start = self._next
        self._next = (start + 1) % len(self.urls)
        turn = self.urls[start:] + self.urls[:start]
        if not self._down_until:
            return turn
        now = time.monotonic()
        up = [url for url in turn if self._down_until.get(url, 0.0) <= now]
        return up + [url for url in turn if url not in up]

    def failed(self, url: str) -> None:
        self._down_until[url] = time.monotonic() + self._backoff_s

    def answered(self, url: str) -> None:
        if self._down_until:
            self._down_until.pop(url, None)


class RestClient:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Idle connections are dropped before the peer's own keep-alive timeout would close them.
        self._http = Http1Client(max_connections=128, idle_s=settings.http_keepalive_timeout_s * 2 / 3,
                                 max_body=2 * settings.max_body_bytes)
        self._instances: dict[str, Instances] = {}

    def instances(self, service: str) -> Instances:
        instances = self._instances.get(service)
        if instances is None:
            instances = Instances(self.settings.peer(service).rest_urls, self.settings.peer_down_backoff_ms / 1000)
            self._instances[service] = instances
        return instances

    async def call(self, binding: MethodBinding, request: Message, ctx: CallContext) -> Message:
        path, query, body = outgoing_request(binding, request, protobuf=True)
        headers = ctx.to_metadata()
        headers["Accept"] = PROTOBUF
        if body is not None:
            headers["Content-Type"] = PROTOBUF
        instances = self.instances(binding.service)
        refused = 0
        target = path + "?" + urlencode(query) if query else path
        for base in instances.order():
            try:
                async with asyncio.timeout(ctx.remaining()):
                    response = await self._http.request(base, binding.http_method, target, headers, body)
                instances.answered(base)
            except TimeoutError:
                raise DeadlineExceeded(f"no answer from {binding.service}.{binding.name} over REST within the "
                                       "deadline") from None
            except ConnectFailed:
                # Not connected, so the request never reached it: any call may go to the next instance.
                instances.failed(base)
                refused += 1
                continue
            except (OSError, ResponseTooLarge) as exc:
                # It may have been served before the connection broke: only the retry middleware, for methods the
                # proto marks idempotent, tries again (and the next attempt starts at another instance).
                instances.failed(base)
                raise Unavailable(f"{binding.service} is unavailable over REST: {type(exc).__name__}") from None
            raw = response.body
            if response.status >= 400:
                raise decode_error(response.status, raw)
            if not raw:
                return binding.response_type()
            try:
                if response.content_type.partition(";")[0].strip() == PROTOBUF:
                    # The C implementation reads any buffer (a large answer arrives as a bytearray); the stubs say
                    # bytes.
                    return binding.response_type.FromString(raw)  # type: ignore[arg-type]
                return json_format.Parse(bytes(raw), binding.response_type(), ignore_unknown_fields=True)
            except (json_format.ParseError, DecodeError) as exc:
                raise Internal(f"{binding.service} sent an unreadable answer: {exc}") from None
        raise Unavailable(f"{binding.service} is unavailable over REST: no instance accepted a connection "
                          f"({refused} tried)")

    async def aclose(self) -> None:
        self._http.close()
