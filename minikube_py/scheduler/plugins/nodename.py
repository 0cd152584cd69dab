"""NodeName: a pod that names its node (``spec.nodeName``) fits only there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.scheduler import clusterevents as ce
from minikube_py.scheduler.framework import SKIP, CycleState, Handle, Status, unresolvable
from minikube_py.scheduler.types import NodeInfo, PodInfo

NAME = "NodeName"
REASON = "node(s) didn't match the requested node name"


class NodeName:
    name = NAME

    def events_to_register(self) -> list[ce.Registration]:
        return [ce.Registration(ce.NODE_ADD)]

    def pre_filter(self, _state: CycleState, pod: PodInfo, _nodes: object) -> Status | None:
        return None if pod.node_name else SKIP

    def filter(self, _state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if pod.node_name and pod.node_name != node.name:
            return unresolvable(REASON)
        return None


def new(_args: Mapping[str, Any], _handle: Handle) -> NodeName:
    return NodeName()
