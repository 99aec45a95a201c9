"""The public edge: the `/{transport}/...` routes of api.yml's `public` section, forwarded generically.

Each route decodes its request once, runs through the edge pipeline (the server's middlewares, then the
application's, then authentication for routes that need it) and is forwarded through the sender over the
transport named in its first path segment. Custom code only renders non-JSON answers (`render:`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf.message import Message

from internal.common.contract import Contract, PublicRoute, from_json
from internal.common.errors import InvalidArgument, NotFound, TridentError, Unauthenticated
from internal.common.pipeline import Admission, Middleware, Operation, chain, edge_stack
from internal.common.rest import encode_error, encode_message, metadata_of, request_data
from internal.common.rest.server import App, Request, Response, file_response, json_response
from internal.common.sender import Sender
from internal.common.service import IDEMPOTENCY_KEY, TRANSPORTS, CallContext, Handler, bearer
from internal.common.tokens import Claims


@dataclass(frozen=True)
class RawResponse:
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


# A user's access token → their claims (raises UNAUTHENTICATED).
Authenticate = Callable[[str], Claims]
Renderer = Callable[[Message], RawResponse]
Document = Callable[[], dict[str, Any] | str]


@dataclass
class Edge:
    """What an edge process adds to the framework's public routes."""

    authenticate: Authenticate
    middlewares: Sequence[Middleware] = ()
    renderers: Mapping[str, Renderer] = field(default_factory=dict)
    documents: Mapping[str, Document] = field(default_factory=dict)  # GET path → JSON or HTML
    web_dist: Path | None = None


def authenticated(authenticate: Authenticate) -> Middleware:
    """Edge: the bearer token presented is verified; the call continues as its user."""

    def middleware(op: Operation, next_: Handler) -> Handler:
        async def handle(request: Any, ctx: CallContext) -> Any:
            if not ctx.credentials:
                raise Unauthenticated("missing bearer token")
            claims = authenticate(ctx.credentials)
            return await next_(request, ctx.evolve(user_id=claims.user_id, username=claims.username,
                                                   session_id=claims.session_id))

        return handle

    return middleware


def mount_edge(app: App, contract: Contract, sender: Sender, edge: Edge, process: str,
               admission: Admission) -> None:
    for route in contract.public.values():
        app.add_route(route.http_method, "/{transport}" + route.path, _route(route, sender, edge, process, admission))
    for path, document in edge.documents.items():
        app.add_get(path, _document(document))
    if edge.web_dist is not None:
        app.add_get("/{tail:.*}", _web_app(edge.web_dist))


def _forward(route: PublicRoute, sender: Sender) -> Handler:
    """The innermost step at the edge: the request's fields (after authentication) become the target's message."""
    target = route.target

    async def forward(request: Request, ctx: CallContext) -> Message:
        # Read and parsed here, innermost: after admission and authentication, and held by no middleware.
        message = await _message(route, request)
        if route.identity_field:
            # Set here, after authentication, from the verified token: never from what the caller sent.
            setattr(message, route.identity_field, ctx.user_id)
        return await sender.call(target.service, target.name, message, ctx)

    return forward


def _route(route: PublicRoute, sender: Sender, edge: Edge, process: str,
           admission: Admission) -> Callable[[Request], Awaitable[Response]]:
    # Authentication first: what the application adds (e.g. call logs) sees who is calling.
    middlewares = [*([authenticated(edge.authenticate)] if route.auth else []), *edge.middlewares]
    operation = Operation("edge", process, route.target.service, route.name, route.target.idempotent, route.status)
    pipeline = chain(edge_stack(middlewares), operation, _forward(route, sender))
    renderer = edge.renderers.get(route.render) if route.render else None
    if route.render and renderer is None:
        raise LookupError(f"public.{route.name}: no renderer {route.render!r}")

    async def handle(request: Request) -> Response:
        transport = request.match_info["transport"]
        if transport not in TRANSPORTS:
            raise NotFound(f"unknown transport {transport!r}: use one of {', '.join(TRANSPORTS)}")
        # Admission first: a refused call costs no context, no pipeline, no span and no log line of its own.
        refused = admission.enter(process, transport, route.name)
        if refused is not None:
            response = encode_error(refused)
            response.headers["X-Trident-Transport"] = transport
            return response
        started = time.perf_counter()
        try:
            ctx = CallContext.from_metadata(transport, _accepted_from_outside(metadata_of(request)))
            ctx = ctx.evolve(credentials=bearer(request.headers.get("authorization", "")),
                             client_address=request.remote)
            try:
                result = await pipeline(request, ctx)
                if renderer is not None:
                    raw = renderer(result)
                    response = Response(raw.body, route.status, raw.content_type, raw.headers)
                else:
                    response = encode_message(result, route.status)
            except TridentError as exc:
                response = encode_error(exc)
        finally:
            admission.leave(transport, route.name, started)
        response.headers["X-Trident-Transport"] = transport
        response.headers["X-Request-Id"] = ctx.request_id
        response.headers["Server-Timing"] = f"upstream;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    return handle


async def _message(route: PublicRoute, request: Request) -> Message:
    """The target method's request, parsed once at the edge; the body is not kept (a 5 MiB upload would
    otherwise be held three times over: bytes, JSON, message)."""
    body = await request.read() if route.has_body else b""
    params = {k: v for k, v in request.match_info.items() if k != "transport"}
    data = request_data(route.has_body, body, request.query, params)
    del body
    if route.identity_field and route.identity_field in data:
        raise InvalidArgument(f"{route.identity_field} is the signed-in user's; it cannot be given")
    return from_json(route.target.request_type, data)


def _accepted_from_outside(metadata: Mapping[str, str]) -> dict[str, str]:
    # From outside, only the trace context and the client's idempotency key are taken: identity, request id and
    # deadline are the edge's own.
    return {k: v for k, v in metadata.items() if k in ("traceparent", "tracestate", IDEMPOTENCY_KEY)}


def _document(document: Document) -> Callable[[Request], Awaitable[Response]]:
    async def handle(_: Request) -> Response:
        body = document()
        if isinstance(body, str):
            return Response(body.encode(), content_type="text/html; charset=utf-8")
        return json_response(body)

    return handle


def _web_app(dist: Path) -> Callable[[Request], Awaitable[Response]]:
    root = dist.resolve()

    async def serve(request: Request) -> Response:
        tail = request.match_info["tail"]
        first = tail.split("/", 1)[0]
        if first in TRANSPORTS:
            raise NotFound(f"no route for {request.method} {request.path}")
        candidate = (root / tail).resolve()
        if tail and candidate.is_file() and candidate.is_relative_to(root):
            cache = "public, max-age=31536000, immutable" if tail.startswith("assets/") else "no-cache"
            return await file_response(request, candidate, {"Cache-Control": cache})
        index = root / "index.html"
        if not index.is_file():
            raise NotFound("the web app is not built (run `make web`)")
        return await file_response(request, index, {"Cache-Control": "no-cache"})

    return serve
