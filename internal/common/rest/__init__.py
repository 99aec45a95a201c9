"""REST transport: the HTTP app of a process (its api.yml routes, health, readiness, metrics) and its codec."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

import orjson
from google.protobuf.message import Message

from internal.common import metrics
from internal.common.contract import MethodBinding, ServiceContract, from_bytes, from_json, to_json
from internal.common.errors import InvalidArgument, TridentError
from internal.common.rest.server import JSON, App, HttpServer, Request, Response, encode_error, json_response
from internal.common.service import PROPAGATED, CallContext, Handler

Readiness = Callable[[], Awaitable[bool]]
PROTOBUF = "application/x-protobuf"


__all__ = [
    "JSON",
    "PROTOBUF",
    "App",
    "HttpServer",
    "Request",
    "Response",
    "base_app",
    "decode_error",
    "encode_error",
    "encode_message",
    "json_response",
    "metadata_of",
    "mount_service",
    "outgoing_request",
    "parse_json",
    "request_data",
    "serve",
]


# The codec: the one place messages and errors become HTTP and back (errors: `server.encode_error`).

def decode_error(status: int, body: bytes | bytearray) -> TridentError:
    """The error of an HTTP answer (the body's error model, else one from the status)."""
    try:
        parsed = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        parsed = None
    return TridentError.from_dict(parsed, status)


def encode_message(message: Message, status: int) -> Response:
    if status == 204:
        return Response(status=204)
    return Response(orjson.dumps(to_json(message)), status, JSON)


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


def metadata_of(request: Request) -> dict[str, str]:
    headers = request.headers
    return {key: headers[key] for key in PROPAGATED if key in headers}


def base_app(service_name: str, max_body_bytes: int, body_timeout_s: float, readiness: Readiness) -> App:
    """An app with the error model, /healthz, /readyz and /metrics; transports add their routes."""
    app = App(max_body_bytes, body_timeout_s)

    async def healthz(_: Request) -> Response:
        return json_response({"status": "ok", "service": service_name})

    async def readyz(_: Request) -> Response:
        if await readiness():
            return json_response({"status": "ready", "service": service_name})
        return json_response({"status": "not ready", "service": service_name}, status=503)

    async def metrics_handler(_: Request) -> Response:
        return Response(metrics.render(), content_type=metrics.CONTENT_TYPE_LATEST)

    app.add_get("/healthz", healthz)
    app.add_get("/readyz", readyz)
    app.add_get("/metrics", metrics_handler)
    return app


def mount_service(app: App, contract: ServiceContract, handlers: Mapping[str, Handler]) -> None:
    """One route per method, as configs/api.yml binds it; `handlers` are the pipelines of the methods."""
    for name, binding in contract.methods.items():
        app.add_route(binding.http_method, binding.url, _route(binding, handlers[name]))


async def serve(binding: MethodBinding, handler: Handler, body: bytes | bytearray, query: Mapping[str, str],
                params: Mapping[str, str], metadata: Mapping[str, str], content_type: str = JSON,
                accept: str = "") -> Response:
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
            return Response(result.SerializeToString(), binding.success_status, PROTOBUF)
        return encode_message(result, binding.success_status)
    except TridentError as exc:
        return encode_error(exc)


def _route(binding: MethodBinding, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        body = await request.read() if binding.has_body else b""
        return await serve(binding, handler, body, request.query, request.match_info, metadata_of(request),
                           request.content_type, request.headers.get("accept", ""))

    return handle

