"""ObjectMeta validation, as apimachinery's ValidateObjectMeta and ValidateObjectMetaUpdate.

``validation/__init__.py`` calls these for every object before the kind's own rules. The
apiserver has already turned ``generateName`` into a name, so a name is always required here.
Label selectors and label maps, which every workload kind checks too, live here as well.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation import names
from minikube_py.api.validation.base import (
    forbidden,
    immutable,
    invalid,
    required,
    too_long,
)

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})
SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")

NameCheck = Callable[[str], list[str]]

# Kinds whose names are not DNS-1123 subdomains.
_NAME_CHECKS: dict[str, NameCheck] = {
    "Namespace": names.is_dns1123_label,
    "Service": names.is_dns1035_label,
}


def name_check(kind: str) -> NameCheck:
    """How names of ``kind`` are validated (most kinds: a DNS-1123 subdomain)."""
    return _NAME_CHECKS.get(kind, names.is_dns1123_subdomain)


def validate_object_meta(meta: dict[str, Any], *, namespaced: bool, kind: str) -> list[Cause]:
    """Field errors of a new object's metadata (paths under ``metadata.``)."""
    meta = meta if isinstance(meta, dict) else {}
    causes = _validate_name(meta, name_check(kind))
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
    if any(labels.get(k) != v for k, v in match.items()):
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


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
