"""`protojson.message_to_dict` writes what json_format.MessageToDict writes, on random messages of every type of
the contract and of a proto3 type with every scalar kind, enums, maps and nesting."""

from __future__ import annotations

import math
import random
import string
from typing import Any

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory, struct_pb2, type_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from api.gen import analytics_pb2, auth_pb2, pictures_pb2, users_pb2
from internal.common.contract.protojson import message_to_dict

F = descriptor_pb2.FieldDescriptorProto


def _every_kind() -> type[Message]:
    """A proto3 message with a field of every scalar type, an enum, maps, a Timestamp, a Struct and itself."""
    file = descriptor_pb2.FileDescriptorProto(name="every_kind.proto", package="t", syntax="proto3",
                                              dependency=["google/protobuf/timestamp.proto",
                                                          "google/protobuf/struct.proto"])
    file.enum_type.add(name="Color", value=[descriptor_pb2.EnumValueDescriptorProto(name=n, number=i)
                                            for i, n in enumerate(("COLOR_UNSET", "RED", "GREEN"))])
    kind = file.message_type.add(name="Kind")
    scalars = [F.TYPE_DOUBLE, F.TYPE_FLOAT, F.TYPE_INT64, F.TYPE_UINT64, F.TYPE_INT32, F.TYPE_FIXED64,
               F.TYPE_FIXED32, F.TYPE_BOOL, F.TYPE_STRING, F.TYPE_BYTES, F.TYPE_UINT32, F.TYPE_SFIXED32,
               F.TYPE_SFIXED64, F.TYPE_SINT32, F.TYPE_SINT64]
    number = 0
    for label in (F.LABEL_OPTIONAL, F.LABEL_REPEATED):
        for type_ in scalars:
            number += 1
            kind.field.add(name=f"f{number}", number=number, type=type_, label=label)
        for type_name, type_ in ((".t.Color", F.TYPE_ENUM), (".google.protobuf.Timestamp", F.TYPE_MESSAGE),
                                 (".t.Kind", F.TYPE_MESSAGE), (".google.protobuf.Struct", F.TYPE_MESSAGE)):
            number += 1
            kind.field.add(name=f"f{number}", number=number, type=type_, type_name=type_name, label=label)
    number += 1
    kind.field.add(name="optional_int", number=number, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL,
                   proto3_optional=True, oneof_index=0)
    kind.oneof_decl.add(name="_optional_int")
    for key_type, value_type, value_name in ((F.TYPE_STRING, F.TYPE_STRING, ""), (F.TYPE_INT32, F.TYPE_MESSAGE,
                                             ".t.Kind"), (F.TYPE_BOOL, F.TYPE_DOUBLE, ""),
                                             (F.TYPE_INT64, F.TYPE_ENUM, ".t.Color")):
        number += 1
        entry = kind.nested_type.add(name=f"M{number}Entry", options=descriptor_pb2.MessageOptions(map_entry=True))
        entry.field.add(name="key", number=1, type=key_type, label=F.LABEL_OPTIONAL)
        value = entry.field.add(name="value", number=2, type=value_type, label=F.LABEL_OPTIONAL)
        if value_name:
            value.type_name = value_name
        kind.field.add(name=f"m{number}", number=number, type=F.TYPE_MESSAGE, type_name=f".t.Kind.M{number}Entry",
                       label=F.LABEL_REPEATED)
    pool = descriptor_pool.DescriptorPool()
    for dependency in ("google/protobuf/timestamp.proto", "google/protobuf/struct.proto"):
        pool.AddSerializedFile(descriptor_pool.Default().FindFileByName(dependency).serialized_pb)
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("t.Kind"))


def _scalar(field_: Any, rng: random.Random) -> Any:
    t = field_.type
    if t in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
        return rng.choice([0.0, -0.0, 1.5, -2.25, 1e300 if t == F.TYPE_DOUBLE else 3.4e38, 0.1, 1 / 3, math.inf,
                           -math.inf, math.nan, rng.uniform(-1e6, 1e6)])
    if t == F.TYPE_BOOL:
        return rng.random() < 0.5
    if t == F.TYPE_STRING:
        return "".join(rng.choice(string.printable + "éß漢😀\x00") for _ in range(rng.randint(0, 12)))
    if t == F.TYPE_BYTES:
        return rng.randbytes(rng.randint(0, 40))
    if t == F.TYPE_ENUM:
        numbers = [value.number for value in field_.enum_type.values]
        return rng.choice(numbers if field_.enum_type.is_closed else [*numbers, 7])  # 7: no value's (open enums)
    signed = t in (F.TYPE_INT32, F.TYPE_INT64, F.TYPE_SFIXED32, F.TYPE_SFIXED64, F.TYPE_SINT32, F.TYPE_SINT64)
    bits = 64 if t in (F.TYPE_INT64, F.TYPE_UINT64, F.TYPE_FIXED64, F.TYPE_SFIXED64, F.TYPE_SINT64) else 32
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2 ** bits - 1)
    return rng.choice([0, 1, low, high, rng.randint(low, high)])


def _fill(message: Message, rng: random.Random, depth: int) -> Message:
    for field_ in message.DESCRIPTOR.fields:
        if rng.random() < 0.25:
            continue  # left unset
        target = getattr(message, field_.name)
        if field_.message_type is not None and field_.message_type.GetOptions().map_entry:
            value_field = field_.message_type.fields_by_name["value"]
            for _ in range(rng.randint(0, 3)):
                key = _scalar(field_.message_type.fields_by_name["key"], rng)
                if value_field.message_type is not None:
                    if depth > 0:
                        _fill(target[key], rng, depth - 1)
                else:
                    target[key] = _scalar(value_field, rng)
        elif field_.type == F.TYPE_MESSAGE:
            for item in ([target.add() for _ in range(rng.randint(0, 3))] if field_.is_repeated else [target]):
                _fill_message(item, rng, depth)
        elif field_.is_repeated:
            target.extend(_scalar(field_, rng) for _ in range(rng.randint(0, 3)))
        else:
            setattr(message, field_.name, _scalar(field_, rng))
    return message


def _fill_message(message: Message, rng: random.Random, depth: int) -> None:
    name = message.DESCRIPTOR.full_name
    if name == "google.protobuf.Timestamp":
        message.seconds = rng.choice([0, 1, 1_700_000_000, 253402300799, -62135596800])  # type: ignore[attr-defined]
        message.nanos = rng.choice([0, 1, 1_000_000, 123_456_000, 999_999_999])  # type: ignore[attr-defined]
    elif name == "google.protobuf.Any":
        message.Pack(struct_pb2.Value(string_value="packed"))  # type: ignore[attr-defined]
    elif name == "google.protobuf.Struct":
        message.update({"a": 1.5, "b": [True, None, "x"], "c": {"d": "e"}})  # type: ignore[attr-defined]
    elif depth > 0:
        _fill(message, rng, depth - 1)
    else:
        message.SetInParent()


TYPES = [d._concrete_class for module in (analytics_pb2, auth_pb2, pictures_pb2, users_pb2)
         for d in module.DESCRIPTOR.message_types_by_name.values()]
TYPES += [_every_kind(), type_pb2.Type, type_pb2.Field, struct_pb2.Struct, descriptor_pb2.FileDescriptorProto]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("message_type", TYPES, ids=lambda t: t.DESCRIPTOR.full_name)
def test_writes_what_json_format_writes(message_type: type[Message]) -> None:
    rng = random.Random(message_type.DESCRIPTOR.full_name)
    for _ in range(150):
        message = message_type()
        if message.DESCRIPTOR.full_name == "google.protobuf.Struct":
            _fill_message(message, rng, 2)
        else:
            _fill(message, rng, 2)
        expected = json_format.MessageToDict(message, preserving_proto_field_name=True)
        assert _same(message_to_dict(message), expected), message


def test_a_set_field_of_every_kind_is_written() -> None:
    """The random messages above do set every field: the comparison is not of empty objects."""
    kind = _every_kind()
    seen: set[str] = set()
    rng = random.Random(1)
    for _ in range(150):
        seen |= set(message_to_dict(_fill(kind(), rng, 2)))
    assert seen == {f.name for f in kind.DESCRIPTOR.fields}
    assert FieldDescriptor.TYPE_FLOAT in {f.type for f in kind.DESCRIPTOR.fields}
