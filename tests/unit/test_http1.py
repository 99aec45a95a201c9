"""The framework's HTTP/1.1 client for calls between processes, against a real aiohttp server on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from internal.common.sender.http1 import ConnectFailed, Http1Client, ResponseTooLarge


class Server:
    def __init__(self) -> None:
        self.peers: list[tuple[str, int]] = []  # the client's address of each request: one per connection used
        self.base = ""


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    seen = Server()

    async def echo(request: web.Request) -> web.Response:
        seen.peers.append(request.transport.get_extra_info("peername") if request.transport else ("", 0))
        body = await request.read()
        return web.Response(body=body, status=int(request.query.get("status", "200")),
                            content_type=request.headers.get("Content-Type", "application/octet-stream"),
                            headers={"X-Seen": request.headers.get("X-Trace", "")})

    async def chunked(request: web.Request) -> web.StreamResponse:
        seen.peers.append(request.transport.get_extra_info("peername") if request.transport else ("", 0))
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for part in (b"one,", b"two,", b"three"):
            await response.write(part)
        await response.write_eof()
        return response

    async def slow(request: web.Request) -> web.Response:
        seen.peers.append(request.transport.get_extra_info("peername") if request.transport else ("", 0))
        await asyncio.sleep(5)
        return web.Response(text="late")

    async def closing(request: web.Request) -> web.Response:
        seen.peers.append(request.transport.get_extra_info("peername") if request.transport else ("", 0))
        return web.Response(text="bye", headers={"Connection": "close"})

    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/chunked", chunked)
    app.router.add_get("/slow", slow)
    app.router.add_get("/closing", closing)
    runner = web.AppRunner(app, keepalive_timeout=0.3, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    seen.base = f"http://127.0.0.1:{port}"
    try:
        yield seen
    finally:
        await runner.cleanup()


async def test_a_call_sends_method_target_headers_and_body_and_reads_the_answer(server: Server) -> None:
    client = Http1Client()
    try:
        headers = {"Content-Type": "application/x-protobuf", "X-Trace": "t-1"}
        response = await client.request(server.base, "POST", "/echo?status=201", headers, b"\x00\x01binary")
        assert (response.status, response.content_type, response.body) == (201, "application/x-protobuf",
                                                                          b"\x00\x01binary")
        big = bytes(range(256)) * 4096  # 1 MiB: written on its own, not copied behind the head
        assert (await client.request(server.base, "PUT", "/echo", {}, big)).body == big
        assert (await client.request(server.base, "GET", "/chunked")).body == b"one,two,three"
    finally:
        client.close()


async def test_connections_are_kept_alive_and_reused_one_call_at_a_time(server: Server) -> None:
    client = Http1Client()
    try:
        for _ in range(20):
            assert (await client.request(server.base, "GET", "/echo")).status == 200
        assert len(set(server.peers)) == 1
        # Ten at once take ten connections; afterwards they are reused.
        await asyncio.gather(*(client.request(server.base, "GET", "/echo") for _ in range(10)))
        used = set(server.peers)
        await asyncio.gather(*(client.request(server.base, "GET", "/echo") for _ in range(10)))
        assert set(server.peers) == used and len(used) == 10
    finally:
        client.close()


async def test_a_connection_the_server_closed_is_not_reused(server: Server) -> None:
    client = Http1Client()
    try:
        assert (await client.request(server.base, "GET", "/closing")).body == b"bye"
        await client.request(server.base, "GET", "/echo")
        await asyncio.sleep(0.6)  # past the server's keep-alive timeout: it closes the idle connection
        assert (await client.request(server.base, "GET", "/echo")).status == 200
        assert len(set(server.peers)) == 3
    finally:
        client.close()


async def test_a_connection_idle_longer_than_the_client_keeps_it_is_dropped(server: Server) -> None:
    client = Http1Client(idle_s=0.1)
    try:
        await client.request(server.base, "GET", "/echo")
        await asyncio.sleep(0.15)
        await client.request(server.base, "GET", "/echo")
        assert len(set(server.peers)) == 2
    finally:
        client.close()


async def test_a_timed_out_call_leaves_no_connection_behind_to_read_its_late_answer(server: Server) -> None:
    client = Http1Client()
    try:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await client.request(server.base, "GET", "/slow")
        assert (await client.request(server.base, "GET", "/echo")).status == 200
        assert len(set(server.peers)) == 2
    finally:
        client.close()


async def test_a_refused_connection_an_oversized_answer_and_a_header_line_break_are_errors(server: Server) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    client = Http1Client(max_body=1000)
    try:
        with pytest.raises(ConnectFailed):
            await client.request(closed, "GET", "/echo")
        with pytest.raises(ResponseTooLarge):
            await client.request(server.base, "POST", "/echo", {}, b"x" * 5000)
        with pytest.raises(ValueError, match="line break"):
            await client.request(server.base, "GET", "/echo", {"X-Trace": "a\r\nX-Evil: 1"})
        assert (await client.request(server.base, "POST", "/echo", {}, b"x" * 10)).body == b"x" * 10
    finally:
        client.close()


def test_it_runs_on_uvloop_as_every_process_does() -> None:
    import uvloop

    async def main() -> tuple[int, bytes | bytearray, int]:
        peers: set[tuple[str, int]] = set()

        async def echo(request: web.Request) -> web.Response:
            peers.add(request.transport.get_extra_info("peername") if request.transport else ("", 0))
            return web.Response(body=await request.read())

        app = web.Application()
        app.router.add_post("/echo", echo)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        client = Http1Client()
        try:
            for _ in range(5):
                response = await client.request(base, "POST", "/echo", {}, b"uv" * 50_000)
            return response.status, response.body, len(peers)
        finally:
            client.close()
            await runner.cleanup()

    assert uvloop.run(main()) == (200, b"uv" * 50_000, 1)
