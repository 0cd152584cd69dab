"""Strategy "objects": a valid object of every kind, mutated, then created or replaced.

The mutation walks the kind's schema tree (``api/schema.py``) alongside the example object:
it may replace any node with a value hostile to that node's type (``values.py``), delete it,
add an unknown field (names with control characters, quotes, non-ASCII, a lone surrogate),
repeat a key in the raw JSON, or nest 1,000 levels deep. The result is written as JSON or
YAML (anchors and aliases, odd tags, several documents, a BOM, trailing bytes) and sent as a
create (``POST`` with ``generateName: fuzz-``) or a replace (``PUT`` of the seed).

A 2xx is wrong when Kubernetes' typed decoding refuses the body: an integer out of its
format's range or written as a float, a value of the wrong type, and under
``fieldValidation=Strict`` an unknown field or a repeated key.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from minikube_py.api.registry import ResourceType
from minikube_py.api.schema import Schema
from tests.fuzz import bodies, values
from tests.fuzz.bodies import Alias, Anchor, Dup, Tagged, to_json, to_yaml
from tests.fuzz.examples import example, served_kinds
from tests.fuzz.harness import FUZZ_NS, Plan, seed_name, seed_path
from tests.fuzz.oracle import conformance
from tests.fuzz.wire import Request

Path = tuple[str | int, ...]

# Findings of ``conformance`` that Kubernetes' typed decoding refuses (nulls it accepts).
REFUSED_TAGS = {"int32", "int64", "float-int", "type", "number", "quantity"}
TAGS = [Tagged(t, v) for t, v in (
    ("!!binary", "aGVsbG8="), ("!!python/object/apply:os.system", ["true"]), ("!!set", {}),
    ("!!timestamp", "2001-12-14t21:59:43.10-05:00"), ("!!float", "1e3"), ("!custom", "x"),
    ("!!int", "0x10"), ("!!str", 1), ("!!null", ""), ("!!omap", [{"a": 1}]),
    ("!!python/name:os.system", ""), ("!!merge", "<<"), ("!<tag:yaml.org,2002:str>", "x"))]


def schema_paths(schema: Schema | None, value: Any, path: Path = ()) -> list[tuple[Path, Any]]:
    """Every node of ``value`` (and every absent field of its objects) with its schema."""
    out: list[tuple[Path, Any]] = [(path, schema)]
    if isinstance(value, dict):
        if schema is not None and schema.type == "object":
            for key, child in schema.fields.items():
                if key in value:
                    out += schema_paths(child, value[key], (*path, key))
                else:
                    out.append(((*path, key), child))
        else:
            items = schema.items if schema is not None and schema.type == "map" else None
            for key, item in value.items():
                out += schema_paths(items, item, (*path, key))
    elif isinstance(value, list):
        items = schema.items if schema is not None else None
        for i, item in enumerate(value):
            out += schema_paths(items, item, (*path, i))
    return out


def _parent(tree: Any, path: Path) -> Any:
    node = tree
    for part in path[:-1]:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def set_at(tree: Any, path: Path, value: Any) -> Any:
    """``tree`` with the node at ``path`` replaced (the root itself when ``path`` is empty)."""
    if not path:
        return value
    parent = _parent(tree, path)
    last = path[-1]
    if isinstance(parent, dict) and isinstance(last, str):
        parent[last] = value
    elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        parent[last] = value
    return tree


def delete_at(tree: Any, path: Path) -> Any:
    parent = _parent(tree, path)
    if path and isinstance(parent, dict):
        parent.pop(path[-1], None)
    elif path and isinstance(parent, list) and isinstance(path[-1], int) \
            and path[-1] < len(parent):
        del parent[path[-1]]
    return tree


def get_at(tree: Any, path: Path) -> Any:
    if not path:
        return tree
    parent = _parent(tree, path)
    if isinstance(parent, dict):
        return parent.get(path[-1]) if isinstance(path[-1], str) else None
    if isinstance(parent, list) and isinstance(path[-1], int) and path[-1] < len(parent):
        return parent[path[-1]]
    return None


@st.composite
def mutate(draw: st.DrawFn, schema: Schema | None, base: Any, *,
           max_mutations: int = 3) -> Any:
    """``base`` with one to ``max_mutations`` schema-aware mutations."""
    tree = copy.deepcopy(base)
    paths = schema_paths(schema, base)
    objects = [p for p, _ in paths if isinstance(get_at(base, p), dict)]
    # By type first, then a path of that type: the few integer fields of a Deployment are
    # as likely a target as its many strings.
    buckets: dict[str, list[tuple[Path, Any]]] = {}
    for path, node in paths:
        buckets.setdefault(node.type if node is not None else "none", []).append((path, node))
    kinds = sorted(buckets)
    for _ in range(draw(st.integers(1, max_mutations))):
        op = draw(st.sampled_from(["replace", "replace", "replace", "delete", "unknown",
                                   "dup", "alias", "tag", "long"]))
        if op in ("unknown", "dup"):
            path = draw(st.sampled_from(objects))
            node = get_at(tree, path)
            if not isinstance(node, dict):
                continue
            if op == "unknown":
                node[draw(st.sampled_from(values.UNKNOWN_KEYS) | st.text(max_size=10))] = \
                    draw(values.any_value())
            elif node:
                key = draw(st.sampled_from(sorted(node)))
                twin = draw(st.one_of(st.just(node[key]), values.hostile_for(None)))
                tree = set_at(tree, path, Dup((*node.items(), (key, twin))))
            continue
        path, node_schema = draw(st.sampled_from(buckets[draw(st.sampled_from(kinds))]))
        if op == "delete":
            tree = delete_at(tree, path)
        elif op == "alias" and path:
            tree = set_at(tree, path, Alias("m"))
        elif op == "tag":
            tree = set_at(tree, path, draw(st.sampled_from(TAGS)))
        elif op == "long":
            tree = set_at(tree, path, "a" * draw(st.sampled_from([70000, 1 << 20])))
        else:
            tree = set_at(tree, path, draw(values.hostile_for(node_schema)))
    return tree


ENCODINGS = ["json", "json", "json", "json-ascii", "yaml", "yaml", "json-bom",
             "json-trailing", "json-two", "yaml-multidoc", "yaml-directive", "yaml-laughs",
             "yaml-int-key", "yaml-deep", "yaml-deep-flow"]
_CTYPES = {"json": [b"application/json", b"application/json; charset=utf-8",
                    b"APPLICATION/JSON", b"", b"*/*", b"application/json;charset=utf-16",
                    b"application/vnd.kubernetes.protobuf", b"text/plain"],
           "yaml": [b"application/yaml", b"application/yaml; charset=utf-8",
                    b"application/x-yaml", b"text/yaml"]}


def encode(value: Any, encoding: str) -> bytes:
    """The body text of ``value`` in one of :data:`ENCODINGS`."""
    if encoding == "json-ascii":
        return to_json(value, ascii_only=True)
    if encoding.startswith("json"):
        text = to_json(value)
        extra = {"json-bom": (b"\xef\xbb\xbf", b""), "json-trailing": (b"", b" x"),
                 "json-two": (b"", text)}.get(encoding, (b"", b""))
        return extra[0] + text + extra[1]
    if encoding == "yaml-laughs":  # aliases of aliases: a small body, a large value
        lol: Any = {"a": Anchor("a0", ["lol"] * 9)}
        for i in range(1, 6):
            lol[f"a{i}"] = Anchor(f"a{i}", [Alias(f"a{i - 1}")] * 9)
        if isinstance(value, dict) and isinstance(value.get("metadata"), dict):
            value = {**value, "metadata": {**value["metadata"], "annotations": Alias("a5")},
                     "lol": lol}
        return to_yaml(value)
    text = to_yaml(value if not _uses_alias(value) else _anchor_metadata(value))
    if encoding == "yaml-multidoc":
        return text + b"---\nkind: Other\n"
    if encoding == "yaml-directive":
        return b"%YAML 1.1\n---\n" + text
    if encoding == "yaml-int-key":
        return text + b"1: one\n" if not bodies.has_raw(value) else text
    if encoding == "yaml-deep":
        return text + b"deep:\n" + bodies.nested_yaml(600, indent=1)
    if encoding == "yaml-deep-flow":
        return text + b"deep: " + b"[" * 1500 + b"]" * 1500 + b"\n"
    return text


def _uses_alias(value: Any) -> bool:
    if isinstance(value, Alias):
        return True
    if isinstance(value, dict):
        return any(_uses_alias(v) for v in value.values())
    if isinstance(value, Dup):
        return any(_uses_alias(v) for _, v in value.pairs)
    if isinstance(value, list):
        return any(_uses_alias(v) for v in value)
    return False


def _anchor_metadata(value: Any) -> Any:
    """Anchor ``&m`` on the metadata so that each ``*m`` alias refers to something."""
    if isinstance(value, dict) and "metadata" in value:
        return {"metadata": Anchor("m", value["metadata"]),
                **{k: v for k, v in value.items() if k != "metadata"}}
    return {"m": Anchor("m", "x"), "v": value}


def must_refuse(rt: ResourceType, value: Any, encoding: str, strict: bool) -> str:
    """Why Kubernetes would refuse this whole-object body, or "" if it would not."""
    if strict and bodies.has_dup(value) and encoding in ("json", "json-ascii", "yaml"):
        return "duplicate-key-strict"
    if encoding not in ("json", "json-ascii") or bodies.has_raw(value) \
            or not isinstance(value, dict):
        return ""
    plain = bodies.strip_markers(value)
    found = conformance(rt.schema, plain)
    for f in found:
        if f.what in REFUSED_TAGS and f.path not in ("kind", "apiVersion"):
            return f"typed-decode:{f.what}"
    if strict and any(f.what == "unknown" for f in found):
        return "unknown-field-strict"
    return ""


def _query(field_validation: str, dry_run: bool) -> bytes:
    parts = []
    if field_validation:
        parts.append(b"fieldValidation=" + field_validation.encode())
    if dry_run:
        parts.append(b"dryRun=All")
    return b"?" + b"&".join(parts) if parts else b""


@st.composite
def object_plans(draw: st.DrawFn) -> Plan:
    """A mutated object of any served kind, created or replaced."""
    rt = draw(st.sampled_from(served_kinds()))
    verb = draw(st.sampled_from(["create", "create", "update"]))
    if verb == "create":
        base = example(rt, "", FUZZ_NS)
        base["metadata"].pop("name")
        base["metadata"]["generateName"] = "fuzz-"
    else:
        base = example(rt, seed_name(rt), FUZZ_NS)
    value = draw(mutate(rt.schema, base))
    if verb == "create" and not rt.namespaced and isinstance(value, dict) \
            and isinstance(value.get("metadata"), dict):
        name = value["metadata"].get("name")  # cluster-wide objects are named fuzz-*, too
        if isinstance(name, str) and not name.startswith("fuzz-"):
            value["metadata"]["name"] = "fuzz-" + name
    encoding = draw(st.sampled_from(ENCODINGS))
    family = "yaml" if encoding.startswith("yaml") else "json"
    ctype = draw(st.sampled_from(_CTYPES[family][:1] * 6 + _CTYPES[family]))
    fv = draw(st.sampled_from(["", "Strict", "Strict", "Warn", "Ignore"]))
    dry = draw(st.integers(0, 9)) == 0
    body = encode(value, encoding)
    headers = ((b"Content-Type", ctype),) if ctype else ()
    refuse = must_refuse(rt, value, encoding, fv == "Strict") if ctype in (
        b"application/json", b"application/yaml") else ""
    if verb == "create":
        path = rt.path(FUZZ_NS if rt.namespaced else None)
        return Plan("objects", Request("POST", path.encode() + _query(fv, dry), headers, body),
                    rt=rt, collection_ns=FUZZ_NS if rt.namespaced else None, must_refuse=refuse,
                    dry_run=dry, note=encoding)
    target = seed_path(rt).encode()
    return Plan("objects", Request("PUT", target + _query(fv, dry), headers, body), rt=rt,
                item_path=target, seeds=(rt,), must_refuse=refuse, dry_run=dry, note=encoding)
