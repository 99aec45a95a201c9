"""The one error model of every transport: a gRPC status code and a human message."""

from __future__ import annotations

import enum
from typing import Any


class Code(enum.Enum):
    """A code of the gRPC status set and the HTTP status it maps to."""

    INVALID_ARGUMENT = 400
    UNAUTHENTICATED = 401
    PERMISSION_DENIED = 403
    NOT_FOUND = 404
    ALREADY_EXISTS = 409
    PAYLOAD_TOO_LARGE = 413
    RESOURCE_EXHAUSTED = 429
    INTERNAL = 500
    UNAVAILABLE = 503
    DEADLINE_EXCEEDED = 504

    @property
    def http_status(self) -> int:
        return self.value

    @property
    def grpc_name(self) -> str:
        # gRPC has no "too large" code: it is RESOURCE_EXHAUSTED on the wire there.
        return "RESOURCE_EXHAUSTED" if self is Code.PAYLOAD_TOO_LARGE else self.name

    @property
    def wire_name(self) -> str:
        return self.grpc_name


class TridentError(Exception):
    code: Code = Code.INTERNAL

    def __init__(self, message: str, code: Code | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code.wire_name, "message": self.message}}

    @classmethod
    def from_dict(cls, body: Any, fallback_status: int = 500) -> TridentError:
        """Rebuild an error from `{"error": {"code", "message"}}`, as sent by another process."""
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            return from_code(str(error.get("code", "")), str(error.get("message", "")), fallback_status)
        return from_http_status(fallback_status, "unexpected error response")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.name}: {self.message!r})"


class InvalidArgument(TridentError):
    code = Code.INVALID_ARGUMENT


class Unauthenticated(TridentError):
    code = Code.UNAUTHENTICATED


class PermissionDenied(TridentError):
    code = Code.PERMISSION_DENIED


class NotFound(TridentError):
    code = Code.NOT_FOUND


class AlreadyExists(TridentError):
    code = Code.ALREADY_EXISTS


class PayloadTooLarge(TridentError):
    """RESOURCE_EXHAUSTED on gRPC and Kafka, 413 over HTTP."""

    code = Code.PAYLOAD_TOO_LARGE


class ResourceExhausted(TridentError):
    code = Code.RESOURCE_EXHAUSTED


class Internal(TridentError):
    code = Code.INTERNAL


class Unavailable(TridentError):
    code = Code.UNAVAILABLE


class DeadlineExceeded(TridentError):
    code = Code.DEADLINE_EXCEEDED


_BY_CODE: dict[Code, type[TridentError]] = {
    cls.code: cls
    for cls in (
        InvalidArgument, Unauthenticated, PermissionDenied, NotFound, AlreadyExists, PayloadTooLarge,
        ResourceExhausted, Internal, Unavailable, DeadlineExceeded,
    )
}

TOO_LARGE_PREFIX = "too large: "


def from_code(name: str, message: str, fallback_status: int = 500) -> TridentError:
    """The error for a wire code name; RESOURCE_EXHAUSTED carrying a size message is 413 again."""
    if name == "RESOURCE_EXHAUSTED" and message.startswith(TOO_LARGE_PREFIX):
        return PayloadTooLarge(message)
    try:
        code = Code[name]
    except KeyError:
        return from_http_status(fallback_status, message or "unexpected error")
    return _BY_CODE[code](message)


def from_http_status(status: int, message: str) -> TridentError:
    for code, cls in _BY_CODE.items():
        if code.http_status == status:
            return cls(message)
    if status == 405 or 400 <= status < 500:
        return InvalidArgument(message)
    return Internal(message)


def too_large(message: str) -> PayloadTooLarge:
    """A 413 whose message survives a trip through gRPC's RESOURCE_EXHAUSTED and back."""
    return PayloadTooLarge(TOO_LARGE_PREFIX + message)
