"""Strategy "openapi": objects drawn by hypothesis-jsonschema from the apiserver's own OpenAPI.

The daemon's ``/openapi/v3`` documents are what kubectl validates against; an object that
conforms to them must never get a 5xx or be stored invalid. Each kind's component schema is
inlined (``$ref`` followed four levels deep; deeper references become an empty object;
objects get ``additionalProperties: false``, so only known fields are drawn), drawn, and
"repaired" into something the apiserver will look at: ``apiVersion``/``kind`` of the
endpoint, ``generateName: fuzz-``, and half the time laid over the kind's valid example so
that required fields are there and validation runs past them. Drawn objects carry
type-correct garbage in *every* field at once (the mutation strategy changes one to three),
which is what reaches deep into the per-kind validators.

The schema-tree strategy (``strategies_objects.py``) remains the main one: it knows the
formats (int32 vs int64), merge keys and list types that the OpenAPI JSON schema does not
let hypothesis-jsonschema act on, and it needs no canonicalisation (a second or more per kind
here).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from minikube_py.api.registry import ResourceType
from tests.fuzz.examples import example, served_kinds
from tests.fuzz.harness import FUZZ_NS, Fuzzer, Plan
from tests.fuzz.strategies_objects import must_refuse
from tests.fuzz.wire import Request

REF = "#/components/schemas/"
DEPTH = 4
CUT = {"type": "object", "maxProperties": 0}


def served_components(fuzzer: Fuzzer) -> dict[str, Any]:
    """All ``components.schemas`` of every document the daemon serves."""
    status, index = fuzzer.call("GET", "/openapi/v3")
    assert status == 200, index
    components: dict[str, Any] = {}
    for entry in index["paths"].values():
        status, doc = fuzzer.call("GET", entry["serverRelativeURL"])
        assert status == 200, doc
        components.update(doc.get("components", {}).get("schemas", {}))
    return components


def kind_schema(components: dict[str, Any], rt: ResourceType) -> dict[str, Any]:
    """The JSON schema of ``rt`` with references inlined, for hypothesis-jsonschema."""
    for name, schema in components.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            if (gvk.get("group"), gvk.get("version"), gvk.get("kind")) == (
                    rt.group, rt.version, rt.kind) and not name.endswith("List"):
                return _inline(components, schema, DEPTH, ())
    raise KeyError(f"no OpenAPI schema for {rt.group}/{rt.kind}")


def _inline(components: dict[str, Any], node: Any, depth: int, stack: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(components, v, depth, stack) for v in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"][len(REF):]
        if depth <= 0 or name in stack:
            return dict(CUT)
        return _inline(components, components[name], depth - 1, (*stack, name))
    out = {k: _inline(components, v, depth, stack) for k, v in node.items()
           if not k.startswith("x-kubernetes") and k not in ("description", "format")}
    if list(out) == ["allOf"] and len(out["allOf"]) == 1:
        return out["allOf"][0]
    if "properties" in out:  # known fields only: unknown ones are the mutations' business
        out.setdefault("additionalProperties", False)
    return out


def _overlay(base: Any, drawn: Any) -> Any:
    """``drawn`` laid over ``base``: objects merge, anything else replaces."""
    if isinstance(base, dict) and isinstance(drawn, dict):
        merged = dict(base)
        for key, value in drawn.items():
            merged[key] = _overlay(base.get(key), value)
        return merged
    return drawn


def _repair(rt: ResourceType, drawn: Any, *, overlay: bool, keep_meta: bool) -> dict[str, Any]:
    obj = drawn if isinstance(drawn, dict) else {}
    base = example(rt, "", FUZZ_NS)
    base["metadata"].pop("name")
    if overlay:
        obj = _overlay(base, obj)
    meta = obj.get("metadata") if keep_meta and isinstance(obj.get("metadata"), dict) else {}
    meta = {k: v for k, v in meta.items() if k not in ("name", "namespace", "generateName")}
    obj["metadata"] = {**meta, "generateName": "fuzz-"}
    if rt.namespaced:
        obj["metadata"]["namespace"] = FUZZ_NS
    obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
    return obj


def openapi_plans(components: dict[str, Any]) -> st.SearchStrategy[Plan]:
    """Creates of objects drawn from the served OpenAPI schemas of every kind."""
    cache: dict[str, st.SearchStrategy[Any]] = {}

    def drawn(rt: ResourceType) -> st.SearchStrategy[Any]:
        key = f"{rt.group}/{rt.kind}"
        if key not in cache:
            cache[key] = from_schema(kind_schema(components, rt))
        return cache[key]

    @st.composite
    def plans(draw: st.DrawFn) -> Plan:
        rt = draw(st.sampled_from(served_kinds()))
        obj = _repair(rt, copy.deepcopy(draw(drawn(rt))), overlay=draw(st.booleans()),
                      keep_meta=draw(st.booleans()))
        strict = draw(st.booleans())
        body = json.dumps(obj).encode()
        query = b"?fieldValidation=Strict" if strict else b""
        path = rt.path(FUZZ_NS if rt.namespaced else None).encode()
        return Plan("openapi", Request("POST", path + query,
                                       ((b"Content-Type", b"application/json"),), body),
                    rt=rt, collection_ns=FUZZ_NS if rt.namespaced else None,
                    must_refuse=must_refuse(rt, obj, "json", strict), note="openapi")

    return plans()
