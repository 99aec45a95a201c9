"""The framework's HTTP/1.1 server: asyncio protocols parsed by httptools, a small router, the error model.

Why not aiohttp's server, which the framework used before: on the gateway's `/rest` read path it was ~90 µs of
the hop's CPU (~22 %) — measured by serving the very same edge handler, in the same process, behind a bare
httptools server beside aiohttp's port (README, "How the HTTP server was chosen") — and every request it
refused under overload cost ~120 µs, enough for the refusals alone to keep admitted calls waiting. uvicorn
measured no cheaper than aiohttp; granian would bring a Rust runtime and a second process model. This server
does only what the system's processes serve: JSON and protobuf calls, health, metrics, documents and the web
app's static files.

What it guarantees, each checked by a test (tests/unit/test_http_server.py, tests/test_http_timeouts.py):
- a client must finish its request head within `header_timeout_s`, its body within `body_timeout_s` (a 400
  that says so), and a keep-alive connection idle for `keepalive_timeout_s` is closed;
- a head larger than `MAX_HEAD_BYTES` is refused with 431, a body larger than `max_body_bytes` with 413 (from
  its Content-Length, before any of it is read), a malformed request with 400 — then the connection is closed;
- an unknown path is 404, a known path with another method 405 with `Allow`, both in the error model;
- a client that goes away mid-request is logged at INFO, not counted as a server error;
- pipelined requests are answered in order, one at a time per connection; reading stops while one waits;
- a slow reader of large answers holds the connection's next request back (write flow control), not memory;
- `aclose()` stops accepting, lets requests already sent on open connections start, answers what is in flight
  (with `Connection: close`) and closes idle connections;
- `reuse_port` lets several worker processes share one port (the kernel spreads connections across them).
Not supported, because no peer of ours needs it: TLS (terminated in front), HTTP/2, upgrades (WebSocket),
trailers, compression, range requests.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from email.utils import formatdate
from http import HTTPStatus
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, unquote

import httptools
import orjson

from internal.common.errors import (
    METHOD_NOT_ALLOWED,
    Internal,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    TridentError,
    too_large,
)
from internal.common.logger import logger

JSON = "application/json"
# Request line and headers together; more is refused with 431 (nginx's default for a request's headers).
MAX_HEAD_BYTES = 32 * 1024
_REASONS = {status.value: status.phrase.encode() for status in HTTPStatus}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_LINGER_S = 1.0
# Body bytes read ahead of a handler asking for them; then the connection is not read until it does.
_UNREQUESTED_BODY_BYTES = 256 * 1024


class ClientAborted(InvalidArgument):
    """The client went away, or sent less than it announced: its error, not the server's."""


class Request:
    """One request as the handlers see it. Header names are lower case; `match_info` holds the path's
    parameters (percent-decoded); `query` the query string's first value of each name."""

    __slots__ = (
        "_body",
        "_connection",
        "_query",
        "_query_string",
        "headers",
        "match_info",
        "method",
        "path",
        "remote",
    )

    def __init__(self, method: str, path: str, query_string: str, headers: dict[str, str], remote: str,
                 body: _Body | None, connection: _Connection | None) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.remote = remote
        self.match_info: dict[str, str] = {}
        self._query_string = query_string
        self._query: dict[str, str] | None = None
        self._body = body
        self._connection = connection

    @property
    def query(self) -> dict[str, str]:
        if self._query is None:
            query: dict[str, str] = {}
            if self._query_string:
                for key, value in parse_qsl(self._query_string, keep_blank_values=True, errors="replace"):
                    query.setdefault(key, value)
            self._query = query
        return self._query

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    async def read(self) -> bytes | bytearray:
        """The whole body, once it has arrived: within the server's body timeout and size limit."""
        if self._body is None:
            return b""
        assert self._connection is not None
        return await self._connection.read_body(self._body)


class Response:
    __slots__ = ("body", "headers", "status")

    def __init__(self, body: bytes | bytearray = b"", status: int = 200, content_type: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers: dict[str, str] = dict(headers) if headers else {}
        if content_type is not None:
            self.headers["Content-Type"] = content_type


def json_response(document: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(document), status, JSON)


def encode_error(exc: TridentError, headers: Mapping[str, str] | None = None) -> Response:
    """The error model of DESIGN.md as an HTTP answer."""
    response = Response(orjson.dumps(exc.to_dict()), exc.http_status, JSON, headers)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


Handler = Callable[[Request], Awaitable[Response]]


class MethodNotAllowed(InvalidArgument):
    def __init__(self, method: str, path: str, allowed: Iterable[str]) -> None:
        super().__init__(f"method {method} is not allowed on {path}", reason=METHOD_NOT_ALLOWED)
        self.allow = ", ".join(sorted(allowed))


class _Template:
    """A path with parameters, matched segment by segment."""

    __slots__ = ("handlers", "literals", "params", "path", "rest", "size")

    def __init__(self, path: str) -> None:
        segments = path.split("/")
        self.path = path
        self.size = len(segments)
        self.rest = segments[-1].endswith(":.*}")  # the last parameter takes the rest of the path
        self.literals = [(i, part) for i, part in enumerate(segments) if not part.startswith("{")]
        self.params = [(i, part[1:-4] if self.rest and i == self.size - 1 else part[1:-1])
                       for i, part in enumerate(segments) if part.startswith("{")]
        self.handlers: dict[str, Handler] = {}

    def match(self, segments: list[str]) -> dict[str, str] | None:
        count = len(segments)
        if count != self.size and not (self.rest and count >= self.size):
            return None
        for i, literal in self.literals:
            if segments[i] != literal:
                return None
        params: dict[str, str] = {}
        last = self.size - 1
        for i, name in self.params:
            whole_rest = self.rest and i == last
            value = "/".join(segments[i:]) if whole_rest else segments[i]
            if not value and not whole_rest:
                return None
            params[name] = unquote(value, errors="replace") if "%" in value else value
        return params


class App:
    """The routes of a process and the limits its server applies to them.

    Paths are matched segment by segment: `{name}` matches one non-empty segment, a last `{name:.*}` the rest of
    the path. Exact paths first, then templates in the order added. A path that matches with other methods
    only is 405 with `Allow`; GET routes answer HEAD too.
    """

    def __init__(self, max_body_bytes: int, body_timeout_s: float) -> None:
        self.max_body_bytes = max_body_bytes
        self.body_timeout_s = body_timeout_s
        self._exact: dict[str, dict[str, Handler]] = {}
        self._templates: dict[str, _Template] = {}

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        methods = ("GET", "HEAD") if method == "GET" else (method,)
        if "{" not in path:
            table = self._exact.setdefault(path, {})
        else:
            table = self._templates.setdefault(path, _Template(path)).handlers
        for m in methods:
            if m in table:
                raise ValueError(f"two routes for {m} {path}")
            table[m] = handler

    def add_get(self, path: str, handler: Handler) -> None:
        self.add_route("GET", path, handler)

    def add_post(self, path: str, handler: Handler) -> None:
        self.add_route("POST", path, handler)

    def resolve(self, method: str, raw_path: str) -> tuple[Handler, dict[str, str]]:
        """The handler of a request and its path parameters; NotFound or MethodNotAllowed."""
        allowed: set[str] = set()
        path = unquote(raw_path, errors="replace") if "%" in raw_path else raw_path
        table = self._exact.get(path)
        if table is not None:
            handler = table.get(method)
            if handler is not None:
                return handler, {}
            allowed.update(table)
        segments = raw_path.split("/")
        for template in self._templates.values():
            params = template.match(segments)
            if params is None:
                continue
            handler = template.handlers.get(method)
            if handler is not None:
                return handler, params
            allowed.update(template.handlers)
        if allowed:
            raise MethodNotAllowed(method, path, allowed)
        raise NotFound(f"no route for {method} {path}")


async def file_response(request: Request, path: Path, headers: Mapping[str, str] | None = None) -> Response:
    """A static file (the web app's): read off the event loop, its type from its name, with an ETag so that a
    client revalidating it (`Cache-Control: no-cache`) gets 304 when it has not changed."""
    def read() -> tuple[bytes, str]:
        with path.open("rb") as file:
            stat = os.fstat(file.fileno())
            return file.read(), f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'

    body, etag = await asyncio.get_running_loop().run_in_executor(None, read)
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type in ("application/javascript", "image/svg+xml"):
        content_type += "; charset=utf-8"
    response = Response(body, 200, content_type, headers)
    response.headers["ETag"] = etag
    if etag in request.headers.get("if-none-match", ""):
        response.status = 304
        response.body = b""
    return response


class _Body:
    """A request body as it arrives: in one buffer of the announced length, or in chunks."""

    __slots__ = ("buffer", "chunks", "complete", "expect_continue", "length", "received", "requested", "too_large",
                 "waiter")

    def __init__(self, length: int | None, expect_continue: bool) -> None:
        self.length = length
        self.buffer: bytearray | None = None
        self.chunks: list[bytes] = []
        self.received = 0
        self.complete = False
        self.requested = False
        self.too_large = False
        self.waiter: asyncio.Future[None] | None = None
        self.expect_continue = expect_continue


class _Date:
    """The Date header, formatted once a second."""

    second = 0
    value = b""

    @classmethod
    def header(cls) -> bytes:
        now = int(time.time())
        if now != cls.second:
            cls.second = now
            cls.value = b"Date: " + formatdate(now, usegmt=True).encode() + b"\r\n"
        return cls.value


class _Connection(asyncio.Protocol):
    def __init__(self, server: HttpServer) -> None:
        self._server = server
        self._app = server.app
        self._loop = server.loop
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._remote = ""
        self._timer: asyncio.TimerHandle | None = None
        self._pending: deque[tuple[Request, bool]] = deque()  # parsed, waiting their turn (pipelining)
        self._task: asyncio.Task[None] | None = None  # the request being answered (held: the loop holds weakly)
        self._busy = False  # a request is being answered
        self._reading = True
        self._writable: asyncio.Future[None] | None = None  # set while the transport's buffer is full
        self.closing = False  # answer what is in flight, then close
        self._lingering = False  # answered and closing: what the client still sends is read and dropped
        # The request being parsed.
        self._url = b""
        self._headers: dict[str, str] = {}
        self._head_bytes = 0
        self._in_head = False
        self._body: _Body | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self._remote = peer[0] if isinstance(peer, tuple) else ""
        self._server.connections.add(self)
        self._arm(self._server.header_timeout_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self._server.connections.discard(self)
        self._cancel_timer()
        self._transport = None
        body = self._body
        if body is not None and not body.complete and body.waiter is not None and not body.waiter.done():
            body.waiter.set_exception(ClientAborted("the request body was incomplete"))
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._pending.clear()

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(InvalidArgument("protocol upgrades are not supported"))
        except httptools.HttpParserError as exc:
            if self._head_bytes > MAX_HEAD_BYTES:
                self._refuse(ResourceExhausted(f"the request head exceeds {MAX_HEAD_BYTES} bytes"), 431)
            else:
                self._refuse(InvalidArgument(f"malformed HTTP request: {exc}"))

    def pause_writing(self) -> None:
        self._writable = self._loop.create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._writable = None

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = {}
        self._head_bytes = 0
        self._in_head = True
        if not self._busy and not self._pending:
            self._arm(self._server.header_timeout_s)

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._count_head(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)
        key = name.decode("latin-1").lower()
        text = value.decode("utf-8", "surrogateescape")
        previous = self._headers.get(key)
        self._headers[key] = text if previous is None else f"{previous}, {text}"

    def _count_head(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            raise ValueError("request head too large")  # the parser stops; data_received answers 431

    def on_headers_complete(self) -> None:
        self._in_head = False
        parser = self._parser
        if parser.should_upgrade():
            return  # feed_data raises HttpParserUpgrade next: refused there
        headers = self._headers
        length_text = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        body: _Body | None = None
        if chunked or (length_text is not None and length_text != "0"):
            body = _Body(None if chunked else int(length_text or 0),
                         headers.get("expect", "").lower() == "100-continue")
            if body.length is not None and body.length > self._app.max_body_bytes:
                body.too_large = True
        self._body = body
        url = httptools.parse_url(self._url)
        path = (url.path or b"").decode("utf-8", "replace")
        query = url.query.decode("utf-8", "replace") if url.query else ""
        request = Request(parser.get_method().decode(), path, query, headers, self._remote, body, self)
        keep_alive = parser.should_keep_alive()
        if self._busy or self._pending:
            self._pending.append((request, keep_alive))
            self._pause_reading()
        else:
            self._start(request, keep_alive)

    def on_body(self, chunk: bytes) -> None:
        body = self._body
        if body is None or body.too_large:
            return
        size = len(chunk)
        if body.buffer is not None:
            body.buffer[body.received:body.received + size] = chunk
        else:
            if body.length is None and body.received + size > self._app.max_body_bytes:
                body.too_large = True
                body.chunks.clear()
                self._wake(body)
                return
            body.chunks.append(chunk)
            if not body.requested and body.received + size > _UNREQUESTED_BODY_BYTES:
                self._pause_reading()  # until a handler asks for the body: what is not admitted costs no memory
        body.received += size

    def on_message_complete(self) -> None:
        body = self._body
        if body is not None:
            body.complete = True
            self._wake(body)
            self._body = None

    # Answering

    def _start(self, request: Request, keep_alive: bool) -> None:
        self._busy = True
        self._cancel_timer()
        self._task = self._loop.create_task(self._answer(request, keep_alive))

    async def _answer(self, request: Request, keep_alive: bool) -> None:
        try:
            handler, request.match_info = self._app.resolve(request.method, request.path)
            response = await handler(request)
        except MethodNotAllowed as exc:
            response = encode_error(exc, {"Allow": exc.allow})
        except ClientAborted:
            logger.info("client aborted {} {}", request.method, request.path)
            response = encode_error(InvalidArgument("the request body was incomplete"))
        except TridentError as exc:
            response = encode_error(exc)
        except Exception:
            logger.exception("unhandled error on {} {}", request.method, request.path)
            response = encode_error(Internal("internal error"))
        body = request._body
        unread = body is not None and not body.complete
        if unread:
            # Not all of its body was read (refused early, or timed out): what follows on the connection is
            # not a request.
            keep_alive = False
            if body is self._body:
                self._body = None
        self._write(request.method, response, keep_alive and not self.closing)
        if self._writable is not None:
            await self._writable
        self._busy = False
        self._task = None
        if unread:
            self._linger()
            return
        if not keep_alive or self.closing or self._transport is None:
            self._close()
            return
        if self._pending:
            self._start(*self._pending.popleft())
            if not self._pending:
                self._resume_reading()
        else:
            self._resume_reading()  # paused for a body read ahead, or for requests that were pending
            self._arm(self._server.keepalive_timeout_s)

    def _write(self, method: str, response: Response, keep_alive: bool) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        status = response.status
        head: list[bytes | bytearray] = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"Unknown")),
                                         _Date.header()]
        for name, value in response.headers.items():
            head.append(f"{name}: {value}\r\n".encode("latin-1"))
        body = response.body
        if status != 204 and status != 304:
            head.append(b"Content-Length: %d\r\n" % len(body))
        if not keep_alive:
            head.append(b"Connection: close\r\n")
        head.append(b"\r\n")
        if method == "HEAD" or status == 204 or status == 304:
            transport.write(b"".join(head))
        elif len(body) < 65536:
            head.append(body)
            transport.write(b"".join(head))
        else:
            transport.writelines((b"".join(head), body))

    def _refuse(self, exc: TridentError, status: int | None = None) -> None:
        """A request that cannot be parsed or is too large to: answered at once, then the connection closed."""
        if self._transport is None:
            return
        self._pause_reading()
        self._pending.clear()
        if self._busy:
            self.closing = True  # the request in flight is answered, then the connection closed
            return
        response = encode_error(exc)
        if status is not None:
            response.status = status
        self._write("", response, keep_alive=False)
        self._linger()

    async def read_body(self, body: _Body) -> bytes | bytearray:
        if body.too_large:
            raise too_large(f"request body exceeds the limit of {self._app.max_body_bytes} bytes")
        body.requested = True
        if not body.complete:
            if self._transport is None:
                raise ClientAborted("the request body was incomplete")
            if body.length is not None:
                # The rest is received in place, into one buffer of the announced size (held once).
                body.buffer = bytearray(body.length)
                body.buffer[:body.received] = b"".join(body.chunks)
                body.chunks = []
            self._resume_reading()
            if body.expect_continue:
                body.expect_continue = False
                self._transport.write(_CONTINUE)
            body.waiter = self._loop.create_future()
            try:
                async with asyncio.timeout(self._app.body_timeout_s):
                    await body.waiter
            except TimeoutError:
                raise InvalidArgument("the request body did not arrive in time") from None
            if body.too_large:
                raise too_large(f"request body exceeds the limit of {self._app.max_body_bytes} bytes")
        if body.buffer is not None:
            data: bytes | bytearray = body.buffer
            body.buffer = None
        else:
            data = b"".join(body.chunks)  # it had all arrived before it was asked for
            body.chunks = []
        return data

    def _wake(self, body: _Body) -> None:
        if body.waiter is not None and not body.waiter.done():
            body.waiter.set_result(None)

    # Flow and time

    def _pause_reading(self) -> None:
        if self._reading and self._transport is not None:
            self._reading = False
            self._transport.pause_reading()

    def _resume_reading(self) -> None:
        if not self._reading and self._transport is not None:
            self._reading = True
            self._transport.resume_reading()

    def _arm(self, seconds: float) -> None:
        self._cancel_timer()
        self._timer = self._loop.call_later(seconds, self._timed_out)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        self._timer = None
        if not self._busy or self._lingering:
            self._close()

    def idle(self) -> bool:
        return not self._busy and not self._pending and not self._in_head and self._body is None

    def _linger(self) -> None:
        """Closing with input unread would reset the connection, and a reset can discard our answer before the
        client reads it: so, as nginx does, the answer is followed by end of stream and what the client still
        sends is read and dropped until it closes, for at most a second."""
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        self._lingering = True
        self._pending.clear()
        if transport.can_write_eof():
            transport.write_eof()
        self._resume_reading()
        self._arm(_LINGER_S)

    def _close(self) -> None:
        self._cancel_timer()
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()


class HttpServer:
    """A listener (or two: its own port and a shared `reuse_port` one) serving `app`."""

    def __init__(self, app: App, host: str, port: int, keepalive_timeout_s: float, header_timeout_s: float = 10.0,
                 drain_timeout_s: float = 10.0, grace_s: float = 1.0, shared_port: int = 0) -> None:
        self.app = app
        self.keepalive_timeout_s = keepalive_timeout_s
        self.header_timeout_s = header_timeout_s
        self.connections: set[_Connection] = set()
        self._host = host
        self._port = port
        self._shared_port = shared_port
        self._drain_timeout_s = drain_timeout_s
        self._grace_s = grace_s
        self._servers: list[asyncio.Server] = []
        self.loop = asyncio.get_event_loop()

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._servers.append(await self.loop.create_server(lambda: _Connection(self), self._host, self._port,
                                                           reuse_address=True, backlog=1024))
        if self._shared_port:
            # Every worker listens on it; the kernel hands each new connection to one of them.
            self._servers.append(await self.loop.create_server(
                lambda: _Connection(self), self._host, self._shared_port, reuse_address=True, reuse_port=True,
                backlog=1024))

    async def aclose(self) -> None:
        """Stop accepting, let requests already sent on accepted connections start, then drain what is in flight."""
        for server in self._servers:
            server.close()
        if self.connections:
            await asyncio.sleep(self._grace_s)
        deadline = self.loop.time() + self._drain_timeout_s
        while self.connections and self.loop.time() < deadline:
            for connection in list(self.connections):
                connection.closing = True
                if connection.idle():
                    connection._close()
            await asyncio.sleep(0.05)
        for connection in list(self.connections):
            connection.abort()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
