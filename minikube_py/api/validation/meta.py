"""ObjectMeta validation, as apimachinery's ValidateObjectMeta and ValidateObjectMetaUpdate.

``validation/__init__.py`` calls these for every object before the kind's own rules. The
apiserver has already turned ``generateName`` into a name, so a name is always required here.
The selectors built from the same label grammar live here as well: label maps and label
selectors (every workload kind), node selector terms, tolerations and taints (pods and nodes).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation import names
from minikube_py.api.validation.base import (
    duplicate,
    forbidden,
    immutable,
    invalid,
    not_supported,
    required,
    too_long,
)

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})
TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
NODE_SELECTOR_OPERATORS = ["DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn"]

NameCheck = Callable[[str], list[str]]


def validate_object_meta(meta: dict[str, Any], *, namespaced: bool,
                         name_check: NameCheck = names.is_dns1123_subdomain) -> list[Cause]:
    """Field errors of a new object's metadata (paths under ``metadata.``); names follow
    ``name_check`` (the kind's rule: most kinds a DNS-1123 subdomain)."""
    meta = meta if isinstance(meta, dict) else {}
    causes = _validate_name(meta, name_check)
    causes += _validate_namespace(meta, namespaced)
    causes += validate_labels(meta.get("labels"), "metadata.labels")
    causes += validate_annotations(meta.get("annotations"), "metadata.annotations")
    causes += _validate_owner_references(meta.get("ownerReferences"))
    causes += _validate_finalizers(meta.get("finalizers"))
    return causes


def validate_object_meta_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """Field errors of a metadata change: identity fields never change."""
    new = new if isinstance(new, dict) else {}
    old = old if isinstance(old, dict) else {}
    causes: list[Cause] = []
    for key in ("name", "namespace"):
        if (new.get(key) or "") != (old.get(key) or ""):
            causes.append(immutable(f"metadata.{key}", new.get(key) or ""))
    # The apiserver fills uid and creationTimestamp from the stored object when a client
    # leaves them out, so only a different value is a change.
    for key in ("uid", "creationTimestamp"):
        if new.get(key) and old.get(key) and new[key] != old[key]:
            causes.append(immutable(f"metadata.{key}", new[key]))
    if old.get("deletionTimestamp"):
        added = sorted(set(_strings(new.get("finalizers"))) - set(_strings(old.get("finalizers"))))
        if added:
            shown = "[]string{" + ", ".join(f'"{f}"' for f in added) + "}"
            causes.append(forbidden("metadata.finalizers", "no new finalizers can be added if "
                                    f"the object is being deleted, found new finalizers {shown}"))
    return causes


def _validate_name(meta: dict[str, Any], check: NameCheck) -> list[Cause]:
    causes = []
    generate = meta.get("generateName")
    if isinstance(generate, str) and generate:
        causes += [invalid("metadata.generateName", generate, msg)
                   for msg in check(names.mask_trailing_dash(generate))]
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        causes.append(required("metadata.name", "name or generateName is required"))
    else:
        causes += [invalid("metadata.name", name, msg) for msg in check(name)]
    return causes


def _validate_namespace(meta: dict[str, Any], namespaced: bool) -> list[Cause]:
    namespace = meta.get("namespace")
    if not namespaced:
        if namespace:
            return [forbidden("metadata.namespace", "not allowed on this type")]
        return []
    if not isinstance(namespace, str) or not namespace:
        return [required("metadata.namespace")]
    return [invalid("metadata.namespace", namespace, msg)
            for msg in names.is_dns1123_label(namespace)]


def validate_labels(labels: Any, path: str) -> list[Cause]:
    """Keys are qualified names, values label values; errors carry the map's own path."""
    if not isinstance(labels, dict):
        return []
    causes = []
    for key, value in labels.items():
        causes += [invalid(path, key, msg) for msg in names.is_qualified_name(str(key))]
        value = value if isinstance(value, str) else str(value)
        causes += [invalid(path, value, msg) for msg in names.is_label_value(value)]
    return causes


def validate_annotations(annotations: Any, path: str) -> list[Cause]:
    if not isinstance(annotations, dict):
        return []
    causes = []
    total = 0
    for key, value in annotations.items():
        # Qualified names, except that case does not matter.
        causes += [invalid(path, key, msg) for msg in names.is_qualified_name(str(key).lower())]
        total += len(str(key).encode()) + len(str(value).encode())
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        causes.append(too_long(path, "", TOTAL_ANNOTATION_SIZE_LIMIT))
    return causes


def _validate_owner_references(refs: Any) -> list[Cause]:
    if not isinstance(refs, list):
        return []
    causes: list[Cause] = []
    controller = ""
    for i, ref in enumerate(refs):
        if not isinstance(ref, dict):
            continue
        path = f"metadata.ownerReferences[{i}]"
        causes += _validate_owner_reference(ref, path)
        if ref.get("controller") is True:
            current = f"{ref.get('kind', '')}/{ref.get('name', '')}"
            if controller:
                causes.append(invalid(
                    "metadata.ownerReferences", refs,
                    'Only one reference can have Controller set to true. Found "true" in '
                    f"references for {controller} and {current}"))
            else:
                controller = current
    return causes


def _validate_owner_reference(ref: dict[str, Any], path: str) -> list[Cause]:
    causes = []
    api_version = ref.get("apiVersion") or ""
    group, version = _parse_group_version(api_version)
    if not api_version:
        causes.append(required(f"{path}.apiVersion", "must not be empty"))
    elif version is None:
        causes.append(invalid(f"{path}.apiVersion", api_version,
                              "must be <group>/<version> or <version>"))
    for key in ("kind", "name", "uid"):
        if not ref.get(key):
            causes.append(required(f"{path}.{key}", "must not be empty"))
    if group == "" and version == "v1" and ref.get("kind") == "Event":
        causes.append(invalid(path, ref, "/v1, Kind=Event is disallowed from being an owner"))
    return causes


def _parse_group_version(text: str) -> tuple[str, str | None]:
    """(group, version); version None when ``text`` is not ``version`` or ``group/version``."""
    if not text:
        return "", ""
    parts = text.split("/")
    if len(parts) == 1:
        return "", parts[0]
    if len(parts) == 2 and parts[1]:
        return parts[0], parts[1]
    return "", None


def _validate_finalizers(finalizers: Any) -> list[Cause]:
    values = _strings(finalizers)
    causes = []
    for i, finalizer in enumerate(values):
        causes += [invalid("metadata.finalizers", finalizer, msg)
                   for msg in names.is_qualified_name(finalizer)]
        causes += validate_kube_finalizer_name(finalizer, f"metadata.finalizers[{i}]")
    if "orphan" in values and "foregroundDeletion" in values:
        causes.append(invalid("metadata.finalizers", values,
                              "finalizer orphan and foregroundDeletion cannot be both set"))
    return causes


def validate_kube_finalizer_name(finalizer: str, path: str) -> list[Cause]:
    """An unqualified finalizer must be one Kubernetes itself knows."""
    if "/" not in finalizer and finalizer not in STANDARD_FINALIZERS:
        return [invalid(path, finalizer,
                        "name is neither a standard finalizer name nor is it fully qualified")]
    return []


def validate_label_selector(selector: Any, path: str) -> list[Cause]:
    """A metav1.LabelSelector: matchLabels as labels, matchExpressions well formed."""
    if not isinstance(selector, dict):
        return []
    causes = validate_labels(selector.get("matchLabels"), f"{path}.matchLabels")
    expressions = selector.get("matchExpressions")
    for i, expr in enumerate(expressions if isinstance(expressions, list) else []):
        if isinstance(expr, dict):
            causes += _validate_requirement(expr, f"{path}.matchExpressions[{i}]")
    return causes


def _validate_requirement(expr: dict[str, Any], path: str) -> list[Cause]:
    causes = []
    operator = expr.get("operator") or ""
    values = _strings(expr.get("values"))
    if operator in ("In", "NotIn"):
        if not values:
            causes.append(required(f"{path}.values",
                                   "must be specified when `operator` is 'In' or 'NotIn'"))
    elif operator in ("Exists", "DoesNotExist"):
        if values:
            causes.append(forbidden(f"{path}.values", "may not be specified when `operator` is "
                                    "'Exists' or 'DoesNotExist'"))
    else:
        causes.append(invalid(f"{path}.operator", operator, "not a valid selector operator"))
    key = str(expr.get("key") or "")
    causes += [invalid(f"{path}.key", key, msg) for msg in names.is_qualified_name(key)]
    for j, value in enumerate(values):
        causes += [invalid(f"{path}.values[{j}]", value, msg)
                   for msg in names.is_label_value(value)]
    return causes


def selector_matches(selector: Any, labels: Any) -> bool:
    """Whether a LabelSelector selects ``labels`` (an empty or missing selector: nothing)."""
    if not isinstance(selector, dict):
        return False
    labels = labels if isinstance(labels, dict) else {}
    match = selector.get("matchLabels") if isinstance(selector.get("matchLabels"), dict) else {}
    exprs = selector.get("matchExpressions")
    exprs = [e for e in exprs if isinstance(e, dict)] if isinstance(exprs, list) else []
    if not match and not exprs:
        return False
    if any(labels.get(k) != v for k, v in (match or {}).items()):
        return False
    return all(_requirement_matches(e, labels) for e in exprs)


def _requirement_matches(expr: dict[str, Any], labels: dict[str, Any]) -> bool:
    key, operator = expr.get("key"), expr.get("operator")
    values = _strings(expr.get("values"))
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False


def validate_node_selector_term(term: Any, path: str) -> list[Cause]:
    """A NodeSelectorTerm: In/NotIn need values, Exists/DoesNotExist none, Gt/Lt exactly one."""
    term = term if isinstance(term, dict) else {}
    causes = []
    for i, req in enumerate(_dicts(term.get("matchExpressions"))):
        here = f"{path}.matchExpressions[{i}]"
        operator, values = req.get("operator"), _strings(req.get("values"))
        if operator in ("In", "NotIn") and not values:
            causes.append(required(f"{here}.values", "must be specified when `operator` is "
                                   "'In' or 'NotIn'"))
        elif operator in ("Exists", "DoesNotExist") and values:
            causes.append(forbidden(f"{here}.values", "may not be specified when `operator` is "
                                    "'Exists' or 'DoesNotExist'"))
        elif operator in ("Gt", "Lt") and len(values) != 1:
            causes.append(required(f"{here}.values", "must be specified single value when "
                                   "`operator` is 'Lt' or 'Gt'"))
        elif operator not in NODE_SELECTOR_OPERATORS:
            causes.append(not_supported(f"{here}.operator", operator, NODE_SELECTOR_OPERATORS))
        key = str(req.get("key") or "")
        causes += [invalid(f"{here}.key", key, m) for m in names.is_qualified_name(key)]
    return causes


def validate_tolerations(tolerations: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for i, tol in enumerate(_dicts(tolerations)):
        here = f"{path}[{i}]"
        key, operator = tol.get("key") or "", tol.get("operator") or ""
        value, effect = tol.get("value") or "", tol.get("effect") or ""
        if key:
            causes += [invalid(f"{here}.key", key, m) for m in names.is_qualified_name(key)]
        if not key and operator != "Exists":
            causes.append(invalid(f"{here}.operator", operator, "operator must be Exists when "
                                  '`key` is empty, which means "match all values and all keys"'))
        if tol.get("tolerationSeconds") is not None and effect != "NoExecute":
            causes.append(invalid(f"{here}.effect", effect,
                                  "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        if operator in ("Equal", ""):
            msgs = names.is_label_value(str(value))
            if msgs:
                causes.append(invalid(f"{here}.operator", value, ";".join(msgs)))
        elif operator == "Exists":
            if value:
                causes.append(invalid(f"{here}.operator", value,
                                      "value must be empty when `operator` is 'Exists'"))
        else:
            causes.append(not_supported(f"{here}.operator", operator, ["Equal", "Exists"]))
        if effect and effect not in TAINT_EFFECTS:
            causes.append(not_supported(f"{here}.effect", effect, TAINT_EFFECTS))
    return causes


def validate_taints(taints: Any, path: str) -> list[Cause]:
    """A node's taints: label-like key and value, a known effect, unique by key and effect."""
    causes: list[Cause] = []
    seen: set[tuple[str, str]] = set()
    for i, taint in enumerate(_dicts(taints)):
        here = f"{path}[{i}]"
        key, value = str(taint.get("key") or ""), str(taint.get("value") or "")
        effect = taint.get("effect") or ""
        causes += [invalid(f"{here}.key", key, m) for m in names.is_qualified_name(key)]
        msgs = names.is_label_value(value)
        if msgs:
            causes.append(invalid(f"{here}.value", value, ";".join(msgs)))
        if not effect:
            causes.append(required(f"{here}.effect"))
        elif effect not in TAINT_EFFECTS:
            causes.append(not_supported(f"{here}.effect", effect, TAINT_EFFECTS))
        if (key, effect) in seen:
            dup = duplicate(here, taint)
            causes.append(Cause(dup.field, dup.message + ": taints must be unique by key and "
                                "effect pair", dup.reason))
            continue
        seen.add((key, effect))
    return causes


def validate_affinity(affinity: Any, path: str) -> list[Cause]:
    """A pod's node and pod (anti-)affinity: terms, weights and topology keys."""
    affinity = affinity if isinstance(affinity, dict) else {}
    node = affinity.get("nodeAffinity") if isinstance(affinity.get("nodeAffinity"), dict) else {}
    here = f"{path}.nodeAffinity"
    causes = []
    hard = node.get("requiredDuringSchedulingIgnoredDuringExecution")
    if isinstance(hard, dict):
        terms_path = f"{here}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
        terms = hard.get("nodeSelectorTerms")
        if not terms:
            causes.append(required(terms_path, "must have at least one node selector term"))
        for i, term in enumerate(terms if isinstance(terms, list) else []):
            causes += validate_node_selector_term(term, f"{terms_path}[{i}]")
    soft = f"{here}.preferredDuringSchedulingIgnoredDuringExecution"
    for i, pref in enumerate(_dicts(node.get("preferredDuringSchedulingIgnoredDuringExecution"))):
        causes += _weight(pref.get("weight"), f"{soft}[{i}].weight")
        causes += validate_node_selector_term(pref.get("preference"), f"{soft}[{i}].preference")
    for kind in ("podAffinity", "podAntiAffinity"):
        if isinstance(affinity.get(kind), dict):
            causes += _pod_affinity(affinity[kind], f"{path}.{kind}")
    return causes


def _pod_affinity(affinity: dict[str, Any], path: str) -> list[Cause]:
    hard, soft = "requiredDuringSchedulingIgnoredDuringExecution", \
        "preferredDuringSchedulingIgnoredDuringExecution"
    causes = []
    for i, term in enumerate(_dicts(affinity.get(hard))):
        causes += _pod_affinity_term(term, f"{path}.{hard}[{i}]")
    for i, pref in enumerate(_dicts(affinity.get(soft))):
        term = pref.get("podAffinityTerm") or {}
        causes += _weight(pref.get("weight"), f"{path}.{soft}[{i}].weight")
        causes += _pod_affinity_term(term if isinstance(term, dict) else {},
                                     f"{path}.{soft}[{i}].podAffinityTerm")
    return causes


def _pod_affinity_term(term: dict[str, Any], path: str) -> list[Cause]:
    causes = validate_label_selector(term.get("labelSelector"), f"{path}.labelSelector")
    causes += validate_label_selector(term.get("namespaceSelector"), f"{path}.namespaceSelector")
    topology = term.get("topologyKey")
    if not topology:
        causes.append(required(f"{path}.topologyKey", "can not be empty"))
    else:
        causes += [invalid(f"{path}.topologyKey", topology, m)
                   for m in names.is_qualified_name(str(topology))]
    return causes


def _weight(weight: Any, path: str) -> list[Cause]:
    if isinstance(weight, int) and not 1 <= weight <= 100:
        return [invalid(path, weight, "must be in the range 1-100")]
    return []


def validate_topology_spread(constraints: Any, path: str) -> list[Cause]:
    causes = []
    for i, item in enumerate(_dicts(constraints)):
        here = f"{path}[{i}]"
        skew = item.get("maxSkew")
        if isinstance(skew, int) and skew <= 0:
            causes.append(invalid(f"{here}.maxSkew", skew, "must be greater than zero"))
        if not item.get("topologyKey"):
            causes.append(required(f"{here}.topologyKey", "can not be empty"))
        when = item.get("whenUnsatisfiable")
        if when not in ("DoNotSchedule", "ScheduleAnyway"):
            causes.append(not_supported(f"{here}.whenUnsatisfiable", when,
                                        ["DoNotSchedule", "ScheduleAnyway"]))
        causes += validate_label_selector(item.get("labelSelector"), f"{here}.labelSelector")
    return causes


def validate_template_selector(selector: Any, template: Any, path: str) -> list[Cause]:
    """A non-empty selector must select its pod template's labels (``path``: the template)."""
    if not isinstance(selector, dict) or not (selector.get("matchLabels")
                                              or selector.get("matchExpressions")):
        return []
    meta = template.get("metadata") if isinstance(template, dict) else None
    labels = meta.get("labels") if isinstance(meta, dict) else None
    if selector_matches(selector, labels):
        return []
    return [invalid_go(f"{path}.metadata.labels", go_string_map(labels),
                       "`selector` does not match template `labels`")]


def invalid_go(path: str, shown: str, detail: str) -> Cause:
    """An Invalid cause whose value is already printed (Go style, as Kubernetes shows maps)."""
    return Cause(path, f"Invalid value: {shown}: {detail}", "FieldValueInvalid")


def go_string_map(labels: Any) -> str:
    """A label map as Go's ``%#v`` prints it: ``map[string]string{"app":"web"}``."""
    if not isinstance(labels, dict):
        return "map[string]string(nil)"
    pairs = ", ".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in sorted(labels.items()))
    return "map[string]string{" + pairs + "}"


def go_label_selector(selector: Any) -> str:
    """A LabelSelector as Go's ``%#v`` prints it (``spec.selector: ... field is immutable``)."""
    selector = selector if isinstance(selector, dict) else {}
    exprs = _dicts(selector.get("matchExpressions"))
    shown = "[]v1.LabelSelectorRequirement(nil)"
    if exprs:
        shown = "[]v1.LabelSelectorRequirement{" + ", ".join(
            f"v1.LabelSelectorRequirement{{Key:{json.dumps(e.get('key', ''))}, "
            f"Operator:{json.dumps(e.get('operator', ''))}, Values:{_go_strings(e.get('values'))}}}"
            for e in exprs) + "}"
    return (f"v1.LabelSelector{{MatchLabels:{go_string_map(selector.get('matchLabels'))}, "
            f"MatchExpressions:{shown}}}")


def _go_strings(values: Any) -> str:
    if not isinstance(values, list):
        return "[]string(nil)"
    return "[]string{" + ", ".join(json.dumps(str(v)) for v in values) + "}"


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
