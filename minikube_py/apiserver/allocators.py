"""Cluster-wide allocations the apiserver makes on create (Kubernetes keeps these in its
service REST storage): a kind's strategy names them in ``allocations``.

``cluster-ip``: a Service gets a free address from 10.96.0.0/16 (unless headless or
ExternalName); a requested address must be in range and free. An address is reserved from
the moment it is chosen until its create is committed or refused, so concurrent creates
cannot both take one that neither has stored yet.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable, Iterator
from typing import Any

from minikube_py.api.errors import Invalid
from minikube_py.api.validation.base import invalid

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/16")
FIRST_OFFSET = 10  # 10.96.0.1..9 are kept for the system (the kubernetes Service is .1)

Lister = Callable[[], list[dict[str, Any]]]


class ClusterIPAllocator:
    """Allocates Service cluster IPs; ``existing`` lists the stored Services."""

    def __init__(self, existing: Lister) -> None:
        self._existing = existing
        self._reserved: set[str] = set()

    @contextlib.contextmanager
    def allocate(self, obj: dict[str, Any]) -> Iterator[None]:
        """Give ``obj`` its cluster IP for the duration of its create."""
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
