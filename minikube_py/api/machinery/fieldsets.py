"""Field sets of objects, as structured-merge-diff computes them: which paths a value sets
(``field_set``), and which paths differ between two objects (``compare``), guided by the
kind's schema (keyed lists by their ``list_map_keys``, set lists, atomic structs and lists).

The vocabulary of paths is :mod:`.fieldpath`; field ownership (:mod:`.managedfields`) and
server-side apply (:mod:`.apply`) are computed with these sets.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from minikube_py.api.machinery.fieldpath import Path, PathElement, compact, value_order
from minikube_py.api.schema import Schema

Obj = dict[str, Any]  # a JSON object

# Metadata the server sets; nobody owns it (structured-merge-diff's "strip meta" manager).
SERVER_METADATA = frozenset({
    "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
    "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "managedFields",
})
# Structs Kubernetes marks ``+structType=atomic`` (x-kubernetes-map-type: atomic): owned whole.
ATOMIC_STRUCTS = frozenset({
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
    "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference",
    "io.k8s.api.core.v1.ConfigMapKeySelector",
    "io.k8s.api.core.v1.FileKeySelector",
    "io.k8s.api.core.v1.LocalObjectReference",
    "io.k8s.api.core.v1.NodeSelector",
    "io.k8s.api.core.v1.NodeSelectorTerm",
    "io.k8s.api.core.v1.ObjectFieldSelector",
    "io.k8s.api.core.v1.ObjectReference",
    "io.k8s.api.core.v1.ResourceFieldSelector",
    "io.k8s.api.core.v1.ScopeSelector",
    "io.k8s.api.core.v1.SecretKeySelector",
    "io.k8s.api.core.v1.SecretReference",
    "io.k8s.api.core.v1.TypedLocalObjectReference",
})
# Defaults of list-map key fields (their OpenAPI ``default``, which the schema DSL does not
# carry): an item may omit such a key, e.g. a container port without ``protocol`` is TCP.
KEY_DEFAULTS = {"protocol": "TCP"}

MISSING: Any = object()  # no value at all (as opposed to null)


def child_schema(schema: Schema | None, key: str) -> Schema | None:
    if schema is None or schema.type not in ("object", "map"):
        return None
    return schema.field(key)


def is_declared(schema: Schema | None, key: str) -> bool:
    """A named field of a struct (as opposed to a map key); untyped parts count as structs."""
    if schema is None or schema.type == "any":
        return True
    return schema.type == "object" and key in schema.fields


def is_atomic_struct(schema: Schema | None) -> bool:
    return schema is not None and schema.name in ATOMIC_STRUCTS


def is_granular_map(schema: Schema | None, *values: Any) -> bool:
    present = [v for v in values if v is not MISSING]
    return (bool(present) and all(isinstance(v, dict) for v in present)
            and not is_atomic_struct(schema))


def list_kind(schema: Schema | None, *values: Any) -> str:
    """``map`` (keyed), ``set`` or ``atomic``; lists whose items do not fit are atomic."""
    present = [v for v in values if v is not MISSING]
    if not present or not all(isinstance(v, list) for v in present) or schema is None:
        return "atomic"
    items = [item for value in present for item in value]
    if schema.list_type == "map" and schema.list_map_keys:
        if all(not missing_keys(schema, item) for item in items):
            return "map"
    if schema.list_type == "set" and not any(isinstance(i, dict | list) for i in items):
        return "set"
    return "atomic"


def missing_keys(schema: Schema, item: Any) -> list[str]:
    """Key fields that a keyed-list item lacks and that have no default."""
    return [k for k in schema.list_map_keys
            if (not isinstance(item, dict) or item.get(k) is None) and k not in KEY_DEFAULTS]


def item_element(list_type: str, schema: Schema, item: Any) -> PathElement:
    if list_type == "map":
        keys = {k: item[k] if item.get(k) is not None else KEY_DEFAULTS[k]
                for k in schema.list_map_keys}
        return PathElement("k", compact(keys))
    return PathElement("v", compact(item))


def items_by_element(list_type: str, schema: Schema, items: list[Any]) -> dict[PathElement, Any]:
    """The first item of each element (later duplicates are ignored, as they are rare)."""
    out: dict[PathElement, Any] = {}
    for item in items:
        out.setdefault(item_element(list_type, schema, item), item)
    return out


def list_elements(schema: Schema, items: list[Any]) -> list[tuple[Any, str, Any]] | None:
    """(sort order, ``k:``/``v:`` text, item) per item of a keyed or set list; None when the
    list is atomic (see :func:`list_kind`)."""
    if schema.list_type == "map" and schema.list_map_keys:
        out = []
        for item in items:
            if not isinstance(item, dict):
                return None
            keys = {}
            for name in schema.list_map_keys:
                key = item.get(name)
                if key is None:
                    if name not in KEY_DEFAULTS:
                        return None
                    key = KEY_DEFAULTS[name]
                keys[name] = key
            order = (1, tuple((n, value_order(keys[n])) for n in sorted(keys)))
            out.append((order, "k:" + compact(keys), item))
        return out
    if schema.list_type == "set" and not any(isinstance(i, dict | list) for i in items):
        return [((2, value_order(item)), "v:" + compact(item), item) for item in items]
    return None


def field_set(value: Any, schema: Schema | None, path: Path = ()) -> set[Path]:
    """The paths a configuration sets (structured-merge-diff's ``ToFieldSet``)."""
    out: set[Path] = set()
    if is_granular_map(schema, value):
        for key, child in value.items():
            child_path = (*path, PathElement("f", key))
            out |= field_set(child, child_schema(schema, key), child_path)
            if child is None or child == {} or not is_declared(schema, key):
                out.add(child_path)
        return out
    list_type = list_kind(schema, value)
    if list_type == "atomic" or schema is None:
        if path:
            out.add(path)
        return out
    for item in value:
        item_path = (*path, item_element(list_type, schema, item))
        if list_type == "map":
            out |= field_set(item, schema.items, item_path)
        out.add(item_path)
    return out


@dataclass
class Change:
    """Paths added, changed and removed between two objects (``typed.Comparison``)."""

    added: set[Path] = field(default_factory=set)
    modified: set[Path] = field(default_factory=set)
    removed: set[Path] = field(default_factory=set)


def compare(live: Obj, new: Obj, schema: Schema | None) -> Change:
    change = Change()
    diff(live, new, schema, (), change, member=False)
    return change


def diff(lhs: Any, rhs: Any, schema: Schema | None, path: Path, change: Change, *,
          member: bool) -> None:
    """Record how ``rhs`` differs from ``lhs`` at ``path``; ``member`` says whether a new map
    at ``path`` counts as a field of its own (map entries and list items do, structs do not).

    Equal subtrees are skipped whole (Python's ``==``, which also takes ``true`` for ``1``: a
    change between those two alone does not move ownership)."""
    if lhs is not MISSING and rhs is not MISSING and lhs == rhs:
        return
    if is_granular_map(schema, lhs, rhs):
        mark_node(lhs, rhs, path, change, member=member or rhs == {})
        left = lhs if lhs is not MISSING else {}
        right = rhs if rhs is not MISSING else {}
        for key in [*left, *(k for k in right if k not in left)]:
            child = child_schema(schema, key)
            diff(left.get(key, MISSING), right.get(key, MISSING), child,
                  (*path, PathElement("f", key)), change,
                  member=not is_declared(schema, key) or (child is not None
                                                           and child.type == "map"))
        return
    list_type = list_kind(schema, lhs, rhs)
    if list_type != "atomic" and schema is not None:
        mark_node(lhs, rhs, path, change, member=True)
        left = items_by_element(list_type, schema, lhs if lhs is not MISSING else [])
        right = items_by_element(list_type, schema, rhs if rhs is not MISSING else [])
        for element in [*left, *(e for e in right if e not in left)]:
            diff(left.get(element, MISSING), right.get(element, MISSING), schema.items,
                  (*path, element), change, member=True)
        return
    if lhs is MISSING:
        change.added.add(path)
    elif rhs is MISSING:
        change.removed.add(path)
    elif not json_equal(lhs, rhs):
        change.modified.add(path)


def mark_node(lhs: Any, rhs: Any, path: Path, change: Change, *, member: bool) -> None:
    if not path:
        return
    if lhs is MISSING and member:
        change.added.add(path)
    elif rhs is MISSING:
        change.removed.add(path)


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: ``true`` is not ``1``, ``1`` is ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return (isinstance(b, dict) and a.keys() == b.keys()
                and all(json_equal(a[k], b[k]) for k in a))
    if isinstance(a, list):
        return (isinstance(b, list) and len(a) == len(b)
                and all(json_equal(x, y) for x, y in zip(a, b, strict=True)))
    return bool(a == b)


def owned_content(obj: Obj | None, subresource: str = "") -> Obj:
    """The part of an object that managers own: no apiVersion/kind, no server-set metadata, and
    ``status`` only for the status subresource (where it is all there is)."""
    if obj is None:
        return {}
    if subresource == "status":
        return {"status": copy.deepcopy(obj["status"])} if "status" in obj else {}
    out: Obj = {}
    for key, value in obj.items():
        if key in ("apiVersion", "kind", "status"):
            continue
        if key == "metadata" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in SERVER_METADATA}
            if not value:
                continue
        out[key] = copy.deepcopy(value)
    return out
