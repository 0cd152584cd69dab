"""Property tests: whatever a client puts in a CRD's schema, validating the CRD never fails
with an exception, and a schema it accepts can prune, default and validate any object
without one (a crash would be a 500 where Kubernetes answers 422)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from minikube_py.api.kinds.apiextensions.customresource import resource_types
from minikube_py.api.machinery import cel
from minikube_py.api.machinery import structuralschema as ss
from minikube_py.api.validation.apiextensions import validate_crd

# The CEL engine is built on the first rule and raises the recursion limit as it is; build it
# here, so that this does not happen inside a Hypothesis example (which warns, as an error).
cel.environment()

KEYWORDS = ["type", "properties", "items", "required", "enum", "default", "minimum",
            "maximum", "maxLength", "pattern", "additionalProperties", "nullable",
            "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string",
            "x-kubernetes-embedded-resource", "x-kubernetes-list-type",
            "x-kubernetes-list-map-keys", "x-kubernetes-validations", "anyOf", "not"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False),
                    st.sampled_from(["object", "string", "integer", "array", "map", "a+",
                                     "[", "self > 0", "self.("]))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from([*KEYWORDS, "a", "b"]),
                                                 inner, max_size=4)), max_leaves=12)
schemas = st.recursive(
    st.fixed_dictionaries({}, optional={k: json_values for k in KEYWORDS[:6]}),
    lambda inner: st.fixed_dictionaries({"type": st.sampled_from(["object", "array"])},
                                        optional={"properties": st.dictionaries(
                                            st.sampled_from(["a", "b", "spec"]), inner,
                                            max_size=3), "items": inner,
                                            "default": json_values,
                                            "x-kubernetes-list-type": json_values}),
    max_leaves=8)


# Schemas of the right shape, so that many are accepted and reach the objects' path.
NAMES = st.sampled_from(["a", "b", "name"])
rules = st.lists(st.fixed_dictionaries(
    {"rule": st.sampled_from(["self > 0", "size(self) < 3", "self == oldSelf", "self.(",
                              "has(self.a)", "self.a == oldSelf.a"])},
    optional={"message": st.just("m"), "fieldPath": st.just(".a"),
              "messageExpression": st.sampled_from(["'x'", "1", "self.("])}), max_size=2)
leaves = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(["string", "integer", "number",
                                                    "boolean"])},
                          optional={"enum": st.lists(scalars, max_size=3), "default": scalars,
                                    "minimum": st.integers(-2, 2), "maxLength": st.integers(0, 4),
                                    "pattern": st.sampled_from(["^a", "b+"]),
                                    "nullable": st.booleans(),
                                    "x-kubernetes-validations": rules}),
    st.just({"x-kubernetes-int-or-string": True}),
    st.just({"x-kubernetes-preserve-unknown-fields": True}))
typed = st.recursive(leaves, lambda inner: st.one_of(
    st.fixed_dictionaries({"type": st.just("object"),
                           "properties": st.dictionaries(NAMES, inner, max_size=3)},
                          optional={"required": st.lists(NAMES, max_size=2),
                                    "x-kubernetes-validations": rules,
                                    "x-kubernetes-embedded-resource": st.booleans(),
                                    "default": json_values}),
    st.fixed_dictionaries({"type": st.just("object"), "additionalProperties": inner}),
    st.fixed_dictionaries({"type": st.just("array"), "items": inner},
                          optional={"x-kubernetes-list-type": st.sampled_from(
                              ["atomic", "set", "map"]),
                              "x-kubernetes-list-map-keys": st.just(["name"]),
                              "maxItems": st.integers(0, 3), "default": json_values})),
    max_leaves=10)
roots = st.builds(lambda spec, extra: {"type": "object",
                                       "properties": {"spec": spec, "a": extra}}, typed, typed)


def crd(schema: Any) -> dict[str, Any]:
    return {"metadata": {"name": "ts.x.io"},
            "spec": {"group": "x.io", "scope": "Namespaced",
                     "names": {"plural": "ts", "kind": "T"},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": schema}}]},
            "status": {"conditions": [{"type": "Established", "status": "True"}]}}


@settings(max_examples=400, deadline=None)
@given(schema=st.one_of(json_values, schemas, roots, roots), value=json_values)
def test_any_schema_and_object(schema: Any, value: Any) -> None:
    definition = crd(schema)
    if validate_crd(definition):
        return
    for rt in resource_types(definition):
        obj = {"apiVersion": "x.io/v1", "kind": "T", "metadata": {"name": "t"},
               "spec": copy.deepcopy(value), "a": copy.deepcopy(value)}
        rt.strategy.decode(rt.schema, obj)
        rt.strategy.default(obj)
        rt.strategy.validate(obj)
        rt.strategy.validate_update(obj, copy.deepcopy(obj))
        ss.validate(schema, obj)
