"""Structural checks of an object against its kind's schema, before any per-kind rule.

Kubernetes decodes a request body into Go structs: a value of the wrong type fails decoding
(400 BadRequest), a field the struct does not have is dropped, and ``fieldValidation``
decides whether dropping it is an error (Strict: 400 ``strict decoding error: unknown field``),
a warning (Warn) or silent (Ignore). :func:`decode` reproduces that on our JSON dicts, in
place, so what is stored has only known fields and values Go could hold:

- integers must fit their format (``int32``, ``int64``), and a number with a fraction or an
  exponent is not an integer (``1e308`` in ``spec.replicas`` is refused, as Go refuses it);
- ``null`` decodes to the zero value: an object's field is dropped (as if absent), a map
  value or list item becomes ``""``, ``0``, ``false`` or ``{}`` (so ``labels: {a: null}`` is
  stored as ``a: ""``, as Kubernetes stores it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from minikube_py.api.schema import Schema

QUANTITY = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[mkMGTPE]|n|u)?$")

_TYPE_NAMES = {"object": "object", "map": "object", "array": "array", "string": "string",
               "integer": "integer", "number": "number", "boolean": "bool"}
INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
# What null becomes where Go has no "absent": a map value or a list item.
_ZERO: dict[str, Any] = {"string": "", "integer": 0, "number": 0, "boolean": False,
                         "int-or-string": 0, "quantity": "0"}


_SCALARS = frozenset(_ZERO)


def _zero(schema: Schema) -> Any:
    if schema.type in ("object", "map"):
        return {}
    return _ZERO.get(schema.type)


@dataclass
class Decoded:
    """What decoding found: type errors (fatal), unknown field paths, required-field misses."""

    type_errors: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def decode(schema: Schema, obj: dict[str, Any]) -> Decoded:
    """Check ``obj`` against ``schema`` and prune unknown fields and nulls from it in place."""
    result = Decoded()
    _walk(schema, obj, "", result, top=True)
    return result


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _walk(schema: Schema, value: Any, path: str, out: Decoded, *, top: bool = False) -> None:
    kind = schema.type
    if kind == "any" or (schema.preserve_unknown and kind != "object"):
        return
    if kind in ("object", "map") and isinstance(value, dict):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:  # YAML allows 1: a; JSON objects have string keys only
            out.type_errors.append(f"{path or '<root>'}: map keys must be strings, got {bad[0]!r}")
            return
    if kind == "object":
        if not isinstance(value, dict):
            out.type_errors.append(_type_error(path, "object", value))
            return
        for name in list(value):
            child = schema.fields.get(name)
            if child is None:
                if schema.preserve_unknown:
                    continue
                out.unknown.append(_join(path, name))  # unknown even when null
                del value[name]
                continue
            item = value[name]
            if item is None:
                del value[name]  # null decodes to the zero value: as if absent
                continue
            # Most fields are scalars: check them here, and make a path only on error.
            if child.type in _SCALARS and not child.preserve_unknown:
                if not _scalar_ok(child.type, item, child.format):
                    out.type_errors.append(_type_error(_join(path, name), child.type, item,
                                                       child.format))
                continue
            _walk(child, item, _join(path, name), out)
        for name in sorted(schema.required):
            if name not in value and not (top and name in ("apiVersion", "kind")):
                out.missing.append(_join(path, name))
        return
    if kind == "map":
        if not isinstance(value, dict):
            out.type_errors.append(_type_error(path, "object", value))
            return
        items = schema.items
        if items is None:
            return
        scalar = items.type in _SCALARS and not items.preserve_unknown
        for key in list(value):
            if value[key] is None:
                value[key] = _zero(items)
            if not scalar:
                _walk(items, value[key], f"{path}[{key}]", out)
            elif not _scalar_ok(items.type, value[key], items.format):
                out.type_errors.append(_type_error(f"{path}[{key}]", items.type, value[key],
                                                   items.format))
        return
    if kind == "array":
        if not isinstance(value, list):
            out.type_errors.append(_type_error(path, "array", value))
            return
        if schema.items is not None:
            for i, item in enumerate(value):
                if item is None:
                    item = value[i] = _zero(schema.items)
                _walk(schema.items, item, f"{path}[{i}]", out)
        return
    if not _scalar_ok(kind, value, schema.format):
        out.type_errors.append(_type_error(path, kind, value, schema.format))


def _scalar_ok(kind: str, value: Any, fmt: str | None = None) -> bool:
    if value is None:
        return True  # a null the walk could not turn into a zero value ("any" items)
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return _int_in_range(value, fmt or "int64")
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "int-or-string":
        return isinstance(value, str) or _int_in_range(value, "int32")
    if kind == "quantity":
        if isinstance(value, bool):
            return False
        if isinstance(value, int | float):
            return True
        return isinstance(value, str) and bool(QUANTITY.match(value.strip()))
    return True


def _int_in_range(value: Any, fmt: str) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    low, high = INT_RANGES.get(fmt, INT_RANGES["int64"])
    return low <= value <= high


def _type_error(path: str, expected: str, value: Any, fmt: str | None = None) -> str:
    if expected in ("integer", "int-or-string") and isinstance(value, int | float) and \
            not isinstance(value, bool):
        go_type = fmt if expected == "integer" and fmt in INT_RANGES else "int32"
        shown = repr(value) if isinstance(value, float) else str(value)
        return f"{path}: cannot unmarshal number {shown} into a field of type {go_type}"
    got = type(value).__name__
    got = {"str": "string", "int": "number", "float": "number", "bool": "bool", "dict": "object",
           "list": "array", "NoneType": "null"}.get(got, got)
    if expected == "quantity":
        return f"{path}: quantities must match the regular expression " \
               "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    wanted = _TYPE_NAMES.get(expected, expected)
    return f"{path}: cannot unmarshal {got} into a field of type {wanted}"
