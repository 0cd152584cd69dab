"""Validation of CustomResourceDefinitions (Kubernetes'
``apiextensions-apiserver/pkg/apis/apiextensions/validation``): names, group, scope,
versions (exactly one storage version), subresources, printer columns, conversion, and the
rules that make a version's ``openAPIV3Schema`` *structural* (every node typed, no
``$ref``, ``properties`` xor ``additionalProperties``, list types with their keys, defaults
that validate against their own schema).

Called by the CRD strategy (``api/kinds/apiextensions/customresourcedefinition.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.machinery import celrules, structuralschema
from minikube_py.api.validation.base import forbidden, immutable, invalid, not_supported, required
from minikube_py.api.validation.names import (
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
)

SCOPES = ["Cluster", "Namespaced"]
APPROVAL = "api-approved.kubernetes.io"
COLUMN_TYPES = ["boolean", "date", "integer", "number", "string"]
LIST_TYPES = ["atomic", "map", "set"]
RULE_REASONS = ["FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid",
                "FieldValueRequired"]
TYPES = ["array", "boolean", "integer", "number", "object", "string"]
KIND_RE = re.compile(r"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$")
# JSON-schema keywords a structural schema may not use (Kubernetes forbids them).
FORBIDDEN_KEYWORDS = ("$ref", "$schema", "id", "additionalItems", "patternProperties",
                      "dependencies", "definitions")
Obj = dict[str, Any]


def validate_crd(crd: Obj) -> list[Cause]:
    spec = crd.get("spec") or {}
    causes: list[Cause] = []
    group, names = str(spec.get("group") or ""), spec.get("names") or {}
    plural = str(names.get("plural") or "")
    name = str((crd.get("metadata") or {}).get("name") or "")
    if plural and group and name != f"{plural}.{group}":
        causes.append(invalid("metadata.name", name,
                              'must be spec.names.plural+"."+spec.group'))
    causes += _group(group)
    causes += _approval(crd, group)
    causes += validate_names(names, "spec.names")
    scope = spec.get("scope")
    if not scope:
        causes.append(required("spec.scope"))
    elif scope not in SCOPES:
        causes.append(not_supported("spec.scope", scope, SCOPES))
    causes += _versions(spec.get("versions"))
    causes += _conversion(spec)
    if spec.get("preserveUnknownFields"):
        causes.append(invalid("spec.preserveUnknownFields", True,
                              "cannot set to true, set x-kubernetes-preserve-unknown-fields "
                              "to true in spec.versions[*].schema instead"))
    return causes


def validate_crd_update(new: Obj, old: Obj) -> list[Cause]:
    causes: list[Cause] = []
    new_spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    for field in ("group", "scope"):
        if old_spec.get(field) and new_spec.get(field) != old_spec.get(field):
            causes.append(immutable(f"spec.{field}", new_spec.get(field)))
    if (old_spec.get("names") or {}).get("plural") != (new_spec.get("names") or {}).get("plural"):
        causes.append(immutable("spec.names.plural", (new_spec.get("names") or {}).get("plural")))
    return causes + validate_stored_versions(new)


def validate_stored_versions(crd: Obj) -> list[Cause]:
    """``status.storedVersions``: every entry still a version of the spec, and the storage
    version among them."""
    versions = [v.get("name") for v in (crd.get("spec") or {}).get("versions") or []
                if isinstance(v, dict)]
    stored = (crd.get("status") or {}).get("storedVersions") or []
    causes = [invalid(f"status.storedVersions[{i}]", v, "must appear in spec.versions")
              for i, v in enumerate(stored) if v not in versions]
    storage = [v.get("name") for v in (crd.get("spec") or {}).get("versions") or []
               if isinstance(v, dict) and v.get("storage")]
    if stored and storage and storage[0] not in stored:
        causes.append(invalid("status.storedVersions", stored,
                              f"must have the storage version {storage[0]}"))
    return causes


def _group(group: str) -> list[Cause]:
    if not group:
        return [required("spec.group")]
    causes = [invalid("spec.group", group, msg) for msg in is_dns1123_subdomain(group)]
    if "." not in group:
        causes.append(invalid("spec.group", group, "should be a domain with at least one dot"))
    return causes


def _approval(crd: Obj, group: str) -> list[Cause]:
    """Groups of the Kubernetes project (``*.k8s.io``, ``*.kubernetes.io``) need the
    ``api-approved.kubernetes.io`` annotation, as in Kubernetes: no CRD shadows a built-in."""
    protected = group in ("k8s.io", "kubernetes.io") or group.endswith(
        (".k8s.io", ".kubernetes.io"))
    annotations = (crd.get("metadata") or {}).get("annotations") or {}
    if protected and not annotations.get(APPROVAL):
        return [required(f"metadata.annotations[{APPROVAL}]",
                         f'protected groups must have approval annotation "{APPROVAL}", see '
                         "https://github.com/kubernetes/enhancements/pull/1111")]
    return []


def validate_names(names: Obj, path: str) -> list[Cause]:
    """``spec.names`` (also ``status.acceptedNames``)."""
    causes: list[Cause] = []
    plural = names.get("plural")
    if not plural:
        causes.append(required(f"{path}.plural"))
    else:
        causes += [invalid(f"{path}.plural", plural, m) for m in is_dns1123_label(plural)]
    singular = names.get("singular")
    if singular:
        causes += [invalid(f"{path}.singular", singular, m) for m in is_dns1123_label(singular)]
    kind, list_kind = names.get("kind"), names.get("listKind")
    if not kind:
        causes.append(required(f"{path}.kind"))
    elif not KIND_RE.match(kind):
        causes.append(invalid(f"{path}.kind", kind, "may have mixed case, but should "
                              "otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?"))
    if list_kind and not KIND_RE.match(list_kind):
        causes.append(invalid(f"{path}.listKind", list_kind, "may have mixed case, but "
                              "should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?"))
    if kind and list_kind and kind == list_kind:
        causes.append(invalid(f"{path}.listKind", list_kind,
                              "kind and listKind may not be the same"))
    for field in ("shortNames", "categories"):
        for i, value in enumerate(names.get(field) or []):
            causes += [invalid(f"{path}.{field}[{i}]", value, m)
                       for m in is_dns1123_label(str(value))]
    return causes


def _versions(versions: Any) -> list[Cause]:
    if not isinstance(versions, list) or not versions:
        return [invalid("spec.versions", versions or [], "must have exactly one version "
                        "marked as storage version")]
    causes: list[Cause] = []
    seen: set[str] = set()
    storage = 0
    for i, version in enumerate(versions):
        path = f"spec.versions[{i}]"
        name = str(version.get("name") or "")
        if not name:
            causes.append(required(f"{path}.name"))
        else:
            causes += [invalid(f"{path}.name", name, m) for m in is_dns1035_label(name)]
            if name in seen:
                causes.append(invalid("spec.versions", name, "must contain unique version "
                                      "names"))
            seen.add(name)
        storage += bool(version.get("storage"))
        causes += _version(version, path)
    if storage != 1:
        causes.append(invalid("spec.versions", [v.get("name") for v in versions],
                              "must have exactly one version marked as storage version"))
    if not any(v.get("served") for v in versions):
        causes.append(invalid("spec.versions", [v.get("name") for v in versions],
                              "must have at least one served version"))
    return causes


def _version(version: Obj, path: str) -> list[Cause]:
    causes: list[Cause] = []
    schema = (version.get("schema") or {}).get("openAPIV3Schema")
    if schema is None:
        causes.append(required(f"{path}.schema.openAPIV3Schema", "schemas are required"))
    elif not isinstance(schema, dict):
        causes.append(invalid(f"{path}.schema.openAPIV3Schema", schema, "must be an object"))
    else:
        causes += validate_schema(schema, f"{path}.schema.openAPIV3Schema")
    subresources = version.get("subresources") or {}
    scale = subresources.get("scale")
    if isinstance(scale, dict):
        causes += _scale(scale, f"{path}.subresources.scale")
    for i, column in enumerate(version.get("additionalPrinterColumns") or []):
        causes += _column(column, f"{path}.additionalPrinterColumns[{i}]")
    fields = version.get("selectableFields") or []
    if len(fields) > 8:
        causes.append(Cause(f"{path}.selectableFields", f"Too many: {len(fields)}: must have "
                            "at most 8 items", "FieldValueTooMany"))
    for i, field in enumerate(fields):
        json_path = field.get("jsonPath") if isinstance(field, dict) else None
        if not json_path:
            causes.append(required(f"{path}.selectableFields[{i}].jsonPath"))
        elif not str(json_path).startswith(".") or "[" in str(json_path):
            causes.append(invalid(f"{path}.selectableFields[{i}].jsonPath", json_path,
                                  "must be a simple json path of fields starting with ."))
    return causes


def _scale(scale: Obj, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for field, prefixes in (("specReplicasPath", (".spec.",)),
                            ("statusReplicasPath", (".status.",)),
                            ("labelSelectorPath", (".spec.", ".status."))):
        value = scale.get(field)
        if value is None:
            if field != "labelSelectorPath":
                causes.append(required(f"{path}.{field}"))
            continue
        if not str(value).startswith(prefixes) or str(value).endswith("."):
            causes.append(invalid(f"{path}.{field}", value, "should be a json path under "
                                  + " or ".join(p.rstrip(".") for p in prefixes)))
    return causes


def _column(column: Obj, path: str) -> list[Cause]:
    causes: list[Cause] = []
    if not column.get("name"):
        causes.append(required(f"{path}.name"))
    if not column.get("type"):
        causes.append(required(f"{path}.type"))
    elif column["type"] not in COLUMN_TYPES:
        causes.append(not_supported(f"{path}.type", column["type"], COLUMN_TYPES))
    if not column.get("jsonPath"):
        causes.append(required(f"{path}.jsonPath"))
    elif not str(column["jsonPath"]).lstrip("{").startswith("."):
        causes.append(invalid(f"{path}.jsonPath", column["jsonPath"],
                              "must be a simple json path starting with ."))
    if int(column.get("priority") or 0) < 0:
        causes.append(invalid(f"{path}.priority", column["priority"],
                              "must be greater than or equal to 0"))
    return causes


def _conversion(spec: Obj) -> list[Cause]:
    strategy = (spec.get("conversion") or {}).get("strategy", "None")
    if strategy != "None":
        return [not_supported("spec.conversion.strategy", strategy, ["None"])]
    return []


# -- structural schemas ----------------------------------------------------------------------

def validate_schema(schema: Obj, path: str) -> list[Cause]:
    """Why ``schema`` is not a structural schema Kubernetes would accept, with paths."""
    # First that every keyword has its JSON type, everywhere: the rules below (defaults are
    # validated against their subtree) read any node.
    causes = list(_shapes(schema, path)) or list(_node(schema, path, root=True))
    if schema.get("type") != "object":
        causes.append(invalid(f"{path}.type", schema.get("type", ""), "must be object at the "
                              "root"))
    return causes


def _node(node: Obj, path: str, *, root: bool = False, value_only: bool = False
          ) -> Iterator[Cause]:
    if not isinstance(node, dict):
        yield invalid(path, node, "must be a schema object")
        return
    for keyword in FORBIDDEN_KEYWORDS:
        if keyword in node:
            yield forbidden(f"{path}.{keyword}", f"{keyword} is not supported")
    node_type = node.get("type")
    preserve = node.get(structuralschema.PRESERVE)
    int_or_string = node.get(structuralschema.INT_OR_STRING)
    if node_type is not None and node_type not in TYPES:
        yield not_supported(f"{path}.type", node_type, TYPES)
    if preserve is False:
        yield invalid(f"{path}.x-kubernetes-preserve-unknown-fields", False,
                      "must be true or undefined")
    if not value_only and not node_type and not preserve and not int_or_string:
        yield required(f"{path}.type", "must not be empty for specified object fields")
    if int_or_string and node_type:
        yield invalid(f"{path}.type", node_type, "must be empty if "
                      "x-kubernetes-int-or-string is true")
    if node.get("properties") and node.get("additionalProperties") not in (None, False):
        yield forbidden(f"{path}.additionalProperties",
                        "additionalProperties and properties are mutual exclusive")
    if node.get(structuralschema.EMBEDDED) and node_type != "object":
        yield invalid(f"{path}.type", node_type or "", "must be object if "
                      "x-kubernetes-embedded-resource is true")
    if node_type == "array" and not value_only and not isinstance(node.get("items"), dict):
        yield required(f"{path}.items", "must be specified")
    yield from _children(node, path, value_only)
    yield from _list_type(node, path)
    yield from _rules(node.get(celrules.VALIDATIONS), f"{path}.{celrules.VALIDATIONS}")
    if "default" in node:
        yield from _default(node, path, root)


_KEYWORD_TYPES: dict[str, tuple[type, ...]] = {
    "type": (str,), "description": (str,), "format": (str,), "title": (str,),
    "pattern": (str,), "properties": (dict,), "required": (list,), "enum": (list,),
    "items": (dict, list), "additionalProperties": (dict, bool), "allOf": (list,),
    "anyOf": (list,), "oneOf": (list,), "not": (dict,), "nullable": (bool,),
    "uniqueItems": (bool,), "exclusiveMinimum": (bool,), "exclusiveMaximum": (bool,),
    "minimum": (int, float), "maximum": (int, float), "multipleOf": (int, float),
    "maxLength": (int,), "minLength": (int,), "maxItems": (int,), "minItems": (int,),
    "maxProperties": (int,), "minProperties": (int,),
    structuralschema.PRESERVE: (bool,), structuralschema.EMBEDDED: (bool,),
    structuralschema.INT_OR_STRING: (bool,), structuralschema.LIST_TYPE: (str,),
    structuralschema.LIST_MAP_KEYS: (list,), celrules.VALIDATIONS: (list,),
}
_GO_TYPES = {str: "string", dict: "object", list: "array", bool: "bool", int: "integer",
             float: "number"}


def _keyword_types(node: Obj, path: str) -> Iterator[Cause]:
    """Keywords whose value has the wrong JSON type (Kubernetes would not decode them);
    lists of schemas or names checked item by item; counts not negative; patterns compile."""
    for keyword, types in _KEYWORD_TYPES.items():
        if keyword not in node:
            continue
        value = node[keyword]
        bad = not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
        if bad:
            wanted = " or ".join(_GO_TYPES[t] for t in types)
            yield invalid(f"{path}.{keyword}", value, f"must be of type {wanted}")
        elif keyword.startswith(("max", "min")) and keyword not in ("minimum", "maximum") \
                and value < 0:
            yield invalid(f"{path}.{keyword}", value, "must be greater than or equal to 0")
        elif keyword == "pattern" and compile_error(value):
            yield invalid(f"{path}.pattern", value, f"must be a valid regular expression: "
                          f"{compile_error(value)}")
    for keyword in ("required", structuralschema.LIST_MAP_KEYS):
        if isinstance(node.get(keyword), list) and not all(
                isinstance(v, str) for v in node[keyword]):
            yield invalid(f"{path}.{keyword}", node[keyword], "must be a list of strings")
    for keyword in ("allOf", "anyOf", "oneOf"):
        if isinstance(node.get(keyword), list) and not all(
                isinstance(v, dict) for v in node[keyword]):
            yield invalid(f"{path}.{keyword}", node[keyword], "must be a list of schemas")
    if isinstance(node.get("properties"), dict):
        for name, child in node["properties"].items():
            if not isinstance(child, dict):
                yield invalid(f"{path}.properties[{name}]", child, "must be a schema object")


def _shapes(node: Any, path: str) -> Iterator[Cause]:
    """:func:`_keyword_types` of every schema node of a tree."""
    if not isinstance(node, dict):
        yield invalid(path, node, "must be a schema object")
        return
    problems = list(_keyword_types(node, path))
    yield from problems
    if problems:
        return
    for name, child in (node.get("properties") or {}).items():
        yield from _shapes(child, f"{path}.properties[{name}]")
    for keyword in ("items", "additionalProperties", "not"):
        if isinstance(node.get(keyword), dict):
            yield from _shapes(node[keyword], f"{path}.{keyword}")
    for keyword in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(node.get(keyword) or []):
            yield from _shapes(sub, f"{path}.{keyword}[{i}]")


def compile_error(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    return None


def _children(node: Obj, path: str, value_only: bool) -> Iterator[Cause]:
    for name, child in (node.get("properties") or {}).items():
        yield from _node(child, f"{path}.properties[{name}]", value_only=value_only)
    additional = node.get("additionalProperties")
    if isinstance(additional, dict):
        yield from _node(additional, f"{path}.additionalProperties", value_only=value_only)
    items = node.get("items")
    if isinstance(items, dict):
        yield from _node(items, f"{path}.items", value_only=value_only)
    elif isinstance(items, list):
        yield forbidden(f"{path}.items", "items must be a schema object and not an array")
    for combinator in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(node.get(combinator) or []):
            yield from _node(sub, f"{path}.{combinator}[{i}]", value_only=True)
    if isinstance(node.get("not"), dict):
        yield from _node(node["not"], f"{path}.not", value_only=True)


def _list_type(node: Obj, path: str) -> Iterator[Cause]:
    list_type = node.get(structuralschema.LIST_TYPE)
    keys = node.get(structuralschema.LIST_MAP_KEYS)
    if list_type is None:
        if keys:
            yield forbidden(f"{path}.x-kubernetes-list-map-keys",
                            "must be empty if x-kubernetes-list-type is not map")
        return
    if node.get("type") != "array":
        yield invalid(f"{path}.x-kubernetes-list-type", list_type, "must only be used if "
                      "type is array")
    if list_type not in LIST_TYPES:
        yield not_supported(f"{path}.x-kubernetes-list-type", list_type, LIST_TYPES)
        return
    items: Obj = node["items"] if isinstance(node.get("items"), dict) else {}
    if list_type == "map":
        if not keys:
            yield required(f"{path}.x-kubernetes-list-map-keys",
                           "must not be empty if x-kubernetes-list-type is map")
        if items.get("type") != "object":
            yield invalid(f"{path}.items.type", items.get("type", ""), "must be object if "
                          "parent array's x-kubernetes-list-type is map")
        for key in keys or []:
            child = (items.get("properties") or {}).get(key)
            if child is None:
                yield invalid(f"{path}.x-kubernetes-list-map-keys", keys,
                              f"entries must all be names of item properties: {key}")
            elif key not in (items.get("required") or []) and "default" not in child:
                yield required(f"{path}.items.properties[{key}]", "all map keys must be "
                               "required or have a default value")
    elif keys:
        yield forbidden(f"{path}.x-kubernetes-list-map-keys",
                        "must be empty if x-kubernetes-list-type is not map")
    if list_type == "set" and items.get("type") == "object":
        yield invalid(f"{path}.items.type", "object", "must be a scalar type if parent "
                      "array's x-kubernetes-list-type is set")


def _rules(rules: Any, path: str) -> Iterator[Cause]:
    """``x-kubernetes-validations``: each a rule that compiles, with a known reason."""
    if rules is None:
        return
    if not isinstance(rules, list):
        yield invalid(path, rules, "must be a list of rules")
        return
    for i, spec in enumerate(rules):
        rule = spec.get("rule") if isinstance(spec, dict) else None
        if not isinstance(rule, str) or not rule.strip():
            yield required(f"{path}[{i}].rule")
            continue
        error = celrules.compile_error(rule)
        if error is not None:
            yield invalid(f"{path}[{i}].rule", rule, f"compilation failed: {error}")
        reason = spec.get("reason")
        if reason is not None and reason not in RULE_REASONS:
            yield not_supported(f"{path}[{i}].reason", reason, RULE_REASONS)


def _default(node: Obj, path: str, root: bool) -> Iterator[Cause]:
    if root:
        yield forbidden(f"{path}.default", "must not be set at the root")
        return
    value = node["default"]
    if value is None and not node.get("nullable"):
        yield forbidden(f"{path}.default", "must not be null for a non-nullable field")
        return
    problems = list(structuralschema.validate_value(node, value))
    for cause in problems:
        where = f"{path}.default" + (f".{cause.field}" if cause.field else "")
        yield Cause(where, cause.message, cause.reason)
    if isinstance(value, dict | list):
        pruned = structuralschema.prune_value(node, value)
        for field in pruned:
            yield invalid(f"{path}.default", value, f"must not have unknown fields: {field}")
