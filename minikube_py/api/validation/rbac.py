"""Validation of the RBAC kinds, as pkg/apis/rbac/validation: role and binding names are path
segments (``system:controller:x`` is a valid name), rules need verbs and either resources or
non-resource URLs (the latter only in ClusterRoles), bindings name a Role or ClusterRole of
the RBAC group and well-formed subjects, and a binding's ``roleRef`` never changes."""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation.base import invalid, not_supported, required
from minikube_py.api.validation.meta import validate_label_selector
from minikube_py.api.validation.names import is_dns1123_subdomain

GROUP = "rbac.authorization.k8s.io"
SUBJECT_KINDS = ["ServiceAccount", "User", "Group"]


def path_segment_name(name: str) -> list[str]:
    """Kubernetes' ValidatePathSegmentName: any name that can be one segment of a URL."""
    if name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{ch}'" for ch in ("/", "%") if ch in name]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def validate_policy_rule(rule: Any, *, namespaced: bool, path: str) -> list[Cause]:
    if not isinstance(rule, dict):
        return [invalid(path, rule, "must be an object")]
    causes: list[Cause] = []
    if not _list(rule.get("verbs")):
        causes.append(required(f"{path}.verbs", "verbs must contain at least one value"))
    urls = _list(rule.get("nonResourceURLs"))
    if urls:
        if namespaced:
            causes.append(invalid(f"{path}.nonResourceURLs", urls,
                                  "namespaced rules cannot apply to non-resource URLs"))
        if _list(rule.get("apiGroups")) or _list(rule.get("resources")):
            causes.append(invalid(f"{path}.nonResourceURLs", urls, "rules cannot apply to "
                                  "both regular resources and non-resource URLs"))
        return causes
    if not _list(rule.get("apiGroups")):
        causes.append(required(f"{path}.apiGroups",
                               "resource rules must supply at least one api group"))
    if not _list(rule.get("resources")):
        causes.append(required(f"{path}.resources",
                               "resource rules must supply at least one resource"))
    return causes


def _rules(obj: dict[str, Any], *, namespaced: bool) -> list[Cause]:
    causes: list[Cause] = []
    for i, rule in enumerate(_list(obj.get("rules"))):
        causes += validate_policy_rule(rule, namespaced=namespaced, path=f"rules[{i}]")
    return causes


def validate_role(obj: dict[str, Any]) -> list[Cause]:
    return _rules(obj, namespaced=True)


def validate_cluster_role(obj: dict[str, Any]) -> list[Cause]:
    causes = _rules(obj, namespaced=False)
    aggregation = obj.get("aggregationRule")
    if isinstance(aggregation, dict):
        selectors = _list(aggregation.get("clusterRoleSelectors"))
        if not selectors:
            causes.append(required("aggregationRule.clusterRoleSelectors", "at least one "
                                   "clusterRoleSelector required if aggregationRule is "
                                   "non-nil"))
        for i, selector in enumerate(selectors):
            causes += validate_label_selector(
                selector, f"aggregationRule.clusterRoleSelectors[{i}]")
    return causes


def validate_subject(subject: Any, *, namespaced: bool, path: str) -> list[Cause]:
    if not isinstance(subject, dict):
        return [invalid(path, subject, "must be an object")]
    causes: list[Cause] = []
    name = subject.get("name") or ""
    if not name:
        causes.append(required(f"{path}.name"))
    kind = subject.get("kind") or ""
    group = subject.get("apiGroup") or ""
    if kind == "ServiceAccount":
        if name:
            causes += [invalid(f"{path}.name", name, msg) for msg in is_dns1123_subdomain(name)]
        if group:
            causes.append(not_supported(f"{path}.apiGroup", group, [""]))
        if not namespaced and not subject.get("namespace"):
            causes.append(required(f"{path}.namespace"))
    elif kind in ("User", "Group"):
        if group != GROUP:
            causes.append(not_supported(f"{path}.apiGroup", group, [GROUP]))
    else:
        causes.append(not_supported(f"{path}.kind", kind, SUBJECT_KINDS))
    return causes


def _binding(obj: dict[str, Any], *, namespaced: bool) -> list[Cause]:
    causes: list[Cause] = []
    ref = obj.get("roleRef") if isinstance(obj.get("roleRef"), dict) else {}
    assert isinstance(ref, dict)
    if ref.get("apiGroup") != GROUP:
        causes.append(not_supported("roleRef.apiGroup", ref.get("apiGroup") or "", [GROUP]))
    kinds = ["Role", "ClusterRole"] if namespaced else ["ClusterRole"]
    if ref.get("kind") not in kinds:
        causes.append(not_supported("roleRef.kind", ref.get("kind") or "", kinds))
    name = ref.get("name") or ""
    if not name:
        causes.append(required("roleRef.name"))
    else:
        causes += [invalid("roleRef.name", name, msg) for msg in path_segment_name(name)]
    for i, subject in enumerate(_list(obj.get("subjects"))):
        causes += validate_subject(subject, namespaced=namespaced, path=f"subjects[{i}]")
    return causes


def validate_role_binding(obj: dict[str, Any]) -> list[Cause]:
    return _binding(obj, namespaced=True)


def validate_cluster_role_binding(obj: dict[str, Any]) -> list[Cause]:
    return _binding(obj, namespaced=False)


def validate_binding_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    if new.get("roleRef") != old.get("roleRef"):
        return [invalid("roleRef", new.get("roleRef"), "cannot change roleRef")]
    return []


def default_binding(obj: dict[str, Any]) -> None:
    """SetDefaults of rbac/v1: the roleRef's group, and users' and groups' apiGroup."""
    ref = obj.get("roleRef")
    if isinstance(ref, dict) and not ref.get("apiGroup"):
        ref["apiGroup"] = GROUP
    for subject in _list(obj.get("subjects")):
        if isinstance(subject, dict) and not subject.get("apiGroup") and \
                subject.get("kind") in ("User", "Group"):
            subject["apiGroup"] = GROUP
