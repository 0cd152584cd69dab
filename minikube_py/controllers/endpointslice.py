"""The EndpointSlice controller (Kubernetes' ``pkg/controller/endpointslice``): for every
Service with a selector, EndpointSlices (discovery.k8s.io/v1) holding its pods.

``reconcile(namespace/name)`` of a Service computes the desired slices: the selected pods
that have an IP and are not finished, terminating ones included (conditions ``ready`` =
ready and not terminating, or published; ``serving`` = ready; ``terminating``), grouped by
address type and by the ports they serve (a named ``targetPort`` resolves per pod), at most
:data:`MAX_ENDPOINTS_PER_SLICE` to a slice; a Service without pods keeps one empty
placeholder slice. It then matches them to the slices it manages (labels
``kubernetes.io/service-name`` and ``endpointslice.kubernetes.io/managed-by``): a slice of
equal ports is reused (written only when it differs), missing ones are created with
``generateName: <service>-``, the rest deleted. Slices are owned by their Service, so the
garbage collector removes them with it. Services without a selector keep the slices their
users write.

The cache may lag the controller's own writes (a created slice not seen yet would be created
again): :class:`SliceTracker`, Kubernetes' EndpointSliceTracker, remembers the
resourceVersion of every slice written and the names deleted, and a reconcile that finds the
cache behind them waits for it (``Requeue``; the slice event enqueues the Service anyway).
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import NotFound
from minikube_py.api.kinds.discovery.endpointslice import (
    CONTROLLER_NAME,
    MANAGED_BY_LABEL,
    SERVICE_NAME_LABEL,
)
from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.store import Lister, split_meta_namespace_key
from minikube_py.controllers.base import Controller, Requeue
from minikube_py.controllers.controller_utils import is_pod_ready
from minikube_py.controllers.endpoints import PODS, SERVICES, endpoint_port
from minikube_py.controllers.endpoints_util import (
    find_port,
    is_terminating,
    pod_changed,
    pod_hostname,
    pod_ip,
    pod_target_ref,
    service_labels,
    service_selector,
    services_of,
    should_pod_be_in_endpoints,
)

Object = dict[str, Any]

ENDPOINT_SLICES = REGISTRY.require("discovery.k8s.io", "v1", "endpointslices")

MAX_ENDPOINTS_PER_SLICE = 100

GroupKey = tuple[str, str]  # (addressType, the ports as a canonical string)


def slice_endpoint(pod: Object, service: Object) -> Object:
    publish = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
    ready, terminating = is_pod_ready(pod), is_terminating(pod)
    endpoint: Object = {
        "addresses": [pod_ip(pod)],
        "conditions": {"ready": publish or (ready and not terminating),
                       "serving": publish or ready, "terminating": terminating},
        "targetRef": pod_target_ref(pod)}
    node = (pod.get("spec") or {}).get("nodeName")
    if node:
        endpoint["nodeName"] = node
    hostname = pod_hostname(pod, service)
    if hostname:
        endpoint["hostname"] = hostname
    return endpoint


def desired_groups(service: Object, pods: list[Object]) -> dict[GroupKey, tuple[list[Object],
                                                                               list[Object]]]:
    """(ports, endpoints) per address type and port set, endpoints sorted by address."""
    service_ports = (service.get("spec") or {}).get("ports") or []
    groups: dict[GroupKey, tuple[list[Object], list[Object]]] = {}
    for pod in pods:
        if not should_pod_be_in_endpoints(pod, include_terminating=True):
            continue
        ports = []
        for service_port in service_ports:
            number = find_port(pod, service_port)
            if number is not None:
                port = endpoint_port(service_port, number)
                port.setdefault("name", "")
                ports.append(port)
        if service_ports and not ports:
            continue
        address_type = "IPv6" if ":" in pod_ip(pod) else "IPv4"
        ports.sort(key=lambda p: (p["name"], p["port"], p["protocol"]))
        key = (address_type, repr([sorted(p.items()) for p in ports]))
        groups.setdefault(key, (ports, []))[1].append(slice_endpoint(pod, service))
    for _ports, endpoints in groups.values():
        endpoints.sort(key=lambda e: (e["addresses"][0], str(e["targetRef"].get("uid"))))
    return groups


def desired_slices(service: Object, pods: list[Object]) -> list[tuple[str, list[Object],
                                                                     list[Object]]]:
    """(addressType, ports, endpoints) of every slice the Service should have."""
    slices = []
    for (address_type, _), (ports, endpoints) in sorted(desired_groups(service, pods).items()):
        for start in range(0, len(endpoints), MAX_ENDPOINTS_PER_SLICE):
            slices.append((address_type, ports,
                           endpoints[start:start + MAX_ENDPOINTS_PER_SLICE]))
    if not slices:  # the placeholder: a Service without endpoints still has a slice
        slices.append(("IPv4", [], []))
    return slices


class SliceTracker:
    """The slices a Service's reconciles wrote (name -> resourceVersion) or deleted (name ->
    ""), until the cache shows them; invariant: every entry is a write not yet seen."""

    def __init__(self) -> None:
        self._written: dict[str, dict[str, str]] = {}

    def wrote(self, service_key: str, slice_: Object) -> None:
        meta = slice_.get("metadata") or {}
        self._written.setdefault(service_key, {})[str(meta.get("name"))] = str(
            meta.get("resourceVersion") or "0")

    def deleted(self, service_key: str, name: str) -> None:
        self._written.setdefault(service_key, {})[name] = ""

    def stale(self, service_key: str, cached: Lister, namespace: str) -> bool:
        """Whether the cache is behind a write; entries it has caught up with are dropped."""
        pending = self._written.get(service_key) or {}
        for name, version in list(pending.items()):
            seen = cached.get(name, namespace)
            if version == "":
                behind = seen is not None
            else:
                seen_version = (seen or {}).get("metadata", {}).get("resourceVersion") or "0"
                behind = seen is None or int(seen_version) < int(version)
            if not behind:
                del pending[name]
        if not pending:
            self._written.pop(service_key, None)
        return bool(pending)

    def forget(self, service_key: str) -> None:
        self._written.pop(service_key, None)


def owner_reference(service: Object) -> Object:
    meta = service.get("metadata") or {}
    return {"apiVersion": "v1", "kind": "Service", "name": meta.get("name"),
            "uid": meta.get("uid"), "controller": True, "blockOwnerDeletion": True}


class EndpointSliceController(Controller):
    """Keeps each selector Service's EndpointSlices equal to its pods."""

    name = "endpointslice-controller"
    workers = 2

    def __init__(self, client: Client, informers: SharedInformerFactory) -> None:
        super().__init__(client, informers)
        self.services = Lister(self.watch(SERVICES).indexer)
        self.pods = Lister(self.watch(
            PODS, keys=lambda pod: services_of(pod, self.services), changed=pod_changed).indexer)
        self.slices = Lister(self.watch(ENDPOINT_SLICES, keys=self._slice_service).indexer)
        self.tracker = SliceTracker()

    # -- events -> service keys --------------------------------------------------------------

    @staticmethod
    def _slice_service(slice_: Object) -> list[str]:
        meta = slice_.get("metadata") or {}
        labels = meta.get("labels") or {}
        if labels.get(MANAGED_BY_LABEL) != CONTROLLER_NAME or not labels.get(SERVICE_NAME_LABEL):
            return []
        return [f"{meta.get('namespace')}/{labels[SERVICE_NAME_LABEL]}"]

    # -- reconcile ---------------------------------------------------------------------------

    def managed_slices(self, namespace: str, name: str) -> list[Object]:
        selector = LabelSelector.from_set({SERVICE_NAME_LABEL: name,
                                           MANAGED_BY_LABEL: CONTROLLER_NAME})
        return sorted(self.slices.namespaced(namespace).list(selector),
                      key=lambda s: str(s["metadata"].get("name")))

    async def reconcile(self, key: str) -> None:
        namespace, name = split_meta_namespace_key(key)
        namespace = namespace or ""
        service = self.services.get(name, namespace)
        if service is None:
            self.tracker.forget(key)
            return  # its slices are owned by it: the garbage collector deletes them
        selector = service_selector(service)
        if selector is None or (service.get("spec") or {}).get("type") == "ExternalName":
            return
        if self.tracker.stale(key, self.slices, namespace):
            raise Requeue(0.05)  # our last writes are not in the cache yet
        pods = self.pods.namespaced(namespace).list(selector)
        labels = service_labels(service, [(SERVICE_NAME_LABEL, name),
                                          (MANAGED_BY_LABEL, CONTROLLER_NAME)])
        existing = self.managed_slices(namespace, name)
        for address_type, ports, endpoints in desired_slices(service, pods):
            reuse = next((s for s in existing if s.get("addressType") == address_type and
                          (s.get("ports") or []) == ports), None)
            body: Object = {"addressType": address_type, "ports": ports, "endpoints": endpoints}
            if reuse is None:
                created = await self.client.create(ENDPOINT_SLICES, {
                    "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                    "metadata": {"generateName": f"{name}-", "namespace": namespace,
                                 "labels": labels, "ownerReferences": [owner_reference(service)]},
                    **body})
                self.tracker.wrote(key, created)
                continue
            existing.remove(reuse)
            if (reuse.get("endpoints") or []) == endpoints and \
                    (reuse["metadata"].get("labels") or {}) == labels:
                continue
            updated = await self.client.update(ENDPOINT_SLICES, {
                **reuse, "metadata": {**reuse["metadata"], "labels": labels}, **body})
            self.tracker.wrote(key, updated)
        for stale in existing:
            try:
                await self.client.delete(ENDPOINT_SLICES, stale["metadata"]["name"], namespace)
            except NotFound:
                pass
            self.tracker.deleted(key, stale["metadata"]["name"])
