"""Static checks of deploy/: compose files, Dockerfile, Kubernetes manifests, Prometheus, Grafana,
Filebeat and Kibana. Nothing here needs Docker or a cluster; kubectl and promtool must be installed
(`make system-deps`), and a missing one fails the test rather than skipping it."""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from internal.common import metrics as trident_metrics
from internal.services.registry import REGISTRY
from tests.conftest import SERVICES, TOPICS
from tests.deploy.dashboards import DASHBOARD_DIR, load_dashboards, metric_names, panel_queries
from tests.deploy.netpol import Network, Pod

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "docker-compose.yml"
COMPOSE_DEPS = DEPLOY / "docker-compose.deps.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
WORKFLOWS = REPO / ".github" / "workflows"
PROCESSES = REGISTRY.names
# What some process's Settings class accepts: its own fields, and where each peer answers.
SETTINGS_ENV = {name.upper() for service in REGISTRY.services for name in service.settings.model_fields} | {
    f"PEERS__{peer.upper()}__{field.upper()}" for peer in SERVICES for field in ("rest_url", "grpc_target")
}
REST_PORTS = {"gateway": 8080, "users": 8081, "auth": 8082, "pictures": 8083, "analytics": 8084}
GRPC_PORTS = {"gateway": 0, "users": 9081, "auth": 9082, "pictures": 9083, "analytics": 9084}
STANDARD_METRIC_PREFIXES = ("process_", "python_")


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"`{name}` is not installed; these tests need it (Debian: `make system-deps` installs it)")
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = load_yaml(COMPOSE)
    return document


@pytest.fixture(scope="module")
def deps() -> dict[str, Any]:
    document: dict[str, Any] = load_yaml(COMPOSE_DEPS)
    return document


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    kubectl = tool("kubectl")
    result = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"kubectl kustomize deploy/k8s failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


# --- YAML and scripts ---------------------------------------------------------------------------


def test_every_yaml_file_parses() -> None:
    files = sorted([*DEPLOY.rglob("*.yml"), *DEPLOY.rglob("*.yaml")])
    assert len(files) >= 15
    for path in files:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        assert docs, f"{path} is empty"
        for doc in docs:
            assert isinstance(doc, dict), f"{path}: top level is not a mapping"


def test_shell_scripts_are_valid_bash() -> None:
    for script in sorted(DEPLOY.rglob("*.sh")):
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, f"{script}: {result.stderr}"
        assert script.stat().st_mode & 0o111, f"{script} is not executable"


def test_init_scripts_provision_what_the_system_needs() -> None:
    pg = (DEPLOY / "postgres" / "init-databases.sh").read_text()
    match = re.search(r"TRIDENT_DATABASES:-([^}]*)\}", pg)
    assert match and set(match.group(1).split()) == set(SERVICES)
    deps_doc = load_yaml(COMPOSE_DEPS)
    topics = environment(deps_doc["services"]["kafka-init"])["TOPICS"].split()
    assert set(topics) == set(TOPICS)
    job = next(d for d in yaml.safe_load_all((K8S / "kafka-topics-job.yaml").read_text()) if d)
    job_env = {e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert set(job_env["TOPICS"].split()) == set(TOPICS)


# --- Compose ------------------------------------------------------------------------------------


def test_compose_runs_the_five_processes_on_the_dependencies(compose: dict[str, Any], deps: dict[str, Any]) -> None:
    assert "docker-compose.deps.yml" in compose["include"]
    assert set(compose["services"]) == set(PROCESSES)
    assert {
        "postgres",
        "kafka",
        "kafka-init",
        "jaeger",
        "elasticsearch",
        "kibana",
        "filebeat",
        "prometheus",
        "grafana",
    } <= set(deps["services"])
    for name, service in compose["services"].items():
        assert service["command"] == ["serve", name]
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        env = environment(service)
        assert env["SERVICE_NAME"] == name
        assert env["HOST"] == "0.0.0.0"
        assert env["REST_PORT"] == str(REST_PORTS[name])
        assert env["GRPC_PORT"] == str(GRPC_PORTS[name])
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert env["LOG_FORMAT"] == "json"
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://jaeger:4317")
        for peer in SERVICES:
            assert env[f"PEERS__{peer.upper()}__REST_URL"] == f"http://{peer}:{REST_PORTS[peer]}"
            assert env[f"PEERS__{peer.upper()}__GRPC_TARGET"] == f"{peer}:{GRPC_PORTS[peer]}"
        if name == "gateway":
            assert "DATABASE_URL" not in env
            assert env["WEB_DIST_DIR"] == "/app/web/dist"
        else:
            assert env["DATABASE_URL"].startswith("postgresql://") and env["DATABASE_URL"].endswith(
                f"@postgres:5432/{name}"
            )
        assert "healthcheck" in service
        conditions = {dep: spec["condition"] for dep, spec in service["depends_on"].items()}
        assert conditions["kafka-init"] == "service_completed_successfully"
        assert set(conditions.values()) <= {"service_healthy", "service_completed_successfully"}
        if name != "gateway":
            assert conditions["postgres"] == "service_healthy"
    gateway_deps = compose["services"]["gateway"]["depends_on"]
    assert all(gateway_deps[s]["condition"] == "service_healthy" for s in SERVICES)


def test_compose_sets_only_environment_variables_the_settings_accept(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        unknown = set(environment(service)) - SETTINGS_ENV
        assert not unknown, f"{name} sets variables the Settings class does not accept: {sorted(unknown)}"


def test_compose_secrets_come_from_the_invocation_environment(compose: dict[str, Any]) -> None:
    auth = environment(compose["services"]["auth"])
    assert re.fullmatch(r"\$\{AUTH_PRIVATE_KEY:\?[^}]+\}", auth["AUTH_PRIVATE_KEY"])
    for name, service in compose["services"].items():
        if name != "auth":
            assert "AUTH_PRIVATE_KEY" not in environment(service)
    for text in (COMPOSE.read_text(), COMPOSE_DEPS.read_text()):
        assert "BEGIN PRIVATE KEY" not in text
        assert "${POSTGRES_PASSWORD:?" in text


def test_dependency_images_are_pinned_and_checked(deps: dict[str, Any]) -> None:
    one_shot = {"kafka-init", "kibana-setup"}
    for name, service in deps["services"].items():
        image = service["image"]
        tag = image.rsplit(":", 1)[-1] if ":" in image.split("/")[-1] else ""
        assert tag and tag != "latest" and re.search(r"\d", tag), f"{name}: image {image} is not pinned"
        if name in one_shot:
            assert service.get("restart") == "no"
        else:
            assert "healthcheck" in service, f"{name} has no health check"
        for dep, spec in (service.get("depends_on") or {}).items():
            assert spec["condition"] in {"service_healthy", "service_completed_successfully"}, f"{name} -> {dep}"
    kafka = environment(deps["services"]["kafka"])
    assert "controller" in kafka["KAFKA_PROCESS_ROLES"] and "broker" in kafka["KAFKA_PROCESS_ROLES"]
    assert not any("ZOOKEEPER" in key for key in kafka)
    assert kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert environment(deps["services"]["jaeger"])["COLLECTOR_OTLP_ENABLED"] == "true"
    named = set(deps["volumes"])
    for name in ("postgres", "kafka", "elasticsearch", "prometheus", "grafana"):
        volumes = deps["services"][name]["volumes"]
        assert any(v.split(":", 1)[0] in named for v in volumes), f"{name} keeps no data in a named volume"


def test_compose_publishes_only_the_gateway_beyond_the_host(compose: dict[str, Any], deps: dict[str, Any]) -> None:
    published = 0
    for doc in (compose, deps):
        for name, service in doc["services"].items():
            for port in service.get("ports") or []:
                published += 1
                if name == "gateway":
                    continue
                assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"
    assert published >= 10


def test_every_file_compose_mounts_exists(compose: dict[str, Any], deps: dict[str, Any]) -> None:
    mounted = 0
    for doc in (compose, deps):
        named = set(doc.get("volumes") or {})
        for name, service in doc["services"].items():
            for volume in service.get("volumes") or []:
                source = volume["source"] if isinstance(volume, dict) else volume.split(":", 1)[0]
                if source in named:
                    continue
                if source.startswith("/"):  # the Docker host's own files (docker socket, container logs)
                    assert source in {"/var/run/docker.sock", "/var/lib/docker/containers"}, f"{name}: {source}"
                    continue
                path = (DEPLOY / source).resolve()
                assert path.exists(), f"{name} mounts {source}, which is not in the repository"
                assert REPO in path.parents
                mounted += 1
    assert mounted >= 7


def test_compose_labels_match_filebeat(compose: dict[str, Any]) -> None:
    config = load_yaml(DEPLOY / "filebeat" / "filebeat.yml")
    template = config["filebeat.autodiscover"]["providers"][0]["templates"][0]
    condition = template["condition"]["equals"]
    ((field, value),) = condition.items()
    label = field.removeprefix("docker.container.labels.")
    for name, service in compose["services"].items():
        assert service["labels"][label] == value, name
    parsers = template["config"][0]["parsers"]
    ndjson = next(p["ndjson"] for p in parsers if "ndjson" in p)
    assert ndjson["target"] == "" and ndjson["expand_keys"] is True and ndjson["overwrite_keys"] is True
    assert config["output.elasticsearch"]["hosts"] == ["http://elasticsearch:9200"]


# --- Dockerfile ---------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_every_dockerfile_copy_source_exists() -> None:
    checked = []
    for keyword, rest in dockerfile_instructions():
        if keyword not in {"COPY", "ADD"}:
            continue
        parts = shlex.split(rest)
        if any(p.startswith("--from=") for p in parts):
            continue
        sources = [p for p in parts if not p.startswith("--")][:-1]
        for source in sources:
            assert (REPO / source).exists(), f"COPY source {source} does not exist in the repository"
            checked.append(source)
    assert {
        "pyproject.toml",
        "api/",
        "internal/",
        "configs/",
        "web/package.json",
        "web/package-lock.json",
        "web/",
    } <= set(checked)


def test_dockerfile_runs_any_service_as_a_non_root_user() -> None:
    instructions = dockerfile_instructions()
    args = dict(rest.split("=", 1) for keyword, rest in instructions if keyword == "ARG" and "=" in rest)
    stages = [
        re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], rest) for keyword, rest in instructions if keyword == "FROM"
    ]
    images = [stage.split()[0] for stage in stages]
    assert (
        len(stages) >= 3
        and any(i.startswith("node:") for i in images)
        and any(i.startswith("python:") and "slim" in i for i in images)
    )
    assert all(re.search(r":\d+\.\d+", i) for i in images), f"base images are not pinned: {images}"
    final = instructions[max(i for i, (k, _) in enumerate(instructions) if k == "FROM") :]
    user = [rest for keyword, rest in final if keyword == "USER"]
    assert user and user[-1].split(":")[0] not in {"root", "0"}
    assert json.loads(next(rest for keyword, rest in final if keyword == "ENTRYPOINT")) == ["trident"]
    assert json.loads(next(rest for keyword, rest in final if keyword == "CMD")) == ["serve", "gateway"]
    env_names = set()
    for keyword, rest in final:
        if keyword == "ENV":
            env_names |= {token.split("=", 1)[0] for token in shlex.split(rest)}
    third_party = {name for name in env_names if name == "PATH" or name.startswith(("PYTHON", "PIP_"))}
    assert not (env_names - third_party - SETTINGS_ENV), sorted(env_names - third_party - SETTINGS_ENV)
    assert {"CONFIG_DIR", "WEB_DIST_DIR"} <= env_names


def test_dockerignore_keeps_copied_sources() -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert "**/.venv" in ignore and "**/node_modules" in ignore
    for pattern in ignore:
        assert pattern.rstrip("/") not in {"api", "internal", "configs", "web", "pyproject.toml"}


# --- Kubernetes ---------------------------------------------------------------------------------


def test_kustomize_renders_a_deployment_service_and_autoscaler_per_process(rendered: list[dict[str, Any]]) -> None:
    assert {d["metadata"].get("namespace") for d in rendered if d["kind"] != "Namespace"} == {"trident"}
    assert "trident" in by_kind(rendered, "Namespace")
    deployments, services, hpas = (
        by_kind(rendered, "Deployment"),
        by_kind(rendered, "Service"),
        by_kind(rendered, "HorizontalPodAutoscaler"),
    )
    assert set(deployments) == set(services) == set(hpas) == set(PROCESSES)
    for name in PROCESSES:
        spec = deployments[name]["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        assert container["args"] == ["serve", name]
        assert container["image"].startswith("trident:")
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["http"] == REST_PORTS[name]
        assert ports.get("grpc", 0) == GRPC_PORTS[name]
        assert spec["securityContext"]["runAsNonRoot"] is True
        svc_ports = {p["name"]: p["port"] for p in services[name]["spec"]["ports"]}
        assert svc_ports == {k: v for k, v in ports.items()}
        hpa = hpas[name]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"] >= 1
    (ingress,) = by_kind(rendered, "Ingress").values()
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "gateway", "port": {"name": "http"}}
    assert "kafka-topics" in by_kind(rendered, "Job")


def test_kubernetes_sets_only_environment_variables_the_settings_accept(rendered: list[dict[str, Any]]) -> None:
    configmaps = by_kind(rendered, "ConfigMap")
    secret_keys = set(load_yaml(K8S / "secret.example.yaml")["stringData"])
    for name, deployment in by_kind(rendered, "Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        names = {e["name"] for e in container.get("env", [])}
        for source in container.get("envFrom", []):
            assert "configMapRef" in source, "only ConfigMaps are loaded whole; secrets go key by key"
            names |= set(configmaps[source["configMapRef"]["name"]]["data"])
        unknown = names - SETTINGS_ENV
        assert not unknown, f"{name} sets variables the Settings class does not accept: {sorted(unknown)}"
        env = {e["name"]: e for e in container.get("env", [])}
        assert env["SERVICE_NAME"]["value"] == name
        assert env["REST_PORT"]["value"] == str(REST_PORTS[name])
        for entry in env.values():
            ref = entry.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["name"] == "trident-secrets" and ref["key"] in secret_keys
        assert ("DATABASE_URL" in env) == (name != "gateway")
        assert ("AUTH_PRIVATE_KEY" in env) == (name == "auth")
    assert all(v == "" for v in load_yaml(K8S / "secret.example.yaml")["stringData"].values())
    assert "secret.example.yaml" not in load_yaml(K8S / "kustomization.yaml")["resources"]


# --- Network policies ---------------------------------------------------------------------------
# Pods the manifests do not create but the policies name; their labels are the ones documented at
# the top of deploy/k8s/network-policies.yaml.
ASSUMED_PODS = [
    Pod("postgres", "trident", {"app.kubernetes.io/name": "postgres"}, {"postgres": 5432}),
    Pod("kafka", "trident", {"app.kubernetes.io/name": "kafka"}, {"client": 9092, "controller": 9093}),
    Pod("jaeger", "trident", {"app.kubernetes.io/name": "jaeger"}, {"otlp-grpc": 4317, "ui": 16686}),
    Pod("ingress-nginx", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}),
    Pod("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"}),
    Pod("kube-dns", "kube-system", {"k8s-app": "kube-dns"}, {"dns": 53}),
    # Whatever else lands in the namespace (a debug shell, a compromised sidecar image)...
    Pod("stranger", "trident", {"app.kubernetes.io/name": "debug-shell"}),
    # ...and a pod elsewhere that copies the gateway's labels: labels alone must not open the doors.
    Pod("impostor", "default", {"app.kubernetes.io/name": "gateway", "app.kubernetes.io/component": "gateway"}),
]


@pytest.fixture(scope="module")
def network(rendered: list[dict[str, Any]]) -> Network:
    return Network(rendered)


@pytest.fixture(scope="module")
def pods(rendered: list[dict[str, Any]]) -> dict[str, Pod]:
    found = {}
    workloads = [*by_kind(rendered, "Deployment").values(), *by_kind(rendered, "Job").values()]
    for workload in workloads:
        template = workload["spec"]["template"]
        containers = template["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for c in containers for p in c.get("ports", []) if "name" in p}
        name = workload["metadata"]["name"]
        found[name] = Pod(name, workload["metadata"]["namespace"], template["metadata"]["labels"], ports)
    assert set(found) == {*PROCESSES, "kafka-topics"}
    for pod in ASSUMED_PODS:
        found[pod.name] = pod
    return found


def service_ports(name: str) -> list[int]:
    return [p for p in (REST_PORTS[name], GRPC_PORTS[name]) if p]


def callers(network: Network, pods: dict[str, Pod], destination: str, port: int) -> set[str]:
    """Who may connect, checked end to end and again on the destination's ingress side alone: each side
    must hold by itself (a CNI may enforce ingress only, and one deleted egress policy must not open a
    database)."""
    both = {name for name, pod in pods.items() if network.allows(pod, pods[destination], port)}
    ingress = {name for name, pod in pods.items() if network.ingress_allows(pod, pods[destination], port, "TCP")}
    assert both == ingress, f"{destination}:{port}: end to end {sorted(both)}, ingress side alone {sorted(ingress)}"
    return both


def test_network_policies_deny_everything_not_opened_on_purpose(rendered: list[dict[str, Any]]) -> None:
    policies = by_kind(rendered, "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    for name, policy in policies.items():
        rules = [*policy["spec"].get("ingress", []), *policy["spec"].get("egress", [])]
        for rule in rules:
            peers = rule.get("from", rule.get("to"))
            assert peers, f"{name}: a rule without peers opens to every pod of every namespace"
            assert not any("ipBlock" in peer for peer in peers), f"{name}: ipBlock peers"


def test_only_the_gateway_reaches_a_service_on_rest_and_grpc(network: Network, pods: dict[str, Pod]) -> None:
    for service in SERVICES:
        for port in service_ports(service):
            allowed = callers(network, pods, service, port)
            # Auth calls users (signup, login) over the transport the request came on; Prometheus
            # scrapes /metrics on the REST port only.
            expected = {"gateway"} | ({"auth"} if service == "users" else set())
            if port == REST_PORTS[service]:
                expected.add("prometheus")
            assert allowed == expected, f"{service}:{port} is reachable from {sorted(allowed)}"


def test_from_outside_only_the_gateway_is_reachable_and_only_through_the_ingress_controller(
    network: Network, pods: dict[str, Pod]
) -> None:
    controller = pods["ingress-nginx"]
    assert network.allows(controller, pods["gateway"], REST_PORTS["gateway"])
    for name in (*SERVICES, "postgres", "kafka", "jaeger"):
        for port in (*pods[name].ports.values(), *(service_ports(name) if name in SERVICES else [])):
            assert not network.allows(controller, pods[name], port), f"the ingress controller reaches {name}:{port}"
    assert callers(network, pods, "gateway", REST_PORTS["gateway"]) == {"ingress-nginx", "prometheus"}


def test_only_the_services_reach_postgres(network: Network, pods: dict[str, Pod]) -> None:
    assert callers(network, pods, "postgres", 5432) == {*SERVICES, "postgres"}  # itself: replication
    assert not network.egress_allows(pods["gateway"], pods["postgres"], 5432, "TCP")


def test_only_trident_processes_and_the_topic_job_reach_kafka(network: Network, pods: dict[str, Pod]) -> None:
    # The gateway speaks the events transport itself, so it is a Kafka client like the services.
    assert callers(network, pods, "kafka", 9092) == {*PROCESSES, "kafka-topics", "kafka"}
    for name in (*PROCESSES, "kafka-topics", "stranger"):
        assert not network.allows(pods[name], pods["kafka"], 9093), f"{name} reaches the controller port"


def test_services_do_not_reach_each_other_or_the_gateway(network: Network, pods: dict[str, Pod]) -> None:
    for caller in SERVICES:
        for callee in (*SERVICES, "gateway"):
            if caller == callee or (caller, callee) == ("auth", "users"):
                continue
            for port in service_ports(callee):
                source, destination = pods[caller], pods[callee]
                assert not network.egress_allows(source, destination, port, "TCP"), f"{caller} may call {callee}:{port}"
                assert not network.ingress_allows(source, destination, port, "TCP"), f"{callee}:{port} admits {caller}"


def test_every_pod_in_the_namespace_resolves_names_and_reaches_nothing_else_by_default(
    network: Network, pods: dict[str, Pod]
) -> None:
    dns = pods["kube-dns"]
    for name, pod in pods.items():
        if pod.namespace == "trident":
            assert network.allows(pod, dns, 53, "UDP") and network.allows(pod, dns, 53, "TCP"), name
            assert not network.allows(pod, dns, 8080), name
    stranger = pods["stranger"]
    for name, pod in pods.items():
        for port in (*pod.ports.values(), *(service_ports(name) if name in PROCESSES else [])):
            assert not network.allows(stranger, pod, port) or name == "kube-dns", f"a stray pod reaches {name}:{port}"
    # Only the five processes export spans, and only to the collector's OTLP port.
    assert callers(network, pods, "jaeger", 4317) == set(PROCESSES)
    assert not any(network.allows(pod, pods["jaeger"], 16686) for pod in pods.values())


# --- CI/CD workflows and linters ------------------------------------------------------------------


def venv_tool(name: str) -> str:
    """A linter installed by the dev extras into the interpreter's own bin directory."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"`{name}` is not installed; `make install` installs it with the dev extras")
    return found


def load_workflow(name: str) -> dict[str, Any]:
    workflow: dict[Any, Any] = load_yaml(WORKFLOWS / name)
    # YAML 1.1 reads the bare key `on` as the boolean true.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def steps_using(workflow: dict[str, Any], action: str) -> list[dict[str, Any]]:
    steps = [step for job in workflow["jobs"].values() for step in job.get("steps", [])]
    return [step for step in steps if step.get("uses", "").startswith(f"{action}@")]


def run_actionlint(root: Path) -> subprocess.CompletedProcess[str]:
    files = sorted(str(p) for p in (root / ".github" / "workflows").glob("*.y*ml"))
    return subprocess.run(
        [venv_tool("actionlint"), "-no-color", "-oneline", *files],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
    )


def test_actionlint_accepts_the_workflows() -> None:
    assert {p.name for p in WORKFLOWS.glob("*.y*ml")} == {"ci.yml", "cd.yml"}
    result = run_actionlint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    # The same workflows with two mistakes: proves the linter reads them and knows the actions' inputs.
    target = tmp_path / ".github" / "workflows"
    target.mkdir(parents=True)
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text()
        if path.name == "ci.yml":
            text = text.replace("runs-on: ubuntu-24.04", "runs-on: ubuntu-24.4", 1)
            text = text.replace("python-version:", "python-versoin:", 1)
        (target / path.name).write_text(text)
    result = run_actionlint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert '"ubuntu-24.4" is unknown' in result.stdout and '"python-versoin" is not defined' in result.stdout


def test_every_action_is_pinned_to_a_major_version_or_a_commit() -> None:
    uses = []
    for name in ("ci.yml", "cd.yml"):
        for job in load_workflow(name)["jobs"].values():
            uses += [step["uses"] for step in job.get("steps", []) if "uses" in step]
    assert len(uses) >= 8
    for ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})", ref), ref


def test_ci_runs_make_test_on_every_push_and_pull_request() -> None:
    ci = load_workflow("ci.yml")
    assert {"push", "pull_request", "workflow_call"} <= set(ci["on"])
    assert ci["permissions"] == {"contents": "read"}
    (job,) = ci["jobs"].values()
    assert job["runs-on"].startswith("ubuntu-") and job["timeout-minutes"] <= 90
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert "sudo make system-deps" in runs
    assert any(re.fullmatch(r"make test( PYTHON=\S+)?", run) for run in runs), runs
    (python,) = steps_using(ci, "actions/setup-python")
    assert python["with"]["python-version"] == "3.11"
    (node,) = steps_using(ci, "actions/setup-node")
    assert str(node["with"]["node-version"]) == "20"
    (checkout,) = steps_using(ci, "actions/checkout")
    assert checkout["with"]["persist-credentials"] is False


def test_cd_pushes_the_image_to_ghcr_on_a_version_tag_after_ci_passes() -> None:
    cd = load_workflow("cd.yml")
    assert cd["on"] == {"push": {"tags": ["v*"]}}
    assert cd["permissions"] == {"contents": "read"}, "write access only in the job that pushes"
    assert cd["jobs"]["test"]["uses"] == "./.github/workflows/ci.yml"
    image = cd["jobs"]["image"]
    assert image["needs"] == "test"
    assert image["permissions"] == {"contents": "read", "packages": "write"}
    (login,) = steps_using(cd, "docker/login-action")
    assert login["with"] == {
        "registry": "ghcr.io",
        "username": "${{ github.actor }}",
        "password": "${{ secrets.GITHUB_TOKEN }}",
    }
    (meta,) = steps_using(cd, "docker/metadata-action")
    assert meta["with"]["images"] == "ghcr.io/${{ github.repository }}"
    assert "type=semver,pattern={{version}}" in meta["with"]["tags"]
    (build,) = steps_using(cd, "docker/build-push-action")
    assert build["with"]["context"] == "." and build["with"]["file"] == "deploy/Dockerfile"
    assert (REPO / build["with"]["file"]).exists() and build["with"]["push"] is True
    assert build["with"]["tags"] == f"${{{{ steps.{meta['id']}.outputs.tags }}}}"
    assert build["with"]["labels"] == f"${{{{ steps.{meta['id']}.outputs.labels }}}}"


def test_hadolint_accepts_the_dockerfile() -> None:
    result = subprocess.run([venv_tool("hadolint"), str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    for line in DOCKERFILE.read_text().splitlines():
        match = re.match(r"#\s*hadolint\s+ignore=(\S+)(.*)", line.strip())
        assert match is None or len(match.group(2).strip()) > 10, f"an ignored rule needs its reason: {line}"


def test_hadolint_catches_an_unpinned_install(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    text = DOCKERFILE.read_text()
    assert "RUN pip install ." in text
    dockerfile.write_text(text.replace("RUN pip install .", "RUN pip install --upgrade pip && pip install ."))
    result = subprocess.run(
        [venv_tool("hadolint"), "--no-color", str(dockerfile)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1 and "DL3013" in result.stdout, result.stdout + result.stderr


# --- Kafka ACLs ---------------------------------------------------------------------------------


def planned_acls() -> set[tuple[str, str, str, str]]:
    """(principal, operation, resource type, resource name) of every ACL create-acls.sh would add."""
    result = subprocess.run(
        [str(DEPLOY / "kafka" / "create-acls.sh")],
        capture_output=True,
        text=True,
        timeout=30,
        env={"DRY_RUN": "1", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    acls = set()
    for line in result.stdout.splitlines():
        args = shlex.split(line)
        assert args[0].endswith("/kafka-acls.sh") and "--add" in args, line
        # --producer adds CREATE; prefixed patterns and cluster ACLs reach further than one named resource.
        assert not {"--producer", "--consumer", "--cluster", "--resource-pattern-type", "--deny-principal"} & set(args)
        values: dict[str, list[str]] = {}
        for flag, value in itertools.pairwise(args):
            if flag.startswith("--") and not value.startswith("--"):
                values.setdefault(flag, []).append(value)
        ((principal,),) = [values["--allow-principal"]]
        resources = [("topic", t) for t in values.get("--topic", [])]
        resources += [("group", g) for g in values.get("--group", [])]
        assert len(resources) == 1, line
        for operation in values["--operation"]:
            acls.add((principal.removeprefix("User:trident-"), operation, *resources[0]))
    return acls


def test_kafka_acls_give_each_process_only_the_topics_it_uses() -> None:
    acls = planned_acls()
    assert {principal for principal, *_ in acls} == set(PROCESSES), "one principal per process"
    assert {operation for _, operation, *_ in acls} == {"Write", "Read", "Describe"}, "no Create, Alter or Delete"

    def who(operation: str, kind: str, name: str) -> set[str]:
        return {p for p, op, k, n in acls if (op, k, n) == (operation, kind, name)}

    for topic in SERVICES:
        callers = {"gateway", "auth"} if topic == "users" else {"gateway"}
        assert who("Write", "topic", topic) == callers, topic
        assert who("Read", "topic", topic) == {topic} and who("Read", "group", topic) == {topic}, topic
        assert who("Write", "topic", f"{topic}.dlq") == {topic}
    assert who("Write", "topic", "results") == set(SERVICES)
    assert who("Read", "topic", "results") == {"gateway", "auth"}
    assert who("Write", "topic", "user.deleted") == {"users"}, "only users announces a deletion"
    # Every process learns of deletions and ended sessions (to refuse their tokens); only auth ends sessions.
    assert who("Read", "topic", "user.deleted") == set(PROCESSES)
    assert who("Read", "topic", "session.revoked") == set(PROCESSES)
    assert who("Write", "topic", "session.revoked") == {"auth"}
    for service in ("pictures", "auth"):
        assert who("Read", "group", f"{service}.user.deleted") == {service}
    topics = {name for _, _, kind, name in acls if kind == "topic"}
    assert topics == set(TOPICS)  # every topic, dead-letter topics included
    for principal, operation, kind, name in acls:
        if operation in {"Write", "Read"} and kind == "topic":
            assert (principal, "Describe", kind, name) in acls, "clients look topics up before using them"


# --- Prometheus ---------------------------------------------------------------------------------


def test_promtool_accepts_the_prometheus_config() -> None:
    promtool = tool("promtool")
    result = subprocess.run(
        [promtool, "check", "config", str(DEPLOY / "prometheus" / "prometheus.yml")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_scrapes_every_process_as_its_own_job() -> None:
    config = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for name in PROCESSES:
        job = jobs[name]
        assert job.get("metrics_path", "/metrics") == "/metrics"
        assert [t for sc in job["static_configs"] for t in sc["targets"]] == [f"{name}:{REST_PORTS[name]}"]


# --- Grafana ------------------------------------------------------------------------------------


def exported_metric_names() -> set[str]:
    names = set()
    for obj in vars(trident_metrics).values():
        kind = getattr(obj, "_type", None)
        name = getattr(obj, "_name", None)
        if not name or kind is None:
            continue
        if kind == "counter":
            names.add(f"{name}_total")
        elif kind == "gauge":
            names.add(name)
        elif kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return names


def test_dashboards_exist_for_the_overview_and_every_process() -> None:
    boards = load_dashboards()
    assert set(boards) == {"trident-overview.json", *(f"trident-{p}.json" for p in PROCESSES)}
    uids = [b["uid"] for b in boards.values()]
    assert len(set(uids)) == len(uids)
    overview = {t for b, t, _ in panel_queries() if b == "Trident / Overview"}
    assert {
        "Request rate by service",
        "Request rate by transport",
        "Error ratio by service",
        "Error ratio by transport",
        "Latency by service",
        "Latency by transport",
    } <= overview
    latency = [e for b, t, e in panel_queries() if b == "Trident / Overview" and t == "Latency by transport"]
    assert [re.match(r"histogram_quantile\(([\d.]+)", e).group(1) for e in latency] == ["0.5", "0.95", "0.99"]  # type: ignore[union-attr]


def test_dashboards_use_the_provisioned_datasource() -> None:
    datasource = load_yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml")["datasources"][0]
    assert datasource["url"] == "http://prometheus:9090"
    for name, board in load_dashboards().items():
        for panel in board["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["datasource"]["uid"] == datasource["uid"], f"{name}: {panel['title']}"
            assert panel["targets"], f"{name}: {panel['title']} has no query"
    provider = load_yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "trident.yml")["providers"][0]
    grafana = load_yaml(COMPOSE_DEPS)["services"]["grafana"]
    assert f"./grafana/dashboards:{provider['options']['path']}:ro" in grafana["volumes"]


def test_every_panel_query_parses(tmp_path: Path) -> None:
    promtool = tool("promtool")
    queries = panel_queries()
    assert len(queries) >= 50
    rules = {
        "groups": [
            {
                "name": "dashboards",
                "rules": [
                    {"record": f"trident:dashboard_panel:{i}", "expr": expr} for i, (_, _, expr) in enumerate(queries)
                ],
            }
        ]
    }
    path = tmp_path / "panels.rules.yml"
    path.write_text(yaml.safe_dump(rules, sort_keys=False))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout


def test_dashboards_use_only_exported_metrics() -> None:
    exported = exported_metric_names()
    assert "trident_server_requests_total" in exported and "trident_server_request_duration_seconds_bucket" in exported
    for board, panel, expr in panel_queries():
        names = metric_names(expr)
        assert names, f"{board} / {panel}: no metric in {expr}"
        for name in names:
            assert name in exported or name.startswith(STANDARD_METRIC_PREFIXES), (
                f"{board} / {panel}: unknown metric {name}"
            )
        assert "$" not in expr, f"{board} / {panel}: unresolved variable in {expr}"


def test_dashboard_json_is_what_the_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("generate_dashboards", DEPLOY / "grafana" / "generate_dashboards.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    generated = module.boards()
    assert set(generated) == {p.name for p in DASHBOARD_DIR.glob("*.json")}
    for name, board in generated.items():
        assert (DASHBOARD_DIR / name).read_text() == module.render(board), (
            f"{name} is stale: run .venv/bin/python deploy/grafana/generate_dashboards.py"
        )


# --- Kibana -------------------------------------------------------------------------------------


def test_kibana_saved_objects_are_importable_ndjson() -> None:
    lines = (DEPLOY / "kibana" / "saved-objects.ndjson").read_text().splitlines()
    objects = {o["id"]: o for o in map(json.loads, lines)}
    view = next(o for o in objects.values() if o["type"] == "index-pattern")
    assert view["attributes"]["title"] == "filebeat-*"
    assert view["attributes"]["timeFieldName"] == "@timestamp"
    search = next(o for o in objects.values() if o["type"] == "search")
    source = json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    assert source["query"] == {"query": "log.level: error", "language": "kuery"}
    (ref,) = search["references"]
    assert ref["name"] == source["indexRefName"] and ref["id"] == view["id"] and ref["type"] == "index-pattern"
    setup = load_yaml(COMPOSE_DEPS)["services"]["kibana-setup"]
    assert "./kibana/saved-objects.ndjson:/kibana/saved-objects.ndjson:ro" in setup["volumes"]
    assert "/api/saved_objects/_import" in " ".join(setup["command"])
