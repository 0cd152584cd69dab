"""The ``kubernetes`` Service's Endpoints when several apiservers share one store (etcd):
Kubernetes' lease endpoint reconciler, on Lease objects.

Each apiserver holds a Lease ``kube-system/apiserver-<id>`` (label
``apiserver.kubernetes.io/identity: kube-apiserver``, as Kubernetes' apiserver identity
leases) naming where it serves (annotation ``minikube-py.io/endpoint``: ``IP:PORT``), renewed
every third of its duration (the daemon's ``--leader-elect-lease-duration``, 15 s by default).
Every apiserver, after each renewal, writes the Endpoints of
``default/kubernetes`` from the Leases still fresh: one subset per port, so the proxy sends
10.96.0.1:443 to any live apiserver. All of them compute the same content from the same
Leases, so they agree without a leader; a dead apiserver drops out once its Lease expires, a
stopped one at once (it deletes its Lease). The daemon runs it (task ``apiserver-peers``)
only on a shared store; alone, the daemon writes its one address at start (``daemon.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
from typing import Any

from minikube_py.api.errors import AlreadyExists, NotFound, StatusError
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.util.clock import now, parse_rfc3339

log = logging.getLogger(__name__)

NAMESPACE = "kube-system"
IDENTITY_LABEL = "apiserver.kubernetes.io/identity"
ENDPOINT_ANNOTATION = "minikube-py.io/endpoint"
DURATION = 15  # seconds a Lease stays fresh without renewal (default)


def lease_name(identity: str) -> str:
    return "apiserver-" + hashlib.sha256(identity.encode()).hexdigest()[:16]


def subsets(leases: list[dict[str, Any]], at: dt.datetime) -> list[dict[str, Any]]:
    """The Endpoints subsets of the fresh Leases: one per port, addresses sorted."""
    by_port: dict[int, set[str]] = {}
    for lease in leases:
        spec = lease.get("spec") or {}
        renewed = spec.get("renewTime")
        duration = int(spec.get("leaseDurationSeconds") or DURATION)
        endpoint = ((lease.get("metadata") or {}).get("annotations") or {}).get(
            ENDPOINT_ANNOTATION, "")
        ip, _, port = endpoint.rpartition(":")
        if not renewed or not port.isdigit() or not ip:
            continue
        if parse_rfc3339(renewed) + dt.timedelta(seconds=duration) < at:
            continue
        by_port.setdefault(int(port), set()).add(ip)
    return [{"addresses": [{"ip": ip} for ip in sorted(ips)],
             "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}
            for port, ips in sorted(by_port.items())]


class Peers:
    """This apiserver's Lease and the ``kubernetes`` Endpoints made from all of them."""

    def __init__(self, client: Client, *, identity: str, ip: str, port: int,
                 duration: int = DURATION) -> None:
        self.client = client
        self.duration = max(int(duration), 1)
        self.identity = identity
        self.name = lease_name(identity)
        self.endpoint = f"{ip}:{port}"
        self.leases = REGISTRY.require("coordination.k8s.io", "v1", "leases")
        self.endpoints = REGISTRY.require("", "v1", "endpoints")

    def _lease(self) -> dict[str, Any]:
        stamp = now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": self.name, "namespace": NAMESPACE,
                             "labels": {IDENTITY_LABEL: "kube-apiserver"},
                             "annotations": {ENDPOINT_ANNOTATION: self.endpoint}},
                "spec": {"holderIdentity": self.identity, "leaseDurationSeconds": self.duration,
                         "renewTime": stamp}}

    async def renew(self) -> None:
        lease = self._lease()
        try:
            await self.client.create(self.leases, lease)
        except AlreadyExists:
            await self.client.patch(self.leases, self.name, {
                "metadata": {"annotations": lease["metadata"]["annotations"]},
                "spec": lease["spec"]}, NAMESPACE)

    async def reconcile(self) -> None:
        listed = await self.client.list(self.leases, NAMESPACE,
                                        label_selector=f"{IDENTITY_LABEL}=kube-apiserver")
        wanted = subsets(listed.get("items") or [], now())
        try:
            current = await self.client.get(self.endpoints, "kubernetes", "default")
        except NotFound:
            await self.client.create(self.endpoints, {
                "apiVersion": "v1", "kind": "Endpoints",
                "metadata": {"name": "kubernetes", "namespace": "default",
                             "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
                "subsets": wanted})
            return
        if current.get("subsets") != wanted:
            await self.client.patch(self.endpoints, "kubernetes", {"subsets": wanted},
                                    "default")

    async def run(self) -> None:
        """Renew and reconcile every third of the duration until cancelled (a failed round
        is logged and tried again at the next)."""
        while True:
            try:
                await self.renew()
                await self.reconcile()
            except (StatusError, OSError) as exc:
                log.warning("apiserver lease and endpoints: %s", exc)
            await asyncio.sleep(self.duration / 3)

    async def leave(self) -> None:
        """A clean stop: drop our Lease and our address at once."""
        with contextlib.suppress(StatusError, OSError):
            await self.client.delete(self.leases, self.name, NAMESPACE)
            await self.reconcile()
