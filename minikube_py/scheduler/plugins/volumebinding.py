"""VolumeBinding (lite): a pod's PersistentVolumeClaims must exist; a bound claim's volume
must allow the node (``spec.nodeAffinity.required`` of the PV); an unbound claim whose class
binds immediately makes the pod wait. Claims of a ``WaitForFirstConsumer`` class are left to
the volume binder (no dynamic provisioning here), so they do not restrict the node."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.scheduler import clusterevents as ce
from minikube_py.scheduler.framework import SKIP, CycleState, Handle, Status, unresolvable
from minikube_py.scheduler.plugins.helpers import node_selector_matches
from minikube_py.scheduler.types import NodeInfo, PodInfo

NAME = "VolumeBinding"
CONFLICT_REASON = "node(s) had volume node affinity conflict"
UNBOUND_REASON = "pod has unbound immediate PersistentVolumeClaims"


def claim_names(pod: PodInfo) -> list[str]:
    return [str(v["persistentVolumeClaim"].get("claimName") or "")
            for v in pod.spec.get("volumes") or ()
            if isinstance(v, dict) and isinstance(v.get("persistentVolumeClaim"), dict)]


def bound_volumes(handle: Handle, pod: PodInfo) -> tuple[list[Mapping[str, Any]], Status | None]:
    """The PVs of the pod's bound claims, or why the pod cannot be scheduled yet."""
    pvcs, pvs = handle.lister("persistentvolumeclaims"), handle.lister("persistentvolumes")
    classes = handle.lister("storageclasses")
    volumes: list[Mapping[str, Any]] = []
    for name in claim_names(pod):
        claim = pvcs.get(name, pod.namespace) if pvcs is not None else None
        if claim is None:
            return [], unresolvable(f'persistentvolumeclaim "{name}" not found')
        if (claim.get("metadata") or {}).get("deletionTimestamp"):
            return [], unresolvable(f'persistentvolumeclaim "{name}" is being deleted')
        volume_name = (claim.get("spec") or {}).get("volumeName")
        if not volume_name:
            class_name = (claim.get("spec") or {}).get("storageClassName") or ""
            sc = classes.get(class_name) if classes is not None and class_name else None
            if sc is not None and sc.get("volumeBindingMode") == "WaitForFirstConsumer":
                continue
            return [], unresolvable(UNBOUND_REASON)
        pv = pvs.get(str(volume_name)) if pvs is not None else None
        if pv is None:
            return [], unresolvable('pvc(s) bound to non-existent pv(s)')
        volumes.append(pv)
    return volumes, None


class VolumeBinding:
    name = NAME

    def __init__(self, handle: Handle) -> None:
        self.handle = handle

    def events_to_register(self) -> list[ce.Registration]:
        return [ce.Registration(ce.ClusterEvent(ce.PVC, ce.ActionType.ALL)),
                ce.Registration(ce.ClusterEvent(ce.PV, ce.ActionType.ALL)),
                ce.Registration(ce.ClusterEvent(ce.STORAGE_CLASS, ce.ActionType.ALL)),
                ce.Registration(ce.ClusterEvent(ce.NODE, ce.ActionType.ADD |
                                                ce.ActionType.UPDATE_NODE_LABEL))]

    def pre_filter(self, state: CycleState, pod: PodInfo, _nodes: object) -> Status | None:
        if not claim_names(pod):
            return SKIP
        volumes, status = bound_volumes(self.handle, pod)
        if status is not None:
            return status
        state.write(NAME, volumes)
        return None

    def filter(self, state: CycleState, _pod: PodInfo, node: NodeInfo) -> Status | None:
        for pv in state.read(NAME) or ():
            required = ((pv.get("spec") or {}).get("nodeAffinity") or {}).get("required")
            if required is not None and not node_selector_matches(required, node):
                return unresolvable(CONFLICT_REASON)
        return None


def new(_args: Mapping[str, Any], handle: Handle) -> VolumeBinding:
    return VolumeBinding(handle)
