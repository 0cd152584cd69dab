"""The scheduler's cache: nodes and the pods placed on them, including pods it has only
*assumed* (kube-scheduler's ``backend/cache/cache.go``).

When the scheduler picks a node it **assumes** the pod there at once, before the binding
write is even sent, so the next pod's cycle already sees the node's resources taken and a
burst of pods cannot over-commit a node. Then:

- the bind succeeds -> :meth:`finish_binding` starts a deadline; when the informer delivers
  the bound pod (:meth:`add_pod`), the assumption is confirmed and the deadline dropped;
- the bind fails -> :meth:`forget_pod` undoes the assumption;
- the bound pod never shows up before the deadline (a lost watch event, a pod deleted in
  between) -> :meth:`cleanup_assumed_pods` expires it.

Nodes are kept in a zone-interleaved list (kube-scheduler's ``nodeTree``), so the filter
walk, which stops once enough nodes fit, spreads over zones. A pod bound to a node the cache
has not seen yet gets a placeholder NodeInfo, dropped once empty and node-less.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from minikube_py.scheduler.types import (
    REGION_LABEL,
    ZONE_LABEL,
    AffinityTerm,
    MatchKey,
    NodeInfo,
    PodInfo,
)

ASSUMED_POD_TTL = 30.0  # seconds a bound pod may take to appear in the informer


@dataclass(eq=False)
class _PodState:
    pod: PodInfo
    node: str
    assumed: bool = False
    binding_finished: bool = False
    deadline: float | None = None


class Cache:
    def __init__(self, *, now: Callable[[], float] = time.monotonic,
                 ttl: float = ASSUMED_POD_TTL) -> None:
        self.now = now
        self.ttl = ttl
        self.nodes: dict[str, NodeInfo] = {}
        self._pods: dict[str, _PodState] = {}
        self._node_list: list[NodeInfo] | None = None
        self.image_nodes: dict[str, int] = {}  # image -> how many nodes have it
        # How many placed pods have terms that count in InterPodAffinity's score, and
        # required anti-affinity terms: 0 lets that plugin skip.
        self.pods_with_affinity = 0
        self.pods_with_required_anti_affinity = 0
        # Placed pods grouped for InterPodAffinity: by (namespace, labels), node -> count;
        # and their required anti-affinity terms (shared objects), node -> count.
        self.by_match_key: dict[MatchKey, dict[str, int]] = {}
        self.anti_terms: dict[int, tuple[AffinityTerm, dict[str, int]]] = {}

    # -- nodes ------------------------------------------------------------------------------

    def add_node(self, node: dict[str, Any]) -> NodeInfo:
        name = str((node.get("metadata") or {}).get("name") or "")
        info = self.nodes.get(name)
        if info is None:
            info = self.nodes[name] = NodeInfo(name)
            self._node_list = None
        elif info.node is not None:
            self._count_images(info, -1)
            if _zone(info.labels) != _zone((node.get("metadata") or {}).get("labels") or {}):
                self._node_list = None
        else:
            self._node_list = None
        info.set_node(node)
        self._count_images(info, +1)
        return info

    update_node = add_node

    def remove_node(self, name: str) -> None:
        info = self.nodes.get(name)
        if info is None:
            return
        if info.node is not None:
            self._count_images(info, -1)
        info.node = None
        if not info.pods:
            del self.nodes[name]
        self._node_list = None

    def node_list(self) -> list[NodeInfo]:
        """Nodes with a Node object, interleaved by zone."""
        if self._node_list is None:
            zones: dict[str, list[NodeInfo]] = {}
            for info in sorted(self.nodes.values(), key=lambda n: n.name):
                if info.node is not None:
                    zones.setdefault(_zone(info.labels), []).append(info)
            lists = list(zones.values())
            out: list[NodeInfo] = []
            for i in range(max((len(z) for z in lists), default=0)):
                out.extend(z[i] for z in lists if i < len(z))
            self._node_list = out
        return self._node_list

    def _count_images(self, info: NodeInfo, delta: int) -> None:
        for image in info.image_sizes:
            count = self.image_nodes.get(image, 0) + delta
            if count > 0:
                self.image_nodes[image] = count
            else:
                self.image_nodes.pop(image, None)

    # -- pods -------------------------------------------------------------------------------

    def assume_pod(self, pod: PodInfo, node: str) -> None:
        if pod.key in self._pods:
            raise ValueError(f"pod {pod.key} is already in the cache, cannot be assumed")
        self._place(pod, node)
        self._pods[pod.key] = _PodState(pod, node, assumed=True)

    def finish_binding(self, key: str) -> None:
        state = self._pods.get(key)
        if state is not None and state.assumed:
            state.binding_finished = True
            state.deadline = self.now() + self.ttl

    def forget_pod(self, key: str) -> None:
        state = self._pods.get(key)
        if state is None or not state.assumed:
            return
        self._unplace(key, state.node)
        del self._pods[key]

    def is_assumed(self, key: str) -> bool:
        state = self._pods.get(key)
        return state is not None and state.assumed

    def add_pod(self, pod: PodInfo) -> None:
        """A bound pod from the informer: confirms an assumption, or places the pod."""
        state = self._pods.get(pod.key)
        if state is not None:
            self._unplace(pod.key, state.node)  # an assumption (maybe elsewhere) gives way
        self._place(pod, pod.node_name)
        self._pods[pod.key] = _PodState(pod, pod.node_name)

    def update_pod(self, pod: PodInfo) -> None:
        self.add_pod(pod)

    def remove_pod(self, key: str) -> None:
        state = self._pods.pop(key, None)
        if state is not None:
            self._unplace(key, state.node)

    def pod_node(self, key: str) -> str | None:
        state = self._pods.get(key)
        return state.node if state else None

    def cleanup_assumed_pods(self) -> list[str]:
        """Expire assumed pods whose binding finished but which never showed up."""
        now = self.now()
        expired = [k for k, s in self._pods.items()
                   if s.assumed and s.binding_finished and s.deadline is not None
                   and s.deadline < now]
        for key in expired:
            state = self._pods.pop(key)
            self._unplace(key, state.node)
        return expired

    def pod_count(self) -> int:
        return len(self._pods)

    def _place(self, pod: PodInfo, node: str) -> None:
        info = self.nodes.get(node)
        if info is None:
            info = self.nodes[node] = NodeInfo(node)
        info.add_pod(pod)
        self.pods_with_affinity += pod.scores_affinity
        self.pods_with_required_anti_affinity += bool(pod.required_anti_affinity)
        _count(self.by_match_key.setdefault(pod.match_key, {}), node, 1)
        for term in pod.required_anti_affinity:
            _count(self.anti_terms.setdefault(id(term), (term, {}))[1], node, 1)

    def _unplace(self, key: str, node: str) -> None:
        info = self.nodes.get(node)
        if info is None:
            return
        pod = info.remove_pod(key)
        if pod is not None:
            self.pods_with_affinity -= pod.scores_affinity
            self.pods_with_required_anti_affinity -= bool(pod.required_anti_affinity)
            nodes = self.by_match_key.get(pod.match_key)
            if nodes is not None and not _count(nodes, node, -1):
                del self.by_match_key[pod.match_key]
            for term in pod.required_anti_affinity:
                entry = self.anti_terms.get(id(term))
                if entry is not None and not _count(entry[1], node, -1):
                    del self.anti_terms[id(term)]
        if info.node is None and not info.pods:
            del self.nodes[node]


def _count(counts: dict[str, int], node: str, delta: int) -> int:
    """Add ``delta`` to ``counts[node]`` (dropping zeros); how many nodes are left."""
    value = counts.get(node, 0) + delta
    if value > 0:
        counts[node] = value
    else:
        counts.pop(node, None)
    return len(counts)


def _zone(labels: dict[str, str]) -> str:
    return f"{labels.get(REGION_LABEL, '')}:{labels.get(ZONE_LABEL, '')}"
