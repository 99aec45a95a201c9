"""A small evaluator of Kubernetes NetworkPolicy semantics, so the tests can ask "may pod A open a
connection to pod B on port P?" of the rendered manifests instead of comparing YAML by shape.

It follows the networking.k8s.io/v1 rules: a pod selected by no policy of a direction is open in that
direction; once selected, only what some rule of a selecting policy allows gets through; a connection
needs both the caller's egress and the callee's ingress. A peer without a namespaceSelector means the
policy's own namespace. ipBlock peers are not modelled (the policies use none, and a test checks it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: Mapping[str, str]
    ports: Mapping[str, int] = field(default_factory=dict)  # named container ports


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        present = key in labels
        if operator == "In":
            ok = present and labels[key] in values
        elif operator == "NotIn":
            ok = not present or labels[key] not in values
        elif operator == "Exists":
            ok = present
        elif operator == "DoesNotExist":
            ok = not present
        else:
            raise ValueError(f"unknown selector operator {operator}")
        if not ok:
            return False
    return True


def peer_matches(peer: Mapping[str, Any], policy_namespace: str, pod: Pod) -> bool:
    if "ipBlock" in peer:
        raise ValueError("ipBlock peers are not modelled")
    namespace_selector = peer.get("namespaceSelector")
    if namespace_selector is None:
        in_namespace = pod.namespace == policy_namespace
    else:
        in_namespace = selects(namespace_selector, {NAMESPACE_NAME_LABEL: pod.namespace})
    pod_selector = peer.get("podSelector")
    return in_namespace and (pod_selector is None or selects(pod_selector, pod.labels))


def port_matches(ports: Iterable[Mapping[str, Any]] | None, destination: Pod, port: int, protocol: str) -> bool:
    ports = list(ports or [])
    if not ports:
        return True
    for entry in ports:
        if entry.get("protocol", "TCP") != protocol:
            continue
        if "port" not in entry:
            return True
        value = entry["port"]
        # A named port is looked up on the destination pod, in both directions.
        number = destination.ports.get(value) if isinstance(value, str) else int(value)
        if number is not None and number <= port <= int(entry.get("endPort", number)):
            return True
    return False


def policy_types(policy: Mapping[str, Any]) -> list[str]:
    spec = policy["spec"]
    if "policyTypes" in spec:
        return list(spec["policyTypes"])
    return ["Ingress", *(["Egress"] if "egress" in spec else [])]


class Network:
    def __init__(self, policies: Iterable[Mapping[str, Any]]) -> None:
        self.policies = [p for p in policies if p["kind"] == "NetworkPolicy"]

    def selecting(self, pod: Pod, direction: str) -> list[Mapping[str, Any]]:
        return [
            p for p in self.policies
            if p["metadata"]["namespace"] == pod.namespace
            and direction in policy_types(p)
            and selects(p["spec"]["podSelector"], pod.labels)
        ]

    def ingress_allows(self, source: Pod, destination: Pod, port: int, protocol: str) -> bool:
        policies = self.selecting(destination, "Ingress")
        if not policies:
            return True
        for policy in policies:
            for rule in policy["spec"].get("ingress") or []:
                peers = rule.get("from") or []
                namespace = policy["metadata"]["namespace"]
                if (not peers or any(peer_matches(p, namespace, source) for p in peers)) and port_matches(
                        rule.get("ports"), destination, port, protocol):
                    return True
        return False

    def egress_allows(self, source: Pod, destination: Pod, port: int, protocol: str) -> bool:
        policies = self.selecting(source, "Egress")
        if not policies:
            return True
        for policy in policies:
            for rule in policy["spec"].get("egress") or []:
                peers = rule.get("to") or []
                namespace = policy["metadata"]["namespace"]
                if (not peers or any(peer_matches(p, namespace, destination) for p in peers)) and port_matches(
                        rule.get("ports"), destination, port, protocol):
                    return True
        return False

    def allows(self, source: Pod, destination: Pod, port: int, protocol: str = "TCP") -> bool:
        return self.egress_allows(source, destination, port, protocol) and self.ingress_allows(
            source, destination, port, protocol)
