"""What the Endpoints and EndpointSlice controllers share (Kubernetes'
``pkg/controller/util/endpoint`` and ``pkg/api/v1/pod``'s FindPort): which pods belong in a
Service's endpoints, how a Service port's ``targetPort`` resolves per pod, and which Services
a pod changes (the pod -> services look-up the pod handlers enqueue).

Pure functions over plain dicts; both controllers (``endpoints.py``, ``endpointslice.py``)
call them from ``reconcile`` and from their pod handlers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.client.store import Lister, NamespaceLister
from minikube_py.controllers.controller_utils import is_pod_ready

Object = dict[str, Any]

#: Set on Endpoints and EndpointSlices of headless Services, as Kubernetes does.
HEADLESS_LABEL = "service.kubernetes.io/headless"


def service_selector(service: Object) -> LabelSelector | None:
    """The selector of a Service, or None when it has none (then its endpoints are the
    user's: an empty map is no selector, as it is in Go after a round trip)."""
    selector = (service.get("spec") or {}).get("selector")
    if not selector:
        return None
    return LabelSelector.from_set(selector)


def is_headless(service: Object) -> bool:
    return (service.get("spec") or {}).get("clusterIP") == "None"


def pod_ip(pod: Object) -> str:
    status = pod.get("status") or {}
    if status.get("podIP"):
        return str(status["podIP"])
    ips = status.get("podIPs") or []
    return str(ips[0].get("ip") or "") if ips and isinstance(ips[0], dict) else ""


def is_terminating(pod: Object) -> bool:
    return bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def should_pod_be_in_endpoints(pod: Object, *, include_terminating: bool) -> bool:
    """Kubernetes' ShouldPodBeInEndpoints: an address, not finished (a terminal phase under
    restartPolicy Never/OnFailure), and not being deleted unless ``include_terminating``."""
    if not pod_ip(pod):
        return False
    if not include_terminating and is_terminating(pod):
        return False
    phase = (pod.get("status") or {}).get("phase")
    restart = (pod.get("spec") or {}).get("restartPolicy") or "Always"
    if restart == "Never":
        return phase not in ("Failed", "Succeeded")
    if restart == "OnFailure":
        return phase != "Succeeded"
    return True


def is_ready_endpoint(pod: Object, service: Object) -> bool:
    """Ready pods, or every pod when the Service publishes not-ready addresses."""
    if (service.get("spec") or {}).get("publishNotReadyAddresses"):
        return True
    return is_pod_ready(pod) and not is_terminating(pod)


def find_port(pod: Object, service_port: Object) -> int | None:
    """Kubernetes' FindPort: the number a pod serves a Service port on. A number is itself;
    a name is looked up in the pod's container ports of the same protocol (None if absent)."""
    target = service_port.get("targetPort")
    if target in (None, "", 0):
        target = service_port.get("port")
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol") or "TCP"
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target and (port.get("protocol") or "TCP") == protocol:
                number = port.get("containerPort")
                return int(number) if isinstance(number, int) else None
    return None


def pod_target_ref(pod: Object) -> Object:
    meta = pod.get("metadata") or {}
    return {"kind": "Pod", "namespace": meta.get("namespace") or "", "name": meta.get("name"),
            "uid": meta.get("uid")}


def pod_hostname(pod: Object, service: Object) -> str:
    """A pod's hostname shows in the endpoints when its subdomain is the Service's name."""
    spec = pod.get("spec") or {}
    name = (service.get("metadata") or {}).get("name")
    if spec.get("hostname") and spec.get("subdomain") == name:
        return str(spec["hostname"])
    return ""


def service_keys_for_pod(pod: Object, services: NamespaceLister) -> list[str]:
    """Keys of the Services in the pod's namespace whose selector matches it
    (GetPodServiceMemberships)."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    keys = []
    for service in services.list():
        selector = service_selector(service)
        if selector is not None and selector.matches(labels):
            meta = service.get("metadata") or {}
            keys.append(f"{meta.get('namespace')}/{meta.get('name')}")
    return keys


def services_of(pod: Object, services: Lister) -> list[str]:
    """Keys of the Services of the pod's namespace that select it."""
    namespace = (pod.get("metadata") or {}).get("namespace") or ""
    return service_keys_for_pod(pod, services.namespaced(namespace))


def pod_changed(old: Object | None, new: Object) -> bool:
    """Whether a pod update can change any endpoints (labels, IP, readiness, deletion,
    phase, hostname or ports); a heartbeat-only update does not enqueue anything."""
    if old is None or not new:
        return True

    def view(pod: Object) -> tuple[Any, ...]:
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        return (meta.get("labels"), meta.get("deletionTimestamp"), pod_ip(pod),
                is_pod_ready(pod), (pod.get("status") or {}).get("phase"), spec.get("nodeName"),
                spec.get("hostname"), spec.get("subdomain"),
                [c.get("ports") for c in spec.get("containers") or []])
    return view(old) != view(new)


def service_labels(service: Object, extra: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """The labels endpoints objects carry: the Service's own, the headless marker, extras."""
    labels = dict((service.get("metadata") or {}).get("labels") or {})
    if is_headless(service):
        labels[HEADLESS_LABEL] = ""
    else:
        labels.pop(HEADLESS_LABEL, None)
    labels.update(extra)
    return labels
