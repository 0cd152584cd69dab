"""VolumeZone: a pod whose bound PersistentVolumes carry zone or region labels can run only
on nodes in those zones and regions (a label value may list several, ``a__b``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.scheduler import clusterevents as ce
from minikube_py.scheduler.framework import SKIP, CycleState, Handle, Status, unresolvable
from minikube_py.scheduler.plugins.volumebinding import bound_volumes, claim_names
from minikube_py.scheduler.types import REGION_LABEL, ZONE_LABEL, NodeInfo, PodInfo

NAME = "VolumeZone"
REASON = "node(s) had no available volume zone"
TOPOLOGY_LABELS = (ZONE_LABEL, REGION_LABEL, "failure-domain.beta.kubernetes.io/zone",
                   "failure-domain.beta.kubernetes.io/region")


class VolumeZone:
    name = NAME

    def __init__(self, handle: Handle) -> None:
        self.handle = handle

    def events_to_register(self) -> list[ce.Registration]:
        return [ce.Registration(ce.ClusterEvent(ce.PVC, ce.ActionType.ALL)),
                ce.Registration(ce.ClusterEvent(ce.PV, ce.ActionType.ALL)),
                ce.Registration(ce.ClusterEvent(ce.NODE, ce.ActionType.ADD |
                                                ce.ActionType.UPDATE_NODE_LABEL))]

    def pre_filter(self, state: CycleState, pod: PodInfo, _nodes: object) -> Status | None:
        if not claim_names(pod):
            return SKIP
        volumes, status = bound_volumes(self.handle, pod)
        if status is not None:
            return None  # VolumeBinding says why
        wanted: list[tuple[str, set[str]]] = []
        for pv in volumes:
            labels = (pv.get("metadata") or {}).get("labels") or {}
            for key in TOPOLOGY_LABELS:
                if key in labels:
                    wanted.append((key, set(str(labels[key]).split("__"))))
        if not wanted:
            return SKIP
        state.write(NAME, wanted)
        return None

    def filter(self, state: CycleState, _pod: PodInfo, node: NodeInfo) -> Status | None:
        for key, values in state.read(NAME) or ():
            if node.labels.get(key) not in values:
                return unresolvable(REASON)
        return None


def new(_args: Mapping[str, Any], handle: Handle) -> VolumeZone:
    return VolumeZone(handle)
