"""What a service is to the framework: typed handlers per proto method, and the call context."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from google.protobuf.message import Message

from internal.common import tracing
from internal.common.errors import DeadlineExceeded, Unauthenticated

# Metadata keys carried on every hop: HTTP headers, gRPC metadata, Kafka headers.
REQUEST_ID = "x-request-id"
USER_ID = "x-user-id"
USERNAME = "x-username"
DEADLINE = "x-deadline-ms"  # absolute, Unix epoch milliseconds
PROPAGATED = (REQUEST_ID, USER_ID, USERNAME, DEADLINE, "traceparent", "tracestate")


@dataclass(frozen=True)
class CallContext:
    """Who is calling, over what, until when; built by the transport adapter that received the call."""

    transport: str
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    deadline: float | None = None  # Unix epoch seconds
    user_id: str = ""
    username: str = ""
    trace_headers: Mapping[str, str] = field(default_factory=dict)

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
            request_id=metadata.get(REQUEST_ID) or uuid.uuid4().hex,
            deadline=deadline,
            user_id=metadata.get(USER_ID, ""),
            username=metadata.get(USERNAME, ""),
            trace_headers={k: metadata[k] for k in ("traceparent", "tracestate") if k in metadata},
        )

    def to_metadata(self) -> dict[str, str]:
        """The metadata of an outgoing call made on behalf of this one (trace context injected)."""
        meta = {REQUEST_ID: self.request_id}
        if self.user_id:
            meta[USER_ID] = self.user_id
            meta[USERNAME] = self.username
        if self.deadline is not None:
            meta[DEADLINE] = str(int(self.deadline * 1000))
        tracing.inject(meta)
        return meta

    def with_timeout(self, seconds: float) -> CallContext:
        """This context with the deadline tightened to at most `seconds` from now."""
        deadline = time.time() + seconds
        if self.deadline is not None:
            deadline = min(deadline, self.deadline)
        return replace(self, deadline=deadline)

    def with_transport(self, transport: str) -> CallContext:
        return replace(self, transport=transport)

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


Handler = Callable[[Any, CallContext], Awaitable[Message]]
EventHandler = Callable[[Any, CallContext], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """A pub/sub domain event this service consumes (e.g. pictures consumes `user.deleted`)."""

    topic: str
    message_type: type[Message]
    handler: EventHandler


@dataclass
class ServiceSpec:
    """A service as the framework serves it: one handler per proto method, plus lifecycle hooks."""

    name: str
    handlers: Mapping[str, Handler]
    subscriptions: list[Subscription] = field(default_factory=list)
    on_start: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
