"""The transports' floor: what one call costs each library the framework calls through, with no handler work.

The gateway's `/grpc` and `/rest` hops run the same pipeline; they differ in the client the sender calls the
service with and the server that answers it. This measures those alone, both ends in their own process as in
the system (uvloop, loopback): an echo of a 1 KiB body, 32 calls in flight,
- gRPC: grpc.aio's server with a generic unary handler, called through a grpc.aio channel (what
  `internal.common.grpc` serves and `sender.grpc` calls with);
- HTTP: the framework's HTTP server (`internal.common.rest.server`) called through the sender's keep-alive
  client (`sender.http1`).
CPU microseconds per call of each process, from /proc. `python -m benchmarks.transport_floor serve grpc|http
PORT` runs a server (prints `ready`); `... call grpc|http PORT CALLS IN_FLIGHT` calls it and prints JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from typing import Any

import uvloop

from benchmarks.nginx import free_port
from benchmarks.procs import Tracked

HOST = "127.0.0.1"
SERVICE, METHOD = "bench.Echo", "Echo"
PAYLOAD = b"x" * 1024


def _identity(data: bytes) -> bytes:
    return data


async def _serve_grpc(port: int) -> None:
    import grpc

    async def echo(request: bytes, context: Any) -> bytes:
        return request

    server = grpc.aio.server()
    handler = grpc.unary_unary_rpc_method_handler(echo, request_deserializer=_identity,
                                                  response_serializer=_identity)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, {METHOD: handler}),))
    if server.add_insecure_port(f"{HOST}:{port}") == 0:
        raise OSError(f"cannot bind gRPC to {HOST}:{port}")
    await server.start()
    print("ready", flush=True)
    await server.wait_for_termination()


async def _serve_http(port: int) -> None:
    from internal.common.rest.server import App, HttpServer, Request, Response

    async def echo(request: Request) -> Response:
        return Response(bytes(await request.read()), 200, "application/octet-stream")

    app = App(max_body_bytes=1 << 20, body_timeout_s=30)
    app.add_post(f"/{SERVICE}/{METHOD}", echo)
    server = HttpServer(app, HOST, port, keepalive_timeout_s=15)
    await server.start()
    print("ready", flush=True)
    await asyncio.Event().wait()


async def _call(transport: str, port: int, calls: int, in_flight: int) -> dict[str, Any]:
    if transport == "grpc":
        import grpc

        channel = grpc.aio.insecure_channel(f"{HOST}:{port}")
        stub = channel.unary_unary(f"/{SERVICE}/{METHOD}", request_serializer=_identity,
                                   response_deserializer=_identity)

        async def one() -> None:
            assert await stub(PAYLOAD, timeout=10) == PAYLOAD
    else:
        from internal.common.sender.http1 import Http1Client

        client = Http1Client()
        base = f"http://{HOST}:{port}"

        async def one() -> None:
            response = await client.request(base, "POST", f"/{SERVICE}/{METHOD}", {}, PAYLOAD)
            assert response.status == 200 and response.body == PAYLOAD

    async def worker(count: int) -> None:
        for _ in range(count):
            await one()

    await asyncio.gather(*(worker(1) for _ in range(in_flight)))  # connections up, warm
    started, cpu = time.perf_counter(), os.times()
    await asyncio.gather(*(worker(calls // in_flight) for _ in range(in_flight)))
    wall, after = time.perf_counter() - started, os.times()
    done = calls // in_flight * in_flight
    return {"calls": done, "seconds": wall, "cpu_s": after.user + after.system - cpu.user - cpu.system}


def measure(transport: str, calls: int, in_flight: int = 32) -> dict[str, Any]:
    """A server and a client process for `transport`; calls/s and each side's CPU µs per call."""
    port = free_port()
    command = [sys.executable, "-m", "benchmarks.transport_floor"]
    server = subprocess.Popen([*command, "serve", transport, str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        if server.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the {transport} echo server did not start")
        side = Tracked(transport, server.pid)
        before = side.cpu_seconds()
        done = subprocess.run([*command, "call", transport, str(port), str(calls), str(in_flight)],
                              capture_output=True, text=True, timeout=120, check=True)
        server_cpu = side.cpu_seconds() - before
    finally:
        server.terminate()
        server.wait(timeout=10)
    client = json.loads(done.stdout)
    return {
        "calls": client["calls"], "in_flight": in_flight, "calls_per_s": client["calls"] / client["seconds"],
        "client_us_per_call": client["cpu_s"] / client["calls"] * 1e6,
        # The server's CPU over the client's whole run: its warm-up calls too (one per call in flight, 32 of 20,000).
        "server_us_per_call": server_cpu / client["calls"] * 1e6,
    }


def floors(calls: int) -> dict[str, Any]:
    return {transport: measure(transport, calls) for transport in ("http", "grpc")}


def main() -> None:
    role, transport, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if role == "serve":
        uvloop.run(_serve_grpc(port) if transport == "grpc" else _serve_http(port))
    else:
        print(json.dumps(uvloop.run(_call(transport, port, int(sys.argv[4]), int(sys.argv[5])))))


if __name__ == "__main__":
    main()
