"""What a service is to the framework: a typed handler per proto method, and the call context."""

from __future__ import annotations

import inspect
import os
import re
import time
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from google.protobuf.message import Message

from internal.common import tracing
from internal.common.contract import ContractError, ServiceContract, Topic
from internal.common.errors import DeadlineExceeded, PermissionDenied, Unauthenticated

# The transports every service method is reachable over; a caller picks one per call.
TRANSPORTS = ("rest", "grpc", "events")

# Metadata keys carried on every hop: HTTP headers, gRPC metadata, Kafka headers. Identity travels only as a
# signed bearer token in `authorization`, verified by every process (never as a bare user-id header).
REQUEST_ID = "x-request-id"
AUTHORIZATION = "authorization"
DEADLINE = "x-deadline-ms"  # absolute, Unix epoch milliseconds
# A client's key for one logical call with side effects: retried with the same key, it is applied once.
IDEMPOTENCY_KEY = "idempotency-key"
PROPAGATED = (REQUEST_ID, AUTHORIZATION, DEADLINE, IDEMPOTENCY_KEY, "traceparent", "tracestate")


def new_request_id() -> str:
    """32 random hex digits (what uuid4().hex gives, at a quarter of its cost: one per call at the edge)."""
    return os.urandom(16).hex()


@dataclass(frozen=True)
class CallContext:
    """Who is calling, over what, until when; built by the transport adapter that received the call."""

    transport: str
    request_id: str = field(default_factory=lambda: new_request_id())
    deadline: float | None = None  # Unix epoch seconds
    user_id: str = ""
    username: str = ""
    trace_headers: Mapping[str, str] = field(default_factory=dict)
    # The bearer token this call carries; identity fields are set only once a middleware verified it.
    credentials: str = ""
    # Travels one hop only: the service that applies the call consumes it (its own calls carry none).
    idempotency_key: str = ""
    # The process that made this call ("" when a user called directly with their access token).
    caller: str = ""
    session_id: str = ""
    # The network address the call came from, at the public edge (for limits per client).
    client_address: str = ""

    @classmethod
    def from_metadata(cls, transport: str, metadata: Mapping[str, str], timeout: float | None = None) -> CallContext:
        deadline: float | None = None
        raw_deadline = metadata.get(DEADLINE, "")
        if raw_deadline.isdigit():
            deadline = int(raw_deadline) / 1000
        if timeout is not None:
            deadline = min(deadline or float("inf"), time.time() + timeout)
        return cls(
            transport=transport,
            request_id=metadata.get(REQUEST_ID) or new_request_id(),
            deadline=deadline,
            trace_headers={k: metadata[k] for k in ("traceparent", "tracestate") if k in metadata},
            credentials=bearer(metadata.get(AUTHORIZATION, "")),
            idempotency_key=metadata.get(IDEMPOTENCY_KEY, ""),
        )

    def evolve(self, **changes: Any) -> CallContext:
        """This context with some fields changed: `dataclasses.replace` at a quarter of its cost (several times a
        hop), by copying the fields rather than running `__init__` again."""
        if not changes.keys() <= _FIELDS:
            raise TypeError(f"CallContext has no field {sorted(changes.keys() - _FIELDS)}")
        evolved = object.__new__(CallContext)
        evolved.__dict__.update(self.__dict__)
        evolved.__dict__.update(changes)
        return evolved

    def to_metadata(self) -> dict[str, str]:
        """The metadata of an outgoing call made on behalf of this one (trace context injected)."""
        meta = {REQUEST_ID: self.request_id}
        if self.credentials:
            meta[AUTHORIZATION] = f"Bearer {self.credentials}"
        if self.deadline is not None:
            meta[DEADLINE] = str(int(self.deadline * 1000))
        if self.idempotency_key:
            meta[IDEMPOTENCY_KEY] = self.idempotency_key
        tracing.inject(meta)
        return meta

    def with_timeout(self, seconds: float) -> CallContext:
        """This context with the deadline tightened to at most `seconds` from now."""
        deadline = time.time() + seconds
        if self.deadline is not None:
            deadline = min(deadline, self.deadline)
        return self.evolve(deadline=deadline)

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.time()

    def check_deadline(self) -> None:
        remaining = self.remaining()
        if remaining is not None and remaining <= 0:
            raise DeadlineExceeded("the call's deadline passed before it could be served")

    def require_user(self) -> str:
        if not self.user_id:
            raise Unauthenticated("this call needs an authenticated user")
        return self.user_id

    def require_caller(self, *processes: str) -> str:
        """The calling process, which must be one of `processes`; users may not make this call themselves."""
        if self.caller not in processes:
            raise PermissionDenied("this method is only for " + ", ".join(processes))
        return self.caller


_FIELDS = frozenset(f.name for f in fields(CallContext))


def bearer(value: str) -> str:
    """The token of an `Authorization: Bearer <token>` value, or ""."""
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


# The shape of every step of the call pipeline: a proto message in, a proto message out.
Handler = Callable[[Any, CallContext], Awaitable[Any]]
EventHandler = Callable[[Any, CallContext], Awaitable[None]]
Hook = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """A pub/sub domain event topic this service consumes, e.g. pictures consumes `user.deleted`."""

    topic: str
    handler: EventHandler


@dataclass
class ServiceSpec:
    """A process as the framework serves it.

    `implementation` serves the process's proto service (if api.yml has one of its name): one method per
    rpc, named in snake_case (`GetPicture` → `get_picture(request, ctx)`), checked against the proto types
    at start-up. `middlewares` are added to the framework's own around every call this process serves.
    """

    implementation: object | None = None
    subscriptions: list[Subscription] = field(default_factory=list)
    on_start: list[Hook] = field(default_factory=list)
    on_stop: list[Hook] = field(default_factory=list)
    # Services whose readiness this process's /readyz includes.
    depends_on: Sequence[str] = ()
    # Extra edge pieces (a gateway's); see internal.common.rest.public.
    edge: Any = None


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def bind_handlers(contract: ServiceContract, implementation: object) -> dict[str, Handler]:
    """One handler per proto method of `contract`, typed as the proto says, or a readable ContractError."""
    handlers: dict[str, Handler] = {}
    problems: list[str] = []
    owner = type(implementation).__name__
    for name, binding in contract.methods.items():
        attribute = snake_case(name)
        wanted = (f"async def {attribute}(self, request: {binding.request_type.DESCRIPTOR.name}, ctx: CallContext) -> "
                  f"{binding.response_type.DESCRIPTOR.name}")
        handler = getattr(implementation, attribute, None)
        if handler is None or not inspect.iscoroutinefunction(handler):
            problems.append(f"{owner} has no `{wanted}` for {contract.name}.{name}")
            continue
        problem = _check_signature(handler, binding.request_type, binding.response_type)
        if problem:
            problems.append(f"{owner}.{attribute}: {problem}; expected `{wanted}`")
            continue
        handlers[name] = handler
    if problems:
        raise ContractError(f"{contract.name} does not implement its proto:\n  " + "\n  ".join(problems))
    return handlers


def check_subscription(topic: Topic, subscription: Subscription) -> None:
    problem = _check_signature(subscription.handler, topic.message_type, None)
    if problem:
        raise ContractError(f"the {topic.name} subscriber {subscription.handler.__qualname__}: {problem}")


def _check_signature(handler: Callable[..., Any], request: type[Message], response: type[Message] | None) -> str:
    try:
        hints = typing.get_type_hints(handler)
    except Exception as exc:  # an annotation that names something that does not exist
        return f"its type hints cannot be resolved ({exc})"
    parameters = [p for p in inspect.signature(handler).parameters.values() if p.name != "self"]
    if len(parameters) != 2:
        return "it must take (request, ctx)"
    got = hints.get(parameters[0].name)
    if _full_name(got) != request.DESCRIPTOR.full_name:
        return f"its request is typed {getattr(got, '__name__', got)}, the proto says {request.DESCRIPTOR.full_name}"
    returned = hints.get("return")
    if response is None:
        if returned not in (None, type(None)):
            return "an event subscriber returns None"
    elif _full_name(returned) != response.DESCRIPTOR.full_name:
        return f"it returns {getattr(returned, '__name__', returned)}, the proto says {response.DESCRIPTOR.full_name}"
    return ""


def _full_name(annotation: Any) -> str:
    descriptor = getattr(annotation, "DESCRIPTOR", None)
    return str(getattr(descriptor, "full_name", ""))
