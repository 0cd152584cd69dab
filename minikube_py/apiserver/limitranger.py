"""LimitRanger: the admission plugin that applies a namespace's LimitRanges (Kubernetes'
``plugin/pkg/admission/limitranger``).

Mutating, on a pod's create: every container without a request or limit for a resource gets
the ``defaultRequest``/``default`` of the namespace's ``Container`` limits (a LimitRange's own
defaulting already made the default limit the default request when none is given), and the
pod is annotated ``kubernetes.io/limit-ranger`` with what was set. Validating: each container
against ``min``, ``max`` and ``maxLimitRequestRatio`` of the ``Container`` items, the pod's sums
against the ``Pod`` items, and a PersistentVolumeClaim's storage request against the
``PersistentVolumeClaim`` items (on create and on a resize). A refusal is 403 Forbidden with
Kubernetes' message, e.g. ``maximum cpu usage per Container is 500m, but limit is 1``.

Pod updates are not judged: a pod's containers and their resources cannot change. The
LimitRanges are read per namespace (a prefix read of the store), once per admitted write.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from minikube_py.api import quota
from minikube_py.api.errors import Forbidden
from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.apiserver.admission import WriteContext

# Lists the objects of a resource type in one namespace (RestStorage.find_all).
ListIn = Callable[[ResourceType, str], list[dict[str, Any]]]

LIMIT_RANGES = REGISTRY.require("", "v1", "limitranges")
PODS = REGISTRY.require("", "v1", "pods")
CLAIMS = REGISTRY.require("", "v1", "persistentvolumeclaims")
ANNOTATION = "kubernetes.io/limit-ranger"


def _items(ranges: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [item for lr in ranges for item in (lr.get("spec") or {}).get("limits") or []
            if isinstance(item, dict) and item.get("type") == kind]


def _containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod.get("spec") or {}
    return [c for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
            if isinstance(c, dict)]


def apply_defaults(pod: dict[str, Any], ranges: list[dict[str, Any]]) -> None:
    """Fill each container's missing requests and limits from the Container items (the first
    LimitRange naming a resource wins) and annotate the pod with what was set."""
    limits: dict[str, Any] = {}
    requests: dict[str, Any] = {}
    for item in _items(ranges, "Container"):
        for name, value in (item.get("default") or {}).items():
            limits.setdefault(name, value)
        for name, value in (item.get("defaultRequest") or {}).items():
            requests.setdefault(name, value)
    if not limits and not requests:
        return
    notes: list[str] = []
    for container in _containers(pod):
        resources = container.get("resources")
        if not isinstance(resources, dict):
            resources = container["resources"] = {}
        set_req = _fill(resources, "requests", requests)
        set_lim = _fill(resources, "limits", limits)
        cname = container.get("name") or ""
        if set_req:
            notes.append(f"{', '.join(set_req)} request for container {cname}")
        if set_lim:
            notes.append(f"{', '.join(set_lim)} limit for container {cname}")
    if notes:
        meta = pod.setdefault("metadata", {})
        annotations = meta.get("annotations")
        if not isinstance(annotations, dict):
            annotations = meta["annotations"] = {}
        annotations[ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)


def _fill(resources: dict[str, Any], which: str, defaults: dict[str, Any]) -> list[str]:
    current = resources.get(which)
    if not isinstance(current, dict):
        current = {}
    added = [name for name in sorted(defaults) if name not in current]
    for name in added:
        current[name] = defaults[name]
    if current:
        resources[which] = current
    return added


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def check(kind: str, item: dict[str, Any], requests: dict[str, Any],
          limits: dict[str, Any], *, limits_given: bool = True) -> list[str]:
    """The refusals of one LimitRange item for these requests and limits (limitranger.go's
    minConstraint, maxConstraint and limitRequestRatioConstraint)."""
    errors: list[str] = []
    for name, enforced in sorted((item.get("min") or {}).items()):
        bound, req, lim = quota.quantity(enforced), requests.get(name), limits.get(name)
        if req is None:
            errors.append(f"minimum {name} usage per {kind} is {_text(enforced)}.  "
                          "No request is specified")
        elif quota.quantity(req) < bound:
            errors.append(f"minimum {name} usage per {kind} is {_text(enforced)}, but request "
                          f"is {_text(req)}")
        elif lim is not None and quota.quantity(lim) < bound:
            errors.append(f"minimum {name} usage per {kind} is {_text(enforced)}, but limit "
                          f"is {_text(lim)}")
    for name, enforced in sorted((item.get("max") or {}).items()):
        bound, req, lim = quota.quantity(enforced), requests.get(name), limits.get(name)
        if not limits_given:  # a claim's max bounds its request (maxRequestConstraint)
            if req is not None and quota.quantity(req) > bound:
                errors.append(f"maximum {name} usage per {kind} is {_text(enforced)}, but "
                              f"request is {_text(req)}")
        elif lim is None:
            errors.append(f"maximum {name} usage per {kind} is {_text(enforced)}.  "
                          "No limit is specified")
        elif quota.quantity(lim) > bound:
            errors.append(f"maximum {name} usage per {kind} is {_text(enforced)}, but limit "
                          f"is {_text(lim)}")
        elif req is not None and quota.quantity(req) > bound:
            errors.append(f"maximum {name} usage per {kind} is {_text(enforced)}, but request "
                          f"is {_text(req)}")
    for name, enforced in sorted((item.get("maxLimitRequestRatio") or {}).items()):
        req, lim = quota.quantity(requests.get(name)), quota.quantity(limits.get(name))
        if req == 0:
            errors.append(f"{name} max limit to request ratio per {kind} is {_text(enforced)}, "
                          "but no request is specified or request is 0")
        elif lim == 0:
            errors.append(f"{name} max limit to request ratio per {kind} is {_text(enforced)}, "
                          "but no limit is specified or limit is 0")
        elif lim / req > quota.quantity(enforced):
            errors.append(f"{name} max limit to request ratio per {kind} is {_text(enforced)}, "
                          f"but provided ratio is {float(lim / req):f}")
    return errors


def _sums(pod: dict[str, Any], which: str) -> dict[str, Any]:
    spec = pod.get("spec") or {}
    total: dict[str, Fraction] = {}
    for container in spec.get("containers") or []:
        quota.add(total, quota.parse_list((container.get("resources") or {}).get(which)))
    for init in spec.get("initContainers") or []:
        for name, value in quota.parse_list((init.get("resources") or {}).get(which)).items():
            total[name] = max(total.get(name, Fraction(0)), value)
    return {name: quota.format_quantity(value, name) for name, value in total.items()}


def pod_errors(pod: dict[str, Any], ranges: list[dict[str, Any]]) -> list[str]:
    errors: list[str] = []
    for item in _items(ranges, "Container"):
        for container in _containers(pod):
            resources = container.get("resources") or {}
            errors += check("Container", item, resources.get("requests") or {},
                            resources.get("limits") or {})
    for item in _items(ranges, "Pod"):
        errors += check("Pod", item, _sums(pod, "requests"), _sums(pod, "limits"))
    return errors


def claim_errors(claim: dict[str, Any], ranges: list[dict[str, Any]]) -> list[str]:
    requests = ((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}
    errors: list[str] = []
    for item in _items(ranges, "PersistentVolumeClaim"):
        errors += check("PersistentVolumeClaim", item, requests, {}, limits_given=False)
    return errors


def aggregate(errors: list[str]) -> str:
    """utilerrors.NewAggregate's text: one error as is, several in brackets."""
    return errors[0] if len(errors) == 1 else f"[{', '.join(errors)}]"


class LimitRanger:
    """Both halves of the plugin: :meth:`mutate` and :meth:`validate`."""

    def __init__(self, list_in: ListIn) -> None:
        self.list_in = list_in

    def _judged(self, ctx: WriteContext) -> bool:
        if ctx.subresource or ctx.obj is None or not ctx.namespace:
            return False
        if ctx.rt is PODS:
            return ctx.operation == "CREATE"
        return ctx.rt is CLAIMS and ctx.operation in ("CREATE", "UPDATE")

    async def mutate(self, ctx: WriteContext) -> None:
        if ctx.rt is PODS and self._judged(ctx) and ctx.obj is not None:
            ranges = self.list_in(LIMIT_RANGES, ctx.namespace)
            if ranges:
                apply_defaults(ctx.obj, ranges)

    async def validate(self, ctx: WriteContext) -> None:
        if not self._judged(ctx) or ctx.obj is None:
            return
        ranges = self.list_in(LIMIT_RANGES, ctx.namespace)
        if not ranges:
            return
        errors = pod_errors(ctx.obj, ranges) if ctx.rt is PODS else \
            claim_errors(ctx.obj, ranges)
        if errors:
            raise Forbidden(f'{ctx.rt.plural} "{ctx.name}" is forbidden: {aggregate(errors)}',
                            name=ctx.name, kind=ctx.rt.plural)
