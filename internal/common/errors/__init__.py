"""The one error model of every transport: a gRPC status code, a human message, an optional reason."""

from __future__ import annotations

import enum
from typing import Any


class Code(enum.Enum):
    """The gRPC status codes the system uses; the value is the HTTP status each maps to."""

    INVALID_ARGUMENT = 400
    UNAUTHENTICATED = 401
    PERMISSION_DENIED = 403
    NOT_FOUND = 404
    ALREADY_EXISTS = 409
    RESOURCE_EXHAUSTED = 429
    INTERNAL = 500
    UNAVAILABLE = 503
    DEADLINE_EXCEEDED = 504

    @property
    def is_server_fault(self) -> bool:
        """Whether this outcome is the system's fault rather than the caller's (what deserves a warning)."""
        return self in (Code.INTERNAL, Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED)


# A structured reason refines a code, as google.rpc.ErrorInfo does; the HTTP edge maps some to their own status.
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
_HTTP_BY_REASON = {PAYLOAD_TOO_LARGE: 413, METHOD_NOT_ALLOWED: 405}


class TridentError(Exception):
    code: Code = Code.INTERNAL
    reason: str = ""
    # Seconds after which trying again makes sense (overload, rate limits): `Retry-After` over HTTP.
    retry_after: int | None = None

    def __init__(self, message: str, code: Code | None = None, reason: str | None = None,
                 retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if reason is not None:
            self.reason = reason
        if retry_after is not None:
            self.retry_after = retry_after

    @property
    def http_status(self) -> int:
        return _HTTP_BY_REASON.get(self.reason, self.code.value)

    def to_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code.name, "message": self.message}
        if self.reason:
            error["reason"] = self.reason
        if self.retry_after is not None:
            error["retry_after"] = self.retry_after
        return {"error": error}

    @classmethod
    def from_dict(cls, body: Any, fallback_status: int = 500) -> TridentError:
        """Rebuild an error from `{"error": {"code", "message", "reason"?}}`, as sent by another process."""
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            rebuilt = from_code(str(error.get("code", "")), str(error.get("message", "")),
                                str(error.get("reason", "")), fallback_status)
            retry_after = error.get("retry_after")
            if isinstance(retry_after, int):
                rebuilt.retry_after = retry_after
            return rebuilt
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
    for cls in (InvalidArgument, Unauthenticated, PermissionDenied, NotFound, AlreadyExists, ResourceExhausted, Internal, Unavailable,
                DeadlineExceeded)
}


def from_code(name: str, message: str, reason: str = "", fallback_status: int = 500) -> TridentError:
    """The error for a code name as it travels on the wire."""
    try:
        code = Code[name]
    except KeyError:
        return from_http_status(fallback_status, message or "unexpected error")
    return _BY_CODE.get(code, TridentError)(message, code=code, reason=reason or None)


def from_http_status(status: int, message: str) -> TridentError:
    if status == 413:
        return too_large(message)
    for code in Code:
        if code.value == status:
            return from_code(code.name, message)
    if 400 <= status < 500:
        return InvalidArgument(message)
    return Internal(message)


def too_large(message: str) -> TridentError:
    """RESOURCE_EXHAUSTED with the PAYLOAD_TOO_LARGE reason: 413 over HTTP."""
    return ResourceExhausted(message, reason=PAYLOAD_TOO_LARGE)
