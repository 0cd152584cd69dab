"""Virtual node registration: the Node objects of the nodes a daemon hosts, registered Ready
by the daemon itself until the kubelet issue gives every node an agent that does it (and
replaces this module).

``minikube-py up`` registers one node named after the host (or ``minikube-py``) with the
machine's cpu and memory; ``--nodes N`` registers N of that size (``node-1`` ...);
``--nodes-file FILE`` takes a YAML list of nodes::

    - name: ssd-node
      cpu: "2"
      memory: 4Gi
      pods: 110
      resources: {nvidia.com/gpu: 1}
      labels: {disktype: ssd, topology.kubernetes.io/zone: zone-a}
      taints: [{key: dedicated, value: gpu, effect: NoSchedule}]
      conditions: {MemoryPressure: "True"}

Node conditions become taints, as Kubernetes' TaintNodesByCondition does, so the scheduler
filters on taints only (``node.kubernetes.io/not-ready``, ``memory-pressure``, ...).

Standing in for the kubelet, this component also finishes the graceful deletion of pods on
its nodes (a deleted pod on a node waits for its kubelet to confirm with grace period 0),
so preemption's victims and deleted pods do go away.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from minikube_py.api.errors import AlreadyExists, Conflict, NotFound, StatusError
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.informer import SharedInformerFactory, strip_managed_fields
from minikube_py.client.store import DeletedFinalStateUnknown
from minikube_py.util.clock import rfc3339
from minikube_py.util.tasks import TaskGroup

log = logging.getLogger(__name__)

COMPONENT = "node-registration"
DEFAULT_PODS = 110
KUBELET_VERSION = "v1.31.0-minikube-py"
# Condition -> (the status that makes it a problem, the taint Kubernetes sets for it).
CONDITION_TAINTS = {
    "Ready": ("False", "node.kubernetes.io/not-ready"),
    "MemoryPressure": ("True", "node.kubernetes.io/memory-pressure"),
    "DiskPressure": ("True", "node.kubernetes.io/disk-pressure"),
    "PIDPressure": ("True", "node.kubernetes.io/pid-pressure"),
    "NetworkUnavailable": ("True", "node.kubernetes.io/network-unavailable"),
}
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
_NODES = REGISTRY.by_path("", "v1", "nodes")
_PODS = REGISTRY.by_path("", "v1", "pods")
_LEASES = REGISTRY.by_path("coordination.k8s.io", "v1", "leases")
LEASE_NAMESPACE = "kube-node-lease"
HEARTBEAT_PERIOD = 10.0  # the kubelet's Lease renewal (node lifecycle grace: 40 s)


class NodesFileError(ValueError):
    """The nodes file is not a list of nodes; the message says where."""


@dataclass(frozen=True)
class NodeSpec:
    name: str
    cpu: str
    memory: str
    pods: int = DEFAULT_PODS
    resources: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: tuple[Mapping[str, str], ...] = ()
    conditions: Mapping[str, str] = field(default_factory=dict)
    unschedulable: bool = False


def machine_cpu() -> str:
    return str(os.cpu_count() or 1)


def machine_memory() -> str:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1])}Ki"
    return "4Gi"


def default_node_name() -> str:
    name = re.sub(r"[^a-z0-9.-]", "-", socket.gethostname().lower()).strip("-.")
    return name[:63] or "minikube-py"


def default_nodes(count: int = 0) -> list[NodeSpec]:
    """One node named after the host; or ``count`` nodes ``node-1`` ... of the machine's size."""
    cpu, memory = machine_cpu(), machine_memory()
    if count <= 0:
        return [NodeSpec(default_node_name(), cpu, memory)]
    return [NodeSpec(f"node-{i}", cpu, memory) for i in range(1, count + 1)]


def load_nodes_file(path: str | Path) -> list[NodeSpec]:
    try:
        doc = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise NodesFileError(f"cannot read nodes file {path}: {exc}") from exc
    if isinstance(doc, dict):
        doc = doc.get("nodes")
    if not isinstance(doc, list) or not doc:
        raise NodesFileError(f"{path}: expected a list of nodes")
    specs = []
    for i, item in enumerate(doc):
        if not isinstance(item, dict) or not item.get("name"):
            raise NodesFileError(f"{path}: node {i} needs a name")
        specs.append(NodeSpec(
            name=str(item["name"]), cpu=str(item.get("cpu") or machine_cpu()),
            memory=str(item.get("memory") or machine_memory()),
            pods=int(item.get("pods") or DEFAULT_PODS),
            resources={str(k): str(v) for k, v in (item.get("resources") or {}).items()},
            labels={str(k): str(v) for k, v in (item.get("labels") or {}).items()},
            taints=tuple(dict(t) for t in item.get("taints") or ()),
            conditions={str(k): str(v) for k, v in (item.get("conditions") or {}).items()},
            unschedulable=bool(item.get("unschedulable"))))
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise NodesFileError(f"{path}: node names repeat")
    return specs


def condition_taints(conditions: Mapping[str, str], *,
                     unschedulable: bool = False) -> list[dict[str, str]]:
    """The NoSchedule taints Kubernetes derives from node conditions."""
    taints = []
    for condition, (bad, key) in CONDITION_TAINTS.items():
        status = conditions.get(condition, "True" if condition == "Ready" else "False")
        if condition == "Ready" and status == "Unknown":
            taints.append({"key": UNREACHABLE_TAINT, "effect": "NoSchedule"})
        elif status == bad:
            taints.append({"key": key, "effect": "NoSchedule"})
    if unschedulable:
        taints.append({"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"})
    return taints


def node_object(spec: NodeSpec) -> dict[str, Any]:
    capacity = {"cpu": spec.cpu, "memory": spec.memory, "pods": str(spec.pods),
                "ephemeral-storage": "100Gi", **spec.resources}
    labels = {"kubernetes.io/hostname": spec.name, "kubernetes.io/os": "linux",
              "kubernetes.io/arch": "amd64", **spec.labels}
    now = rfc3339()
    conditions = []
    for kind in CONDITION_TAINTS:
        status = spec.conditions.get(kind, "True" if kind == "Ready" else "False")
        conditions.append({"type": kind, "status": status, "lastHeartbeatTime": now,
                           "lastTransitionTime": now,
                           "reason": "KubeletReady" if kind == "Ready" else f"No{kind}",
                           "message": "registered by minikube-py"})
    taints = [dict(t) for t in spec.taints] + condition_taints(
        spec.conditions, unschedulable=spec.unschedulable)
    node_spec: dict[str, Any] = {"taints": taints} if taints else {}
    if spec.unschedulable:
        node_spec["unschedulable"] = True
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": spec.name, "labels": labels},
            "spec": node_spec,
            "status": {"capacity": capacity, "allocatable": dict(capacity),
                       "conditions": conditions,
                       "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                                     {"type": "Hostname", "address": spec.name}],
                       "nodeInfo": {"kubeletVersion": KUBELET_VERSION,
                                    "operatingSystem": "linux", "architecture": "amd64",
                                    "containerRuntimeVersion": "docker://minikube-py",
                                    "osImage": "minikube-py", "kernelVersion": "",
                                    "kubeProxyVersion": "", "machineID": "",
                                    "systemUUID": "", "bootID": ""}}}


class NodeRegistration:
    """A Component: registers the virtual nodes and confirms pod deletions on them."""

    name = COMPONENT

    def __init__(self, client: Client, nodes: list[NodeSpec]) -> None:
        self.client = client.with_user_agent(f"minikube-py ({COMPONENT})")
        self.nodes = nodes
        self._names = {n.name for n in nodes}
        self._tasks = TaskGroup(COMPONENT)
        self._informers: SharedInformerFactory | None = None

    async def start(self) -> None:
        for spec in self.nodes:
            await self.register(spec)
        assert _PODS is not None
        self._informers = SharedInformerFactory(self.client, transform=strip_managed_fields,
                                                name=f"{COMPONENT}/informers")
        pods = self._informers.informer_for(_PODS)
        pods.add_event_handler(on_add=self._pod_changed,
                               on_update=lambda _old, new: self._pod_changed(new))
        self._informers.start()
        self._tasks.spawn(self._heartbeat(), name="lease-heartbeat")

    async def _heartbeat(self) -> None:
        """Renew each node's Lease in ``kube-node-lease``, as its kubelet would, so the node
        lifecycle controller sees the virtual nodes alive."""
        while True:
            for spec in self.nodes:
                try:
                    await self._renew(spec.name)
                except StatusError as exc:
                    log.warning("node %s: lease renewal failed: %s", spec.name, exc)
            await asyncio.sleep(HEARTBEAT_PERIOD)

    async def _renew(self, name: str) -> None:
        assert _LEASES is not None
        spec = {"holderIdentity": name, "leaseDurationSeconds": 40,
                "renewTime": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
        try:
            await self.client.patch(_LEASES, name, {"spec": spec}, LEASE_NAMESPACE)
        except NotFound:
            with contextlib.suppress(AlreadyExists):
                await self.client.create(_LEASES, {
                    "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": name, "namespace": LEASE_NAMESPACE}, "spec": spec})

    async def register(self, spec: NodeSpec) -> None:
        assert _NODES is not None
        wanted = node_object(spec)
        try:
            await self.client.create(_NODES, wanted)
            return
        except AlreadyExists:
            pass
        current = await self.client.get(_NODES, spec.name)
        current["metadata"]["labels"] = {**(current["metadata"].get("labels") or {}),
                                         **wanted["metadata"]["labels"]}
        current["spec"] = {**(current.get("spec") or {}), **wanted["spec"]}
        current["spec"].setdefault("taints", [])
        current["spec"]["taints"] = wanted["spec"].get("taints") or []
        current = await self.client.update(_NODES, current)
        current["status"] = wanted["status"]
        await self.client.update_status(_NODES, current)

    def _pod_changed(self, pod: dict[str, Any] | DeletedFinalStateUnknown) -> None:
        if isinstance(pod, DeletedFinalStateUnknown):
            return
        meta = pod.get("metadata") or {}
        node = (pod.get("spec") or {}).get("nodeName")
        if node in self._names and meta.get("deletionTimestamp") and \
                meta.get("deletionGracePeriodSeconds") != 0:
            self._tasks.spawn(self._confirm_deletion(str(meta.get("namespace")),
                                                     str(meta.get("name")),
                                                     str(meta.get("uid"))),
                              name=f"terminate/{meta.get('namespace')}/{meta.get('name')}")

    async def _confirm_deletion(self, namespace: str, name: str, uid: str) -> None:
        """What a kubelet does once the containers stopped: delete with grace period 0."""
        assert _PODS is not None
        with contextlib.suppress(NotFound, Conflict):
            try:
                await self.client.delete(_PODS, name, namespace, grace_period_seconds=0,
                                         preconditions={"uid": uid})
            except StatusError as exc:
                log.warning("could not finish deleting %s/%s: %s", namespace, name, exc)

    async def stop(self) -> None:
        if self._informers is not None:
            await self._informers.shutdown()
            self._informers = None
        await self._tasks.stop()

    def health(self) -> str | None:
        return "; ".join(f"{n}: {e!r}" for n, e in self._tasks.failed) or None
