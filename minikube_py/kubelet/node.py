"""The node agent: registers this kubelet's Node and keeps it alive.

At start it creates (or takes over) the Node from the node spec's object, adding what the
runtime knows: ``nodeInfo.containerRuntimeVersion``, the images present with their sizes (for
the scheduler's ImageLocality) and the addresses. Then, every ``status_period`` seconds, it
renews the node's Lease in ``kube-node-lease`` (the node controller's heartbeat) and writes the
node status: conditions Ready, MemoryPressure, DiskPressure, PIDPressure with a fresh
``lastHeartbeatTime`` (transition times kept), the image list refreshed.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import logging
from typing import Any

from minikube_py.api.errors import AlreadyExists, NotFound, StatusError
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.leaderelection import micro_time
from minikube_py.util.clock import rfc3339

from .config import LEASE_DURATION_SECONDS, KubeletConfig
from .runtime.base import ContainerRuntime

log = logging.getLogger(__name__)

NODES = REGISTRY.by_path("", "v1", "nodes")
LEASES = REGISTRY.by_path("coordination.k8s.io", "v1", "leases")
LEASE_NAMESPACE = "kube-node-lease"
MAX_IMAGES = 50  # Kubernetes' nodeStatusMaxImages
Object = dict[str, Any]


async def images_status(runtime: ContainerRuntime) -> list[Object]:
    images = sorted(await runtime.list_images(), key=lambda i: -i.size)[:MAX_IMAGES]
    return [{"names": [*i.tags, i.id] if i.tags else [i.id], "sizeBytes": i.size}
            for i in images]


class NodeAgent:
    """Registration, Lease and status of one node."""

    def __init__(self, client: Client, config: KubeletConfig, runtime: ContainerRuntime) -> None:
        self.client = client
        self.config = config
        self.runtime = runtime
        self.name = config.node_name
        self._runtime_version = ""

    def _status(self, current: Object | None, images: list[Object]) -> Object:
        wanted = copy.deepcopy(self.config.node.get("status") or {})
        now = rfc3339()
        old = {c.get("type"): c for c in ((current or {}).get("status") or {}).get(
            "conditions") or []}
        for cond in wanted.get("conditions") or []:
            cond["lastHeartbeatTime"] = now
            prev = old.get(cond.get("type"))
            if prev and prev.get("status") == cond.get("status"):
                cond["lastTransitionTime"] = prev.get("lastTransitionTime", now)
            if cond.get("type") == "Ready" and cond.get("status") == "True":
                cond["message"] = "kubelet is posting ready status"
            elif cond.get("status") == "False":
                cond["message"] = f"kubelet has no {cond.get('type')}"
        info = wanted.setdefault("nodeInfo", {})
        info["containerRuntimeVersion"] = self._runtime_version
        info["kubeletVersion"] = info.get("kubeletVersion") or "v1.31.0-minikube-py"
        wanted["images"] = images
        wanted["daemonEndpoints"] = {"kubeletEndpoint": {"Port": 10250}}
        return wanted

    async def register(self) -> None:
        assert NODES is not None
        self._runtime_version = await self.runtime.version()
        images = await images_status(self.runtime)
        wanted = copy.deepcopy(self.config.node)
        wanted["status"] = self._status(None, images)
        try:
            await self.client.create(NODES, wanted)
            return
        except AlreadyExists:
            pass
        current = await self.client.get(NODES, self.name)
        current["metadata"]["labels"] = {**(current["metadata"].get("labels") or {}),
                                         **wanted["metadata"].get("labels", {})}
        current["spec"] = {**(current.get("spec") or {}), **(wanted.get("spec") or {})}
        current["spec"]["taints"] = (wanted.get("spec") or {}).get("taints") or []
        current = await self.client.update(NODES, current)
        current["status"] = self._status(current, images)
        await self.client.update_status(NODES, current)

    async def heartbeat(self) -> None:
        """Renew the Lease, then write the node status."""
        await self.renew_lease()
        assert NODES is not None
        try:
            current = await self.client.get(NODES, self.name)
        except NotFound:
            await self.register()
            return
        current["status"] = self._status(current, await images_status(self.runtime))
        await self.client.update_status(NODES, current)

    async def renew_lease(self) -> None:
        assert LEASES is not None
        now = micro_time(dt.datetime.now(dt.UTC))
        spec = {"holderIdentity": self.name, "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                "renewTime": now}
        try:
            await self.client.patch(LEASES, self.name, {"spec": spec}, LEASE_NAMESPACE)
        except NotFound:
            node_uid = ""
            assert NODES is not None
            try:
                node_uid = (await self.client.get(NODES, self.name))["metadata"]["uid"]
            except NotFound:
                pass
            owners = [{"apiVersion": "v1", "kind": "Node", "name": self.name,
                       "uid": node_uid}] if node_uid else []
            try:
                await self.client.create(LEASES, {
                    "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": self.name, "namespace": LEASE_NAMESPACE,
                                 "ownerReferences": owners},
                    "spec": spec})
            except AlreadyExists:
                pass

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.config.status_period)
            try:
                await self.heartbeat()
            except StatusError as exc:
                log.warning("node %s: heartbeat failed: %s", self.name, exc)
