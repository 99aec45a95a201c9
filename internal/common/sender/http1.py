"""HTTP/1.1 between the system's own processes: pooled keep-alive connections on asyncio, parsed by httptools.

Why not aiohttp's client, which the framework used before: on the gateway's `/rest` read path aiohttp's client
cost ~180 µs of CPU per call (request and response objects, timers, signals, cookie and header machinery that
calls between our own processes never use); this client, on the same parser uvicorn uses, brought the whole hop
from 617 to 431 µs (`benchmarks/`, py-spy profiles in the README). pyreqwest (Rust) was measured too and saved
nothing in-process (its runtime thread hands every call over). What it does not do, because no peer of ours
needs it: TLS, redirects, cookies, compression, proxies, HTTP/2.

One request at a time per connection; a connection is reused while the server keeps it alive, and dropped
after `idle_s` unused (shorter than the servers' keep-alive timeout, so a reused connection is rarely one the
server is closing at that moment). A pool has at most `max_connections` at once; a call waits for one within
its own deadline (the caller's `asyncio.timeout`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools

# Answers longer than this (with a Content-Length) are received in place; request bodies longer than this are
# written as they are, not copied behind the request's head.
_IN_PLACE = 256 * 1024


class ConnectFailed(OSError):
    """No connection could be made: the request never left, so another instance may take it."""


class ResponseTooLarge(Exception):
    pass


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes | bytearray  # protobuf, orjson and json_format read either


class _Connection(asyncio.Protocol):
    def __init__(self, max_body: int) -> None:
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._max_body = max_body
        self._waiter: asyncio.Future[Response] | None = None
        self._content_type = b""
        self._length = -1  # Content-Length, when the answer has one
        self._body: list[bytes] = []
        self._buffer: bytearray | None = None  # a large answer of known length, filled in place
        self._size = 0
        self.closed = False
        self.keep_alive = False
        self.idle_since = 0.0

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio's classes

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:
            self.close()  # bytes no request asked for: whatever follows on this connection is unreadable
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            cause = exc.__context__
            self._fail(cause if isinstance(cause, ResponseTooLarge) else
                       ConnectionError(f"unreadable HTTP answer: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(ConnectionResetError("the connection closed before the answer was complete"))

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(name) == 12 and name.lower() == b"content-type":
            self._content_type = value
        elif len(name) == 14 and name.lower() == b"content-length" and value.isdigit():
            self._length = int(value)

    def on_headers_complete(self) -> None:
        if self._length > self._max_body:
            raise ResponseTooLarge(f"the answer exceeds {self._max_body} bytes")
        if self._length > _IN_PLACE:
            # Received into one buffer of its size: joining chunks would hold a picture twice at once.
            self._buffer = bytearray(self._length)

    def on_body(self, body: bytes) -> None:
        start = self._size
        self._size += len(body)
        if self._size > self._max_body or (self._buffer is not None and self._size > len(self._buffer)):
            raise ResponseTooLarge(f"the answer exceeds {self._max_body} bytes")
        if self._buffer is not None:
            self._buffer[start:self._size] = body
        else:
            self._body.append(body)

    def on_message_complete(self) -> None:
        if self._buffer is not None:
            body: bytes | bytearray = self._buffer
        else:
            body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        response = Response(self._parser.get_status_code(), self._content_type.decode("latin-1"), body)
        self.keep_alive = self._parser.should_keep_alive()
        self._content_type, self._length, self._body, self._buffer, self._size = b"", -1, [], None, 0
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(response)

    # the pool's side

    async def exchange(self, head: bytes, body: bytes | None) -> Response:
        assert self._transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            self._transport.write(head + body if body and len(body) <= _IN_PLACE else head)
            if body and len(body) > _IN_PLACE:
                self._transport.write(body)  # a large body as it is: not copied into one buffer with the head
            return await self._waiter
        finally:
            self._waiter = None

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    def _fail(self, exc: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)
        if not self.closed:
            self.close()


class _Pool:
    """The connections to one peer instance (one base URL)."""

    def __init__(self, base: str, max_connections: int, idle_s: float, max_body: int) -> None:
        parts = urlsplit(base)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"{base!r}: calls between processes are plain http://host:port")
        self.host, self.port = parts.hostname, parts.port or 80
        self._host_header = f"Host: {parts.netloc}\r\n"
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(max_connections)
        self._idle_s = idle_s
        self._max_body = max_body
        self._open: set[_Connection] = set()

    async def request(self, method: str, target: str, headers: dict[str, str], body: bytes | None) -> Response:
        lines = [f"{method} {target} HTTP/1.1\r\n", self._host_header]
        for name, value in headers.items():
            if "\n" in value or "\r" in value:
                raise ValueError(f"header {name} holds a line break")
            lines.append(f"{name}: {value}\r\n")
        lines.append(f"Content-Length: {len(body) if body else 0}\r\n\r\n")
        head = "".join(lines).encode("latin-1")
        async with self._slots:
            connection = self._reuse() or await self._connect()
            try:
                response = await connection.exchange(head, body)
            except BaseException:
                # Failed, timed out or cancelled mid-call: what is left on it is unreadable.
                connection.close()
                self._open.discard(connection)
                raise
            if connection.keep_alive and not connection.closed:
                connection.idle_since = time.monotonic()
                self._idle.append(connection)
            else:
                connection.close()
                self._open.discard(connection)
            return response

    def _reuse(self) -> _Connection | None:
        oldest = time.monotonic() - self._idle_s
        while self._idle:
            connection = self._idle.pop()  # the most recently used: the likeliest to be alive and warm
            if not connection.closed and connection.idle_since > oldest:
                return connection
            connection.close()
            self._open.discard(connection)
        return None

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(lambda: _Connection(self._max_body), self.host, self.port)
        except OSError as exc:
            raise ConnectFailed(exc.errno, f"cannot connect to {self.host}:{self.port}: {exc.strerror or exc}") \
                from None
        self._open.add(connection)
        return connection

    def close(self) -> None:
        for connection in self._open:
            connection.close()
        self._open.clear()
        self._idle.clear()


class Http1Client:
    """One per process: a pool per peer instance, created on first use."""

    def __init__(self, max_connections: int = 128, idle_s: float = 10.0, max_body: int = 64 * 1024 * 1024) -> None:
        self._pools: dict[str, _Pool] = {}
        self._max_connections = max_connections
        self._idle_s = idle_s
        self._max_body = max_body

    async def request(self, base: str, method: str, target: str, headers: dict[str, str] | None = None,
                      body: bytes | None = None) -> Response:
        """`method target` (path and query) on the instance at `base` (http://host:port). Raises ConnectFailed
        when no connection could be made, another OSError or ResponseTooLarge when the call failed on the way."""
        pool = self._pools.get(base)
        if pool is None:
            pool = self._pools[base] = _Pool(base, self._max_connections, self._idle_s, self._max_body)
        return await pool.request(method, target, headers or {}, body)

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()
