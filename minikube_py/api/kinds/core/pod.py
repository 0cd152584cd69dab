"""Pod: one or more containers that run together on a node (core/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``).
A new pod is Pending with its QoS class. Deletion is graceful once the pod is on a node and
not finished: it gets ``deletionTimestamp`` and ``deletionGracePeriodSeconds`` and stays until
its kubelet confirms the stop with a grace period of 0 (Kubernetes' CheckGracefulDelete).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.api.defaults import core as defaults
from minikube_py.api.errors import Cause
from minikube_py.api.machinery.fieldselectors import get_path, selectable, strings, text
from minikube_py.api.printers import workloads as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import core as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import core as validation

DEFAULT_GRACE_SECONDS = 30
FINISHED_PHASES = ("Succeeded", "Failed")


def qos_class(spec: Mapping[str, Any]) -> str:
    """Guaranteed, Burstable or BestEffort, from the containers' requests and limits."""
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        requests, limits = res.get("requests") or {}, res.get("limits") or {}
        if requests or limits:
            any_set = True
        for name in ("cpu", "memory"):
            if name not in limits or str(requests.get(name, limits.get(name))) != str(
                    limits.get(name)):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _fields(pod: Mapping[str, Any]) -> dict[str, str]:
    fields = strings(pod, {
        "spec.nodeName": "spec.nodeName",
        "spec.restartPolicy": "spec.restartPolicy",
        "spec.schedulerName": "spec.schedulerName",
        "spec.serviceAccountName": "spec.serviceAccountName",
        "status.phase": "status.phase",
        "status.nominatedNodeName": "status.nominatedNodeName",
    })
    fields["spec.hostNetwork"] = "true" if get_path(pod, "spec.hostNetwork") is True else "false"
    pod_ips = get_path(pod, "status.podIPs")
    first = pod_ips[0] if isinstance(pod_ips, list) and pod_ips else None
    fields["status.podIP"] = text(get_path(first, "ip") if first else
                                  get_path(pod, "status.podIP"))
    fields["spec.host"] = fields["spec.nodeName"]  # legacy spelling v1 still accepts
    return fields


class PodStrategy(Strategy):
    return_deleted_object = True
    fields = selectable("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                        "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
                        "status.podIP", "status.podIPs", "status.nominatedNodeName",
                        "spec.host", extract=_fields)
    indexed_fields = ("spec.nodeName",)
    printer = printers.POD

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_pod(obj)

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        obj["status"] = {"phase": "Pending", "qosClass": qos_class(obj.get("spec") or {})}

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_pod(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_pod_update(new, old)

    def grace_period(self, obj: dict[str, Any], requested: int | None) -> int | None:
        """0 (at once) when the pod never reached a node or has finished; else the grace
        the client asked for, or the pod's own."""
        if not (obj.get("spec") or {}).get("nodeName"):
            return 0
        if (obj.get("status") or {}).get("phase") in FINISHED_PHASES:
            return 0
        if requested is not None:
            return requested
        own = (obj.get("spec") or {}).get("terminationGracePeriodSeconds")
        return int(own if own is not None else DEFAULT_GRACE_SECONDS)

    def removable(self, obj: dict[str, Any]) -> bool:
        """A running pod goes when its kubelet confirms the stop (grace period 0)."""
        return bool(obj["metadata"].get("deletionGracePeriodSeconds") == 0)


RESOURCE = ResourceType("", "v1", "Pod", "pods", True, schemas.POD, short_names=("po",),
                        categories=("all",),
                        subresources=("status", "binding", "log", "exec", "attach",
                                      "portforward", "eviction"),
                        strategy=PodStrategy())
