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


def new(args: Mapping[str, Any], _handle: Handle) -> BalancedAllocation:
    return BalancedAllocation(args)
