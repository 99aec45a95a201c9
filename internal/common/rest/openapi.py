"""OpenAPI 3.1 from the contract: of the public edge (its `public` routes) and of each service's own REST port."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from internal.common.contract import Contract, PublicRoute, ServiceContract
from internal.common.contract.schema import collect_schemas, field_schema, message_schema
from internal.common.errors import Code
from internal.common.service import TRANSPORTS

_REF = "#/components/schemas/"
# What each error status means here, and the code it carries.
_ERRORS: dict[str, tuple[str, str]] = {
    "400": ("INVALID_ARGUMENT", "malformed JSON, a missing or invalid field"),
    "401": ("UNAUTHENTICATED", "missing, expired, revoked or invalid credentials"),
    "403": ("PERMISSION_DENIED", "the caller may not make this call (a method for the system's own processes)"),
    "404": ("NOT_FOUND", "no such resource (or it belongs to someone else), or an unknown transport"),
    "405": ("INVALID_ARGUMENT", "the method is not allowed on this path (see the Allow header)"),
    "409": ("ALREADY_EXISTS", "it exists already"),
    "413": ("RESOURCE_EXHAUSTED", "the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE)"),
    "429": ("RESOURCE_EXHAUSTED", "too many attempts: try again after Retry-After seconds"),
    "500": ("INTERNAL", "a bug; nothing of it is shown"),
    "503": ("UNAVAILABLE", "a service could not be reached, or this one is at its limit (see Retry-After)"),
    "504": ("DEADLINE_EXCEEDED", "no answer within the deadline"),
}
_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "enum": [code.name for code in Code]},
                "message": {"type": "string"},
                "reason": {"type": "string", "description": "A structured refinement, e.g. PAYLOAD_TOO_LARGE."},
                "retry_after": {"type": "integer", "description": "Seconds to wait before trying again."},
            },
        }
    },
}
_PROBES = (
    ("/healthz", "Liveness"),
    ("/readyz", "Readiness: 200 once it can serve"),
    ("/metrics", "Prometheus metrics"),
)


@dataclass(frozen=True)
class _Operation:
    name: str
    http_method: str
    path: str
    request: type[Message]
    response: type[Message]
    status: int
    tag: str
    summary: str
    auth: bool
    hidden: frozenset[str]
    binary: bool
    transport_param: bool

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


def openapi_document(contract: Contract, title: str, version: str) -> dict[str, Any]:
    """The public routes of the contract, `/{transport}/…`, as OpenAPI 3.1."""
    operations = [_public(route) for route in contract.public.values()]
    description = (
        "Every route is served over the transport named in its first path segment: `rest`, `grpc` or "
        "`events`. The same request gives the same answer over each."
    )
    return _document(operations, title, version, description)


def service_openapi_document(service: ServiceContract, version: str) -> dict[str, Any]:
    """One service's own REST binding (configs/api.yml) as OpenAPI 3.1: what its port serves."""
    operations = [
        _Operation(
            binding.name,
            binding.http_method,
            binding.url,
            binding.request_type,
            binding.response_type,
            binding.success_status,
            service.name,
            binding.name,
            True,
            frozenset(),
            False,
            False,
        )
        for binding in service.methods.values()
    ]
    description = (
        f"The {service.name} service's own REST port. Every call needs `Authorization: Bearer` with a "
        "user's access token or an internal token of the system."
    )
    return _document(operations, f"Trident {service.name}", version, description)


def _public(route: PublicRoute) -> _Operation:
    return _Operation(
        route.name,
        route.http_method,
        "/{transport}" + route.path,
        route.target.request_type,
        route.target.response_type,
        route.status,
        route.target.service,
        route.summary,
        route.auth,
        frozenset({route.identity_field} - {""}),
        bool(route.render),
        True,
    )


def _document(operations: list[_Operation], title: str, version: str, description: str) -> dict[str, Any]:
    descriptors = [m.DESCRIPTOR for op in operations for m in (op.request, op.response)]
    schemas = collect_schemas(descriptors, _REF)
    schemas["Error"] = _ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.http_method.lower()] = _operation(op, _links(op, operations))
    for probe, summary in _PROBES:
        paths[probe] = {
            "get": {
                "operationId": probe.strip("/"),
                "summary": summary,
                "tags": ["operations"],
                "responses": {"200": {"description": "OK"}},
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _links(op: _Operation, operations: list[_Operation]) -> dict[str, Any]:
    """OpenAPI links from an answer with an `id` to the operations of the same service that take it in their path
    (so clients and stateful fuzzers can follow create → get → delete)."""
    if op.status == 204 or op.binary or "id" not in op.response.DESCRIPTOR.fields_by_name:
        return {}
    links: dict[str, Any] = {}
    for other in operations:
        if other is not op and other.tag == op.tag and "id" in other.path_params:
            parameters = {"id": "$response.body#/id"}
            if other.transport_param:
                parameters["transport"] = "$request.path.transport"
            links[other.name] = {"operationId": other.name, "parameters": parameters}
    return links


def _operation(op: _Operation, links: dict[str, Any]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = []
    if op.transport_param:
        parameters.append(
            {
                "name": "transport",
                "in": "path",
                "required": True,
                "description": "How the gateway reaches the service for this call.",
                "schema": {"type": "string", "enum": list(TRANSPORTS)},
            }
        )
    if op.http_method in ("POST", "PUT", "PATCH", "DELETE"):
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "A key for this one logical call: retried with the same key, it is applied once and "
                               "answered the same (per user, for 7 days).",
                "schema": {"type": "string", "pattern": "^[!-~]{1,200}$"},
            }
        )
    request = op.request.DESCRIPTOR
    path_params = [p for p in op.path_params if p != "transport"]
    for name in path_params:
        parameters.append(
            {"name": name, "in": "path", "required": True, "schema": field_schema(request.fields_by_name[name])}
        )
    operation: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": parameters,
    }
    hidden = {*path_params, *op.hidden}
    if op.http_method in ("POST", "PUT", "PATCH"):
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": message_schema(request, _REF)}},
        }
    else:
        for field in request.fields:
            if field.name not in hidden:
                parameters.append({"name": field.name, "in": "query", "required": False, "schema": field_schema(field)})
    success: dict[str, Any] = {"description": "OK"}
    if op.status != 204:
        if op.binary:
            success["content"] = {
                f"image/{kind}": {"schema": {"type": "string", "format": "binary"}}
                for kind in ("png", "jpeg", "gif", "webp")
            }
        else:
            success["content"] = {"application/json": {"schema": message_schema(op.response.DESCRIPTOR, _REF)}}
            if links:
                success["links"] = links
    responses: dict[str, Any] = {str(op.status): success}
    for status, (code, meaning) in _ERRORS.items():
        example = {"error": {"code": code, "message": meaning}}
        responses[status] = {
            "description": f"{code}: {meaning}",
            "content": {"application/json": {"schema": {"$ref": _REF + "Error"}, "example": example}},
        }
    operation["responses"] = responses
    if op.auth:
        operation["security"] = [{"bearer": []}]
    return operation


def swagger_ui_page(spec_url: str, assets: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Trident API</title>
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
  <link rel="icon" href="{assets}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{assets}/swagger-ui-bundle.js"></script>
  <script>window.ui = SwaggerUIBundle({{ url: "{spec_url}", dom_id: "#swagger-ui" }});</script>
</body>
</html>
"""
