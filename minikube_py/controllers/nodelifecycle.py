"""The node lifecycle controller: notices nodes whose kubelet stopped, taints nodes by their
conditions and evicts the pods that do not tolerate a node's NoExecute taints (Kubernetes'
``pkg/controller/nodelifecycle`` with its ``tainteviction`` manager, in one controller).

Health. A kubelet heartbeats twice: its Lease in ``kube-node-lease`` (``renewTime``) and the
Ready condition's ``lastHeartbeatTime``. A node whose newest heartbeat (or, if newer, the
moment this controller first saw it) is older than the grace period
(``--node-monitor-grace-period``, 40 s as Kubernetes <= 1.28) gets its conditions Ready,
MemoryPressure, DiskPressure and PIDPressure set to ``Unknown`` (reason ``NodeStatusUnknown``,
"Kubelet stopped posting node status."), written through ``nodes/status``; a node that never
posted a Ready condition gets them after the grace period from its creation (reason
``NodeStatusNeverUpdated``). When this turns a Ready node Unknown the controller records the
event ``NodeNotReady`` on the node and sets the Ready condition of its pods False
(MarkPodsNotReady), so Endpoints drop them. A kubelet that posts again makes the node Ready.

Taints. The controller owns the condition taints (TaintNodesByCondition and the NoExecute
pass): Ready False -> ``node.kubernetes.io/not-ready`` NoSchedule and NoExecute, Ready
Unknown -> ``node.kubernetes.io/unreachable`` NoSchedule and NoExecute (NoExecute with
``timeAdded``), pressure conditions -> their NoSchedule taints, ``spec.unschedulable`` ->
``node.kubernetes.io/unschedulable``. Other taints are left as they are.

Eviction. A pod bound to a node with NoExecute taints is deleted at once if one taint has no
toleration; if every taint is tolerated, it is deleted when the shortest ``tolerationSeconds``
of the tolerations used has passed since its taint's ``timeAdded`` (the node is reconciled
again then), and kept if none has seconds. Before the delete the pod gets the condition
``DisruptionTarget`` (reason ``DeletionByTaintManager``) and the event
``TaintManagerEviction``.

Every node is reconciled every ``monitor_period`` seconds (the monitor pass, 5 s) and on
changes of it and of the pods bound to it; time comes from ``clock`` so tests drive it.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from minikube_py.api.errors import NotFound
from minikube_py.api.machinery.nodeaffinity import tolerates
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.events import NORMAL, WARNING, EventRecorder
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.controllers.base import Controller, Requeue
from minikube_py.util.clock import parse_rfc3339, rfc3339

log = logging.getLogger(__name__)

NODES = REGISTRY.require("", "v1", "nodes")
PODS = REGISTRY.require("", "v1", "pods")
LEASES = REGISTRY.require("coordination.k8s.io", "v1", "leases")
LEASE_NAMESPACE = "kube-node-lease"
DEFAULT_GRACE_PERIOD = 40.0  # --node-monitor-grace-period (Kubernetes <= 1.28)
DEFAULT_MONITOR_PERIOD = 5.0  # --node-monitor-period
NODE_NAME_INDEX = "spec.nodeName"

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
NO_SCHEDULE, NO_EXECUTE = "NoSchedule", "NoExecute"
# Condition -> (the status that taints, the NoSchedule taint): TaintNodesByCondition's map.
CONDITION_TAINTS = {
    "MemoryPressure": ("True", "node.kubernetes.io/memory-pressure"),
    "DiskPressure": ("True", "node.kubernetes.io/disk-pressure"),
    "PIDPressure": ("True", "node.kubernetes.io/pid-pressure"),
    "NetworkUnavailable": ("True", "node.kubernetes.io/network-unavailable"),
}
MANAGED = {(NOT_READY, NO_SCHEDULE), (NOT_READY, NO_EXECUTE), (UNREACHABLE, NO_SCHEDULE),
           (UNREACHABLE, NO_EXECUTE), (UNSCHEDULABLE, NO_SCHEDULE),
           *((key, NO_SCHEDULE) for _, key in CONDITION_TAINTS.values())}
# The conditions a silent kubelet leaves Unknown (Kubernetes' nodeConditionsToUpdate).
MONITORED = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
STOPPED = ("NodeStatusUnknown", "Kubelet stopped posting node status.")
NEVER = ("NodeStatusNeverUpdated", "Kubelet never posted node status.")

Object = dict[str, Any]


def pod_node_index(pod: Object) -> list[str]:
    node = (pod.get("spec") or {}).get("nodeName")
    return [str(node)] if node else []


def _seconds(text: Any) -> float | None:
    if not text:
        return None
    try:
        return parse_rfc3339(str(text)).timestamp()
    except ValueError:
        return None


def condition(node: Object, kind: str) -> Object | None:
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return dict(cond)
    return None


def wanted_taints(node: Object) -> list[Object]:
    """The controller's taints for the node's conditions (NoExecute without timeAdded)."""
    ready = (condition(node, "Ready") or {}).get("status", "Unknown")
    out: list[Object] = []
    if ready == "False":
        out += [{"key": NOT_READY, "effect": NO_SCHEDULE}, {"key": NOT_READY, "effect": NO_EXECUTE}]
    elif ready != "True":
        out += [{"key": UNREACHABLE, "effect": NO_SCHEDULE},
                {"key": UNREACHABLE, "effect": NO_EXECUTE}]
    for kind, (bad, key) in CONDITION_TAINTS.items():
        if (condition(node, kind) or {}).get("status") == bad:
            out.append({"key": key, "effect": NO_SCHEDULE})
    if (node.get("spec") or {}).get("unschedulable"):
        out.append({"key": UNSCHEDULABLE, "effect": NO_SCHEDULE})
    return out


def merge_taints(current: list[Object], wanted: list[Object], now: str) -> list[Object]:
    """``current`` with the managed taints made ``wanted``: others and kept ones unchanged
    (with their timeAdded), missing ones appended (NoExecute stamped ``now``)."""
    keys = {(t["key"], t["effect"]) for t in wanted}
    kept = [t for t in current
            if (t.get("key"), t.get("effect")) not in MANAGED or
            (t.get("key"), t.get("effect")) in keys]
    have = {(t.get("key"), t.get("effect")) for t in kept}
    for taint in wanted:
        if (taint["key"], taint["effect"]) not in have:
            added = dict(taint)
            if taint["effect"] == NO_EXECUTE:
                added["timeAdded"] = now
            kept.append(added)
    return kept


def eviction_time(pod: Object, taints: list[Object], now: float) -> float | None:
    """When the taint manager deletes ``pod`` given the node's NoExecute ``taints``: ``now``
    when one is not tolerated, the earliest timeAdded + tolerationSeconds of the tolerations
    used (Kubernetes' GetMatchingTolerations, first match per taint), None for never."""
    tolerations = [t for t in (pod.get("spec") or {}).get("tolerations") or []
                   if (t.get("effect") or NO_EXECUTE) == NO_EXECUTE]
    when: float | None = None
    for taint in taints:
        used = next((t for t in tolerations if tolerates(t, taint)), None)
        if used is None:
            return now
        seconds = used.get("tolerationSeconds")
        if seconds is None:
            continue
        added = _seconds(taint.get("timeAdded")) or now
        at = added + max(float(seconds), 0.0)
        when = at if when is None else min(when, at)
    return when


class NodeLifecycleController(Controller):
    name = "node-lifecycle-controller"

    def __init__(self, client: Client, informers: SharedInformerFactory, *,
                 recorder: EventRecorder | None = None, owns_recorder: bool = False,
                 grace_period: float = DEFAULT_GRACE_PERIOD,
                 monitor_period: float = DEFAULT_MONITOR_PERIOD,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(client, informers, recorder=recorder, owns_recorder=owns_recorder)
        self.grace_period = grace_period
        self.monitor_period = monitor_period
        self.clock = clock
        self.nodes = self.watch(NODES).lister
        self.leases = self.informer(LEASES, namespace=LEASE_NAMESPACE).lister
        pods = self.watch(PODS, keys=pod_node_index, changed=lambda old, new:
                          pod_node_index(old) != pod_node_index(new))
        pods.add_indexers({NODE_NAME_INDEX: pod_node_index})
        self.pods = pods.indexer
        self._first_seen: dict[str, float] = {}
        self._mark_not_ready: set[str] = set()  # nodes whose pods still need Ready=False

    async def start(self) -> None:
        await super().start()
        self._tasks.spawn(self._monitor_loop(), name="monitor")

    async def _monitor_loop(self) -> None:
        """The monitor pass: every node reconciled each ``monitor_period``."""
        while True:
            for node in self.nodes.list():
                self.enqueue(str(node["metadata"]["name"]))
            await asyncio.sleep(self.monitor_period)

    def _stamp(self, at: float) -> str:
        return rfc3339(dt.datetime.fromtimestamp(at, dt.UTC))

    async def reconcile(self, key: str) -> None:
        node = self.nodes.get(key)
        if node is None:
            self._first_seen.pop(key, None)
            self._mark_not_ready.discard(key)
            return
        now = self.clock()
        node, deadline = await self._monitor(node, now)
        if key in self._mark_not_ready:
            await self._mark_pods_not_ready(key, now)
            self._mark_not_ready.discard(key)
        node = await self._taint(node, now)
        evict_at = await self._evict(node, now)
        waits = [t - now for t in (deadline, evict_at) if t is not None]
        if waits:
            raise Requeue(max(min(waits), 0.05))

    # -- health ------------------------------------------------------------------------------

    def _probe_time(self, node: Object, now: float) -> tuple[float, bool]:
        """(the newest sign of life, whether the kubelet ever posted a Ready condition)."""
        name = str(node["metadata"]["name"])
        lease = self.leases.get(name, LEASE_NAMESPACE)
        renewed = _seconds(((lease or {}).get("spec") or {}).get("renewTime")) or 0.0
        ready = condition(node, "Ready")
        created = _seconds(node["metadata"].get("creationTimestamp")) or now
        if ready is None:
            return max(created, renewed), False
        first = self._first_seen.setdefault(name, now)
        return max(first, renewed, _seconds(ready.get("lastHeartbeatTime")) or 0.0), True

    async def _monitor(self, node: Object, now: float) -> tuple[Object, float | None]:
        """Conditions Unknown when the kubelet is silent; returns the node as written and
        when it will be silent too long (None: already Unknown)."""
        probe, posted = self._probe_time(node, now)
        ready = (condition(node, "Ready") or {}).get("status")
        if now < probe + self.grace_period:
            return node, probe + self.grace_period
        if ready == "Unknown" and all(
                (condition(node, k) or {}).get("status") == "Unknown" for k in MONITORED):
            return node, None
        stamp = self._stamp(now)
        updated = copy.deepcopy(node)
        conditions = updated.setdefault("status", {}).setdefault("conditions", [])
        for kind in MONITORED:
            cond = next((c for c in conditions if c.get("type") == kind), None)
            if cond is None:
                reason, message = NEVER
                conditions.append({"type": kind, "status": "Unknown", "reason": reason,
                                   "message": message, "lastHeartbeatTime":
                                   node["metadata"].get("creationTimestamp", stamp),
                                   "lastTransitionTime": stamp})
            elif cond.get("status") != "Unknown":
                cond.update(status="Unknown", reason=STOPPED[0], message=STOPPED[1],
                            lastTransitionTime=stamp)
        written = await self.client.update_status(NODES, updated)
        name = str(node["metadata"]["name"])
        log.info("node %s: no heartbeat for %.0fs; conditions Unknown", name, now - probe)
        if ready == "True" or (ready is None and posted):
            self._node_event(node, "NodeNotReady")
            self._mark_not_ready.add(name)
        return written, None

    def _node_event(self, node: Object, status: str) -> None:
        if self.recorder is not None:
            name = node["metadata"]["name"]
            self.recorder.event({"apiVersion": "v1", "kind": "Node",
                                 "metadata": {"name": name, "uid": name}}, NORMAL, status,
                                f"Node {name} status is now: {status}")

    async def _mark_pods_not_ready(self, node_name: str, now: float) -> None:
        """Kubernetes' MarkPodsNotReady: the pods' Ready condition False."""
        for pod in self.pods.by_index(NODE_NAME_INDEX, node_name):
            conditions = (pod.get("status") or {}).get("conditions") or []
            if not any(c.get("type") == "Ready" and c.get("status") != "False"
                       for c in conditions):
                continue
            updated = copy.deepcopy(pod)
            for cond in updated["status"]["conditions"]:
                if cond.get("type") == "Ready":
                    cond.update(status="False", lastTransitionTime=self._stamp(now))
            with contextlib.suppress(NotFound):
                await self.client.update_status(PODS, updated)
            if self.recorder is not None:
                self.recorder.event(pod, WARNING, "NodeNotReady", "Node is not ready")

    # -- taints ------------------------------------------------------------------------------

    async def _taint(self, node: Object, now: float) -> Object:
        current = list((node.get("spec") or {}).get("taints") or [])
        merged = merge_taints(current, wanted_taints(node), self._stamp(now))
        if merged == current:
            return node
        updated = copy.deepcopy(node)
        updated.setdefault("spec", {})["taints"] = merged
        log.info("node %s: taints %s", node["metadata"]["name"],
                 ", ".join(f"{t['key']}:{t['effect']}" for t in merged) or "none")
        return await self.client.update(NODES, updated)

    # -- eviction ----------------------------------------------------------------------------

    async def _evict(self, node: Object, now: float) -> float | None:
        """Delete the pods whose time on the node is up; returns the next such time."""
        taints = [t for t in (node.get("spec") or {}).get("taints") or []
                  if t.get("effect") == NO_EXECUTE]
        if not taints:
            return None
        later: float | None = None
        for pod in self.pods.by_index(NODE_NAME_INDEX, str(node["metadata"]["name"])):
            if (pod.get("metadata") or {}).get("deletionTimestamp"):
                continue
            at = eviction_time(pod, taints, now)
            if at is None:
                continue
            if at <= now:
                await self._delete(pod, now)
            else:
                later = at if later is None else min(later, at)
        return later

    async def _delete(self, pod: Object, now: float) -> None:
        meta = pod["metadata"]
        namespace, name = str(meta.get("namespace")), str(meta.get("name"))
        if self.recorder is not None:
            self.recorder.event(pod, NORMAL, "TaintManagerEviction",
                                f"Marking for deletion Pod {namespace}/{name}")
        marked = copy.deepcopy(pod)
        conditions = marked.setdefault("status", {}).setdefault("conditions", [])
        conditions[:] = [c for c in conditions if c.get("type") != "DisruptionTarget"]
        conditions.append({"type": "DisruptionTarget", "status": "True",
                           "reason": "DeletionByTaintManager",
                           "message": "Taint manager: deleting due to NoExecute taint",
                           "lastTransitionTime": self._stamp(now)})
        with contextlib.suppress(NotFound):
            await self.client.update_status(PODS, marked)
            await self.client.delete(PODS, name, namespace,
                                     preconditions={"uid": str(meta.get("uid"))})
        log.info("evicted pod %s/%s from node %s (NoExecute taint)", namespace, name,
                 (pod.get("spec") or {}).get("nodeName"))
