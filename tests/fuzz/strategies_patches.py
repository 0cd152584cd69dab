"""Strategy "patches": hostile patches of every type against a seed object of every kind.

- merge patch (RFC 7386): parts of a mutated object, nulls that delete, a non-object body;
- JSON patch (RFC 6902): ``add``/``remove``/``replace``/``move``/``copy``/``test`` (and bogus
  ops) on odd pointers: the root, ``-``, ``~0``/``~1``/``~2`` escapes, leading zeros,
  indices past the end, a parent moved into its own child;
- strategic merge patch with its directives: ``$patch`` (replace, delete, merge, bogus) on maps
  and in merge-keyed lists, ``$setElementOrder/<list>``, ``$retainKeys``,
  ``$deleteFromPrimitiveList/<list>`` with values of the wrong shape;
- server-side apply (``application/apply-patch+yaml``), as JSON or YAML, with and without a
  ``fieldManager`` and with ``force`` set or not.

Patches go to the seed, its ``/status`` and (for workloads) its ``/scale``. A 2xx is wrong
for an option value Kubernetes refuses: an apply without ``fieldManager``, ``force`` on a
non-apply patch, a ``fieldManager`` longer than 128 bytes, ``dryRun`` other than ``All``.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from hypothesis import strategies as st

from minikube_py.api.registry import ResourceType
from minikube_py.api.schema import Schema
from tests.fuzz import values
from tests.fuzz.bodies import Dup, Raw, to_json
from tests.fuzz.examples import example, served_kinds
from tests.fuzz.harness import FUZZ_NS, Plan, seed_name
from tests.fuzz.strategies_objects import ENCODINGS, encode, mutate, schema_paths
from tests.fuzz.wire import Request

MERGE = b"application/merge-patch+json"
JSON_PATCH = b"application/json-patch+json"
STRATEGIC = b"application/strategic-merge-patch+json"
APPLY = b"application/apply-patch+yaml"
APPLIED = "fuzz-applied"

ODD_POINTERS = ["", "/", "/metadata", "/metadata/name", "/metadata/namespace",
                "/metadata/labels", "/metadata/labels/a~1b", "/metadata/labels/~0",
                "/metadata/annotations", "/metadata/finalizers", "/metadata/finalizers/-",
                "/metadata/finalizers/0", "/metadata/resourceVersion", "/metadata/uid",
                "/metadata/managedFields", "/metadata/deletionTimestamp", "/kind",
                "/apiVersion", "/spec", "/status", "/metadata/~2", "/metadata/labels/", "//",
                "/spec/containers/99", "/spec/containers/-1", "/spec/containers/01",
                "/spec/containers/1e0", "metadata", "/\x00", "/😀", "/-", "/spec/-"]
OPS = ["add", "remove", "replace", "move", "copy", "test", "bogus", "ADD", "", None, 1]
DIRECTIVES = ["replace", "delete", "merge", "bogus", "", None, 1, ["replace"]]


def pointer(path: tuple[str | int, ...]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _pointers(rt: ResourceType) -> list[str]:
    base = example(rt, seed_name(rt), FUZZ_NS)
    return [pointer(p) for p, _ in schema_paths(rt.schema, base)]


@st.composite
def json_patch(draw: st.DrawFn, rt: ResourceType) -> Any:
    known = _pointers(rt)
    where = st.one_of(st.sampled_from(known), st.sampled_from(ODD_POINTERS),
                      st.sampled_from(known).map(lambda p: p + "/-"))
    ops = []
    for _ in range(draw(st.integers(0, 5))):
        op: dict[str, Any] = {"op": draw(st.sampled_from(OPS)), "path": draw(where)}
        if draw(st.booleans()):
            op["value"] = draw(values.hostile_for(None))
        if op["op"] in ("move", "copy") or draw(st.integers(0, 5)) == 0:
            op["from"] = draw(where)
        if draw(st.integers(0, 7)) == 0:
            del op[draw(st.sampled_from(sorted(op)))]
        ops.append(op)
    shape = draw(st.integers(0, 9))
    if shape == 0:
        return ops[0] if ops else {}
    if shape == 1:
        return [draw(st.sampled_from(values.WRONG)), *ops]
    if shape == 2:  # a parent copied into its own child, again and again
        return [{"op": "copy", "from": "/metadata", "path": "/metadata/annotations/x"}] * 3
    return ops


def _directives(draw: st.DrawFn, schema: Schema | None, node: Any, depth: int = 0) -> Any:
    """``node`` (a patch object) with strategic merge directives sprinkled in."""
    if not isinstance(node, dict) or depth > 6:
        return node
    out = {k: _directives(draw, schema.field(k) if schema else None, v, depth + 1)
           for k, v in node.items()}
    if draw(st.integers(0, 5)) == 0:
        out["$patch"] = draw(st.sampled_from(DIRECTIVES))
    if draw(st.integers(0, 6)) == 0:
        out["$retainKeys"] = draw(st.one_of(st.just(sorted(out)[:2]),
                                            st.sampled_from(values.WRONG)))
    lists = [k for k, f in (schema.fields.items() if schema and schema.type == "object"
                            else []) if f.type == "array"]
    if lists and draw(st.integers(0, 3)) == 0:
        name = draw(st.sampled_from(lists))
        field = schema.fields[name] if schema else None
        key = field.patch_merge_key if field else None
        order: Any = draw(st.one_of(
            st.just([{key: "app"}] if key else ["a"]), st.sampled_from(values.WRONG),
            st.just([{key: None}] if key else [None]), st.just([{"other": 1}])))
        directive = draw(st.sampled_from(["$setElementOrder", "$deleteFromPrimitiveList"]))
        out[f"{directive}/{name}"] = order
        if draw(st.booleans()):
            element: Any = {"$patch": draw(st.sampled_from(DIRECTIVES))}
            if key:
                element[key] = draw(st.one_of(st.just("app"), values.hostile_string()))
            out[name] = [element, *(out.get(name) if isinstance(out.get(name), list) else [])]
    return out


@st.composite
def _partial(draw: st.DrawFn, rt: ResourceType) -> Any:
    """A piece of a mutated seed: the raw material of merge and strategic patches."""
    mutated = draw(mutate(rt.schema, example(rt, seed_name(rt), FUZZ_NS), max_mutations=2))
    if not isinstance(mutated, dict):
        return mutated
    keys = sorted(k for k in mutated if isinstance(k, str))
    chosen = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=3, unique=True)) \
        if keys else []
    patch: dict[str, Any] = {k: mutated[k] for k in chosen}
    if draw(st.integers(0, 4)) == 0:
        patch[draw(st.sampled_from(["spec", "status", "metadata", "data", "x"]))] = None
    return patch


def _options(draw: st.DrawFn, ctype: bytes) -> tuple[bytes, str, bool]:
    """The query, why a 2xx would be wrong ("" if it would not), and whether it is dryRun."""
    parts: list[bytes] = []
    refuse = ""
    manager = draw(st.sampled_from(["fuzz", "fuzz", "", None, "m" * 129, "kubectl",
                                    "a\x00b", "ü"]))
    if manager is not None:
        parts.append(b"fieldManager=" + urllib.parse.quote(manager).encode())
        if len(manager.encode()) > 128 or any(ord(c) < 32 for c in manager):
            refuse = "fieldManager-invalid"
    if ctype == APPLY and not manager:
        refuse = refuse or "apply-without-fieldManager"
    force = draw(st.sampled_from([None, None, "true", "false"]))
    if force is not None:
        parts.append(b"force=" + force.encode())
        if ctype != APPLY:
            refuse = refuse or "force-on-non-apply-patch"
    fv = draw(st.sampled_from(["", "", "Strict", "Warn", "Ignore"]))
    if fv:
        parts.append(b"fieldValidation=" + fv.encode())
    dry = draw(st.sampled_from([None, None, None, "All", "Bogus"]))
    if dry is not None:
        parts.append(b"dryRun=" + dry.encode())
        if dry != "All":
            refuse = refuse or "dryRun-invalid"
    return (b"?" + b"&".join(parts) if parts else b""), refuse, dry == "All"


@st.composite
def patch_plans(draw: st.DrawFn) -> Plan:
    """A hostile patch of any type to a seed (or its status/scale)."""
    rt = draw(st.sampled_from(served_kinds()))
    ctype = draw(st.sampled_from([MERGE, JSON_PATCH, STRATEGIC, STRATEGIC, APPLY]))
    subs = [""] + [s for s in ("status", "scale") if s in rt.subresources]
    sub = draw(st.sampled_from(subs)) if ctype != APPLY else ""
    if ctype == JSON_PATCH:
        body = to_json(draw(json_patch(rt)))
    elif ctype == APPLY:
        config = draw(mutate(rt.schema, example(rt, APPLIED, FUZZ_NS), max_mutations=2))
        body = encode(config, draw(st.sampled_from(ENCODINGS)))
    else:
        patch = draw(_partial(rt))
        if ctype == STRATEGIC:
            patch = _directives(draw, rt.schema, patch)
        if sub == "scale" and draw(st.booleans()):
            patch = {"spec": {"replicas": draw(values.hostile_for(Schema("integer")))}}
        body = to_json(patch) if draw(st.integers(0, 9)) else draw(st.sampled_from(
            [b"", b"null", b"[]", b'"x"', b"{", to_json(Dup((("spec", {}), ("spec", 1)))),
             to_json(Raw(b"[" * 3000 + b"]" * 3000))]))
    query, refuse, dry = _options(draw, ctype)
    name = APPLIED if ctype == APPLY else seed_name(rt)
    item = rt.path(FUZZ_NS if rt.namespaced else None, name)
    target = (item + (f"/{sub}" if sub else "")).encode() + query
    seeds = (rt,) if name != APPLIED else ()
    return Plan("patches", Request("PATCH", target, ((b"Content-Type", ctype),), body), rt=rt,
                item_path=item.encode(), seeds=seeds, must_refuse=refuse, dry_run=dry,
                note=f"{ctype.decode()} {sub}".strip())
