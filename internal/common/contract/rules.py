"""Field rules stated in the proto (`[(trident.rules.field) = {...}]`): enforced by every service, documented.

The extension is looked up by name in protobuf's default pool, so the framework imports no generated
module; an application without it simply has no rules.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

from google.protobuf import descriptor_pool

EXTENSION = "trident.rules.field"


@dataclass(frozen=True)
class Rules:
    format: str = ""
    min_length: int | None = None
    max_length: int | None = None
    pattern: str = ""
    minimum: int | None = None
    maximum: int | None = None
    one_of: tuple[str, ...] = ()

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {}
        if self.format:
            schema["format"] = self.format
        if self.min_length is not None:
            schema["minLength"] = self.min_length
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.pattern:
            schema["pattern"] = self.pattern
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.one_of:
            schema["enum"] = [*self.one_of, ""]  # "" is the proto3 default: not given
        return schema

    def violation(self, name: str, value: Any) -> str:
        """Why `value` breaks these rules, or ""."""
        if isinstance(value, str):
            if self.format == "uuid" and not _is_uuid(value):
                return f"{name} must be a UUID"
            if self.min_length is not None and len(value) < self.min_length:
                return f"{name} is required" if self.min_length == 1 else \
                    f"{name} must be at least {self.min_length} characters"
            if self.max_length is not None and len(value) > self.max_length:
                return f"{name} must be at most {self.max_length} characters"
            if self.pattern and value and not re.fullmatch(self.pattern.strip("^$"), value):
                return f"{name} does not have the expected form ({self.pattern})"
            if self.one_of and value and value not in self.one_of:
                return f"{name} must be one of {', '.join(self.one_of)}"
        elif isinstance(value, int):
            if self.minimum is not None and value < self.minimum:
                return f"{name} must be at least {self.minimum}"
            if self.maximum is not None and value > self.maximum:
                return f"{name} must be at most {self.maximum}"
        return ""


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text) == 36


@cache
def _extension() -> Any:
    try:
        return descriptor_pool.Default().FindExtensionByName(EXTENSION)
    except KeyError:
        return None


@cache
def rules_of(field: Any) -> Rules | None:
    """The rules of a field descriptor (of either protobuf implementation, whose stubs differ), or None."""
    extension = _extension()
    if extension is None:
        return None
    options = field.GetOptions()
    if not options.HasExtension(extension):
        return None
    raw: Any = options.Extensions[extension]
    return Rules(
        format=raw.format,
        min_length=raw.min_length if raw.HasField("min_length") else None,
        max_length=raw.max_length if raw.HasField("max_length") else None,
        pattern=raw.pattern,
        minimum=raw.minimum if raw.HasField("minimum") else None,
        maximum=raw.maximum if raw.HasField("maximum") else None,
        one_of=tuple(raw.one_of),
    )
