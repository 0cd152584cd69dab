"""Custom resources against their CRD's schema (``api/machinery/structuralschema.py``):
pruning, defaulting and validation with Kubernetes' field paths and words; the structural
schema rules of ``api/validation/apiextensions.py``; the printer columns' JSONPath cells."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from minikube_py.api.kinds.apiextensions.customresource import resource_types, to_schema
from minikube_py.api.machinery import structuralschema as ss
from minikube_py.api.printers import jsonpath
from minikube_py.api.printers.custom import custom_printer
from minikube_py.api.validation.apiextensions import validate_schema

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "maxLength": 5, "pattern": "^[a-z]+$"},
                "count": {"type": "integer", "minimum": 1, "maximum": 3, "default": 1},
                "ratio": {"type": "number", "exclusiveMinimum": True, "minimum": 0},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "port": {"x-kubernetes-int-or-string": True},
                "note": {"type": "string", "nullable": True},
                "tags": {"type": "array", "maxItems": 2, "items": {"type": "string"},
                         "x-kubernetes-list-type": "set"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "items": {"type": "array", "items": {
                    "type": "object", "properties": {
                        "key": {"type": "string"},
                        "weight": {"type": "integer", "default": 10}}}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "template": {"type": "object", "x-kubernetes-embedded-resource": True,
                             "properties": {"spec": {"type": "object", "properties": {
                                 "size": {"type": "integer"}}}}},
                "limits": {"type": "object", "default": {"cpu": "1"},
                           "properties": {"cpu": {"type": "string"}}},
            },
        },
    },
}


def obj(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "x.io/v1", "kind": "T", "metadata": {"name": "t", "junk": 1},
            "spec": {"name": "ok", **spec}}


def causes(value: dict[str, Any]) -> dict[str, str]:
    return {c.field: c.message for c in ss.validate(SCHEMA, value)}


# -- pruning ---------------------------------------------------------------------------------

def test_prune_drops_unknown_fields_at_every_level() -> None:
    """Unknown fields go (top level, nested, in list items and map values), the paths said;
    apiVersion, kind and metadata are not the schema's business."""
    o = obj(bogus=1, items=[{"key": "a", "extra": True}])
    o["toplevel"] = 2
    pruned = ss.prune(SCHEMA, o)
    assert sorted(pruned) == ["spec.bogus", "spec.items[0].extra", "toplevel"]
    assert o["spec"] == {"name": "ok", "items": [{"key": "a"}]}
    assert o["metadata"] == {"name": "t", "junk": 1}


def test_prune_keeps_preserved_and_embedded_object_meta() -> None:
    """preserve-unknown-fields keeps everything below; an embedded resource keeps apiVersion,
    kind and metadata but is pruned inside."""
    o = obj(free={"any": {"thing": [1]}}, template={
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"size": 1, "gone": True}, "other": 1})
    assert sorted(ss.prune(SCHEMA, o)) == ["spec.template.other", "spec.template.spec.gone"]
    assert o["spec"]["free"] == {"any": {"thing": [1]}}
    assert o["spec"]["template"]["metadata"] == {"name": "p"}


# -- defaulting ------------------------------------------------------------------------------

def test_defaults_fill_missing_fields_nested_and_in_items() -> None:
    """Defaults apply to missing fields, inside list items, and inside a defaulted object."""
    o = obj(items=[{"key": "a"}, {"key": "b", "weight": 2}])
    ss.apply_defaults(SCHEMA, o)
    assert o["spec"]["count"] == 1
    assert o["spec"]["limits"] == {"cpu": "1"}
    assert [i["weight"] for i in o["spec"]["items"]] == [10, 2]


def test_default_replaces_null_unless_nullable() -> None:
    """A null non-nullable field with a default gets the default; given values stay."""
    o = obj(count=None)
    ss.apply_defaults(SCHEMA, o)
    assert o["spec"]["count"] == 1
    kept = obj(count=3)
    ss.apply_defaults(SCHEMA, kept)
    assert kept["spec"]["count"] == 3


# -- validation ------------------------------------------------------------------------------

def test_valid_object_has_no_causes() -> None:
    assert causes(obj(count=2, ratio=0.5, mode="a", port="http", note=None, tags=["x"],
                      labels={"a": "b"})) == {}


@pytest.mark.parametrize(("spec", "field", "words"), [
    pytest.param({"count": "two"}, "spec.count",
                 'Invalid value: "two": spec.count in body must be of type integer: '
                 '"string"', id="type"),
    pytest.param({"count": 1.5}, "spec.count", "must be of type integer", id="fraction"),
    pytest.param({"count": 0}, "spec.count",
                 "Invalid value: 0: spec.count in body should be greater than or equal to 1",
                 id="minimum"),
    pytest.param({"count": 4}, "spec.count", "should be less than or equal to 3",
                 id="maximum"),
    pytest.param({"ratio": 0}, "spec.ratio", "should be greater than 0",
                 id="exclusive-minimum"),
    pytest.param({"mode": "c"}, "spec.mode",
                 'Unsupported value: "c": supported values: "a", "b"', id="enum"),
    pytest.param({"name": "toolong"}, "spec.name",
                 "Too long: may not be more than 5 bytes", id="max-length"),
    pytest.param({"name": "A1"}, "spec.name", "should match '^[a-z]+$'", id="pattern"),
    pytest.param({"port": 1.5}, "spec.port", "must be of type integer,string",
                 id="int-or-string"),
    pytest.param({"tags": ["a", "b", "c"]}, "spec.tags",
                 "Too many: 3: must have at most 2 items", id="max-items"),
    pytest.param({"tags": ["a", "a"]}, "spec.tags[1]", 'Duplicate value: "a"', id="set"),
    pytest.param({"tags": [1]}, "spec.tags[0]", "must be of type string", id="items"),
    pytest.param({"labels": {"a": 1}}, "spec.labels.a", "must be of type string",
                 id="additional-properties"),
    pytest.param({"mode": None}, "spec.mode", "must be of type string: \"null\"",
                 id="null-not-nullable"),
    pytest.param({"template": {"metadata": {}}}, "spec.template.kind", "Required value",
                 id="embedded-needs-kind"),
])
def test_invalid_values_named_by_path(spec: dict[str, Any], field: str, words: str) -> None:
    """Each broken rule is one cause at the field's path, in Kubernetes' words."""
    found = causes(obj(**spec))
    assert field in found, found
    assert words in found[field]


def test_required_fields_are_reported() -> None:
    """A missing required field is FieldValueRequired at its path."""
    o = obj()
    del o["spec"]["name"]
    found = ss.validate(SCHEMA, o)
    assert [(c.field, c.reason, c.message) for c in found] == [
        ("spec.name", "FieldValueRequired", "Required value")]


def test_one_of_and_any_of() -> None:
    """Value validation through combinators, types from the outer node."""
    schema = {"type": "object", "properties": {"v": {
        "type": "integer", "anyOf": [{"minimum": 10}, {"maximum": 0}]}}}
    assert ss.validate(schema, {"v": 11}) == []
    [cause] = ss.validate(schema, {"v": 5})
    assert cause.field == "v" and "anyOf" in cause.message


# -- structural schema rules -----------------------------------------------------------------

@pytest.mark.parametrize(("schema", "field"), [
    pytest.param({"type": "string"}, "s.type", id="root-not-object"),
    pytest.param({"type": "object", "properties": {"a": {}}}, "s.properties[a].type",
                 id="untyped"),
    pytest.param({"type": "object", "properties": {"a": {"type": "array"}}},
                 "s.properties[a].items", id="array-without-items"),
    pytest.param({"type": "object", "properties": {"a": {"$ref": "#/x", "type": "object"}}},
                 "s.properties[a].$ref", id="ref"),
    pytest.param({"type": "object", "properties": {"a": {
        "type": "array", "x-kubernetes-list-type": "map",
        "items": {"type": "object", "properties": {"k": {"type": "string"}}}}}},
        "s.properties[a].x-kubernetes-list-map-keys", id="map-list-without-keys"),
    pytest.param({"type": "object", "properties": {"a": {
        "type": "integer", "default": "x"}}}, "s.properties[a].default", id="bad-default"),
    pytest.param({"type": "object", "properties": {"a": {
        "type": "object", "properties": {"b": {"type": "string"}},
        "additionalProperties": {"type": "string"}}}},
        "s.properties[a].additionalProperties", id="properties-and-additional"),
])
def test_non_structural_schemas_are_refused(schema: dict[str, Any], field: str) -> None:
    assert field in [c.field for c in validate_schema(schema, "s")]


def test_the_sample_schema_is_structural() -> None:
    assert validate_schema(copy.deepcopy(SCHEMA), "s") == []


# -- the schema tree, the types, the columns -------------------------------------------------

def test_schema_tree_keeps_list_types_for_apply() -> None:
    """The converted tree gives server-side apply its list-map keys and maps."""
    tree = to_schema({"type": "object", "properties": {"spec": {"type": "object",
        "properties": {"ports": {"type": "array", "x-kubernetes-list-type": "map",
                                 "x-kubernetes-list-map-keys": ["name"],
                                 "items": {"type": "object",
                                           "properties": {"name": {"type": "string"}}}},
                       "labels": {"type": "object",
                                  "additionalProperties": {"type": "string"}}}}}},
        "io.x.v1.T")
    ports = tree.fields["spec"].fields["ports"]
    assert ports.list_type == "map" and ports.list_map_keys == ("name",)
    assert tree.fields["spec"].fields["labels"].type == "map"
    assert set(tree.fields) >= {"apiVersion", "kind", "metadata", "spec"}


def test_resource_types_only_when_established() -> None:
    """No types before Established; one per served version after, named by acceptedNames."""
    crd: dict[str, Any] = {
        "metadata": {"name": "ts.x.io"},
        "spec": {"group": "x.io", "scope": "Cluster",
                 "names": {"plural": "ts", "kind": "T"},
                 "versions": [{"name": "v1", "served": True, "storage": True},
                              {"name": "v2", "served": True, "storage": False},
                              {"name": "v0", "served": False, "storage": False}]},
        "status": {"conditions": []}}
    assert resource_types(crd) == []
    crd["status"] = {"conditions": [{"type": "Established", "status": "True"}],
                     "acceptedNames": {"plural": "ts", "kind": "T", "shortNames": ["t"]}}
    types = resource_types(crd)
    assert [(rt.version, rt.namespaced, rt.short_names) for rt in types] == [
        ("v1", False, ("t",)), ("v2", False, ("t",))]
    assert [rt.strategy.storage_api_version for rt in types] == ["x.io/v1", "x.io/v1"]


def test_printer_columns_from_json_paths() -> None:
    """Cells by type; a path that reaches nothing is an empty cell."""
    printer = custom_printer([
        {"name": "Ready", "type": "string",
         "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        {"name": "Missing", "type": "string", "jsonPath": ".spec.nothing", "priority": 1}])
    assert [c.name for c in printer.columns] == ["Name", "Ready", "Replicas", "Age", "Missing"]
    assert printer.columns[-1].priority == 1
    now = dt.datetime(2026, 1, 1, 0, 1, 0, tzinfo=dt.UTC)
    row = printer.row({"metadata": {"name": "a", "creationTimestamp": "2026-01-01T00:00:00Z"},
                       "spec": {"replicas": 2},
                       "status": {"conditions": [{"type": "Ready", "status": "True"}]}}, now)
    assert row == ["a", "True", 2, "60s", None]


def test_jsonpath_set_path_builds_the_scale_patch() -> None:
    assert jsonpath.set_path({}, ".spec.size.count", 3) == {"spec": {"size": {"count": 3}}}


# -- CEL rules (x-kubernetes-validations) ----------------------------------------------------

CEL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "x-kubernetes-validations": [{"rule": "self.metadata.name.startsWith('w')",
                                  "message": "names start with w"}],
    "properties": {"spec": {
        "type": "object",
        "x-kubernetes-validations": [
            {"rule": "self.min <= self.max", "message": "min must not exceed max"},
            {"rule": "!has(self.mode) || self.mode != 'off' || self.min == 0",
             "fieldPath": ".min", "reason": "FieldValueForbidden",
             "messageExpression": "'min must be 0 when off, not ' + string(self.min)"}],
        "properties": {
            "min": {"type": "integer"}, "max": {"type": "integer"},
            "mode": {"type": "string"},
            "id": {"type": "string",
                   "x-kubernetes-validations": [{"rule": "self == oldSelf",
                                                 "message": "id is immutable"}]},
            "ports": {"type": "array", "x-kubernetes-list-type": "map",
                      "x-kubernetes-list-map-keys": ["name"],
                      "items": {"type": "object", "required": ["name"], "properties": {
                          "name": {"type": "string"},
                          "port": {"type": "integer", "x-kubernetes-validations": [
                              {"rule": "self >= oldSelf", "message": "ports only grow"}]}}}},
        }}},
}


def cel_obj(name: str = "w1", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "x.io/v1", "kind": "T", "metadata": {"name": name},
            "spec": {"min": 0, "max": 1, **spec}}


def test_cel_rules_hold() -> None:
    assert ss.validate(CEL_SCHEMA, cel_obj(mode="off", id="a")) == []


def test_cel_rule_failures_with_messages_paths_and_reasons() -> None:
    """A false rule is a cause at its node (plus fieldPath), with its message or message
    expression, its reason, and the node's type as the value."""
    found = {c.field: c for c in ss.validate(CEL_SCHEMA, cel_obj("x", min=3, max=2,
                                                                     mode="off"))}
    assert found[""].message == 'Invalid value: "object": names start with w'
    assert found["spec"].message == 'Invalid value: "object": min must not exceed max'
    assert found["spec.min"].reason == "FieldValueForbidden"
    assert found["spec.min"].message == "Forbidden: min must be 0 when off, not 3"


def test_cel_transition_rules_only_on_update() -> None:
    """oldSelf rules: skipped at create, checked against the correlated old value after;
    list-map items correlate by key."""
    first = cel_obj(id="a", ports=[{"name": "http", "port": 80}])
    assert ss.validate(CEL_SCHEMA, first) == []
    changed = cel_obj(id="b", ports=[{"name": "http", "port": 70}, {"name": "new", "port": 1}])
    found = ss.validate(CEL_SCHEMA, changed, first, transitions_only=True)
    assert [(c.field, c.message) for c in found] == [
        ("spec.id", 'Invalid value: "string": id is immutable'),
        ("spec.ports[0].port", 'Invalid value: "integer": ports only grow')]


def test_cel_rules_must_compile() -> None:
    """A CRD whose rule does not compile is refused at the rule's path."""
    schema = {"type": "object", "properties": {"spec": {
        "type": "object", "x-kubernetes-validations": [{"rule": "self.a +"}]}}}
    [cause] = validate_schema(schema, "s")
    assert cause.field == "s.properties[spec].x-kubernetes-validations[0].rule"
    assert "compilation failed" in cause.message
