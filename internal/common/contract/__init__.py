"""The contract: proto services bound to REST routes, event names, domain topics and public routes (api.yml).

The application imports its generated proto modules before loading the contract: the framework reads
the descriptors from protobuf's default pool and knows no application's messages itself.
"""

from __future__ import annotations

import binascii
import re
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.descriptor_pb2 import MethodOptions
from google.protobuf.message import DecodeError, Message

from internal.common.contract.protojson import message_to_dict
from internal.common.contract.schema import is_map
from internal.common.errors import InvalidArgument

_PATH_PARAM = re.compile(r"{(\w+)}")
_RETRYABLE = (MethodOptions.NO_SIDE_EFFECTS, MethodOptions.IDEMPOTENT)


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
    # From the proto's `option idempotency_level`: whether a failed attempt may be retried.
    idempotent: bool

    @property
    def path_params(self) -> list[str]:
        return _PATH_PARAM.findall(self.url)

    @property
    def has_body(self) -> bool:
        return self.http_method in ("POST", "PUT", "PATCH")


@dataclass(frozen=True)
class ServiceContract:
    name: str
    descriptor: ServiceDescriptor
    methods: dict[str, MethodBinding]
    events: dict[str, MethodBinding] = field(default_factory=dict)

    @property
    def topic(self) -> str:
        return self.name

    def method(self, name: str) -> MethodBinding:
        try:
            return self.methods[name]
        except KeyError:
            raise ContractError(f"{self.name} has no method {name}") from None

    def by_event(self, event: str) -> MethodBinding | None:
        return self.events.get(event)


@dataclass(frozen=True)
class Topic:
    """A pub/sub domain event topic and the one message type it carries."""

    name: str
    message_type: type[Message]
    # The processes allowed to publish it (their internal token names them).
    publishers: tuple[str, ...] = ()
    # "user" or "session": its messages end every token of the `user_id` / `session_id` they name.
    revokes: str = ""
    # The services that consume it in a consumer group of their own.
    subscribers: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublicRoute:
    """A route of the public edge, `/{transport}<path>`, forwarded to one service method."""

    name: str
    http_method: str
    path: str
    target: MethodBinding
    status: int
    auth: bool
    summary: str
    # The request field filled with the authenticated caller's id (e.g. `GET /me` → GetUser{id}).
    identity_field: str = ""
    # The name of an application renderer for a non-JSON answer (e.g. image bytes); "" is JSON.
    render: str = ""

    @property
    def path_params(self) -> list[str]:
        return _PATH_PARAM.findall(self.path)

    @property
    def has_body(self) -> bool:
        return self.http_method in ("POST", "PUT", "PATCH")


@dataclass(frozen=True)
class Contract:
    services: dict[str, ServiceContract]
    topics: dict[str, Topic]
    public: dict[str, PublicRoute]

    def service(self, name: str) -> ServiceContract:
        try:
            return self.services[name]
        except KeyError:
            raise ContractError(f"no service {name!r} in api.yml") from None

    def topic(self, name: str) -> Topic:
        try:
            return self.topics[name]
        except KeyError:
            raise ContractError(f"no domain topic {name!r} in api.yml") from None

    @classmethod
    def load(cls, api_yml: Path) -> Contract:
        raw = yaml.safe_load(api_yml.read_text())
        if not isinstance(raw, dict) or not isinstance(raw.get("services"), dict):
            raise ContractError(f"{api_yml}: expected a mapping with `services`")
        pool = descriptor_pool.Default()
        services: dict[str, ServiceContract] = {}
        for service, spec in raw["services"].items():
            try:
                descriptor = pool.FindServiceByName(spec["proto"])
            except KeyError as exc:
                raise ContractError(f"{service}: proto service {spec.get('proto')!r} not found") from exc
            services[service] = _bind(service, descriptor, spec.get("rest") or {}, spec.get("events") or {})
        topics: dict[str, Topic] = {}
        for name, spec in (raw.get("topics") or {}).items():
            try:
                message = pool.FindMessageTypeByName(spec["message"])
            except KeyError as exc:
                raise ContractError(f"topics.{name}: message {spec.get('message')!r} not found") from exc
            revokes = str(spec.get("revokes", ""))
            field = {"user": "user_id", "session": "session_id", "": ""}.get(revokes)
            if field is None or (field and field not in {f.name for f in message.fields}):
                raise ContractError(f"topics.{name}: `revokes: {revokes}` needs a {field or 'user or session'} field")
            topics[name] = Topic(name, message_factory.GetMessageClass(message),
                                 tuple(str(p) for p in spec.get("publishers") or ()), revokes,
                                 tuple(str(s) for s in spec.get("subscribers") or ()))
        public = {name: _public_route(name, spec, services) for name, spec in (raw.get("public") or {}).items()}
        return cls(services, topics, public)


def _lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _bind(service: str, descriptor: ServiceDescriptor, rest: dict[str, Any], events: dict[str, Any]) -> ServiceContract:
    proto_methods = {_lower_camel(m.name): m for m in descriptor.methods}
    problems: list[str] = []
    for section, table in (("rest", rest), ("events", events)):
        for key in sorted(set(proto_methods) - set(table)):
            problems.append(f"{service}.{section}.{key} is missing (the proto has {proto_methods[key].name})")
        for key in sorted(set(table) - set(proto_methods)):
            problems.append(f"{service}.{section}.{key} is not a method of {descriptor.full_name}")
    methods: dict[str, MethodBinding] = {}
    by_event: dict[str, MethodBinding] = {}
    for key, method in proto_methods.items():
        if key not in rest or key not in events:
            continue
        binding = _method(service, descriptor, method, rest[key], events[key])
        fields = {f.name for f in method.input_type.fields}
        for param in binding.path_params:
            if param not in fields:
                problems.append(f"{service}.rest.{key}: path parameter {{{param}}} is not a field of "
                                f"{method.input_type.name}")
        if binding.event in by_event:
            problems.append(f"{service}.events.{key}: event {binding.event!r} is bound twice")
        by_event[binding.event] = binding
        methods[method.name] = binding
    if problems:
        raise ContractError("configs/api.yml disagrees with the proto:\n  " + "\n  ".join(problems))
    return ServiceContract(service, descriptor, methods, by_event)


def _method(service: str, descriptor: ServiceDescriptor, method: MethodDescriptor, rest: dict[str, Any],
            event: dict[str, Any]) -> MethodBinding:
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
        idempotent=method.GetOptions().idempotency_level in _RETRYABLE,
    )


def _public_route(name: str, spec: dict[str, Any], services: dict[str, ServiceContract]) -> PublicRoute:
    where = f"public.{name}"
    service, _, method_key = str(spec.get("call", "")).partition(".")
    if service not in services:
        raise ContractError(f"{where}: `call` must name a service method as service.method, got {spec.get('call')!r}")
    target = next((b for b in services[service].methods.values() if _lower_camel(b.name) == method_key), None)
    if target is None:
        raise ContractError(f"{where}: {service} has no method {method_key!r}")
    route = PublicRoute(
        name=name, http_method=str(spec["method"]).upper(), path=str(spec["path"]), target=target,
        status=int(spec.get("status", target.success_status)), auth=bool(spec.get("auth", False)),
        summary=str(spec.get("summary", name)), identity_field=str(spec.get("identity", "")),
        render=str(spec.get("render", "")),
    )
    fields = {f.name for f in target.request_type.DESCRIPTOR.fields}
    for param in (*route.path_params, *([route.identity_field] if route.identity_field else [])):
        if param not in fields:
            raise ContractError(f"{where}: {param!r} is not a field of {target.request_type.DESCRIPTOR.name}")
    if route.identity_field and not route.auth:
        raise ContractError(f"{where}: `identity` needs `auth: true`")
    return route


def from_json(message_type: type[Message], data: Any) -> Message:
    """A proto message from parsed JSON, or INVALID_ARGUMENT naming what is wrong."""
    if not isinstance(data, dict):
        raise InvalidArgument("request body must be a JSON object")
    descriptor = message_type.DESCRIPTOR
    # Top-level bytes fields are decoded here, straight from the JSON string: json_format copies a base64
    # string three times over before decoding it (encode, pad, translate), a 5 MiB picture ~20 MiB at once.
    encoded: dict[str, str] = {}
    texts: dict[str, str] | None = {}  # while every field is a singular string given as a string
    for key, value in data.items():
        field_ = descriptor.fields_by_name.get(key) or descriptor.fields_by_camelcase_name.get(key)
        if field_ is None:
            raise InvalidArgument(
                f"unknown field {key!r}; expected one of: {', '.join(f.name for f in descriptor.fields)}")
        if texts is not None:
            if field_.type == field_.TYPE_STRING and not field_.is_repeated and isinstance(value, str):
                texts[field_.name] = value
            else:
                texts = None
        if field_.type == field_.TYPE_BYTES and isinstance(value, str):
            if not _is_base64(value):
                raise InvalidArgument(f"{field_.name} is not valid base64")
            if not field_.is_repeated:
                encoded[key] = value
    if texts is not None:
        # Only strings (e.g. the ids of a path): what ParseDict would set, without its walk over the fields.
        # Text it would refuse (a lone surrogate) is left to it, for its error.
        with suppress(ValueError):
            return message_type(**texts)
    rest = {k: v for k, v in data.items() if k not in encoded} if encoded else data
    try:
        message = json_format.ParseDict(rest, message_type(), ignore_unknown_fields=False)
    except json_format.ParseError as exc:
        raise InvalidArgument(_parse_error_message(str(exc))) from None
    for key, text in encoded.items():
        field_ = descriptor.fields_by_name.get(key) or descriptor.fields_by_camelcase_name[key]
        setattr(message, field_.name, _decode_base64(text))
    return message


def _decode_base64(text: str) -> bytes:
    """Standard or URL-safe base64, padding optional, whitespace ignored (as proto3 JSON reads it), decoded
    from the string's own buffer: binascii reads an ASCII str in place."""
    if not text.isascii() or any(c in text for c in _ASCII_WHITESPACE):
        text = "".join(text.split())  # what _is_base64 checked; a copy, but only for text with whitespace
    if "-" in text or "_" in text:
        text = text.translate(_URLSAFE_TO_STD)
    missing = -len(text) % 4
    try:
        return binascii.a2b_base64(text + "=" * missing if missing else text)
    except (binascii.Error, ValueError):
        raise InvalidArgument("invalid base64") from None


def from_bytes(message_type: type[Message], data: bytes | bytearray) -> Message:
    try:
        # The C implementation reads any buffer; the stubs say bytes.
        return message_type.FromString(data)  # type: ignore[arg-type]
    except DecodeError as exc:
        raise InvalidArgument(f"malformed protobuf payload: {exc}") from None


def to_json(message: Message) -> dict[str, Any]:
    """Proto3 JSON with proto field names; empty lists of the message itself are `[]`, not missing."""
    data: dict[str, Any] = message_to_dict(message)
    for name in _lists_of(message.DESCRIPTOR):
        data.setdefault(name, [])
    return data


_lists: dict[Any, tuple[str, ...]] = {}  # by message descriptor: its repeated fields that are not maps


def _lists_of(descriptor: Any) -> tuple[str, ...]:
    names = _lists.get(descriptor)
    if names is None:
        names = _lists[descriptor] = tuple(f.name for f in descriptor.fields if f.is_repeated and not is_map(f))
    return names


def _is_base64(text: str) -> bool:
    compact = "".join(text.split())
    alphabet = _URLSAFE_B64 if ("-" in compact or "_" in compact) else _STD_B64
    return alphabet.fullmatch(compact) is not None and len(compact.rstrip("=")) % 4 != 1


_URLSAFE_TO_STD = str.maketrans("-_", "+/")
_ASCII_WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"  # what str.split() splits on, below 128
_STD_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_URLSAFE_B64 = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def _parse_error_message(text: str) -> str:
    # json_format says e.g. 'Failed to parse base64 field: Incorrect padding.' or
    # 'Message type "x" has no field named "y" at "X".'
    match = re.match(r"Failed to parse (\w+) field: (.*)", text, re.S)
    if match:
        return f"invalid {match.group(1)}: {match.group(2).strip().rstrip('.')}"[:300]
    return text.strip()[:300]
