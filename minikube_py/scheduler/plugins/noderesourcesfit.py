"""NodeResourcesFit: the pod's requests fit in what the node has left (filter), and how much
room is left afterwards (score; LeastAllocated by default, MostAllocated on request).

Requests are counted as Kubernetes counts them (``resources.pod_requests``: init containers,
sidecars, overhead); every resource the pod names is checked, extended ones such as
``nvidia.com/gpu`` included, and the node's ``pods`` allocatable caps how many pods it runs.
The score uses the non-zero requests (100m cpu / 200 MB for containers that ask nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from minikube_py.scheduler import clusterevents as ce
from minikube_py.scheduler.framework import (
    MAX_NODE_SCORE,
    CycleState,
    Handle,
    Status,
    unschedulable,
)
from minikube_py.scheduler.resources import CPU, MEMORY, PODS, resource_list
from minikube_py.scheduler.types import NodeInfo, PodInfo

NAME = "NodeResourcesFit"
LEAST_ALLOCATED, MOST_ALLOCATED = "LeastAllocated", "MostAllocated"
DEFAULT_RESOURCES: tuple[dict[str, Any], ...] = ({"name": CPU, "weight": 1},
                                               {"name": MEMORY, "weight": 1})


def insufficient(pod: PodInfo, node: NodeInfo,
                 ignored: frozenset[str] = frozenset()) -> list[str]:
    """The reasons the pod does not fit: ``Too many pods``, ``Insufficient <resource>``."""
    reasons = []
    allocatable, requested = node.allocatable, node.requested
    if len(node.pods) + 1 > allocatable.get(PODS, 0):
        reasons.append("Too many pods")
    for name, value in pod.fit_requests:
        if value > allocatable.get(name, 0) - requested.get(name, 0) and name not in ignored:
            reasons.append(f"Insufficient {name}")
    return reasons


class NodeResourcesFit:
    name = NAME

    def __init__(self, args: Mapping[str, Any], handle: Handle | None = None) -> None:
        self.ignored = frozenset(args.get("ignoredResources") or ())
        strategy = args.get("scoringStrategy") or {}
        self.strategy = strategy.get("type") or LEAST_ALLOCATED
        self.resources = [(str(r["name"]), int(r.get("weight") or 1))
                          for r in strategy.get("resources") or DEFAULT_RESOURCES]
        self.default_least = self.strategy == LEAST_ALLOCATED and \
            self.resources == [(CPU, 1), (MEMORY, 1)]

    def events_to_register(self) -> list[ce.Registration]:
        return [ce.Registration(ce.ClusterEvent(ce.NODE, ce.ActionType.ADD |
                                                ce.ActionType.UPDATE_NODE_ALLOCATABLE),
                                self._node_fits),
                ce.Registration(ce.ClusterEvent(ce.ASSIGNED_POD, ce.ActionType.DELETE |
                                                ce.ActionType.UPDATE_POD_SCALE_DOWN))]

    @staticmethod
    def _node_fits(pod: PodInfo, _old: Mapping[str, Any] | None,
                   new: Mapping[str, Any] | None) -> bool:
        """A new or grown node helps only if its whole allocatable could hold the pod."""
        if new is None:
            return True
        allocatable = resource_list((new.get("status") or {}).get("allocatable") or
                                    (new.get("status") or {}).get("capacity"))
        return all(v <= allocatable.get(k, 0) for k, v in pod.requests.items() if v > 0)

    def filter(self, _state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if pod.cpu_memory_only and len(node.pods) < node.alloc_pods and \
                pod.cpu <= node.alloc_cpu - node.req_cpu and \
                pod.memory <= node.alloc_memory - node.req_memory:
            return None  # the common case, without building a list of reasons
        reasons = insufficient(pod, node, self.ignored)
        return unschedulable(*reasons) if reasons else None

    def filter_nodes(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo],
                     ) -> tuple[list[NodeInfo], list[tuple[NodeInfo, Status]]]:
        """:meth:`filter` over many nodes, the common case inline."""
        if not pod.cpu_memory_only:
            return _each(self.filter, state, pod, nodes)
        cpu, memory = pod.cpu, pod.memory
        passed = [n for n in nodes if len(n.pods) < n.alloc_pods and
                  cpu <= n.alloc_cpu - n.req_cpu and memory <= n.alloc_memory - n.req_memory]
        if len(passed) == len(nodes):
            return passed, []
        ok = set(map(id, passed))
        return passed, [(n, unschedulable(*insufficient(pod, n, self.ignored)))
                        for n in nodes if id(n) not in ok]

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        if not self.default_least:
            return [self.score(state, pod, n) for n in nodes]
        cpu, memory = pod.non_zero_cpu, pod.non_zero_memory
        out = []
        for n in nodes:
            a_cpu, a_mem = n.alloc_cpu, n.alloc_memory
            want_cpu, want_mem = n.non_zero_cpu + cpu, n.non_zero_memory + memory
            a = (a_cpu - want_cpu) * MAX_NODE_SCORE // a_cpu if 0 < a_cpu and \
                want_cpu <= a_cpu else 0
            b = (a_mem - want_mem) * MAX_NODE_SCORE // a_mem if 0 < a_mem and \
                want_mem <= a_mem else 0
            out.append((a + b) // 2)
        return out

    def score(self, _state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        if self.default_least:
            cpu, memory = node.alloc_cpu, node.alloc_memory
            want_cpu = node.non_zero_cpu + pod.non_zero_cpu
            want_memory = node.non_zero_memory + pod.non_zero_memory
            a = (cpu - want_cpu) * MAX_NODE_SCORE // cpu if 0 < cpu and want_cpu <= cpu else 0
            b = (memory - want_memory) * MAX_NODE_SCORE // memory \
                if 0 < memory and want_memory <= memory else 0
            return (a + b) // 2
        total = weights = 0
        for name, weight in self.resources:
            allocatable = node.allocatable.get(name, 0)
            if name == CPU:
                requested = node.non_zero_cpu + pod.non_zero_cpu
            elif name == MEMORY:
                requested = node.non_zero_memory + pod.non_zero_memory
            else:
                requested = node.requested.get(name, 0) + pod.requests.get(name, 0)
            weights += weight
            if allocatable <= 0 or requested > allocatable:
                part = 0
            elif self.strategy == LEAST_ALLOCATED:
                part = (allocatable - requested) * MAX_NODE_SCORE // allocatable
            else:
                part = requested * MAX_NODE_SCORE // allocatable
            total += part * weight
        return total // weights if weights else 0


def _each(run: Callable[[CycleState, PodInfo, NodeInfo], Status | None], state: CycleState,
          pod: PodInfo, nodes: list[NodeInfo],
          ) -> tuple[list[NodeInfo], list[tuple[NodeInfo, Status]]]:
    passed, failed = [], []
    for node in nodes:
        status = run(state, pod, node)
        if status is None:
            passed.append(node)
        else:
            failed.append((node, status))
    return passed, failed


def new(args: Mapping[str, Any], handle: Handle) -> NodeResourcesFit:
    return NodeResourcesFit(args, handle)
