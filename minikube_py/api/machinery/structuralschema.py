"""Custom resources against their CRD's OpenAPI v3 schema: pruning, defaulting, validation
(Kubernetes' ``apiextensions-apiserver/pkg/apiserver/schema``: ``pruning``, ``defaulting``
and the kube-openapi validator behind ``ValidateCustomResource``).

The schema is the CRD version's ``schema.openAPIV3Schema`` as a plain dict (a structural
schema: every node says its ``type``, unless it preserves unknown fields or is an
int-or-string). The custom resource strategy (``api/kinds/apiextensions/customresource.py``)
calls, in the order Kubernetes' codec and strategy do:

- :func:`prune` on every decoded body: fields the schema does not name are dropped (and
  reported, for ``fieldValidation``), except under ``x-kubernetes-preserve-unknown-fields``;
  an ``x-kubernetes-embedded-resource`` keeps ``apiVersion``, ``kind`` and ``metadata``;
- :func:`apply_defaults`: a missing field (or a ``null`` one that is not ``nullable``) with a
  ``default`` gets it, inside objects, array items and map values;
- :func:`validate`: type, ``required``, ``enum``, bounds, lengths, ``pattern``, items,
  properties, ``nullable``, ``allOf``/``anyOf``/``oneOf``/``not``; each problem is one
  :class:`~minikube_py.api.errors.Cause` whose field is the path (``spec.replicas``,
  ``spec.ports[0].name``), worded as Kubernetes words it.

The top level's ``apiVersion``, ``kind`` and ``metadata`` are the apiserver's business, not
the schema's: they are left alone here.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.machinery import celrules
from minikube_py.api.machinery.celrules import MISSING
from minikube_py.api.validation.base import not_supported, required, too_long
from minikube_py.util import jsonutil

JSONSchema = dict[str, Any]

PRESERVE = "x-kubernetes-preserve-unknown-fields"
EMBEDDED = "x-kubernetes-embedded-resource"
INT_OR_STRING = "x-kubernetes-int-or-string"
LIST_TYPE = "x-kubernetes-list-type"
LIST_MAP_KEYS = "x-kubernetes-list-map-keys"
TOP_LEVEL = ("apiVersion", "kind", "metadata")
_EMBEDDED_KEEP = TOP_LEVEL


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _show(value: Any) -> str:
    """A value in a message as Go's %v shows a JSON value (strings quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return '"null"'
    if isinstance(value, int | float | str):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


# -- pruning ---------------------------------------------------------------------------------

def prune(schema: JSONSchema, obj: dict[str, Any]) -> list[str]:
    """Drop from ``obj`` (in place) what ``schema`` does not name; the dropped paths."""
    pruned: list[str] = []
    for name in list(obj):
        if name in TOP_LEVEL:
            continue
        _prune_field(schema, obj, name, "", pruned)
    return pruned


def _prune_field(schema: JSONSchema, parent: dict[str, Any], name: str, path: str,
                 pruned: list[str]) -> None:
    properties = schema.get("properties") or {}
    child = properties.get(name)
    if child is None:
        additional = schema.get("additionalProperties")
        if isinstance(additional, dict):
            child = additional
        elif schema.get(PRESERVE) or additional is True:
            return
        else:
            pruned.append(_join(path, name))
            del parent[name]
            return
    _prune_value(child, parent[name], _join(path, name), pruned)


def _prune_value(schema: JSONSchema, value: Any, path: str, pruned: list[str]) -> None:
    if isinstance(value, dict):
        if schema.get(EMBEDDED):
            for name in list(value):
                if name not in _EMBEDDED_KEEP:
                    _prune_field(schema, value, name, path, pruned)
            return
        if not schema.get("properties") and not isinstance(
                schema.get("additionalProperties"), dict) and (
                schema.get(PRESERVE) or schema.get("type") in (None, "")):
            return
        for name in list(value):
            _prune_field(schema, value, name, path, pruned)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for i, item in enumerate(value):
                _prune_value(items, item, f"{path}[{i}]", pruned)


# -- defaulting ------------------------------------------------------------------------------

def apply_defaults(schema: JSONSchema, obj: Any) -> None:
    """Fill missing fields that have a ``default``, at every level, in place."""
    if isinstance(obj, dict):
        properties = schema.get("properties") or {}
        for name, child in properties.items():
            if name in obj and not (obj[name] is None and not child.get("nullable")):
                continue
            if "default" in child:
                obj[name] = jsonutil.copy(child["default"])
        for name, value in obj.items():
            child = properties.get(name)
            if child is None and isinstance(schema.get("additionalProperties"), dict):
                child = schema["additionalProperties"]
            if child is not None:
                apply_defaults(child, value)
    elif isinstance(obj, list) and isinstance(schema.get("items"), dict):
        items = schema["items"]
        for i, item in enumerate(obj):
            if item is None and "default" in items and not items.get("nullable"):
                obj[i] = jsonutil.copy(items["default"])
            apply_defaults(items, obj[i])


# -- validation ------------------------------------------------------------------------------

def validate(schema: JSONSchema, obj: dict[str, Any], old: dict[str, Any] | None = None, *,
             transitions_only: bool = False) -> list[Cause]:
    """Every field error of a custom resource against its schema (top-level metadata aside).

    With ``old`` (an update), CEL transition rules see ``oldSelf``; ``transitions_only``
    checks just those (the rest was checked on the new object already)."""
    shape = dict(schema, properties={k: v for k, v in (schema.get("properties") or {}).items()
                                     if k not in TOP_LEVEL},
                 required=[r for r in schema.get("required") or [] if r not in TOP_LEVEL])
    return list(_check(shape, _root(obj), "", _root(old) if old is not None else MISSING,
                       transitions_only))


def _root(obj: dict[str, Any]) -> dict[str, Any]:
    """What the root's rules see as ``self``: the object, its metadata only name and
    generateName (as Kubernetes gives CEL)."""
    body = {k: v for k, v in obj.items() if k != "metadata"}
    meta: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    body["metadata"] = {k: meta[k] for k in ("name", "generateName") if k in meta}
    return body


def _type_error(path: str, value: Any, wanted: str) -> Cause:
    got = _json_type(value)
    where = path or "body"
    return Cause(path, f"Invalid value: {_show(value)}: {where} in body must be of type "
                       f"{wanted}: \"{got}\"", "FieldValueTypeInvalid")


def _invalid(path: str, value: Any, detail: str) -> Cause:
    return Cause(path, f"Invalid value: {_show(value)}: {path or 'body'} in body {detail}",
                 "FieldValueInvalid")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_ok(wanted: str, value: Any) -> bool:
    if wanted == "object":
        return isinstance(value, dict)
    if wanted == "array":
        return isinstance(value, list)
    if wanted == "string":
        return isinstance(value, str)
    if wanted == "boolean":
        return isinstance(value, bool)
    if wanted == "integer":
        return _json_type(value) == "integer"
    if wanted == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return True


def _check(schema: JSONSchema, value: Any, path: str, old: Any = MISSING,
           transitions: bool = False) -> Iterator[Cause]:
    """The errors at one node and below. ``old``: the old object's value here (for CEL
    transition rules); ``transitions``: only those rules are checked."""
    if value is None:
        if not schema.get("nullable") and schema.get("type") and not transitions:
            yield _type_error(path, value, schema["type"])
        return
    if schema.get(INT_OR_STRING):
        if not (isinstance(value, str) or _json_type(value) == "integer"):
            if not transitions:
                yield _type_error(path, value, "integer,string")
            return
    else:
        wanted = schema.get("type")
        if wanted and not _type_ok(wanted, value):
            if not transitions:
                yield _type_error(path, value, wanted)
            return
    if not transitions:
        yield from _check_value(schema, value, path)
    if isinstance(value, dict):
        yield from _check_object(schema, value, path, old, transitions)
    elif isinstance(value, list):
        yield from _check_array(schema, value, path, old, transitions)
    if not transitions:
        yield from _check_combinators(schema, value, path)
    rules = schema.get(celrules.VALIDATIONS)
    if rules:
        yield from celrules.check(rules, value, old, path, str(schema.get("type") or "object"),
                                  transitions_only=transitions)


def _check_value(schema: JSONSchema, value: Any, path: str) -> Iterator[Cause]:
    enum = schema.get("enum")
    if enum is not None and value not in enum:
        yield not_supported(path, value, [v if isinstance(v, str) else json.dumps(v)
                                          for v in enum])
    if isinstance(value, str):
        max_length = schema.get("maxLength")
        if max_length is not None and len(value) > max_length:
            yield too_long(path, value, int(max_length))
        min_length = schema.get("minLength")
        if min_length is not None and len(value) < min_length:
            yield _invalid(path, value, f"should be at least {min_length} chars long")
        pattern = schema.get("pattern")
        if pattern is not None and not _compiled(pattern).search(value):
            yield _invalid(path, value, f"should match '{pattern}'")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield from _check_number(schema, value, path)


def _check_number(schema: JSONSchema, value: float, path: str) -> Iterator[Cause]:
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    if minimum is not None:
        if schema.get("exclusiveMinimum") and value <= minimum:
            yield _invalid(path, value, f"should be greater than {_num(minimum)}")
        elif value < minimum:
            yield _invalid(path, value, f"should be greater than or equal to {_num(minimum)}")
    if maximum is not None:
        if schema.get("exclusiveMaximum") and value >= maximum:
            yield _invalid(path, value, f"should be less than {_num(maximum)}")
        elif value > maximum:
            yield _invalid(path, value, f"should be less than or equal to {_num(maximum)}")
    multiple = schema.get("multipleOf")
    if multiple and not math.isclose(value / multiple, round(value / multiple)):
        yield _invalid(path, value, f"should be a multiple of {_num(multiple)}")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _check_object(schema: JSONSchema, value: dict[str, Any], path: str, old: Any,
                  transitions: bool) -> Iterator[Cause]:
    if not transitions:
        for name in schema.get("required") or []:
            if name not in value:
                yield required(_join(path, name))
    properties = schema.get("properties") or {}
    additional = schema.get("additionalProperties")
    for name, item in value.items():
        child = properties.get(name)
        if child is None and isinstance(additional, dict):
            child = additional
        if child is not None:
            was = old.get(name, MISSING) if isinstance(old, dict) else MISSING
            yield from _check(child, item, _join(path, name), was, transitions)
    if transitions:
        return
    if schema.get(EMBEDDED):
        yield from _check_embedded(value, path)
    count = len(value)
    if schema.get("maxProperties") is not None and count > schema["maxProperties"]:
        yield Cause(path, f"Too many: {count}: must have at most {schema['maxProperties']} "
                          "items", "FieldValueTooMany")
    if schema.get("minProperties") is not None and count < schema["minProperties"]:
        yield _invalid(path, value, f"should have at least {schema['minProperties']} "
                                    "properties")


def _check_embedded(value: dict[str, Any], path: str) -> Iterator[Cause]:
    """An embedded object is a Kubernetes object: it says its apiVersion and kind."""
    if not value.get("kind"):
        yield required(_join(path, "kind"), "must not be empty")
    if not value.get("apiVersion"):
        yield required(_join(path, "apiVersion"), "must not be empty")
    meta = value.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        yield _type_error(_join(path, "metadata"), meta, "object")


def _check_array(schema: JSONSchema, value: list[Any], path: str, old: Any,
                 transitions: bool) -> Iterator[Cause]:
    items = schema.get("items")
    if isinstance(items, dict):
        previous = _correlated(schema, old)
        for i, item in enumerate(value):
            yield from _check(items, item, f"{path}[{i}]", previous(item), transitions)
    if transitions:
        return
    count = len(value)
    if schema.get("maxItems") is not None and count > schema["maxItems"]:
        yield Cause(path, f"Too many: {count}: must have at most {schema['maxItems']} items",
                    "FieldValueTooMany")
    if schema.get("minItems") is not None and count < schema["minItems"]:
        yield _invalid(path, value, f"should have at least {schema['minItems']} items")
    list_type = schema.get(LIST_TYPE)
    if schema.get("uniqueItems") or list_type == "set":
        seen: set[str] = set()
        for i, item in enumerate(value):
            key = json.dumps(item, sort_keys=True)
            if key in seen:
                yield Cause(f"{path}[{i}]", f"Duplicate value: {_show(item)}",
                            "FieldValueDuplicate")
            seen.add(key)
    if list_type == "map":
        keys = schema.get(LIST_MAP_KEYS) or []
        seen_keys: set[str] = set()
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                continue
            key = json.dumps({k: item.get(k) for k in keys}, sort_keys=True)
            if key in seen_keys:
                yield Cause(f"{path}[{i}]", f"Duplicate value: {key}", "FieldValueDuplicate")
            seen_keys.add(key)


def _correlated(schema: JSONSchema, old: Any) -> Any:
    """For each new item, the old item it is (transition rules): list-type map items by their
    keys, set items by value; other lists have no correlation."""
    if not isinstance(old, list):
        return lambda _item: MISSING
    list_type = schema.get(LIST_TYPE)
    if list_type == "map":
        keys = schema.get(LIST_MAP_KEYS) or []

        def key(item: Any) -> str:
            return json.dumps({k: item.get(k) for k in keys} if isinstance(item, dict)
                              else item, sort_keys=True)
        by_key = {key(item): item for item in old}
        return lambda item: by_key.get(key(item), MISSING)
    if list_type == "set":
        members = {json.dumps(item, sort_keys=True) for item in old}
        return lambda item: item if json.dumps(item, sort_keys=True) in members else MISSING
    return lambda _item: MISSING


def _check_combinators(schema: JSONSchema, value: Any, path: str) -> Iterator[Cause]:
    for sub in schema.get("allOf") or []:
        yield from _check_value_only(sub, value, path)
    any_of = schema.get("anyOf")
    if any_of and not any(not list(_check_value_only(s, value, path)) for s in any_of):
        yield _invalid(path, value, "must validate at least one schema (anyOf)")
    one_of = schema.get("oneOf")
    if one_of:
        passing = sum(1 for s in one_of if not list(_check_value_only(s, value, path)))
        if passing != 1:
            yield _invalid(path, value, "must validate one and only one schema (oneOf)")
    negated = schema.get("not")
    if isinstance(negated, dict) and not list(_check_value_only(negated, value, path)):
        yield _invalid(path, value, "must not validate the schema (not)")


def _check_value_only(schema: JSONSchema, value: Any, path: str) -> Iterator[Cause]:
    """A value-validation branch (allOf/anyOf/oneOf/not): types come from the outer node."""
    yield from _check(schema, value, path)


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def validate_value(schema: JSONSchema, value: Any) -> list[Cause]:
    """The field errors of any value against a schema node (paths relative to it); the CRD
    validation checks each ``default`` with it."""
    return list(_check(schema, value, ""))


def prune_value(schema: JSONSchema, value: Any) -> list[str]:
    """What :func:`prune` would drop from ``value`` under ``schema``; ``value`` is kept."""
    pruned: list[str] = []
    _prune_value(schema, jsonutil.copy(value), "", pruned)
    return pruned
