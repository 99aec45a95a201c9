"""Slow and silent HTTP clients cannot hold a server's connections: headers, bodies and idle keep-alive
connections are all bounded in time (issue 10: 500 slow clients once held connections for 90 s).

A real HTTP server of the framework (the same HttpServer every process runs) on a loopback port, with
short timeouts so the test is quick; real sockets play the clients.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest

from internal.common.rest import HttpServer, Request, Response, base_app

KEEPALIVE_S = 1.0
HEADER_S = 1.0
BODY_S = 1.0
# A client is given this long before the test calls its connection held (well beyond both timeouts).
GIVE_UP_S = 8.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def ready() -> bool:
    return True


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, int]]:
    port = free_port()
    app = base_app("timeouts", 1024 * 1024, BODY_S, ready)

    async def echo(request: Request) -> Response:
        return Response(await request.read())

    app.add_post("/echo", echo)
    rest = HttpServer(app, "127.0.0.1", port, keepalive_timeout_s=KEEPALIVE_S, header_timeout_s=HEADER_S,
                      drain_timeout_s=1)
    await rest.start()
    try:
        yield "127.0.0.1", port
    finally:
        await rest.aclose()


def closed_by_server(sock: socket.socket, trickle: bytes = b"", every_s: float = 0.25) -> tuple[bool, bytes]:
    """Keeps trickling `trickle` (if any) until the server closes the connection or GIVE_UP_S passes;
    whether it was closed, and what the server sent."""
    sock.settimeout(every_s)
    received = b""
    deadline = time.monotonic() + GIVE_UP_S
    while time.monotonic() < deadline:
        try:
            if trickle:
                sock.sendall(trickle)
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True, received
        if not chunk:
            return True, received
        received += chunk
    return False, received


@pytest.mark.parametrize("opening", [b"", b"GET /healthz HTTP/1.1\r\nHost: x\r\n"], ids=["silent", "slow-headers"])
async def test_a_client_that_never_finishes_its_headers_is_disconnected(server: tuple[str, int],
                                                                       opening: bytes) -> None:
    def client() -> tuple[bool, bytes]:
        with socket.create_connection(server, timeout=5) as sock:
            sock.sendall(opening)
            # One more header line every quarter second: the request never completes.
            return closed_by_server(sock, trickle=b"X-Slow: 1\r\n" if opening else b"")

    closed, received = await asyncio.to_thread(client)
    assert closed, f"the server still held the connection after {GIVE_UP_S} s"
    assert b"200 OK" not in received


async def test_a_body_that_trickles_is_refused_with_a_clear_error(server: tuple[str, int]) -> None:
    def client() -> tuple[bool, bytes]:
        with socket.create_connection(server, timeout=5) as sock:
            sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
            return closed_by_server(sock, trickle=b" ")

    _, received = await asyncio.to_thread(client)
    assert received.startswith(b"HTTP/1.1 400 "), received[:200]
    assert b'"INVALID_ARGUMENT"' in received and b"did not arrive in time" in received


async def test_an_idle_keep_alive_connection_is_closed(server: tuple[str, int]) -> None:
    def client() -> tuple[bool, bytes]:
        with socket.create_connection(server, timeout=5) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            return closed_by_server(sock)

    closed, received = await asyncio.to_thread(client)
    assert received.startswith(b"HTTP/1.1 200 OK")
    assert closed, f"the idle keep-alive connection was still open after {GIVE_UP_S} s"
