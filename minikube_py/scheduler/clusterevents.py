"""Cluster events: what changed in the cluster that could make an unschedulable pod fit
(kube-scheduler's ``ClusterEvent``, ``ActionType`` and ``EventResource``).

Each plugin says which events could undo its rejections (``events_to_register``). When a pod
is parked as unschedulable, the queue remembers which plugins rejected it; a later event
moves it back only if one of those plugins registered for that event (QueueingHint-lite:
an optional ``hint(pod, old, new)`` can still say the event does not help this pod).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from minikube_py.scheduler.types import PodInfo


class ActionType(enum.IntFlag):
    ADD = 1
    DELETE = 2
    UPDATE_NODE_ALLOCATABLE = 4
    UPDATE_NODE_LABEL = 8
    UPDATE_NODE_TAINT = 16
    UPDATE_NODE_CONDITION = 32
    UPDATE_POD_LABEL = 64
    UPDATE_POD_SCALE_DOWN = 128
    UPDATE_POD_TOLERATION = 256
    UPDATE_OTHER = 512
    UPDATE = (UPDATE_NODE_ALLOCATABLE | UPDATE_NODE_LABEL | UPDATE_NODE_TAINT |
              UPDATE_NODE_CONDITION | UPDATE_POD_LABEL | UPDATE_POD_SCALE_DOWN |
              UPDATE_POD_TOLERATION | UPDATE_OTHER)
    ALL = ADD | DELETE | UPDATE


NODE = "Node"
ASSIGNED_POD = "AssignedPod"
UNSCHEDULED_POD = "UnscheduledPod"
PV = "PersistentVolume"
PVC = "PersistentVolumeClaim"
STORAGE_CLASS = "StorageClass"
WILDCARD = "*"

# hint(pod being retried, old object or None, new object or None) -> could it help now?
QueueingHint = Callable[[PodInfo, Mapping[str, Any] | None, Mapping[str, Any] | None], bool]


@dataclass(frozen=True)
class ClusterEvent:
    resource: str
    action: ActionType
    label: str = ""

    def matches(self, incoming: ClusterEvent) -> bool:
        """Does this registration cover ``incoming`` (same resource, overlapping action)?"""
        if self.resource == WILDCARD:
            return True
        return self.resource == incoming.resource and bool(self.action & incoming.action)

    def __str__(self) -> str:
        return self.label or f"{self.resource}{self.action.name or int(self.action)}"


@dataclass(frozen=True)
class Registration:
    event: ClusterEvent
    hint: QueueingHint | None = None


NODE_ADD = ClusterEvent(NODE, ActionType.ADD, "NodeAdd")
ASSIGNED_POD_DELETE = ClusterEvent(ASSIGNED_POD, ActionType.DELETE, "AssignedPodDelete")
UNSCHEDULABLE_TIMEOUT = ClusterEvent(WILDCARD, ActionType.ALL, "UnschedulableTimeout")
FORCE_ACTIVATE = ClusterEvent(WILDCARD, ActionType.ALL, "ForceActivate")


def node_update_event(old: Mapping[str, Any], new: Mapping[str, Any]) -> ClusterEvent | None:
    """Which of the node-update actions a change is (None: nothing the scheduler reads)."""
    action = ActionType(0)
    o_meta, n_meta = old.get("metadata") or {}, new.get("metadata") or {}
    o_spec, n_spec = old.get("spec") or {}, new.get("spec") or {}
    o_status, n_status = old.get("status") or {}, new.get("status") or {}
    if o_status.get("allocatable") != n_status.get("allocatable"):
        action |= ActionType.UPDATE_NODE_ALLOCATABLE
    if o_meta.get("labels") != n_meta.get("labels"):
        action |= ActionType.UPDATE_NODE_LABEL
    if o_spec.get("taints") != n_spec.get("taints") or \
            o_spec.get("unschedulable") != n_spec.get("unschedulable"):
        action |= ActionType.UPDATE_NODE_TAINT
    if _conditions(o_status) != _conditions(n_status):
        action |= ActionType.UPDATE_NODE_CONDITION
    if o_status.get("images") != n_status.get("images"):
        action |= ActionType.UPDATE_OTHER
    if not action:
        return None
    return ClusterEvent(NODE, action, f"NodeUpdate({action.name})")


def assigned_pod_update_event(old: Mapping[str, Any],
                              new: Mapping[str, Any]) -> ClusterEvent | None:
    action = ActionType(0)
    if (old.get("metadata") or {}).get("labels") != (new.get("metadata") or {}).get("labels"):
        action |= ActionType.UPDATE_POD_LABEL
    if (new.get("metadata") or {}).get("deletionTimestamp") or \
            (new.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        action |= ActionType.UPDATE_POD_SCALE_DOWN
    if not action:
        return None
    return ClusterEvent(ASSIGNED_POD, action, f"AssignedPodUpdate({action.name})")


def _conditions(status: Mapping[str, Any]) -> dict[Any, Any]:
    return {c.get("type"): c.get("status") for c in status.get("conditions") or ()
            if isinstance(c, dict)}
