"""OpenAPI 3.1 of a public API, generated from its route table and the proto messages."""

from __future__ import annotations

import re
from typing import Any

from internal.common.contract import Contract, PublicRoute
from internal.common.contract.schema import collect_schemas, field_schema, message_schema
from internal.common.service import TRANSPORTS

_REF = "#/components/schemas/"
_ERRORS = {
    "400": "INVALID_ARGUMENT: malformed JSON, a missing or invalid field",
    "401": "UNAUTHENTICATED: missing, expired or invalid credentials",
    "404": "NOT_FOUND: no such resource (or it belongs to someone else), or an unknown transport",
    "409": "ALREADY_EXISTS",
    "413": "RESOURCE_EXHAUSTED: the body or the image is over its size limit",
    "500": "INTERNAL",
    "503": "UNAVAILABLE: a service could not be reached",
    "504": "DEADLINE_EXCEEDED: no answer within the deadline",
}
_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "enum": [
                    "INVALID_ARGUMENT", "UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND", "ALREADY_EXISTS",
                    "RESOURCE_EXHAUSTED", "UNAVAILABLE", "DEADLINE_EXCEEDED", "INTERNAL",
                ]},
                "message": {"type": "string"},
            },
        }
    },
}


def openapi_document(contract: Contract, title: str, version: str) -> dict[str, Any]:
    """The public routes of the contract as OpenAPI 3.1."""
    routes = list(contract.public.values())
    descriptors = [m.DESCRIPTOR for r in routes for m in (r.target.request_type, r.target.response_type)]
    schemas = collect_schemas(descriptors, _REF)
    schemas["Error"] = _ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for route in routes:
        path = "/{transport}" + route.path
        paths.setdefault(path, {})[route.http_method.lower()] = _operation(route)
    for probe, summary in (("/healthz", "Liveness"), ("/readyz", "Readiness: 200 once every service is ready"),
                           ("/metrics", "Prometheus metrics")):
        paths[probe] = {"get": {"operationId": probe.strip("/"), "summary": summary, "tags": ["operations"],
                                "responses": {"200": {"description": "OK"}}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Every route is served over the transport named in its first path segment: "
                           "`rest`, `grpc` or `events`. The same request gives the same answer over each.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _operation(route: PublicRoute) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [{
        "name": "transport", "in": "path", "required": True,
        "description": "How the gateway reaches the service for this call.",
        "schema": {"type": "string", "enum": list(TRANSPORTS)},
    }]
    path_params = re.findall(r"{(\w+)}", route.path)
    request = route.target.request_type.DESCRIPTOR
    for name in path_params:
        parameters.append({"name": name, "in": "path", "required": True,
                           "schema": field_schema(request.fields_by_name[name])})
    operation: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary or route.name,
        "tags": [route.target.service],
        "parameters": parameters,
    }
    hidden = {*path_params, route.identity_field}
    if route.has_body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": message_schema(request, _REF)}},
        }
    else:
        for field in request.fields:
            if field.name not in hidden:
                parameters.append({"name": field.name, "in": "query", "required": False,
                                   "schema": field_schema(field)})
    success: dict[str, Any] = {"description": "OK"}
    if route.status != 204:
        if route.render:
            success["content"] = {f"image/{kind}": {"schema": {"type": "string", "format": "binary"}}
                                  for kind in ("png", "jpeg", "gif", "webp")}
        else:
            response = route.target.response_type.DESCRIPTOR
            success["content"] = {"application/json": {"schema": message_schema(response, _REF)}}
    responses: dict[str, Any] = {str(route.status): success}
    error_body = {"application/json": {"schema": {"$ref": _REF + "Error"}}}
    for status, description in _ERRORS.items():
        if status == "401" and not route.auth and route.target.service != "auth":
            continue
        responses[status] = {"description": description, "content": error_body}
    operation["responses"] = responses
    if route.auth:
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
