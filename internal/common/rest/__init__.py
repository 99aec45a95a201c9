"""REST transport: the aiohttp app of a process (its api.yml routes, health, readiness, metrics) and its codec."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

import orjson
from aiohttp import ClientPayloadError, web
from aiohttp.http_exceptions import PayloadEncodingError
from google.protobuf.message import Message

from internal.common import metrics
from internal.common.contract import MethodBinding, ServiceContract, from_bytes, from_json, to_json
from internal.common.errors import (
    METHOD_NOT_ALLOWED,
    Internal,
    InvalidArgument,
    NotFound,
    TridentError,
    from_http_status,
    too_large,
)
from internal.common.logger import logger
from internal.common.service import PROPAGATED, CallContext, Handler

Readiness = Callable[[], Awaitable[bool]]
JSON = "application/json"
PROTOBUF = "application/x-protobuf"


# The codec: the one place messages and errors become HTTP and back.

def encode_error(exc: TridentError, headers: Mapping[str, str] | None = None) -> web.Response:
    response = web.Response(body=orjson.dumps(exc.to_dict()), status=exc.http_status, content_type=JSON,
                            headers=headers)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def decode_error(status: int, body: bytes | bytearray) -> TridentError:
    """The error of an HTTP answer (the body's error model, else one from the status)."""
    try:
        parsed = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        parsed = None
    return TridentError.from_dict(parsed, status)


def encode_message(message: Message, status: int) -> web.Response:
    if status == 204:
        return web.Response(status=204)
    return web.Response(body=orjson.dumps(to_json(message)), status=status, content_type=JSON)


def parse_json(raw: bytes | bytearray) -> Any:
    if not raw:
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(f"malformed JSON body: {exc}") from None


def request_data(has_body: bool, body: bytes | bytearray, query: Mapping[str, str],
                 params: Mapping[str, str]) -> dict[str, Any]:
    """The fields of a request message: the JSON body (or the query string), then the path parameters."""
    data: dict[str, Any] = {}
    if has_body:
        parsed = parse_json(body)
        if not isinstance(parsed, dict):
            raise InvalidArgument("request body must be a JSON object")
        data.update(parsed)
    else:
        data.update(query)
    data.update(params)
    return data


def outgoing_request(binding: MethodBinding, message: Message,
                     protobuf: bool = False) -> tuple[str, dict[str, str], bytes | None]:
    """The path, query and body of a call to `binding` carrying `message`; the body in binary protobuf when
    `protobuf` (between processes: one conversion per hop, and no base64 inflating bytes fields)."""
    path = binding.url
    if binding.has_body and protobuf:
        for param in binding.path_params:
            path = path.replace("{" + param + "}", quote(str(getattr(message, param)), safe=""))
        return path, {}, message.SerializeToString()
    data: dict[str, Any] = to_json(message)
    for param in binding.path_params:
        path = path.replace("{" + param + "}", quote(str(data.pop(param, "")), safe=""))
    if binding.has_body:
        return path, {}, orjson.dumps(data)
    query = {k: v if isinstance(v, str) else str(v) for k, v in data.items() if not isinstance(v, (dict, list))}
    return path, query, None


async def read_body(request: web.Request) -> bytes | bytearray:
    """The whole body, within the app's body timeout (a client trickling bytes is refused, not waited for)
    and size limit. With a Content-Length it is read into one buffer of that size, held once: aiohttp's own
    `read()` builds it twice and keeps it on the request for the whole call."""
    limit = request.app["max_body_bytes"]
    size = request.content_length
    if size is not None and size > limit:
        raise too_large(f"request body exceeds the limit of {limit} bytes")
    try:
        async with asyncio.timeout(request.app["body_timeout_s"]):
            if size is None:
                return await request.read()  # chunked: aiohttp enforces the limit as it reads
            body = bytearray(size)
            view = memoryview(body)
            received = 0
            while received < size:
                chunk = await request.content.readany()
                if not chunk:
                    raise InvalidArgument(f"the request body ended after {received} of {size} bytes")
                view[received:received + len(chunk)] = chunk
                received += len(chunk)
            return body
    except TimeoutError:
        raise InvalidArgument("the request body did not arrive in time") from None
    except (ConnectionResetError, ClientPayloadError, PayloadEncodingError):
        # The client went away mid-body (or sent less than it announced): its error, not the server's.
        raise InvalidArgument("the request body was incomplete") from None


def metadata_of(request: web.Request) -> dict[str, str]:
    return {key: request.headers[key] for key in PROPAGATED if key in request.headers}


def _translate_http_exception(exc: web.HTTPException, request: web.Request) -> TridentError:
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return too_large(f"request body exceeds the limit of {request.app['max_body_bytes']} bytes")
    if isinstance(exc, web.HTTPNotFound):
        return NotFound(f"no route for {request.method} {request.path}")
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return InvalidArgument(f"method {request.method} is not allowed on {request.path}", reason=METHOD_NOT_ALLOWED)
    return from_http_status(exc.status, exc.reason or "request refused")


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> web.StreamResponse:
    try:
        return await handler(request)
    except TridentError as exc:
        return encode_error(exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        allow = exc.headers.get("Allow") if isinstance(exc, web.HTTPMethodNotAllowed) else None
        return encode_error(_translate_http_exception(exc, request), {"Allow": allow} if allow else None)
    except (ConnectionResetError, ClientPayloadError, PayloadEncodingError):
        # The client went away mid-request (or sent a body shorter than it announced): not our fault.
        logger.info("client aborted {} {}", request.method, request.path)
        return encode_error(InvalidArgument("the request body was incomplete"))
    except Exception:
        logger.exception("unhandled error on {} {}", request.method, request.path)
        return encode_error(Internal("internal error"))


def base_app(service_name: str, max_body_bytes: int, body_timeout_s: float, readiness: Readiness) -> web.Application:
    """An app with the error model, /healthz, /readyz and /metrics; transports add their routes."""
    app = web.Application(client_max_size=max_body_bytes, middlewares=[error_middleware])
    app["max_body_bytes"] = max_body_bytes
    app["body_timeout_s"] = body_timeout_s

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "service": service_name})

    async def readyz(_: web.Request) -> web.Response:
        if await readiness():
            return web.json_response({"status": "ready", "service": service_name})
        return web.json_response({"status": "not ready", "service": service_name}, status=503)

    async def metrics_handler(_: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": metrics.CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_handler)
    return app


def mount_service(app: web.Application, contract: ServiceContract, handlers: Mapping[str, Handler]) -> None:
    """One route per method, as configs/api.yml binds it; `handlers` are the pipelines of the methods."""
    for name, binding in contract.methods.items():
        app.router.add_route(binding.http_method, binding.url, _route(binding, handlers[name]))


async def serve(binding: MethodBinding, handler: Handler, body: bytes | bytearray, query: Mapping[str, str],
                params: Mapping[str, str], metadata: Mapping[str, str], content_type: str = JSON,
                accept: str = "") -> web.Response:
    """One REST call to `binding`, from what arrived to what is answered (errors included). JSON, or binary
    protobuf both ways when the caller sends it / asks for it (what the framework's own REST client does)."""
    try:
        if binding.has_body and content_type == PROTOBUF:
            message = from_bytes(binding.request_type, body)
            if params:
                # The path names the resource: it wins over the same field in the body.
                message.MergeFrom(from_json(binding.request_type, dict(params)))
        else:
            message = from_json(binding.request_type, request_data(binding.has_body, body, query, params))
        result = await handler(message, CallContext.from_metadata("rest", metadata))
        if PROTOBUF in accept:
            return web.Response(body=result.SerializeToString(), status=binding.success_status,
                                content_type=PROTOBUF)
        return encode_message(result, binding.success_status)
    except TridentError as exc:
        return encode_error(exc)


def _route(binding: MethodBinding, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        body = await read_body(request) if binding.has_body else b""
        return await serve(binding, handler, body, request.query, request.match_info, metadata_of(request),
                           request.content_type, request.headers.get("Accept", ""))

    return handle


class RestServer:
    """The process's HTTP listener (a ServerTransport)."""

    def __init__(self, app: web.Application, host: str, port: int, keepalive_timeout_s: float,
                 drain_timeout_s: float = 10.0, grace_s: float = 1.0, shared_port: int = 0) -> None:
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, keepalive_timeout=keepalive_timeout_s,
                                     shutdown_timeout=drain_timeout_s)
        self._host = host
        self._port = port
        self._shared_port = shared_port
        self._grace_s = grace_s

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port, reuse_address=True).start()
        if self._shared_port:
            # Every worker listens on it; the kernel hands each new connection to one of them.
            await web.TCPSite(self._runner, self._host, self._shared_port, reuse_address=True, reuse_port=True).start()

    async def aclose(self) -> None:
        """Stop accepting, let requests already sent on accepted connections start, then drain what is in flight."""
        for site in list(self._runner.sites):
            await site.stop()
        server = self._runner.server
        if server is not None and server.connections:
            await asyncio.sleep(self._grace_s)
        await self._runner.cleanup()
