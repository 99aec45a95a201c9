"""The contract: proto services (api/proto) bound to REST routes and event names (configs/api.yml)."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import DecodeError, Message

from internal.common.errors import InvalidArgument

# Importing the generated modules registers their descriptors in the default pool.
PROTO_MODULES = ("api.gen.users_pb2", "api.gen.auth_pb2", "api.gen.pictures_pb2", "api.gen.analytics_pb2")

_PATH_PARAM = re.compile(r"{(\w+)}")


class ContractError(Exception):
    """api.yml and the proto disagree; the process must not start."""


@dataclass(frozen=True)
class MethodBinding:
    service: str
    name: str  # the proto method name, e.g. "GetPicture"
    full_path: str  # the gRPC path, "/trident.pictures.v1.Pictures/GetPicture"
    request_type: type[Message]
    response_type: type[Message]
    http_method: str
    url: str
    success_status: int
    event: str

    @property
    def path_params(self) -> list[str]:
        return _PATH_PARAM.findall(self.url)

    @property
    def idempotent(self) -> bool:
        return self.http_method == "GET"


@dataclass(frozen=True)
class ServiceContract:
    name: str
    descriptor: ServiceDescriptor
    methods: dict[str, MethodBinding]

    @property
    def topic(self) -> str:
        return self.name

    def method(self, name: str) -> MethodBinding:
        try:
            return self.methods[name]
        except KeyError:
            raise ContractError(f"{self.name} has no method {name}") from None

    def by_event(self, event: str) -> MethodBinding | None:
        for binding in self.methods.values():
            if binding.event == event:
                return binding
        return None


def _lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


class Contract:
    def __init__(self, services: dict[str, ServiceContract]) -> None:
        self.services = services

    def service(self, name: str) -> ServiceContract:
        try:
            return self.services[name]
        except KeyError:
            raise ContractError(f"no service {name!r} in api.yml") from None

    @classmethod
    def load(cls, api_yml: Path) -> Contract:
        for module in PROTO_MODULES:
            importlib.import_module(module)
        raw = yaml.safe_load(api_yml.read_text())
        if not isinstance(raw, dict):
            raise ContractError(f"{api_yml}: expected a mapping of services")
        pool = descriptor_pool.Default()
        services: dict[str, ServiceContract] = {}
        for service, spec in raw.items():
            try:
                descriptor = pool.FindServiceByName(spec["proto"])
            except KeyError as exc:
                raise ContractError(f"{service}: proto service {spec.get('proto')!r} not found") from exc
            services[service] = _bind(service, descriptor, spec.get("rest") or {}, spec.get("events") or {})
        return cls(services)


def _bind(service: str, descriptor: ServiceDescriptor, rest: dict[str, Any], events: dict[str, Any]) -> ServiceContract:
    proto_methods = {_lower_camel(m.name): m for m in descriptor.methods}
    problems: list[str] = []
    for section, table in (("rest", rest), ("events", events)):
        for key in sorted(set(proto_methods) - set(table)):
            problems.append(f"{service}.{section}.{key} is missing (the proto has {proto_methods[key].name})")
        for key in sorted(set(table) - set(proto_methods)):
            problems.append(f"{service}.{section}.{key} is not a method of {descriptor.full_name}")
    methods: dict[str, MethodBinding] = {}
    seen_events: set[str] = set()
    for key, method in proto_methods.items():
        if key not in rest or key not in events:
            continue
        binding = _method(service, descriptor, method, rest[key], events[key])
        fields = {f.name for f in method.input_type.fields}
        for param in binding.path_params:
            if param not in fields:
                problems.append(f"{service}.rest.{key}: path parameter {{{param}}} is not a field of {method.input_type.name}")
        if binding.event in seen_events:
            problems.append(f"{service}.events.{key}: event {binding.event!r} is bound twice")
        seen_events.add(binding.event)
        methods[method.name] = binding
    if problems:
        raise ContractError("configs/api.yml disagrees with the proto:\n  " + "\n  ".join(problems))
    return ServiceContract(service, descriptor, methods)


def _method(service: str, descriptor: ServiceDescriptor, method: MethodDescriptor, rest: dict[str, Any], event: dict[str, Any]) -> MethodBinding:
    return MethodBinding(
        service=service,
        name=method.name,
        full_path=f"/{descriptor.full_name}/{method.name}",
        request_type=message_factory.GetMessageClass(method.input_type),
        response_type=message_factory.GetMessageClass(method.output_type),
        http_method=str(rest["method"]).upper(),
        url=str(rest["url"]),
        success_status=int(rest.get("status", 200)),
        event=str(event["event"]),
    )


def from_json(message_type: type[Message], data: Any) -> Message:
    """A proto message from parsed JSON, or INVALID_ARGUMENT naming what is wrong."""
    if not isinstance(data, dict):
        raise InvalidArgument("request body must be a JSON object")
    descriptor = message_type.DESCRIPTOR
    for key, value in data.items():
        field = descriptor.fields_by_name.get(key) or descriptor.fields_by_camelcase_name.get(key)
        if field is None:
            raise InvalidArgument(f"unknown field {key!r}; expected one of: {', '.join(f.name for f in descriptor.fields)}")
        if field.type == field.TYPE_BYTES and isinstance(value, str) and not _is_base64(value):
            raise InvalidArgument(f"{field.name} is not valid base64")
    try:
        return json_format.ParseDict(data, message_type(), ignore_unknown_fields=False)
    except json_format.ParseError as exc:
        raise InvalidArgument(_parse_error_message(str(exc))) from None


def from_bytes(message_type: type[Message], data: bytes) -> Message:
    try:
        return message_type.FromString(data)
    except DecodeError as exc:
        raise InvalidArgument(f"malformed protobuf payload: {exc}") from None


def to_json(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def _is_base64(text: str) -> bool:
    compact = "".join(text.split())
    alphabet = _URLSAFE_B64 if ("-" in compact or "_" in compact) else _STD_B64
    return alphabet.fullmatch(compact) is not None and len(compact.rstrip("=")) % 4 != 1


_STD_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_URLSAFE_B64 = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def _parse_error_message(text: str) -> str:
    # json_format says e.g. 'Failed to parse base64 field: Incorrect padding.' or
    # 'Message type "x" has no field named "y" at "X".'
    match = re.match(r"Failed to parse (\w+) field: (.*)", text, re.S)
    if match:
        return f"invalid {match.group(1)}: {match.group(2).strip().rstrip('.')}"[:300]
    return text.strip()[:300]
