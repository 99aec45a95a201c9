"""The framework's HTTP/1.1 server (internal/common/rest/server.py) as clients see it on a real loopback socket:
routing, the error model for what it refuses, bodies of every shape, pipelining, flow and drain.

Its timeouts are in tests/test_http_timeouts.py; the whole system runs on it in every other test.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from internal.common.errors import InvalidArgument
from internal.common.rest import App, HttpServer, Request, Response, json_response
from internal.common.rest.server import MAX_HEAD_BYTES

MAX_BODY = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Harness:
    def __init__(self) -> None:
        self.app = App(MAX_BODY, body_timeout_s=2.0)
        self.release = asyncio.Event()
        self.started = asyncio.Event()
        self.port = free_port()

        async def echo(request: Request) -> Response:
            body = await request.read()
            return Response(bytes(body), 200, request.headers.get("content-type", "application/octet-stream"))

        async def late(request: Request) -> Response:
            await asyncio.sleep(0.1)  # as a handler that authenticates first: the body has arrived meanwhile
            return Response(b"%d" % len(await request.read()))

        async def item(request: Request) -> Response:
            return json_response({"id": request.match_info["id"], "q": request.query.get("q")})

        async def tail(request: Request) -> Response:
            return json_response({"tail": request.match_info["tail"]})

        async def slow(_: Request) -> Response:
            self.started.set()
            await self.release.wait()
            return json_response({"slow": True})

        async def refuse(_: Request) -> Response:
            raise InvalidArgument("no")

        async def crash(_: Request) -> Response:
            raise RuntimeError("a bug")

        self.app.add_post("/echo", echo)
        self.app.add_post("/late", late)
        self.app.add_get("/items/{id}", item)
        self.app.add_route("DELETE", "/items/{id}", item)
        self.app.add_get("/slow", slow)
        self.app.add_post("/refuse", refuse)
        self.app.add_get("/crash", crash)
        self.app.add_get("/files/{tail:.*}", tail)
        self.server = HttpServer(self.app, "127.0.0.1", self.port, keepalive_timeout_s=5, drain_timeout_s=2,
                                 grace_s=0.1)


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = Harness()
    await h.server.start()
    try:
        yield h
    finally:
        h.release.set()
        await h.server.aclose()


async def exchange(port: int, raw: bytes, answers: int = 1,
                   head_only: bool = False) -> list[tuple[int, dict[str, str], bytes]]:
    """Sends `raw` on one connection and reads `answers` responses (Content-Length framed)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        await writer.drain()
        return [await read_response(reader, head_only) for _ in range(answers)]
    finally:
        writer.close()


async def read_response(reader: asyncio.StreamReader, head_only: bool = False) -> tuple[int, dict[str, str], bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:] if line)}
    length = 0 if head_only else int(headers.get("content-length", "0"))
    body = await asyncio.wait_for(reader.readexactly(length), 5) if length else b""
    return status, headers, body


def error_of(body: bytes) -> dict[str, object]:
    error = orjson.loads(body)["error"]
    assert isinstance(error, dict)
    return error


async def test_routes_match_parameters_and_answer_404_and_405_in_the_error_model(harness: Harness) -> None:
    [(status, _, body)] = await exchange(harness.port, b"GET /items/a%2Fb?q=1&q=2&r= HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 200 and orjson.loads(body) == {"id": "a/b", "q": "1"}

    [(status, _, body)] = await exchange(harness.port, b"GET /files/a/b%20c.js HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 200 and orjson.loads(body) == {"tail": "a/b c.js"}

    [(status, _, body)] = await exchange(harness.port, b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 404 and error_of(body)["code"] == "NOT_FOUND"

    [(status, headers, body)] = await exchange(harness.port, b"PUT /items/1 HTTP/1.1\r\nHost: x\r\n"
                                                             b"Content-Length: 0\r\n\r\n")
    assert status == 405 and headers["allow"] == "DELETE, GET, HEAD"
    assert error_of(body)["reason"] == "METHOD_NOT_ALLOWED"

    [(status, headers, body)] = await exchange(harness.port, b"HEAD /items/7 HTTP/1.1\r\nHost: x\r\n\r\n",
                                                head_only=True)
    assert status == 200 and body == b"" and int(headers["content-length"]) == len(b'{"id":"7","q":null}')


async def test_errors_raised_by_handlers_are_the_error_model_and_a_bug_is_a_500_that_keeps_serving(
        harness: Harness) -> None:
    [(status, _, body)] = await exchange(harness.port, b"POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    assert status == 400 and (error_of(body)["code"], error_of(body)["message"]) == ("INVALID_ARGUMENT", "no")
    [(crashed, _, body), (after, _, _)] = await exchange(
        harness.port, b"GET /crash HTTP/1.1\r\nHost: x\r\n\r\nGET /items/1 HTTP/1.1\r\nHost: x\r\n\r\n", 2)
    assert crashed == 500 and error_of(body)["message"] == "internal error" and after == 200


async def test_pipelined_requests_are_answered_in_order_on_one_connection(harness: Harness) -> None:
    raw = b"".join(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(str(i)), str(i).encode())
                   for i in range(20))
    answers = await exchange(harness.port, raw, 20)
    assert [body for _, _, body in answers] == [str(i).encode() for i in range(20)]


async def test_bodies_of_every_shape_arrive_whole(harness: Harness) -> None:
    payload = bytes(range(256)) * 3000  # 768,000 bytes, in many reads: more than is read before it is asked for
    [(status, _, body)] = await exchange(
        harness.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload)
    assert status == 200 and body == payload

    parts = (b"hello ", b"chunked ", b"world")
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"
    [(status, _, body)] = await exchange(
        harness.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
    assert status == 200 and body == b"hello chunked world"

    # A client that waits for 100 Continue before it sends the body (curl does, for large uploads).
    reader, writer = await asyncio.open_connection("127.0.0.1", harness.port)
    try:
        writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        assert await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5) == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"later")
        status, _, body = await read_response(reader)
        assert status == 200 and body == b"later"
    finally:
        writer.close()


async def test_a_body_read_ahead_of_its_handler_pauses_the_connection_only_until_it_is_answered(
        harness: Harness) -> None:
    # More than the server reads ahead of a handler, asked for late, twice on one keep-alive connection.
    reader, writer = await asyncio.open_connection("127.0.0.1", harness.port)
    try:
        for size in (300_000, 270_000, 600_000, 900_000, 300_000):
            writer.write(b"POST /late HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size + b"y" * size)
            status, headers, body = await read_response(reader)
            assert (status, body) == (200, b"%d" % size) and "connection" not in headers
    finally:
        writer.close()


async def test_what_is_too_large_or_malformed_is_refused_and_the_connection_closed(harness: Harness) -> None:
    # Refused from its Content-Length, before any of the body is sent.
    reader, writer = await asyncio.open_connection("127.0.0.1", harness.port)
    try:
        writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY + 1))
        status, headers, body = await read_response(reader)
        assert status == 413 and error_of(body)["reason"] == "PAYLOAD_TOO_LARGE" and headers["connection"] == "close"
        assert await asyncio.wait_for(reader.read(), 5) == b""
    finally:
        writer.close()

    big = b"%x\r\n%s\r\n" % (MAX_BODY, b"x" * MAX_BODY)
    [(status, _, _)] = await exchange(harness.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                                                    b"\r\n\r\n" + big * 2 + b"0\r\n\r\n")
    assert status == 413

    [(status, _, body)] = await exchange(harness.port, b"GET /items/1 HTTP/1.1\r\nHost: x\r\nX-Big: "
                                                       + b"a" * MAX_HEAD_BYTES + b"\r\n\r\n")
    assert status == 431 and error_of(body)["code"] == "RESOURCE_EXHAUSTED"

    [(status, headers, body)] = await exchange(harness.port, b"GET /items/1 HTTP/1.1\r\nHost x\r\n\r\n")
    assert status == 400 and error_of(body)["code"] == "INVALID_ARGUMENT" and headers["connection"] == "close"

    [(status, _, _)] = await exchange(harness.port, b"GET /items/1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                                    b"Upgrade: websocket\r\n\r\n")
    assert status == 400


async def test_a_client_gone_mid_body_is_not_a_server_error_and_others_are_still_served(harness: Harness) -> None:
    for _ in range(3):
        _, writer = await asyncio.open_connection("127.0.0.1", harness.port)
        writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly part of it")
        await writer.drain()
        writer.transport.abort()
    [(status, _, body)] = await exchange(harness.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
    assert (status, body) == (200, b"ok")
    for _ in range(50):  # bounded: the server notices each closed connection as its loop gets to it
        if not harness.server.connections:
            break
        await asyncio.sleep(0.1)
    assert not harness.server.connections


async def test_stopping_answers_what_is_in_flight_and_closes_the_connection(harness: Harness) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", harness.port)
    try:
        writer.write(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.wait_for(harness.started.wait(), 5)
        closing = asyncio.create_task(harness.server.aclose())
        await asyncio.sleep(0.3)
        # No longer accepting...
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", harness.port)
        # ...but the call in flight is answered, and the connection then closed.
        harness.release.set()
        status, headers, body = await read_response(reader)
        assert status == 200 and orjson.loads(body) == {"slow": True} and headers["connection"] == "close"
        assert await asyncio.wait_for(reader.read(), 5) == b""
        await asyncio.wait_for(closing, 5)
    finally:
        writer.close()


async def test_workers_share_a_port() -> None:
    shared = free_port()
    servers = []
    for name in ("one", "two"):
        app = App(MAX_BODY, 1.0)

        async def who(_: Request, name: str = name) -> Response:
            return json_response({"worker": name})

        app.add_get("/who", who)
        server = HttpServer(app, "127.0.0.1", free_port(), keepalive_timeout_s=1, shared_port=shared, grace_s=0)
        await server.start()
        servers.append(server)
    try:
        seen = set()
        for _ in range(40):
            [(status, _, body)] = await exchange(shared, b"GET /who HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert status == 200
            seen.add(orjson.loads(body)["worker"])
        assert seen == {"one", "two"}
    finally:
        for server in servers:
            await server.aclose()


async def test_static_files_carry_their_type_and_an_etag_that_revalidates(tmp_path: Path) -> None:
    from internal.common.rest.server import file_response

    (tmp_path / "app.js").write_text("console.log('hi')")
    app = App(MAX_BODY, 1.0)

    async def static(request: Request) -> Response:
        return await file_response(request, tmp_path / "app.js", {"Cache-Control": "no-cache"})

    app.add_get("/app.js", static)
    port = free_port()
    server = HttpServer(app, "127.0.0.1", port, keepalive_timeout_s=1, grace_s=0)
    await server.start()
    try:
        [(status, headers, body)] = await exchange(port, b"GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == 200 and body == b"console.log('hi')" and "javascript" in headers["content-type"]
        assert headers["cache-control"] == "no-cache"
        again = b"GET /app.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: %s\r\n\r\n" % headers["etag"].encode()
        [(status, _, body)] = await exchange(port, again, head_only=True)
        assert status == 304
        (tmp_path / "app.js").write_text("console.log('changed')")
        [(status, _, body)] = await exchange(port, again)
        assert status == 200 and body == b"console.log('changed')"
    finally:
        await server.aclose()
