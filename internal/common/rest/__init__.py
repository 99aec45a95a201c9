"""REST transport: aiohttp apps that serve a service's api.yml routes, health, readiness and metrics."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from internal.common import metrics
from internal.common.contract import MethodBinding, ServiceContract, from_json, to_json
from internal.common.errors import Internal, InvalidArgument, NotFound, TridentError, from_http_status, too_large
from internal.common.logger import logger
from internal.common.service import PROPAGATED, CallContext
from internal.common.service.endpoint import Endpoint

Readiness = Callable[[], Awaitable[bool]]



def error_response(exc: TridentError) -> web.Response:
    return web.json_response(exc.to_dict(), status=exc.code.http_status)


def _translate_http_exception(exc: web.HTTPException, request: web.Request) -> TridentError:
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return too_large(f"request body exceeds the limit of {request.app['max_body_bytes']} bytes")
    if isinstance(exc, web.HTTPNotFound):
        return NotFound(f"no route for {request.method} {request.path}")
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return InvalidArgument(f"method {request.method} is not allowed on {request.path}")
    return from_http_status(exc.status, exc.reason or "request refused")


@web.middleware
async def error_middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    try:
        return await handler(request)
    except TridentError as exc:
        return error_response(exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(_translate_http_exception(exc, request))
    except Exception:
        logger.exception("unhandled error on {} {}", request.method, request.path)
        return error_response(Internal("internal error"))


def metadata_of(request: web.Request) -> dict[str, str]:
    return {key: request.headers[key] for key in PROPAGATED if key in request.headers}


async def read_json(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidArgument(f"malformed JSON body: {exc}") from None


def base_app(service_name: str, max_body_bytes: int, readiness: Readiness) -> web.Application:
    """An app with the error model, /healthz, /readyz and /metrics; transports add their routes."""
    app = web.Application(client_max_size=max_body_bytes, middlewares=[error_middleware])
    app["max_body_bytes"] = max_body_bytes

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


def mount_service(app: web.Application, contract: ServiceContract, endpoints: Mapping[str, Endpoint]) -> None:
    """One route per method, as configs/api.yml binds it."""
    for name, binding in contract.methods.items():
        app.router.add_route(binding.http_method, binding.url, _route(binding, endpoints[name]))


def _route(binding: MethodBinding, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        data: dict[str, Any] = {}
        if binding.http_method in ("POST", "PUT", "PATCH"):
            body = await read_json(request)
            if not isinstance(body, dict):
                raise InvalidArgument("request body must be a JSON object")
            data.update(body)
        else:
            data.update({k: v for k, v in request.query.items() if k != "access_token"})
        data.update(request.match_info)
        message = from_json(binding.request_type, data)
        ctx = CallContext.from_metadata("rest", metadata_of(request))
        response = await endpoint(message, ctx)
        if binding.success_status == 204:
            return web.Response(status=204)
        return web.json_response(to_json(response), status=binding.success_status)

    return handle


async def start_site(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    return runner
