"""JSON Schema of proto messages as they look in proto3 canonical JSON (proto field names)."""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import FieldDescriptor

from internal.common.contract.rules import rules_of

# Descriptors come from the pure-Python or the upb implementation, whose stubs differ.
Descriptor = Any

_SCALARS: dict[int, dict[str, Any]] = {
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_INT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SINT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_UINT32: {"type": "integer", "format": "int32", "minimum": 0},
    # 64-bit integers are strings in proto3 JSON.
    FieldDescriptor.TYPE_INT64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_UINT64: {"type": "string", "format": "uint64"},
    FieldDescriptor.TYPE_DOUBLE: {"type": "number", "format": "double"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number", "format": "float"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "contentEncoding": "base64"},
}

_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Empty": {"type": "object"},
}


def schema_name(descriptor: Descriptor) -> str:
    return str(descriptor.full_name).replace("trident.", "").replace(".v1.", ".").replace(".", "_")


def collect_schemas(descriptors: list[Descriptor], ref_prefix: str) -> dict[str, Any]:
    """Schemas of `descriptors` and every message they reach, keyed by schema_name()."""
    schemas: dict[str, Any] = {}
    pending = list(descriptors)
    while pending:
        descriptor = pending.pop()
        name = schema_name(descriptor)
        if descriptor.full_name in _WELL_KNOWN or name in schemas:
            continue
        properties: dict[str, Any] = {}
        for field in descriptor.fields:
            if is_map(field):
                # A proto map is a JSON object in proto3 JSON, its keys always strings.
                value = field.message_type.fields_by_name["value"]
                if value.type == FieldDescriptor.TYPE_MESSAGE and value.message_type.full_name not in _WELL_KNOWN:
                    pending.append(value.message_type)
                properties[field.name] = {"type": "object", "additionalProperties": (
                    message_schema(value.message_type, ref_prefix) if value.type == FieldDescriptor.TYPE_MESSAGE
                    else field_schema(value))}
                continue
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                message = field.message_type
                item = _WELL_KNOWN.get(message.full_name) or {"$ref": f"{ref_prefix}{schema_name(message)}"}
                if message.full_name not in _WELL_KNOWN:
                    pending.append(message)
            elif field.type == FieldDescriptor.TYPE_ENUM:
                item = {"type": "string", "enum": [v.name for v in field.enum_type.values]}
            else:
                item = field_schema(field)
            if _is_repeated(field):
                item = {"type": "array", "items": item}
            properties[field.name] = item
        schemas[name] = {"type": "object", "properties": properties, "additionalProperties": False}
    return dict(sorted(schemas.items()))


def field_schema(field: Any) -> dict[str, Any]:
    """The JSON schema of a scalar field, with the contract's rules for it."""
    schema = dict(_SCALARS.get(field.type, {"type": "string"}))
    rules = rules_of(field)
    if rules is not None:
        schema.update(rules.json_schema())
    return schema


def message_schema(descriptor: Descriptor, ref_prefix: str) -> dict[str, Any]:
    return _WELL_KNOWN.get(descriptor.full_name) or {"$ref": f"{ref_prefix}{schema_name(descriptor)}"}


def is_map(field: Any) -> bool:
    """A proto `map<K, V>` field (a repeated message of the map-entry kind); any FieldDescriptor implementation."""
    entry = field.message_type
    return field.type == FieldDescriptor.TYPE_MESSAGE and entry is not None and bool(entry.GetOptions().map_entry)


def _is_repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)
