"""JSON-shaped objects -> Kubernetes protobuf, the reverse of ``protobuf.py``.

Clients that ask for ``application/vnd.kubernetes.protobuf`` (client-go's typed clients, so
kubectl 1.32+ in ``create``, ``describe``, ``drain``...) get objects, lists, Status objects and
watch events in Kubernetes' protobuf form. The apiserver's response layer
(``apiserver/protobuf_responses.py``) calls these functions; nothing here knows HTTP.

- :func:`encode_message` writes one message of a definition of ``protobuf_fields.FIELDS`` from
  its JSON object: fields in number order, as Go's generated marshalers write them; repeated
  scalars unpacked (Kubernetes' ``generated.proto`` files are proto2); map entries sorted by
  key; embedded Go structs (a ``json_name`` of ``""``) gathered back from the parent's keys.
  Absent and null fields are left out, which a Go decoder reads as the zero value, the same as
  Go's own encoder writing that zero value.
- :func:`envelope` wraps a message as a whole body: ``k8s\\x00`` + ``runtime.Unknown``.
- :func:`encode_list` and :func:`watch_event` build an ``XList`` and a ``WatchEvent`` from
  message bytes already encoded, so that one object's bytes serve every list and watcher.

A key of the object that its definition does not know is an :class:`EncodeError` (the caller
answers in JSON instead, never with a silently truncated object).
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

from minikube_py.api.codecs.protobuf import (
    FIELDS_V1,
    INT_OR_STRING,
    MAGIC,
    MICRO_TIME,
    QUANTITY,
    RAW_EXTENSION,
    TIME,
)
from minikube_py.api.codecs.protobuf_fields import FIELDS
from minikube_py.util import jsonutil

LIST_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
STATUS = "io.k8s.apimachinery.pkg.apis.meta.v1.Status"
_TOP_LEVEL = frozenset({"kind", "apiVersion"})  # TypeMeta: in the envelope, not the message
_INTS = frozenset({"int32", "int64"})
_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)$")


class EncodeError(ValueError):
    """The object has a field or value its protobuf definition cannot carry."""


# -- the wire format ---------------------------------------------------------------------------

_ONE_BYTE = tuple(bytes((i,)) for i in range(0x80))


def varint(value: int) -> bytes:
    """An unsigned varint; a negative int as 10-byte two's complement, as Go writes it."""
    if 0 <= value < 0x80:
        return _ONE_BYTE[value]
    value &= (1 << 64) - 1
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


@lru_cache(maxsize=4096)
def _key(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def length_delimited(number: int, data: bytes) -> bytes:
    return _key(number, 2) + varint(len(data)) + data


# -- field plans -------------------------------------------------------------------------------

# (number, json name, base type, how): how is "one", "list" or "map"; a json name of ""
# is an embedded struct whose fields are the parent's.
Plan = tuple[tuple[int, str, str, str], ...]
# json name -> (number, base type, how, embedded): ``embedded`` is the (number, definition)
# of the embedded struct the key belongs to, or None for the definition's own fields.
Names = dict[str, tuple[int, str, str, tuple[int, str] | None]]


@cache
def _plan(definition: str) -> Plan:
    steps = []
    for number in sorted(FIELDS[definition]):
        name, type_ = FIELDS[definition][number]
        how = "one"
        if type_.startswith("[]"):
            how, type_ = "list", type_[2:]
        elif type_.startswith("map[string]"):
            how, type_ = "map", type_[len("map[string]"):]
        steps.append((number, name, type_.removeprefix("*"), how))
    return tuple(steps)


@cache
def _names(definition: str) -> Names:
    names: Names = {}
    for number, name, type_, how in _plan(definition):
        if name:
            names[name] = (number, type_, how, None)
        else:
            for inner in known_names(type_):
                names[inner] = (number, type_, how, (number, type_))
    return names


@cache
def known_names(definition: str) -> frozenset[str]:
    """Every JSON key a definition's object may have (its embedded structs' included)."""
    names: set[str] = set()
    for _, name, type_, _how in _plan(definition):
        if name:
            names.add(name)
        else:
            names |= known_names(type_)
    return frozenset(names)


def has_definition(definition: str | None) -> bool:
    return definition is not None and definition in FIELDS


# -- messages ----------------------------------------------------------------------------------

def encode_message(obj: dict[str, Any], definition: str, *, top: bool = False) -> bytes:
    """One message of ``definition`` from its JSON object (``top``: the object itself, whose
    ``kind``/``apiVersion`` go in the envelope). Driven by the object's keys, then written in
    field-number order."""
    if not isinstance(obj, dict):
        raise EncodeError(f"{definition} must be an object, not {type(obj).__name__}")
    names = _names(definition)
    parts: list[tuple[int, bytes]] = []
    embedded: dict[tuple[int, str], dict[str, Any]] | None = None
    for name, value in obj.items():
        entry = names.get(name)
        if entry is None:
            if top and name in _TOP_LEVEL:
                continue
            raise EncodeError(f"{definition} has no protobuf field for {name!r}")
        number, type_, how, holder = entry
        if holder is not None:  # a field of an embedded struct: gathered, written below
            if embedded is None:
                embedded = {}
            embedded.setdefault(holder, {})[name] = value
        elif value is None:
            continue
        elif how == "one":
            parts.append((number, _field(number, value, type_, definition, name)))
        elif how == "list":
            if not isinstance(value, list):
                raise EncodeError(f"{definition}.{name} must be a list")
            parts.append((number, b"".join([_field(number, item, type_, definition, name)
                                            for item in value])))
        else:
            parts.append((number, _map(number, value, type_, definition, name)))
    if embedded:
        for (number, type_), inner in embedded.items():
            parts.append((number, length_delimited(number, encode_message(inner, type_))))
    if len(parts) > 1:
        parts.sort(key=_first)
    return b"".join([data for _, data in parts])


def _first(part: tuple[int, bytes]) -> int:
    return part[0]


def _map(number: int, value: Any, type_: str, where: str, name: str) -> bytes:
    """A map: one entry message {1: key, 2: value} per key, in key order as Go writes them."""
    if not isinstance(value, dict):
        raise EncodeError(f"{where}.{name} must be a map")
    out = []
    for key in sorted(value):
        entry = length_delimited(1, key.encode())
        if value[key] is not None:
            entry += _field(2, value[key], type_, where, name)
        out.append(length_delimited(number, entry))
    return b"".join(out)


def _field(number: int, value: Any, type_: str, where: str, name: str) -> bytes:
    """One occurrence of a field: a scalar, or a nested message with its key and length."""
    if type_ == "string":
        if not isinstance(value, str):
            raise EncodeError(f"{where}.{name} must be a string")
        return length_delimited(number, value.encode())
    if type_ in _INTS:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise EncodeError(f"{where}.{name} must be an integer")
        return _key(number, 0) + varint(value)
    if type_ == "bool":
        if not isinstance(value, bool):
            raise EncodeError(f"{where}.{name} must be a boolean")
        return _key(number, 0) + (b"\x01" if value else b"\x00")
    if type_ == "bytes":
        try:
            return length_delimited(number, base64.b64decode(value, validate=True))
        except (ValueError, TypeError) as exc:
            raise EncodeError(f"{where}.{name} is not base64") from exc
    return length_delimited(number, _special(value, type_, where, name))


def _special(value: Any, type_: str, where: str, name: str) -> bytes:
    if type_ in (TIME, MICRO_TIME):
        seconds, nanos = _timestamp(value, where, name)
        return _key(1, 0) + varint(seconds) + _key(2, 0) + varint(nanos)
    if type_ == QUANTITY:
        return length_delimited(1, str(value).encode())
    if type_ == INT_OR_STRING:
        if isinstance(value, str):
            return _key(1, 0) + b"\x01" + _key(2, 0) + b"\x00" + length_delimited(3, value.encode())
        if isinstance(value, bool) or not isinstance(value, int):
            raise EncodeError(f"{where}.{name} must be an integer or a string")
        return _key(1, 0) + b"\x00" + _key(2, 0) + varint(value) + length_delimited(3, b"")
    if type_ in (RAW_EXTENSION, FIELDS_V1):
        return length_delimited(1, jsonutil.dumps(value))
    if type_ not in FIELDS:
        raise EncodeError(f"no protobuf definition {type_} for {where}.{name}")
    return encode_message(value, type_)


def _timestamp(value: Any, where: str, name: str) -> tuple[int, int]:
    """RFC 3339 text -> (seconds since the epoch, nanoseconds)."""
    parsed = _parse_time(value) if isinstance(value, str) else None
    if parsed is None:
        raise EncodeError(f"{where}.{name} is not an RFC 3339 time: {value!r}")
    return parsed


@lru_cache(maxsize=8192)  # an object's times repeat (managedFields, conditions)
def _parse_time(value: str) -> tuple[int, int] | None:
    match = _RFC3339.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, zone = match.group(7), match.group(8)
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:  # e.g. month 13
        return None
    seconds = int((moment - _EPOCH).total_seconds())
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    nanos = int((fraction[1:] + "000000000")[:9]) if fraction else 0
    return seconds, nanos


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# -- whole bodies ------------------------------------------------------------------------------

_UNKNOWN_TAIL = length_delimited(3, b"") + length_delimited(4, b"")  # contentEncoding, -Type


@lru_cache(maxsize=1024)
def envelope_head(api_version: str, kind: str) -> bytes:
    """The magic and the runtime.Unknown's typeMeta field: what precedes ``raw``."""
    type_meta = length_delimited(1, api_version.encode()) + length_delimited(2, kind.encode())
    return MAGIC + length_delimited(1, type_meta)


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    """A whole protobuf body: the magic and a runtime.Unknown holding ``raw``, with empty
    contentEncoding and contentType, as Kubernetes' serializer writes them."""
    return envelope_head(api_version, kind) + length_delimited(2, raw) + _UNKNOWN_TAIL


def enveloped_field(api_version: str, kind: str, raw_field: bytes) -> bytes:
    """:func:`envelope` of a message already written as field 2 (see :func:`raw_field`)."""
    return envelope_head(api_version, kind) + raw_field + _UNKNOWN_TAIL


def raw_field(message: bytes) -> bytes:
    """A message as field 2 (key, length, bytes): both ``runtime.Unknown.raw`` and an item of
    an ``XList``, so one encoding of an object serves a body, a list and a watch event."""
    return length_delimited(2, message)


def encode_object(obj: dict[str, Any], definition: str) -> bytes:
    """An object as a whole body (its kind and apiVersion in the envelope)."""
    return envelope(str(obj.get("apiVersion", "")), str(obj.get("kind", "")),
                    encode_message(obj, definition, top=True))


def _list_meta_field(list_meta: dict[str, Any]) -> bytes:
    return length_delimited(1, encode_message(list_meta, LIST_META))


def encode_list(list_meta: dict[str, Any], items: list[bytes]) -> bytes:
    """The message of an ``XList`` ({1: ListMeta, 2: items}) from encoded item messages."""
    return b"".join([_list_meta_field(list_meta), *(raw_field(item) for item in items)])


def list_body(api_version: str, list_kind: str, list_meta: dict[str, Any],
              item_fields: list[bytes]) -> bytes:
    """A whole ``XList`` body from items already written as field 2 (:func:`raw_field`), in
    one copy: the list's bytes are never assembled twice."""
    meta = _list_meta_field(list_meta)
    size = len(meta) + sum(map(len, item_fields))
    return b"".join([envelope_head(api_version, list_kind), _key(2, 2), varint(size), meta,
                     *item_fields, _UNKNOWN_TAIL])


def encode_status(status: dict[str, Any]) -> bytes:
    """A ``metav1.Status`` as a whole body."""
    return encode_object(status, STATUS)


def watch_event(event_type: str, embedded: bytes) -> bytes:
    """One frame of a protobuf watch stream: a 4-byte big-endian length and the
    ``metav1.WatchEvent`` message {1: type, 2: RawExtension{1: the object's whole body}}."""
    message = (length_delimited(1, event_type.encode())
               + length_delimited(2, length_delimited(1, embedded)))
    return len(message).to_bytes(4, "big") + message
