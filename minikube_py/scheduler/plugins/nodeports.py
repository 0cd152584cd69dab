"""NodePorts: a pod's ``hostPort`` must be free on the node (same protocol and port, on the
same host IP or on 0.0.0.0, which conflicts with every address)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.scheduler import clusterevents as ce
from minikube_py.scheduler.framework import SKIP, CycleState, Handle, Status, unschedulable
from minikube_py.scheduler.types import NodeInfo, PodInfo

NAME = "NodePorts"
REASON = "node(s) didn't have free ports for the requested pod ports"


class NodePorts:
    name = NAME

    def events_to_register(self) -> list[ce.Registration]:
        return [ce.Registration(ce.ClusterEvent(ce.ASSIGNED_POD, ce.ActionType.DELETE)),
                ce.Registration(ce.NODE_ADD)]

    def pre_filter(self, _state: CycleState, pod: PodInfo, _nodes: object) -> Status | None:
        return None if pod.host_ports else SKIP

    def filter(self, _state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        for ip, protocol, port in pod.host_ports:
            if node.port_conflict(ip, protocol, port):
                return unschedulable(REASON)
        return None


def new(_args: Mapping[str, Any], _handle: Handle) -> NodePorts:
    return NodePorts()
