"""Which webhooks a write is sent to, as Kubernetes' webhook matching (apiserver's
admission/plugin/webhook): a rule matches the operation, group, version, resource (with
``resource/subresource``, ``*`` in either part) and scope; the namespace selector the labels
of the object's namespace (of the Namespace itself for namespaces; cluster-scoped objects
always match); the object selector the labels of the new or the old object.

``matchPolicy: Equivalent`` (other versions of the same objects) and ``matchConditions``
(CEL, on the AdmissionReview's request) are the dispatcher's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from minikube_py.api.validation.meta import selector_matches
from minikube_py.apiserver.admission import WriteContext


def selects(selector: Any, labels: Mapping[str, str]) -> bool:
    """A webhook's LabelSelector: missing or empty selects everything."""
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or
                                              selector.get("matchExpressions")):
        return True
    return selector_matches(selector, dict(labels))


def _labels(obj: dict[str, Any] | None) -> dict[str, str]:
    if not isinstance(obj, dict):
        return {}
    labels = (obj.get("metadata") or {}).get("labels")
    return labels if isinstance(labels, dict) else {}


def rule_matches(rule: Mapping[str, Any], ctx: WriteContext) -> bool:
    operations = rule.get("operations") or []
    if "*" not in operations and ctx.operation not in operations:
        return False
    groups, versions = rule.get("apiGroups") or [], rule.get("apiVersions") or []
    if "*" not in groups and ctx.rt.group not in groups:
        return False
    if "*" not in versions and ctx.rt.version not in versions:
        return False
    scope = rule.get("scope") or "*"
    if (scope == "Cluster" and ctx.rt.namespaced) or (scope == "Namespaced" and \
            not ctx.rt.namespaced):
        return False
    for resource in rule.get("resources") or []:
        name, _, sub = str(resource).partition("/")
        if name in ("*", ctx.rt.plural) and sub in ("*", ctx.subresource):
            return True
    return False


def webhook_matches(hook: Mapping[str, Any], ctx: WriteContext,
                    namespace_labels: Callable[[], Mapping[str, str] | None]) -> bool:
    """Whether ``hook`` is called for ``ctx``; ``namespace_labels`` gives those of the
    object's namespace (None for a cluster-scoped object other than a Namespace), asked only
    when the rules and the object selector match."""
    if not any(rule_matches(r, ctx) for r in hook.get("rules") or [] if isinstance(r, dict)):
        return False
    selector = hook.get("objectSelector")
    new_matches = ctx.obj is not None and selects(selector, _labels(ctx.obj))
    old_matches = ctx.old is not None and selects(selector, _labels(ctx.old))
    if not (new_matches or old_matches):
        return False
    selector = hook.get("namespaceSelector")
    if not isinstance(selector, dict) or not selector:
        return True
    labels = namespace_labels()
    return labels is None or selects(selector, labels)


def namespace_object_labels(ctx: WriteContext) -> dict[str, str]:
    """A Namespace's own labels (the new ones, else the stored ones)."""
    return _labels(ctx.obj) or _labels(ctx.old)
