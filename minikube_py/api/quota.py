"""Quota usage: what an object charges to a ResourceQuota (Kubernetes' ``pkg/quota/v1`` and its
core evaluators), shared by the ResourceQuota admission plugin (``apiserver/resourcequota.py``,
which charges a new object) and the resource quota controller (``controllers/resourcequota.py``,
which recomputes ``status.used`` from a namespace's objects).

Usage is a map ``resource name -> exact number`` (a :class:`~fractions.Fraction`); quantities
are parsed by ``validation.names.parse_quantity`` and written back by :func:`format_quantity`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from minikube_py.api.validation.names import is_native_resource, parse_quantity

Usage = dict[str, Fraction]

POD_COMPUTE = ("cpu", "memory", "ephemeral-storage")
# The resources whose absence from a container a quota refuses (pods.go's validationSet).
MUST_SPECIFY = frozenset({"cpu", "memory", "requests.cpu", "requests.memory",
                          "limits.cpu", "limits.memory"})
# Core kinds with an evaluator of their own (or a bare count name); the rest: count/<r>.<g>.
LEGACY_COUNTS = {"pods": "pods", "services": "services", "configmaps": "configmaps",
                 "secrets": "secrets", "persistentvolumeclaims": "persistentvolumeclaims",
                 "replicationcontrollers": "replicationcontrollers",
                 "resourcequotas": "resourcequotas"}
STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/"
_BINARY = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
_DECIMAL = {-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}


def quantity(value: Any) -> Fraction:
    return parse_quantity(value) or Fraction(0)


def format_quantity(value: Fraction, resource: str = "") -> str:
    """The canonical text of a quantity, as resource.Quantity prints it: memory and storage
    in binary suffixes when exact (``1Gi``), else the largest decimal suffix that keeps the
    mantissa whole (``500m``, ``2``, ``1500m``)."""
    binary = any(word in resource for word in ("memory", "storage", "hugepages"))
    if binary and value.denominator == 1 and value >= 1024:
        number, step = int(value), 0
        while number % 1024 == 0 and step < len(_BINARY) - 1:
            number, step = number // 1024, step + 1
        if step:
            return f"{number}{_BINARY[step]}"
    if value == 0:
        return "0"
    for exponent in sorted(_DECIMAL, reverse=True):
        scaled = value / Fraction(10) ** exponent
        if scaled.denominator == 1 and (exponent <= 0 or abs(scaled) >= 1):
            return f"{scaled.numerator}{_DECIMAL[exponent]}"
    return f"{int(value * 10 ** 9)}n"  # finer than a nanounit: rounded, as Kubernetes does


def count_name(plural: str, group: str) -> str:
    """``count/<resource>.<group>`` (``count/pods`` in the core group)."""
    return f"count/{plural}.{group}" if group else f"count/{plural}"


def add(into: Usage, more: Mapping[str, Fraction]) -> Usage:
    for name, value in more.items():
        into[name] = into.get(name, Fraction(0)) + value
    return into


def parse_list(resources: Mapping[str, Any] | None) -> Usage:
    return {str(k): quantity(v) for k, v in (resources or {}).items()}


def format_list(usage: Mapping[str, Fraction]) -> dict[str, str]:
    return {name: format_quantity(value, name) for name, value in sorted(usage.items())}


def pretty(usage: Mapping[str, Any]) -> str:
    """``a=1,b=2`` in name order, as the quota admission messages print a resource list."""
    return ",".join(f"{k}={v if isinstance(v, str) else format_quantity(v, k)}"
                    for k, v in sorted(usage.items()))


# -- pods ----------------------------------------------------------------------------------


def pod_is_terminal(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def _resources(container: Mapping[str, Any], which: str) -> Usage:
    return parse_list(((container.get("resources") or {}).get(which)) or {})


def _pod_totals(spec: Mapping[str, Any], which: str) -> Usage:
    """Sum of the containers' ``which`` (requests/limits), at least the largest init
    container's, plus the pod's overhead (as resourcehelper.PodRequests/PodLimits)."""
    total: Usage = {}
    for container in spec.get("containers") or []:
        add(total, _resources(container, which))
    for init in spec.get("initContainers") or []:
        for name, value in _resources(init, which).items():
            if value > total.get(name, Fraction(0)):
                total[name] = value
    if spec.get("overhead"):
        for name, value in parse_list(spec["overhead"]).items():
            if name in total or which == "requests":
                total[name] = total.get(name, Fraction(0)) + value
    return total


def _compute(requests: Mapping[str, Fraction], limits: Mapping[str, Fraction]) -> Usage:
    """What requests and limits charge (podComputeUsageHelper)."""
    usage: Usage = {}
    for name, value in requests.items():
        if name in POD_COMPUTE:
            usage[name] = value
            usage[f"requests.{name}"] = value
        elif name.startswith("hugepages-"):
            usage[f"requests.{name}"] = value
        elif not is_native_resource(name):
            usage[f"requests.{name}"] = value
    for name, value in limits.items():
        if name in POD_COMPUTE:
            usage[f"limits.{name}"] = value
    return usage


def pod_usage(pod: Mapping[str, Any]) -> Usage:
    """pods=1 and the compute resources of a non-terminal pod; nothing for a terminal one."""
    if pod_is_terminal(pod):
        return {}
    spec = pod.get("spec") or {}
    usage: Usage = {"pods": Fraction(1), "count/pods": Fraction(1)}
    return add(usage, _compute(_pod_totals(spec, "requests"), _pod_totals(spec, "limits")))


def pod_missing(pod: Mapping[str, Any], required: Iterable[str]) -> str:
    """``must specify limits.cpu for: c`` when a container lacks a resource the quota
    requires it to state (pods.go Constraints), else ""."""
    wanted = set(required) & MUST_SPECIFY
    missing: dict[str, set[str]] = {}
    spec = pod.get("spec") or {}
    for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        stated = _compute(_resources(container, "requests"), _resources(container, "limits"))
        for name in wanted - set(stated):
            missing.setdefault(name, set()).add(str(container.get("name") or ""))
    if not missing:
        return ""
    return "must specify " + "; ".join(f"{name} for: {','.join(sorted(missing[name]))}"
                                       for name in sorted(missing))


def pod_is_best_effort(pod: Mapping[str, Any]) -> bool:
    spec = pod.get("spec") or {}
    for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        for which in ("requests", "limits"):
            if any(k in ("cpu", "memory") for k in _resources(container, which)):
                return False
    return True


def _scope_matches(scope: str, operator: str, values: list[str], pod: Mapping[str, Any]) -> bool:
    spec = pod.get("spec") or {}
    if scope == "Terminating":
        return spec.get("activeDeadlineSeconds") is not None
    if scope == "NotTerminating":
        return spec.get("activeDeadlineSeconds") is None
    if scope == "BestEffort":
        return pod_is_best_effort(pod)
    if scope == "NotBestEffort":
        return not pod_is_best_effort(pod)
    if scope == "PriorityClass":
        name = str(spec.get("priorityClassName") or "")
        if operator == "Exists":
            return bool(name)
        if operator == "DoesNotExist":
            return not name
        if operator == "NotIn":
            return bool(name) and name not in values
        return name in values
    return False  # CrossNamespacePodAffinity and unknown scopes: not evaluated here


def _scopes(quota: Mapping[str, Any]) -> list[tuple[str, str, list[str]]]:
    spec = quota.get("spec") or {}
    scopes: list[tuple[str, str, list[str]]] = [
        (str(s), "Exists", []) for s in spec.get("scopes") or []]
    for req in (spec.get("scopeSelector") or {}).get("matchExpressions") or []:
        scopes.append((str(req.get("scopeName") or ""), str(req.get("operator") or "In"),
                       [str(v) for v in req.get("values") or []]))
    return scopes


def quota_matches(quota: Mapping[str, Any], plural: str, group: str,
                  obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is in the quota's scopes (a scoped quota only ever holds pods)."""
    scopes = _scopes(quota)
    if not scopes:
        return True
    if plural != "pods" or group:
        return False
    return all(_scope_matches(s, op, values, obj) for s, op, values in scopes)


def scoped_resources(quota: Mapping[str, Any], names: Iterable[str]) -> set[str]:
    """The hard names a scoped quota tracks: BestEffort quotas only count pods."""
    names = set(names)
    if any(s == "BestEffort" for s, _, _ in _scopes(quota)):
        return names & {"pods", "count/pods"}
    return names


# -- other kinds ---------------------------------------------------------------------------


def service_usage(svc: Mapping[str, Any]) -> Usage:
    spec = svc.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    usage: Usage = {"services": Fraction(1), "count/services": Fraction(1)}
    ports = len(spec.get("ports") or [])
    if kind == "NodePort":
        usage["services.nodeports"] = Fraction(ports)
    elif kind == "LoadBalancer":
        usage["services.loadbalancers"] = Fraction(1)
        if spec.get("allocateLoadBalancerNodePorts", True) is not False:
            usage["services.nodeports"] = Fraction(ports)
    return usage


def pvc_usage(pvc: Mapping[str, Any]) -> Usage:
    spec = pvc.get("spec") or {}
    storage = quantity(((spec.get("resources") or {}).get("requests") or {}).get("storage"))
    usage: Usage = {"persistentvolumeclaims": Fraction(1),
                    "count/persistentvolumeclaims": Fraction(1), "requests.storage": storage}
    cls = spec.get("storageClassName")
    if cls:
        prefix = f"{cls}{STORAGE_CLASS_SUFFIX}"
        usage[prefix + "persistentvolumeclaims"] = Fraction(1)
        usage[prefix + "requests.storage"] = storage
    return usage


def usage_of(plural: str, group: str, obj: Mapping[str, Any]) -> Usage:
    """Everything ``obj`` (of resource ``plural`` in ``group``) charges."""
    if not group and plural == "pods":
        return pod_usage(obj)
    if not group and plural == "services":
        return service_usage(obj)
    if not group and plural == "persistentvolumeclaims":
        return pvc_usage(obj)
    usage: Usage = {count_name(plural, group): Fraction(1)}
    if not group and plural in LEGACY_COUNTS:
        usage[LEGACY_COUNTS[plural]] = Fraction(1)
    return usage


def resource_of(name: str) -> tuple[str, str] | None:
    """The (plural, group) whose objects a hard name counts, or None for compute names."""
    if name.startswith("count/"):
        plural, _, group = name[len("count/"):].partition(".")
        return plural, group
    if name in LEGACY_COUNTS:
        return name, ""
    if name.startswith("services."):
        return "services", ""
    if name == "requests.storage" or STORAGE_CLASS_SUFFIX in name:
        return "persistentvolumeclaims", ""
    return "pods", ""  # cpu, memory, requests.*, limits.*: charged by pods
