"""Kubernetes protobuf request bodies -> the JSON-shaped dict a JSON body would have given.

kubectl 1.32+ sends the objects of its imperative ``create`` commands (``create namespace``,
``create configmap``, ``create deployment``...) as ``application/vnd.kubernetes.protobuf``.
The apiserver's ``decode_body`` hands such a body here with the schema of the kind it is
posted to; everything after that (defaults, validation, storage) sees the same dict as for
JSON. Answers in protobuf are ``protobuf_encode.py``'s, the reverse of this module.

The body is the magic ``k8s\\x00`` followed by a ``runtime.Unknown`` envelope whose ``raw``
field holds the object's own message, numbered as in Kubernetes' ``generated.proto`` files (see
``api/protobuf_fields.py``). Go's JSON encoder drops zero values of ``omitempty`` fields but
Kubernetes' protobuf marshalers send every non-pointer field, so zero scalars of non-pointer
fields are dropped here, while a pointer field keeps whatever was sent (``replicas: 0``).
Nested messages are kept even when empty, as Go's JSON keeps empty structs (``status: {}``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from minikube_py.api.codecs.protobuf_fields import FIELDS
from minikube_py.api.errors import BadRequest
from minikube_py.api.schema import Schema

MAGIC = b"k8s\x00"

_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
TIME = _META + "Time"
MICRO_TIME = _META + "MicroTime"
FIELDS_V1 = _META + "FieldsV1"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
RAW_EXTENSION = "io.k8s.apimachinery.pkg.runtime.RawExtension"
# Named []string types (a user's extra values) whose message wraps the list as field 1.
EXTRA_VALUES = frozenset({"io.k8s.api.authorization.v1.ExtraValue",
                          "io.k8s.api.certificates.v1.ExtraValue",
                          "io.k8s.api.authentication.v1.ExtraValue"})

VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5
_WIRE_NAMES = {VARINT: "varint", FIXED64: "fixed64", LENGTH_DELIMITED: "length-delimited",
               FIXED32: "fixed32"}
_VARINT_TYPES = frozenset({"int32", "int64", "bool"})
_SCALAR_TYPES = _VARINT_TYPES | {"string", "bytes"}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_GO_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)  # Go's time.Time{}: JSON null, so omitted

WireField = tuple[int, int, int | bytes]  # number, wire type, varint value or bytes


def decode_protobuf(data: bytes, schema: Schema) -> dict[str, Any]:
    """A protobuf request body for the kind of ``schema`` -> its JSON-shaped dict.

    Raises :class:`BadRequest` on a malformed body or a field this server does not know.
    """
    definition = schema.name
    if definition is None or definition not in FIELDS:
        raise BadRequest(f"protobuf bodies of {definition or 'this kind'} are not supported")
    if not data.startswith(MAGIC):
        raise BadRequest("protobuf body does not start with the Kubernetes magic prefix k8s\\x00")
    api_version, kind, raw = _unwrap_unknown(data[len(MAGIC):])
    obj: dict[str, Any] = {}
    if kind:
        obj["kind"] = kind
    if api_version:
        obj["apiVersion"] = api_version
    obj.update(_message(raw, definition))
    return obj


def _unwrap_unknown(data: bytes) -> tuple[str, str, bytes]:
    """The runtime.Unknown envelope -> (apiVersion, kind, raw object message)."""
    where = "runtime.Unknown"
    api_version = kind = encoding = ""
    raw = b""
    for number, wire, value in _read_fields(data, where):
        if number == 1:
            type_meta = _bytes_value(wire, value, 1, where)
            for meta_number, meta_wire, meta_value in _read_fields(type_meta, "runtime.TypeMeta"):
                text = _string(meta_wire, meta_value, meta_number, "runtime.TypeMeta")
                if meta_number == 1:
                    api_version = text
                elif meta_number == 2:
                    kind = text
        elif number == 2:
            raw = _bytes_value(wire, value, 2, where)
        elif number == 3:
            encoding = _string(wire, value, 3, where)
        # 4 (contentType) says "protobuf" again; nothing to do with it.
    if encoding:
        raise BadRequest(f"protobuf content encoding {encoding!r} is not supported")
    return api_version, kind, raw


def _message(data: bytes, definition: str) -> dict[str, Any]:
    """One message of ``definition`` -> its JSON object."""
    fields = FIELDS[definition]
    out: dict[str, Any] = {}
    for number, wire, value in _read_fields(data, definition):
        entry = fields.get(number)
        if entry is None:
            raise BadRequest(f"protobuf field {number} of {definition} is not supported")
        name, type_ = entry
        if type_.startswith("[]"):
            out.setdefault(name, []).extend(
                _repeated(wire, value, type_[2:], number, definition))
        elif type_.startswith("map[string]"):
            key, item = _map_entry(wire, value, type_[len("map[string]"):], number, definition)
            out.setdefault(name, {})[key] = item
        else:
            pointer = type_.startswith("*")
            type_ = type_.removeprefix("*")
            item = _single(wire, value, type_, number, definition)
            if not name:  # an embedded Go struct: JSON inlines its fields
                out.update(item)
            elif item is not None and (pointer or not _omitted_zero(item, type_)):
                out[name] = item
            else:
                out.pop(name, None)
    return out


def _omitted_zero(value: Any, type_: str) -> bool:
    """Whether Go's JSON encoder leaves ``value`` out of a non-pointer field.

    Scalars with omitempty go when zero, and so does a zero IntOrString (defaulting treats it
    as unset). Messages stay: Go never omits a struct (a zero Time is already None here).
    """
    if type_ in _SCALAR_TYPES or type_ == INT_OR_STRING:
        return value in ("", 0, False)
    return False


def _single(wire: int, value: int | bytes, type_: str, number: int, where: str) -> Any:
    """A non-repeated value of ``type_``."""
    if type_ in _VARINT_TYPES:
        return _scalar(_varint_value(wire, value, number, where), type_)
    data = _bytes_value(wire, value, number, where)
    if type_ == "string":
        return _utf8(data, number, where)
    if type_ == "bytes":
        return base64.b64encode(data).decode("ascii")
    return _special(data, type_)


def _special(data: bytes, type_: str) -> Any:
    """A nested message: one with a JSON form of its own, or a plain object."""
    if type_ in (TIME, MICRO_TIME):
        return _time(data, type_)
    if type_ == QUANTITY:
        return _string_field(data, type_) or "0"
    if type_ == INT_OR_STRING:
        return _int_or_string(data)
    if type_ in (RAW_EXTENSION, FIELDS_V1):
        return _raw_json(data, type_)
    if type_ in EXTRA_VALUES:
        return _message(data, type_).get("items", [])
    if type_ not in FIELDS:
        raise BadRequest(f"protobuf message {type_} is not supported")
    return _message(data, type_)


def _repeated(wire: int, value: int | bytes, elem: str, number: int,
              where: str) -> list[Any]:
    """The element(s) one occurrence of a repeated field carries (packed varints: several)."""
    if elem in _VARINT_TYPES and wire == LENGTH_DELIMITED:
        data = _bytes_value(wire, value, number, where)
        items: list[Any] = []
        pos = 0
        while pos < len(data):
            raw, pos = _varint(data, pos, where)
            items.append(_scalar(raw, elem))
        return items
    return [_single(wire, value, elem, number, where)]


def _map_entry(wire: int, value: int | bytes, value_type: str, number: int,
               where: str) -> tuple[str, Any]:
    """One map entry message {1: key, 2: value} -> (key, JSON value)."""
    entry = _bytes_value(wire, value, number, where)
    entry_where = f"map entry of field {number} of {where}"
    key = ""
    item: Any = None
    for entry_number, entry_wire, entry_value in _read_fields(entry, entry_where):
        if entry_number == 1:
            key = _string(entry_wire, entry_value, 1, entry_where)
        elif entry_number == 2:
            item = _single(entry_wire, entry_value, value_type, 2, entry_where)
        else:
            raise BadRequest(f"protobuf field {entry_number} of {entry_where} is not supported")
    if item is None:  # an absent value is the zero value
        item = _single(LENGTH_DELIMITED, b"", value_type, 2, entry_where)
    return key, item


def _time(data: bytes, type_: str) -> str | None:
    """metav1.Time / MicroTime {1: seconds, 2: nanos} -> RFC 3339 in UTC (None when zero)."""
    if not data:
        return None
    seconds = nanos = 0
    for number, wire, value in _read_fields(data, type_):
        if number == 1:
            seconds = _signed(_varint_value(wire, value, number, type_))
        elif number == 2:
            nanos = _signed(_varint_value(wire, value, number, type_))
    if type_ == TIME:
        nanos = 0  # Kubernetes' Time keeps whole seconds only
    try:
        moment = _EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)
    except OverflowError as exc:
        raise BadRequest(f"protobuf {type_} of {seconds} seconds is out of range") from exc
    if moment == _GO_ZERO_TIME:
        return None
    text = (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}")
    if type_ == MICRO_TIME:
        text += f".{moment.microsecond:06d}"
    return text + "Z"


def _int_or_string(data: bytes) -> int | str:
    """intstr.IntOrString {1: type (0 int, 1 string), 2: intVal, 3: strVal}."""
    kind = int_val = 0
    str_val = ""
    for number, wire, value in _read_fields(data, INT_OR_STRING):
        if number == 1:
            kind = _signed(_varint_value(wire, value, number, INT_OR_STRING))
        elif number == 2:
            int_val = _signed(_varint_value(wire, value, number, INT_OR_STRING))
        elif number == 3:
            str_val = _string(wire, value, 3, INT_OR_STRING)
    return str_val if kind == 1 else int_val


def _raw_json(data: bytes, type_: str) -> Any:
    """RawExtension / FieldsV1 {1: raw JSON bytes} -> the JSON value (None when empty)."""
    raw = b""
    for number, wire, value in _read_fields(data, type_):
        if number == 1:
            raw = _bytes_value(wire, value, number, type_)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise BadRequest(f"protobuf {type_} does not hold JSON: {exc}") from exc


def _string_field(data: bytes, where: str) -> str:
    """Field 1 of a message that wraps one string (resource.Quantity)."""
    text = ""
    for number, wire, value in _read_fields(data, where):
        if number == 1:
            text = _string(wire, value, 1, where)
    return text


# -- the wire format ---------------------------------------------------------------------------


def _read_fields(data: bytes, where: str) -> Iterator[WireField]:
    """The fields of one message in wire order: (number, wire type, int or bytes)."""
    pos = 0
    end = len(data)
    while pos < end:
        key, pos = _varint(data, pos, where)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise BadRequest(f"malformed protobuf in {where}: field number 0")
        if wire == VARINT:
            value, pos = _varint(data, pos, where)
            yield number, wire, value
        elif wire in (FIXED64, FIXED32):
            size = 8 if wire == FIXED64 else 4
            if pos + size > end:
                raise BadRequest(f"malformed protobuf in {where}: truncated field {number}")
            yield number, wire, data[pos:pos + size]
            pos += size
        elif wire == LENGTH_DELIMITED:
            size, pos = _varint(data, pos, where)
            if pos + size > end:
                raise BadRequest(f"malformed protobuf in {where}: truncated field {number}")
            yield number, wire, data[pos:pos + size]
            pos += size
        else:
            raise BadRequest(f"malformed protobuf in {where}: wire type {wire} of field {number}")


def _varint(data: bytes, pos: int, where: str) -> tuple[int, int]:
    """The unsigned varint at ``pos`` and the position after it."""
    result = shift = 0
    for index in range(pos, min(pos + 10, len(data))):
        byte = data[index]
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if result >= 1 << 64:
                break
            return result, index + 1
        shift += 7
    raise BadRequest(f"malformed protobuf in {where}: bad varint")


def _check_wire(wire: int, want: int, number: int, where: str) -> None:
    if wire != want:
        raise BadRequest(
            f"malformed protobuf: field {number} of {where} is "
            f"{_WIRE_NAMES.get(wire, str(wire))}, want {_WIRE_NAMES[want]}")


def _varint_value(wire: int, value: int | bytes, number: int, where: str) -> int:
    _check_wire(wire, VARINT, number, where)
    assert isinstance(value, int)  # _read_fields yields ints for varints only
    return value


def _bytes_value(wire: int, value: int | bytes, number: int, where: str) -> bytes:
    _check_wire(wire, LENGTH_DELIMITED, number, where)
    assert isinstance(value, bytes)
    return value


def _string(wire: int, value: int | bytes, number: int, where: str) -> str:
    return _utf8(_bytes_value(wire, value, number, where), number, where)


def _utf8(data: bytes, number: int, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"protobuf field {number} of {where} is not valid UTF-8") from exc


def _scalar(value: int, type_: str) -> int | bool:
    return bool(value) if type_ == "bool" else _signed(value)


def _signed(value: int) -> int:
    """A varint as two's complement int64 (negative int32s are sign-extended to 10 bytes)."""
    return value - (1 << 64) if value >= 1 << 63 else value
