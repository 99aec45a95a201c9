"""The Postman collection: generated from the gateway's routes, complete, and passing under newman against a real
system.

Also checks api/postman/grpc-examples.json against the real services' gRPC server reflection.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from internal.common.service import TRANSPORTS
from tests.client import GatewayClient
from tests.conftest import ROOT, RunningSystem
from tools import postman

API = ROOT / "api"
POSTMAN_DIR = API / "postman"
COLLECTION = POSTMAN_DIR / "trident.postman_collection.json"
ENVIRONMENT = POSTMAN_DIR / "trident.postman_environment.json"
GRPC_EXAMPLES = POSTMAN_DIR / "grpc-examples.json"
NODE_DIR = ROOT / "tests" / "postman"
NEWMAN = NODE_DIR / "node_modules" / ".bin" / "newman"


def _load(path: Path) -> Any:
    return json.loads(path.read_text())


def _routes() -> list[Any]:
    return postman.gateway_routes()


def _route_key(method: str, path_segments: list[str]) -> tuple[str, str]:
    """(METHOD, /path) with the transport dropped and any {{variable}} segment as {id}."""
    rest = ["{id}" if s.startswith("{{") else s for s in path_segments[1:]]
    return method, "/" + "/".join(rest)


def test_the_committed_files_are_what_the_generator_makes() -> None:
    for relative, text in postman.documents().items():
        path = API / relative
        assert path.exists(), f"{path} is missing: run `make proto`"
        assert path.read_text() == text, f"{path} is stale: run `make proto`"


def test_the_collection_has_every_route_over_every_transport() -> None:
    collection = _load(COLLECTION)
    assert collection["info"]["schema"] == "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    folders = {folder["name"]: folder for folder in collection["item"]}
    assert set(folders) == set(TRANSPORTS)
    expected = {(r.http_method, re.sub(r"\{[a-z_]+\}", "{id}", r.path)) for r in _routes()}
    assert len(expected) == len(_routes())
    for transport, folder in folders.items():
        seen = set()
        for item in folder["item"]:
            request = item["request"]
            assert request["url"]["path"][0] == transport, item["name"]
            assert request["url"]["host"] == ["{{baseUrl}}"]
            assert any(
                e["listen"] == "test" and any("pm.test(" in line for line in e["script"]["exec"]) for e in item["event"]
            )
            seen.add(_route_key(request["method"], request["url"]["path"]))
        assert expected <= seen, f"{transport}: no request for {expected - seen}"
        names = [item["name"] for item in folder["item"]]
        assert names[0] == "signup" and names[-1].startswith("me after deleteMe")
        assert {"me without a token (401)", "createPicture not an image (400)", "getPicture unknown id (404)"} <= set(
            names
        )


def test_the_environment_carries_base_url_and_tokens() -> None:
    environment = _load(ENVIRONMENT)
    values = {v["key"]: v["value"] for v in environment["values"]}
    assert values["baseUrl"] == "http://127.0.0.1:8080"
    assert {"access_token", "refresh_token", "picture_id"} <= set(values)
    # Every {{variable}} the collection uses is either in the environment or a Postman dynamic variable.
    used = set(re.findall(r"\{\{([^}]+)\}\}", COLLECTION.read_text()))
    assert {u for u in used if not u.startswith("$")} <= set(values)


def _ensure_newman() -> Path:
    if not NEWMAN.exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed to install newman (tests/postman/package.json)"
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True, timeout=300
        )
    assert NEWMAN.exists()
    return NEWMAN


def _count_assertions(collection: dict[str, Any]) -> int:
    return sum(
        line.count("pm.test(")
        for folder in collection["item"]
        for item in folder["item"]
        for event in item["event"]
        for line in event["script"]["exec"]
    )


def test_newman_runs_the_collection_against_the_system(system: RunningSystem, tmp_path: Path) -> None:
    newman = _ensure_newman()
    report_path = tmp_path / "newman.json"
    result = subprocess.run(
        [
            str(newman),
            "run",
            str(COLLECTION),
            "-e",
            str(ENVIRONMENT),
            "--env-var",
            f"baseUrl={system.gateway_url}",
            "--reporters",
            "cli,json",
            "--reporter-json-export",
            str(report_path),
            "--color",
            "off",
            "--timeout-request",
            "30000",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    report = _load(report_path)
    run = report["run"]
    assert run["failures"] == []
    assert run.get("error") is None
    collection = _load(COLLECTION)
    requests = sum(len(folder["item"]) for folder in collection["item"])
    stats = run["stats"]
    assert stats["requests"] == {"total": requests, "pending": 0, "failed": 0}
    assert stats["assertions"]["failed"] == 0
    assert stats["assertions"]["total"] == _count_assertions(collection) > 0
    assert stats["testScripts"]["failed"] == 0 and stats["prerequestScripts"]["failed"] == 0
    transports = {e["request"]["url"]["path"][0] for e in run["executions"]}
    assert transports == set(TRANSPORTS)


async def test_grpc_examples_match_the_services_reflection(system: RunningSystem, gateway: GatewayClient) -> None:
    _, signup = await gateway.signup("rest")
    token = signup.body["access_token"]
    user_id = (await gateway.request("GET", "/rest/me", token=token)).body["id"]
    document = _load(GRPC_EXAMPLES)
    examples = document["examples"]
    by_service: dict[str, list[dict[str, Any]]] = {}
    for example in examples:
        by_service.setdefault(example["service"], []).append(example)
    assert set(by_service) == {"users", "auth", "pictures", "analytics"}
    readme = (POSTMAN_DIR / "README.md").read_text()
    called = 0
    for service, service_examples in by_service.items():
        with grpc.insecure_channel(system.grpc_target(service)) as channel:
            database = ProtoReflectionDescriptorDatabase(channel)
            pool = descriptor_pool.DescriptorPool(database)
            service_names = [n for n in database.get_services() if n.startswith("trident.")]
            assert len(service_names) == 1, service_names
            described = pool.FindServiceByName(service_names[0])
            # Every method the service offers has an example, and every example names a real method.
            assert {f"{described.full_name}/{m.name}" for m in described.methods} == {
                e["method"] for e in service_examples
            }
            for example in service_examples:
                full_service, method_name = example["method"].split("/")
                assert full_service == described.full_name
                assert example["target"] == postman.GRPC_TARGETS[service]
                assert example["method"] in readme, f"README.md does not show {example['method']}"
                shown = json.dumps(example["request"])
                assert len(shown) > 200 or shown in readme, f"README.md does not show the example {shown}"
                method = described.FindMethodByName(method_name)
                request_cls = message_factory.GetMessageClass(method.input_type)
                response_cls = message_factory.GetMessageClass(method.output_type)
                request = json_format.ParseDict(example["request"], request_cls())
                assert example["metadata"] == {"authorization": postman.ACCESS_TOKEN}, example["method"]
                if not example["read_only"]:
                    continue
                # The placeholders, filled in as a reader would: their own token and their own id.
                metadata = (("authorization", f"Bearer {token}"),)
                if "id" in example["request"] and service == "users":
                    request = json_format.ParseDict({**example["request"], "id": user_id}, request_cls())
                call = channel.unary_unary(
                    f"/{example['method']}",
                    request_serializer=request_cls.SerializeToString,
                    response_deserializer=response_cls.FromString,
                )
                response = call(request, metadata=metadata, timeout=10)
                assert isinstance(response, response_cls)
                called += 1
    assert called >= 3
