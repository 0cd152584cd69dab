"""Per-kind rules applied around a write (Kubernetes' RESTCreateStrategy/RESTUpdateStrategy).

The generic REST code in ``rest.py`` calls these hooks; here live the kind-specific parts:
status is set by the system, not by a create; a main-resource update keeps the stored status
and a status update keeps the stored spec; generation counts spec changes; a Pod starts
Pending with its QoS class; a Secret's ``stringData`` becomes ``data``; a Service gets a
cluster IP.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable
from typing import Any

from minikube_py.api.errors import BadRequest, Invalid
from minikube_py.api.registry import ResourceType
from minikube_py.api.validation.base import invalid
from minikube_py.util import jsonutil

_SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/16")


def generation_view(rt: ResourceType, obj: dict[str, Any]) -> list[Any]:
    """The parts of ``obj`` whose change bumps ``generation`` for its kind."""
    meta = obj.get("metadata") or {}
    return [(meta.get("annotations") or {}) if part == "annotations" else obj.get(part)
            for part in rt.generation]


def prepare_for_create(rt: ResourceType, obj: dict[str, Any]) -> None:
    if rt.has_status and rt.kind not in ("Namespace", "Node", "PersistentVolume"):
        obj.pop("status", None)
    meta = obj["metadata"]
    if rt.generation:
        meta["generation"] = 1
    else:
        meta.pop("generation", None)
    hook = _CREATE_HOOKS.get((rt.group, rt.kind))
    if hook is not None:
        hook(obj)


def prepare_for_update(rt: ResourceType, new: dict[str, Any], old: dict[str, Any]) -> None:
    """A main-resource update: status stays as stored; generation bumps on spec change."""
    if rt.has_status:
        if "status" in old:
            new["status"] = jsonutil.copy(old["status"])
        else:
            new.pop("status", None)
    _bump_generation(rt, new, old)
    hook = _UPDATE_HOOKS.get((rt.group, rt.kind))
    if hook is not None:
        hook(new, old)


def prepare_for_status_update(rt: ResourceType, new: dict[str, Any],
                              old: dict[str, Any]) -> dict[str, Any]:
    """A status update changes only status: everything else comes from the stored object."""
    result = jsonutil.copy(old)
    if "status" in new:
        result["status"] = new["status"]
    else:
        result.pop("status", None)
    return result


def prepare_for_finalize(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """``namespaces/{name}/finalize`` changes only ``spec.finalizers``."""
    result = jsonutil.copy(old)
    result.setdefault("spec", {})["finalizers"] = list(
        (new.get("spec") or {}).get("finalizers") or [])
    return result


def _bump_generation(rt: ResourceType, new: dict[str, Any], old: dict[str, Any]) -> None:
    meta = new["metadata"]
    old_gen = (old.get("metadata") or {}).get("generation")
    if not rt.generation:
        meta.pop("generation", None)
        return
    generation = int(old_gen or 1)
    if generation_view(rt, new) != generation_view(rt, old):
        generation += 1
    meta["generation"] = generation


# -- Pods --------------------------------------------------------------------------------------

def qos_class(spec: dict[str, Any]) -> str:
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


def _pod_create(obj: dict[str, Any]) -> None:
    obj["status"] = {"phase": "Pending", "qosClass": qos_class(obj.get("spec") or {})}


# -- Secrets -----------------------------------------------------------------------------------

def _secret_write(obj: dict[str, Any]) -> None:
    """Fold ``stringData`` into ``data`` (base64) and check ``data`` is base64."""
    data = obj.get("data") or {}
    for key, value in data.items():
        if not isinstance(value, str):
            raise BadRequest(f"Secret in version \"v1\" cannot be handled as a Secret: "
                             f"data[{key}] must be a base64-encoded string")
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest(f"Secret in version \"v1\" cannot be handled as a Secret: "
                             f"illegal base64 data in data[{key}]") from exc
    string_data = obj.pop("stringData", None) or {}
    for key, value in string_data.items():
        data[key] = base64.b64encode(str(value).encode()).decode()
    if data:
        obj["data"] = data


def _secret_update(new: dict[str, Any], old: dict[str, Any]) -> None:
    _secret_write(new)


# -- Namespaces --------------------------------------------------------------------------------

def _namespace_create(obj: dict[str, Any]) -> None:
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    obj["status"] = {"phase": "Active"}
    labels = obj["metadata"].setdefault("labels", {})
    labels["kubernetes.io/metadata.name"] = obj["metadata"]["name"]


def _namespace_update(new: dict[str, Any], old: dict[str, Any]) -> None:
    # spec.finalizers change only through /finalize.
    if "spec" in old:
        new["spec"] = jsonutil.copy(old["spec"])
    labels = new["metadata"].setdefault("labels", {})
    labels["kubernetes.io/metadata.name"] = new["metadata"]["name"]


_CREATE_HOOKS: dict[tuple[str, str], Callable[[dict[str, Any]], None]] = {
    ("", "Pod"): _pod_create,
    ("", "Secret"): _secret_write,
    ("", "Namespace"): _namespace_create,
}
_UPDATE_HOOKS: dict[tuple[str, str], Callable[[dict[str, Any], dict[str, Any]], None]] = {
    ("", "Secret"): _secret_update,
    ("", "Namespace"): _namespace_update,
}


# -- Services: cluster IP allocation -----------------------------------------------------------

def allocate_cluster_ip(obj: dict[str, Any], existing: list[dict[str, Any]],
                        reserved: set[Any] | None = None) -> None:
    """Give a Service a free cluster IP from 10.96.0.0/16 (unless headless or ExternalName);
    a requested IP must be in range and free. ``reserved`` are taken by creates in flight."""
    spec = obj.setdefault("spec", {})
    if spec.get("type") == "ExternalName":
        return
    taken = {(s.get("spec") or {}).get("clusterIP") for s in existing} | (reserved or set())
    requested = spec.get("clusterIP")
    if requested == "None":
        spec["clusterIPs"] = ["None"]
        return
    if requested:
        try:
            ip = ipaddress.ip_address(requested)
        except ValueError:
            ip = None
        if ip is None or ip not in _SERVICE_CIDR:
            raise Invalid.of("", "Service", obj["metadata"]["name"], [invalid(
                "spec.clusterIPs", [requested],
                f"failed to allocate IP {requested}: the provided IP ({requested}) is not in "
                f"the valid range. The range of valid IPs is {_SERVICE_CIDR}")])
        if requested in taken:
            raise Invalid.of("", "Service", obj["metadata"]["name"], [invalid(
                "spec.clusterIPs", [requested],
                f"failed to allocate IP {requested}: provided IP is already allocated")])
        spec["clusterIPs"] = [requested]
        return
    for offset in range(10, _SERVICE_CIDR.num_addresses - 1):
        candidate = str(_SERVICE_CIDR.network_address + offset)
        if candidate not in taken:
            spec["clusterIP"] = candidate
            spec["clusterIPs"] = [candidate]
            return
    raise Invalid.of("", "Service", obj["metadata"]["name"], [invalid(
        "spec.clusterIPs", [], "failed to allocate a serviceIP: range is full")])


def keep_cluster_ip(new: dict[str, Any], old: dict[str, Any]) -> None:
    """An update that leaves clusterIP empty keeps the allocated one (as kubectl apply does)."""
    old_spec, new_spec = old.get("spec") or {}, new.setdefault("spec", {})
    if not new_spec.get("clusterIP") and old_spec.get("clusterIP") and \
            new_spec.get("type") != "ExternalName":
        new_spec["clusterIP"] = old_spec["clusterIP"]
        new_spec["clusterIPs"] = old_spec.get("clusterIPs") or [old_spec["clusterIP"]]
