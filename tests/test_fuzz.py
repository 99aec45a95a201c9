"""An API fuzzer against every OpenAPI document the system serves: no server errors, no answers off the schema.

schemathesis generates requests from the documents (the contract's field rules included), follows the
documents' links (create → get → delete) in its stateful phase, and checks every answer against them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.client import GatewayClient
from tests.conftest import SERVICES, RunningSystem

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def fuzz(schema_url: str, base_url: str, token: str, max_examples: int, report: Path,
         *extra: str) -> tuple[int, str]:
    """(test cases generated, output) of one bounded schemathesis run; fails the test on any finding."""
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", schema_url, "--url", base_url,
        "--header", f"Authorization: Bearer {token}", "--checks", CHECKS, "--max-examples", str(max_examples),
        "--seed", "20261121", "--request-timeout", "20", "--no-color",
        "--report", "junit", "--report-junit-path", str(report), *extra,
    ]
    # In the test's own directory: schemathesis keeps its example database (.schemathesis/) in the working one.
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, cwd=report.parent)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    cases = sum(int(n) for n in re.findall(r"(\d+) generated", output))
    return cases, output


async def test_the_gateway_survives_its_fuzzer_over_every_route_and_transport(
        system: RunningSystem, gateway: GatewayClient, tmp_path: Path) -> None:
    token = await gateway.token("rest")
    # deleteMe would end the fuzzer's own account half-way; it is exercised by the account tests.
    cases, output = fuzz(f"{system.gateway_url}/openapi.json", system.gateway_url, token, 150,
                         tmp_path / "gateway.xml", "--exclude-operation-id", "deleteMe")
    print(output[-3000:])
    assert cases >= 2000, output[-3000:]


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_survives_its_fuzzer_on_its_own_port(
        system: RunningSystem, gateway: GatewayClient, tmp_path: Path, service: str) -> None:
    token = await gateway.token("rest")
    url = system.rest_url(service)
    cases, output = fuzz(f"{url}/openapi.json", url, token, 40, tmp_path / f"{service}.xml",
                         "--exclude-operation-id", "DeleteUser")
    print(output[-2000:])
    assert cases >= 100, output[-3000:]
