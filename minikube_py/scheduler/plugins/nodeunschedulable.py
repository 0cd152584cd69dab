"""NodeUnschedulable: a cordoned node (``spec.unschedulable``) takes only pods that tolerate
the ``node.kubernetes.io/unschedulable:NoSchedule`` taint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.api.machinery.nodeaffinity import tolerates
from minikube_py.scheduler import clusterevents as ce
from minikube_py.scheduler.framework import CycleState, Handle, Status, unresolvable
from minikube_py.scheduler.types import NodeInfo, PodInfo

NAME = "NodeUnschedulable"
REASON = "node(s) were unschedulable"
TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


class NodeUnschedulable:
    name = NAME

    def events_to_register(self) -> list[ce.Registration]:
        return [ce.Registration(ce.ClusterEvent(ce.NODE, ce.ActionType.ADD |
                                                ce.ActionType.UPDATE_NODE_TAINT))]

    def filter_nodes(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo],
                     ) -> tuple[list[NodeInfo], list[tuple[NodeInfo, Status]]]:
        if not any(n.unschedulable for n in nodes):
            return nodes, []
        passed, failed = [], []
        for node in nodes:
            status = self.filter(state, pod, node)
            if status is None:
                passed.append(node)
            else:
                failed.append((node, status))
        return passed, failed

    def filter(self, _state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if not node.unschedulable:
            return None
        if any(tolerates(t, TAINT) for t in pod.spec.get("tolerations") or ()):
            return None
        return unresolvable(REASON)


def new(_args: Mapping[str, Any], _handle: Handle) -> NodeUnschedulable:
    return NodeUnschedulable()
