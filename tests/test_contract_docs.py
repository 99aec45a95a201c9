"""The API documents are generated from the contract, served by the gateway, and complete."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from openapi_spec_validator import validate

from tests.client import GatewayClient
from tests.conftest import CONTRACT, ROOT, TOPICS


def test_committed_documents_are_what_the_contract_generates() -> None:
    for tool in ("tools.contract_docs", "tools.generate_clients", "tools.postman"):
        result = subprocess.run([sys.executable, "-m", tool, "--check"], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, f"{tool}: {result.stderr}"


def test_generated_code_matches_the_proto() -> None:
    result = subprocess.run([sys.executable, "-m", "tools.protoc", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


async def test_openapi_is_served_valid_and_lists_every_route_and_error(gateway: GatewayClient) -> None:
    reply = await gateway.request("GET", "/openapi.json")
    assert reply.status == 200
    document = reply.body
    validate(document)
    assert document == json.loads((ROOT / "api/openapi/openapi.json").read_text())
    for route in CONTRACT.public.values():
        operation = document["paths"]["/{transport}" + route.path][route.http_method.lower()]
        transport = next(p for p in operation["parameters"] if p["name"] == "transport")
        assert transport["schema"]["enum"] == ["rest", "grpc", "events"]
        assert str(route.status) in operation["responses"]
        assert {"400", "404", "413", "503", "504"} <= set(operation["responses"])
        if route.auth:
            assert operation["security"] == [{"bearer": []}] and "401" in operation["responses"]
    picture = document["components"]["schemas"]["pictures_Picture"]["properties"]
    assert {"id", "title", "user_id", "content_type", "size", "created_at", "base64"} <= set(picture)


async def test_swagger_ui_is_served_from_the_gateway(gateway: GatewayClient) -> None:
    page = await gateway.request("GET", "/docs")
    assert page.status == 200 and b"SwaggerUIBundle" in page.raw and b"/openapi.json" in page.raw
    bundle = await gateway.request("GET", "/swagger/swagger-ui-bundle.js")
    assert bundle.status == 200 and len(bundle.raw) > 100_000


def test_asyncapi_names_every_topic_and_event() -> None:
    document = yaml.safe_load((ROOT / "api/asyncapi/asyncapi.yaml").read_text())
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == set(TOPICS) >= {"users", "auth", "pictures", "analytics", "results", "user.deleted"}
    events = {message["name"] for message in document["components"]["messages"].values()}
    assert {"login", "signup", "createpicture", "getpicture", "logdata", "getlogs", "user.deleted", "login.reply"} <= events


async def test_the_web_app_is_served_with_a_fallback_for_client_routes(gateway: GatewayClient) -> None:
    index = await gateway.request("GET", "/")
    assert index.status == 200 and index.headers["Content-Type"].startswith("text/html")
    deep = await gateway.request("GET", "/gallery/some/client/route")
    assert deep.status == 200 and deep.raw == index.raw
    api_miss = await gateway.request("GET", "/rest/nothing-here")
    assert (api_miss.status, api_miss.error_code) == (404, "NOT_FOUND")
