"""The Endpoints controller (Kubernetes' ``pkg/controller/endpoint``): for every Service with
a selector, one Endpoints object of the same name listing the matching pods' addresses.

``reconcile(namespace/name)`` of a Service: gone → its Endpoints are deleted; no selector (or
ExternalName) → the user's Endpoints are left alone; else the pods the selector picks that
have an IP and are not finished become addresses (ready, or every one under
``publishNotReadyAddresses``) or ``notReadyAddresses``, terminating pods are left out unless
published, each with its ``targetRef``, ``nodeName`` and hostname. A named ``targetPort`` is
resolved per pod from its container ports, so pods serving a port under different numbers
land in different subsets (``RepackSubsets``). The object is written only when its subsets
or labels changed.

Pod events enqueue the Services whose selector matches the pod before and after the change
(``endpoints_util.service_keys_for_pod``); updates that touch nothing endpoints show (status
heartbeats, annotations) enqueue nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from minikube_py.api.errors import NotFound
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.store import Lister, split_meta_namespace_key
from minikube_py.controllers.base import Controller
from minikube_py.controllers.endpoints_util import (
    find_port,
    is_ready_endpoint,
    pod_changed,
    pod_hostname,
    pod_ip,
    pod_target_ref,
    service_labels,
    service_selector,
    services_of,
    should_pod_be_in_endpoints,
)

log = logging.getLogger(__name__)

Object = dict[str, Any]


PODS = REGISTRY.require("", "v1", "pods")
SERVICES = REGISTRY.require("", "v1", "services")
ENDPOINTS = REGISTRY.require("", "v1", "endpoints")

PortKey = tuple[tuple[str, int, str, str], ...]  # (name, port, protocol, appProtocol) sorted


def endpoint_port(service_port: Object, number: int) -> Object:
    port: Object = {"name": service_port.get("name") or "", "port": number,
                    "protocol": service_port.get("protocol") or "TCP"}
    if not port["name"]:
        del port["name"]
    if service_port.get("appProtocol"):
        port["appProtocol"] = service_port["appProtocol"]
    return port


def pod_address(pod: Object, service: Object) -> Object:
    address: Object = {"ip": pod_ip(pod), "targetRef": pod_target_ref(pod)}
    node = (pod.get("spec") or {}).get("nodeName")
    if node:
        address["nodeName"] = node
    hostname = pod_hostname(pod, service)
    if hostname:
        address["hostname"] = hostname
    return address


def desired_subsets(service: Object, pods: list[Object]) -> list[Object]:
    """The subsets of a Service's Endpoints for these (selected) pods, packed: addresses that
    serve the same ports share a subset; sorted so equal inputs give equal output."""
    spec = service.get("spec") or {}
    publish = bool(spec.get("publishNotReadyAddresses"))
    service_ports = spec.get("ports") or []
    groups: dict[PortKey, tuple[list[Object], list[Object]]] = {}
    for pod in pods:
        if not should_pod_be_in_endpoints(pod, include_terminating=publish):
            continue
        ports = []
        for service_port in service_ports:
            number = find_port(pod, service_port)
            if number is None:
                log.debug("endpoints: pod %s has no port %r", pod_target_ref(pod)["name"],
                          service_port.get("targetPort"))
                continue
            ports.append(endpoint_port(service_port, number))
        if service_ports and not ports:
            continue
        key: PortKey = tuple(sorted((p.get("name", ""), p["port"], p["protocol"],
                                     p.get("appProtocol", "")) for p in ports))
        ready, not_ready = groups.setdefault(key, ([], []))
        (ready if is_ready_endpoint(pod, service) else not_ready).append(
            pod_address(pod, service))
    subsets = []
    for key in sorted(groups):
        ready, not_ready = groups[key]
        subset: Object = {}
        if ready:
            subset["addresses"] = sorted(ready, key=_address_order)
        if not_ready:
            subset["notReadyAddresses"] = sorted(not_ready, key=_address_order)
        if key:
            subset["ports"] = [_port_of(k) for k in key]
        subsets.append(subset)
    return subsets


def _address_order(address: Object) -> tuple[str, str]:
    return (address["ip"], str(address["targetRef"].get("uid") or ""))


def _port_of(key: tuple[str, int, str, str]) -> Object:
    name, number, protocol, app = key
    port: Object = {"port": number, "protocol": protocol}
    if name:
        port["name"] = name
    if app:
        port["appProtocol"] = app
    return port


class EndpointsController(Controller):
    """Keeps each selector Service's Endpoints equal to its pods."""

    name = "endpoint-controller"
    workers = 2

    def __init__(self, client: Client, informers: SharedInformerFactory) -> None:
        super().__init__(client, informers)
        self.services = Lister(self.watch(SERVICES).indexer)
        self.pods = Lister(self.watch(
            PODS, keys=lambda pod: services_of(pod, self.services), changed=pod_changed).indexer)
        self.endpoints = Lister(self.informer(ENDPOINTS).indexer)

    # -- reconcile ---------------------------------------------------------------------------

    async def reconcile(self, key: str) -> None:
        namespace, name = split_meta_namespace_key(key)
        namespace = namespace or ""
        service = self.services.get(name, namespace)
        if service is None:
            try:
                await self.client.delete(ENDPOINTS, name, namespace)
            except NotFound:
                pass
            return
        selector = service_selector(service)
        if selector is None or (service.get("spec") or {}).get("type") == "ExternalName":
            return  # the user's Endpoints, if any, are theirs
        pods = self.pods.namespaced(namespace).list(selector)
        subsets = desired_subsets(service, pods)
        labels = service_labels(service)
        current = self.endpoints.get(name, namespace)
        if current is not None and (current.get("subsets") or []) == subsets and \
                ((current.get("metadata") or {}).get("labels") or {}) == labels:
            return
        if current is None:
            await self.client.create(ENDPOINTS, {
                "apiVersion": "v1", "kind": "Endpoints",
                "metadata": {"name": name, "namespace": namespace, "labels": labels},
                "subsets": subsets})
            return
        updated = {**current, "metadata": {**current["metadata"], "labels": labels},
                   "subsets": subsets}
        await self.client.update(ENDPOINTS, updated)
