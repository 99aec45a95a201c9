"""Proto3 JSON of a message as a dict, exactly what `json_format.MessageToDict(message,
preserving_proto_field_name=True)` gives, at a fraction of its cost.

json_format decides, for every field of every message it writes, what kind of value it holds (a dozen checks
per field: extension? map? repeated? message? enum? bytes? 64-bit? float?). Here that is decided once per
message type: each field gets the one conversion its type needs (none for strings, 32-bit integers, bools and
doubles that are finite), and a message is written from `ListFields()` — the fields that are set, read in one
C call — through those.

Well-known types with a JSON form of their own (Timestamp, Duration, FieldMask, Struct, Value, ListValue,
Any, the wrappers) and enums whose values carry JSON options are written by json_format itself, so what it
does for them stays the rule. `tests/unit/test_protojson.py` compares the two on random messages of every
type of the contract and of every scalar kind.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.internal import type_checkers
from google.protobuf.message import Message

Writer = Callable[[Message], Any]
Convert = Callable[[Any], Any] | None  # None: the value is its own JSON

_writers: dict[Any, Writer] = {}  # by message descriptor

# Written by json_format: a JSON form of their own.
_SPECIAL = frozenset({
    "google.protobuf.Any", "google.protobuf.Duration", "google.protobuf.FieldMask", "google.protobuf.ListValue",
    "google.protobuf.Struct", "google.protobuf.Timestamp", "google.protobuf.Value",
    "google.protobuf.BoolValue", "google.protobuf.BytesValue", "google.protobuf.DoubleValue",
    "google.protobuf.FloatValue", "google.protobuf.Int32Value", "google.protobuf.Int64Value",
    "google.protobuf.StringValue", "google.protobuf.UInt32Value", "google.protobuf.UInt64Value",
})
_INT64 = frozenset({FieldDescriptor.CPPTYPE_INT64, FieldDescriptor.CPPTYPE_UINT64})


def message_to_dict(message: Message) -> Any:
    """`json_format.MessageToDict(message, preserving_proto_field_name=True)`."""
    return writer(message.DESCRIPTOR)(message)


def writer(descriptor: Any) -> Writer:
    found = _writers.get(descriptor)
    if found is None:
        found = _writers[descriptor] = _writer_of(descriptor)
    return found


def _by_json_format(message: Message) -> Any:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


_EPOCH = datetime(1970, 1, 1)
_SECONDS_MIN, _SECONDS_MAX = -62135596800, 253402300799  # 0001-01-01 and 9999-12-31T23:59:59


def _timestamp(message: Any) -> str:
    """What `Timestamp.ToJsonString` writes (RFC 3339, 0, 3, 6 or 9 fractional digits, Z), in fewer steps."""
    seconds, nanos = message.seconds, message.nanos
    if not (_SECONDS_MIN <= seconds <= _SECONDS_MAX and 0 <= nanos < 1_000_000_000):
        text: str = message.ToJsonString()  # raises its ValueError
        return text
    text = (_EPOCH + timedelta(0, seconds)).isoformat()
    if nanos == 0:
        return text + "Z"
    if nanos % 1_000_000 == 0:
        return f"{text}.{nanos // 1_000_000:03d}Z"
    if nanos % 1000 == 0:
        return f"{text}.{nanos // 1000:06d}Z"
    return f"{text}.{nanos:09d}Z"


def _writer_of(descriptor: Any) -> Writer:
    if descriptor.full_name == "google.protobuf.Timestamp":
        return _timestamp
    if descriptor.full_name in _SPECIAL:
        return _by_json_format
    fields: dict[FieldDescriptor, tuple[str, Convert]] = {}
    for field_ in descriptor.fields:
        convert = _field(field_)
        if convert is _UNSUPPORTED:
            return _by_json_format
        fields[field_] = (field_.name, convert)

    def write(message: Message) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for field_, value in message.ListFields():
            found = fields.get(field_)
            if found is None:  # an extension: json_format names and writes those
                return _by_json_format(message)  # type: ignore[no-any-return]
            name, convert = found
            data[name] = value if convert is None else convert(value)
        return data

    return write


def _unsupported(value: Any) -> Any:
    raise AssertionError("never called: marks a field json_format must write")


_UNSUPPORTED: Convert = _unsupported


def _field(field_: FieldDescriptor) -> Convert:
    if field_.message_type is not None and field_.message_type.GetOptions().map_entry:
        key_field, value_field = field_.message_type.fields_by_name["key"], field_.message_type.fields_by_name["value"]
        value = _single(value_field)
        if value is _UNSUPPORTED:
            return _UNSUPPORTED
        bool_keys = key_field.cpp_type == FieldDescriptor.CPPTYPE_BOOL
        if value is None:
            if bool_keys:
                return lambda entries: {("true" if k else "false"): v for k, v in entries.items()}
            return lambda entries: {str(k): v for k, v in entries.items()}
        convert_value = value
        if bool_keys:
            return lambda entries: {("true" if k else "false"): convert_value(v) for k, v in entries.items()}
        return lambda entries: {str(k): convert_value(v) for k, v in entries.items()}
    single = _single(field_)
    if single is _UNSUPPORTED or not field_.is_repeated:
        return single
    if single is None:
        return list
    convert_item = single
    return lambda items: [convert_item(item) for item in items]


def _single(field_: FieldDescriptor) -> Convert:
    """The conversion of one value of the field (one item of a repeated field)."""
    cpp_type = field_.cpp_type
    if cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
        message_type = field_.message_type
        return lambda message: writer(message_type)(message)  # looked up late: a type may contain itself
    if cpp_type == FieldDescriptor.CPPTYPE_ENUM:
        enum_type: Any = field_.enum_type
        # json_format refuses a number that is no value of a closed enum, writes NullValue as null and honours
        # a value's JSON name option: all of that stays its own.
        if enum_type.is_closed or enum_type.full_name == "google.protobuf.NullValue" or any(
                value.GetOptions().ListFields() for value in enum_type.values):
            return _UNSUPPORTED
        names = {value.number: value.name for value in enum_type.values}
        return lambda number: names.get(number, number)  # an open enum's unknown number stays a number
    if field_.type == FieldDescriptor.TYPE_BYTES:
        return lambda data: base64.b64encode(data).decode("utf-8")
    if cpp_type in _INT64:
        return str
    if cpp_type == FieldDescriptor.CPPTYPE_DOUBLE:
        return _double
    if cpp_type == FieldDescriptor.CPPTYPE_FLOAT:
        return _float
    return None  # strings, 32-bit integers, bools


def _special_number(value: float) -> str | None:
    if math.isinf(value):
        return "-Infinity" if value < 0.0 else "Infinity"
    if math.isnan(value):
        return "NaN"
    return None


def _double(value: float) -> float | str:
    return value if math.isfinite(value) else _special_number(value)  # type: ignore[return-value]


def _float(value: float) -> float | str:
    return type_checkers.ToShortestFloat(value) if math.isfinite(value) else _special_number(value)  # type: ignore[return-value]
