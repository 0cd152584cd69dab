"""Cluster-wide allocations the apiserver makes on create and update (Kubernetes keeps these
in its service REST storage): a kind's strategy names them in ``allocations``, and the REST
layer enters ``allocator.allocate(obj, old)`` around the write (``old`` is None on create).

``cluster-ip``: a Service gets a free address from 10.96.0.0/16 (unless headless or
ExternalName); a requested address must be in range and free.
``node-port``: every port of a NodePort or LoadBalancer Service gets a free port of
30000-32767; a requested one must be free (422, ``spec.ports[i].nodePort``: "provided port is
already allocated"), and an update keeps the ports it had where the new spec leaves them
empty (Kubernetes' patchAllocatedValues).

What is taken is read from the stored objects, so a delete, or a type change that drops the
field, releases it. A value is reserved from the moment it is chosen until its write is
committed or refused, so concurrent writes cannot both take one that neither has stored yet.
"""

from __future__ import annotations

import contextlib
import ipaddress
import random
from collections.abc import Callable, Iterator
from typing import Any

from minikube_py.api.errors import Invalid
from minikube_py.api.validation.base import invalid

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/16")
FIRST_OFFSET = 10  # 10.96.0.1..9 are kept for the system (the kubernetes Service is .1)

NODE_PORT_RANGE = (30000, 32767)
NODE_PORT_TYPES = ("NodePort", "LoadBalancer")

Lister = Callable[[], list[dict[str, Any]]]


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


class ClusterIPAllocator:
    """Allocates Service cluster IPs; ``existing`` lists the stored Services."""

    def __init__(self, existing: Lister) -> None:
        self._existing = existing
        self._reserved: set[str] = set()

    @contextlib.contextmanager
    def allocate(self, obj: dict[str, Any],
                 old: dict[str, Any] | None = None) -> Iterator[None]:
        """Give ``obj`` its cluster IP for the duration of its write (an update only when
        it had none, e.g. from ExternalName)."""
        if old is not None and ((old.get("spec") or {}).get("clusterIP") or
                                (obj.get("spec") or {}).get("type") == "ExternalName"):
            yield
            return
        reserved = self._assign(obj)
        if reserved:
            self._reserved.add(reserved)
        try:
            yield
        finally:
            self._reserved.discard(reserved or "")

    def _assign(self, obj: dict[str, Any]) -> str | None:
        spec = obj.setdefault("spec", {})
        if spec.get("type") == "ExternalName":
            return None
        requested = spec.get("clusterIP")
        if requested == "None":
            spec["clusterIPs"] = ["None"]
            return None
        taken = {(s.get("spec") or {}).get("clusterIP") for s in self._existing()}
        taken |= self._reserved
        name = obj["metadata"]["name"]
        if requested:
            self._check_requested(name, requested, taken)
            spec["clusterIPs"] = [requested]
            return str(requested)
        for offset in range(FIRST_OFFSET, SERVICE_CIDR.num_addresses - 1):
            candidate = str(SERVICE_CIDR.network_address + offset)
            if candidate not in taken:
                spec["clusterIP"] = candidate
                spec["clusterIPs"] = [candidate]
                return candidate
        raise Invalid.of("", "Service", name, [invalid(
            "spec.clusterIPs", [], "failed to allocate a serviceIP: range is full")])

    @staticmethod
    def _check_requested(name: str, requested: Any, taken: set[Any]) -> None:
        try:
            ip = ipaddress.ip_address(requested)
        except ValueError:
            ip = None
        if ip is None or ip not in SERVICE_CIDR:
            raise Invalid.of("", "Service", name, [invalid(
                "spec.clusterIPs", [requested],
                f"failed to allocate IP {requested}: the provided IP ({requested}) is not in "
                f"the valid range. The range of valid IPs is {SERVICE_CIDR}")])
        if requested in taken:
            raise Invalid.of("", "Service", name, [invalid(
                "spec.clusterIPs", [requested],
                f"failed to allocate IP {requested}: provided IP is already allocated")])


class NodePortAllocator:
    """Allocates Service node ports; ``existing`` lists the stored Services."""

    def __init__(self, existing: Lister) -> None:
        self._existing = existing
        self._reserved: set[int] = set()

    @contextlib.contextmanager
    def allocate(self, obj: dict[str, Any],
                 old: dict[str, Any] | None = None) -> Iterator[None]:
        """Give every port of ``obj`` its node port for the duration of its write."""
        reserved = self._assign(obj, old)
        self._reserved |= reserved
        try:
            yield
        finally:
            self._reserved -= reserved

    def _taken(self, key: tuple[str, str]) -> set[int]:
        taken = set(self._reserved)
        for service in self._existing():
            if _key(service) != key:
                taken |= node_ports(service)
        return taken

    def _assign(self, obj: dict[str, Any], old: dict[str, Any] | None) -> set[int]:
        spec = obj.get("spec") or {}
        if spec.get("type") not in NODE_PORT_TYPES:
            return set()
        ports = [p for p in spec.get("ports") or [] if isinstance(p, dict)]
        if old is not None and (old.get("spec") or {}).get("type") in NODE_PORT_TYPES:
            had = {(p.get("protocol") or "TCP", p.get("port")): p.get("nodePort")
                   for p in (old.get("spec") or {}).get("ports") or [] if isinstance(p, dict)}
            for port in ports:
                if not port.get("nodePort"):
                    kept = had.get((port.get("protocol") or "TCP", port.get("port")))
                    if kept:
                        port["nodePort"] = kept
        own = node_ports(old) if old is not None else set()
        taken = self._taken(_key(obj))
        name = _key(obj)[1]
        chosen: set[int] = set()
        for i, port in enumerate(ports):
            requested = port.get("nodePort")
            if requested:
                if requested in taken or requested in chosen:
                    raise Invalid.of("", "Service", name, [invalid(
                        f"spec.ports[{i}].nodePort", requested,
                        "provided port is already allocated")])
                chosen.add(requested)
        for port in ports:
            if not port.get("nodePort"):
                port["nodePort"] = self._free(taken | chosen, name)
                chosen.add(port["nodePort"])
        return {p for p in chosen if p not in own}

    @staticmethod
    def _free(taken: set[int], name: str) -> int:
        low, high = NODE_PORT_RANGE
        size = high - low + 1
        start = random.randrange(size)
        for step in range(size):
            candidate = low + (start + step) % size
            if candidate not in taken:
                return candidate
        raise Invalid.of("", "Service", name, [invalid(
            "spec.ports[0].nodePort", 0, "failed to allocate a nodePort: range is full")])


def node_ports(service: dict[str, Any] | None) -> set[int]:
    """The node ports a stored Service holds."""
    spec = (service or {}).get("spec") or {}
    return {int(p["nodePort"]) for p in spec.get("ports") or []
            if isinstance(p, dict) and isinstance(p.get("nodePort"), int) and p["nodePort"]}
