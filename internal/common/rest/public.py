"""The public edge: `/{transport}/...` routes that pick the transport per request, and the web app."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiohttp import web
from google.protobuf.message import Message
from opentelemetry.trace import SpanKind, Status, StatusCode

from internal.common import tracing
from internal.common.config import TRANSPORTS
from internal.common.contract import to_json
from internal.common.errors import InvalidArgument, NotFound, TridentError, Unauthenticated
from internal.common.logger import logger
from internal.common.rest import metadata_of, read_json
from internal.common.service import CallContext
from internal.common.service.endpoint import observe_server_call


@dataclass(frozen=True)
class Identity:
    user_id: str
    username: str


@dataclass(frozen=True)
class PublicRequest:
    transport: str
    body: dict[str, Any]
    params: dict[str, str]
    query: dict[str, str]
    ctx: CallContext


@dataclass(frozen=True)
class RawResponse:
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


PublicResult = Message | dict[str, Any] | RawResponse | None
PublicHandler = Callable[[PublicRequest], Awaitable[PublicResult]]


@dataclass(frozen=True)
class PublicRoute:
    name: str
    http_method: str
    path: str  # below /{transport}
    service: str  # the service that answers it (analytics, docs)
    handler: PublicHandler
    status: int = 200
    auth: bool = False
    # <img src> cannot send headers: this route also takes ?access_token=.
    token_in_query: bool = False
    summary: str = ""
    request_type: type[Message] | None = None
    response_type: type[Message] | None = None


@dataclass(frozen=True)
class CallRecord:
    transport: str
    service: str
    method: str
    status: int
    latency_ms: float
    user_id: str
    time: float
    request_id: str


@dataclass
class PublicApi:
    routes: Sequence[PublicRoute]
    authenticate: Callable[[str], Identity]
    on_call: Callable[[CallRecord], None]
    depends_on: Sequence[str] = ()
    web_dist: Path | None = None
    extra_routes: Sequence[tuple[str, str, Callable[[], dict[str, Any] | str]]] = ()
    on_start: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


def _bearer(request: web.Request, route: PublicRoute) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if route.token_in_query and request.query.get("access_token"):
        return request.query["access_token"]
    raise Unauthenticated("missing bearer token")


def mount_public_api(app: web.Application, api: PublicApi) -> None:
    for route in api.routes:
        app.router.add_route(route.http_method, "/{transport}" + route.path, _handler(api, route))
    for method, path, producer in api.extra_routes:
        app.router.add_route(method, path, _static(producer))
    if api.web_dist is not None:
        app.router.add_get("/{tail:.*}", _web_app(api.web_dist))


def _static(producer: Callable[[], dict[str, Any] | str]) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(_: web.Request) -> web.Response:
        body = producer()
        if isinstance(body, str):
            return web.Response(text=body, content_type="text/html")
        return web.json_response(body)

    return handle


def _handler(api: PublicApi, route: PublicRoute) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        transport = request.match_info["transport"]
        if transport not in TRANSPORTS:
            raise NotFound(f"unknown transport {transport!r}: use one of rest, grpc, events")
        metadata = metadata_of(request)
        with tracing.tracer().start_as_current_span(
            f"gateway {route.http_method} /{{transport}}{route.path}", context=tracing.extract(metadata), kind=SpanKind.SERVER,
            attributes={"http.request.method": route.http_method, "http.route": "/{transport}" + route.path,
                        "trident.transport": transport, "rpc.method": route.name},
        ) as span:
            carrier: dict[str, str] = {}
            tracing.inject(carrier)
            ctx = CallContext.from_metadata(transport, {**metadata, **carrier})
            response, elapsed = await _serve(api, route, request, transport, ctx)
            span.set_attribute("http.response.status_code", response.status)
            if response.status >= 500:
                span.set_status(Status(StatusCode.ERROR))
        response.headers["X-Trident-Transport"] = transport
        response.headers["X-Request-Id"] = ctx.request_id
        response.headers["Server-Timing"] = f"upstream;dur={elapsed * 1000:.1f}"
        return response

    return handle


async def _serve(api: PublicApi, route: PublicRoute, request: web.Request, transport: str, ctx: CallContext) -> tuple[web.Response, float]:
    started = time.perf_counter()
    status, code = 500, "INTERNAL"
    try:
        if route.auth:
            identity = api.authenticate(_bearer(request, route))
            ctx = replace(ctx, user_id=identity.user_id, username=identity.username)
        body: dict[str, Any] = {}
        if route.http_method in ("POST", "PUT", "PATCH"):
            parsed = await read_json(request)
            if not isinstance(parsed, dict):
                raise InvalidArgument("request body must be a JSON object")
            body = parsed
        params = {k: v for k, v in request.match_info.items() if k != "transport"}
        query = {k: v for k, v in request.query.items() if k != "access_token"}
        result = await route.handler(PublicRequest(transport, body, params, query, ctx))
        status, code = route.status, "OK"
        response = _respond(result, route.status)
    except TridentError as exc:
        status, code = exc.code.http_status, exc.code.name
        response = web.json_response(exc.to_dict(), status=status)
    finally:
        elapsed = time.perf_counter() - started
        observe_server_call("gateway", transport, route.name, code, elapsed)
        api.on_call(CallRecord(transport, route.service, route.name, status, elapsed * 1000, ctx.user_id, time.time(), ctx.request_id))
        # The path only: a query string may carry an access token.
        logger.bind(transport=transport, method=route.name, status=status, code=code, duration_ns=int(elapsed * 1e9),
                    request_id=ctx.request_id, user_id=ctx.user_id).info("{} {} {}", route.http_method, request.path, status)
    return response, elapsed


def _respond(result: PublicResult, status: int) -> web.Response:
    if isinstance(result, RawResponse):
        return web.Response(body=result.body, content_type=result.content_type, headers=result.headers, status=status)
    if status == 204 or result is None:
        return web.Response(status=204)
    if isinstance(result, Message):
        return web.json_response(to_json(result), status=status)
    return web.json_response(result, status=status)


def _web_app(dist: Path) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    root = dist.resolve()

    async def serve(request: web.Request) -> web.StreamResponse:
        tail = request.match_info["tail"]
        first = tail.split("/", 1)[0]
        if first in TRANSPORTS:
            raise NotFound(f"no route for {request.method} {request.path}")
        candidate = (root / tail).resolve()
        if tail and candidate.is_file() and candidate.is_relative_to(root):
            cache = "public, max-age=31536000, immutable" if tail.startswith("assets/") else "no-cache"
            return web.FileResponse(candidate, headers={"Cache-Control": cache})
        index = root / "index.html"
        if not index.is_file():
            raise NotFound("the web app is not built (run `make web`)")
        return web.FileResponse(index, headers={"Cache-Control": "no-cache"})

    return serve
