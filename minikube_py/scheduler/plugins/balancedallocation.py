"""NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory would be used in
similar fractions after placing the pod (score = (1 - standard deviation) * 100)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from minikube_py.scheduler.framework import MAX_NODE_SCORE, CycleState, Handle
from minikube_py.scheduler.resources import CPU, MEMORY
from minikube_py.scheduler.types import NodeInfo, PodInfo

NAME = "NodeResourcesBalancedAllocation"


class BalancedAllocation:
    name = NAME

    def __init__(self, args: Mapping[str, Any]) -> None:
        self.resources = [str(r["name"]) for r in args.get("resources") or
                          ({"name": CPU}, {"name": MEMORY})]

    def score(self, _state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        if self.resources == [CPU, MEMORY]:
            return self._cpu_memory(pod, node)
        fractions = []
        for name in self.resources:
            allocatable = node.allocatable.get(name, 0)
            if allocatable <= 0:
                continue
            requested = node.requested.get(name, 0) + pod.requests.get(name, 0)
            fractions.append(min(requested / allocatable, 1.0))
        if len(fractions) < 2:
            return MAX_NODE_SCORE if fractions else 0
        if len(fractions) == 2:
            std = abs(fractions[0] - fractions[1]) / 2
        else:
            mean = sum(fractions) / len(fractions)
            std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
        return int((1 - std) * MAX_NODE_SCORE)

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        if self.resources != [CPU, MEMORY]:
            return [self.score(state, pod, n) for n in nodes]
        cpu, memory = pod.cpu, pod.memory
        out = []
        for n in nodes:
            if n.alloc_cpu <= 0 or n.alloc_memory <= 0:
                out.append(self._cpu_memory(pod, n))
                continue
            a = (n.req_cpu + cpu) / n.alloc_cpu
            b = (n.req_memory + memory) / n.alloc_memory
            a, b = (a if a < 1.0 else 1.0), (b if b < 1.0 else 1.0)
            out.append(int((1 - abs(a - b) / 2) * MAX_NODE_SCORE))
        return out

    @staticmethod
    def _cpu_memory(pod: PodInfo, node: NodeInfo) -> int:
        """The default case, inline: two fractions, std = |a - b| / 2."""
        cpu, memory = node.alloc_cpu, node.alloc_memory
        if cpu <= 0 or memory <= 0:
            return MAX_NODE_SCORE if cpu > 0 or memory > 0 else 0
        a = (node.req_cpu + pod.cpu) / cpu
        b = (node.req_memory + pod.memory) / memory
        a, b = (a if a < 1.0 else 1.0), (b if b < 1.0 else 1.0)
        return int((1 - abs(a - b) / 2) * MAX_NODE_SCORE)


def new(args: Mapping[str, Any], _handle: Handle) -> BalancedAllocation:
    return BalancedAllocation(args)
