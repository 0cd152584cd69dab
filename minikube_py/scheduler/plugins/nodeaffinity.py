"""NodeAffinity: ``spec.nodeSelector`` and the required node affinity as a filter, the
preferred node affinity terms as a score (sum of the weights of the terms a node matches,
scaled so the best node gets 100). ``addedAffinity`` (plugin args) applies to every pod."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.scheduler import clusterevents as ce
from minikube_py.scheduler.framework import SKIP, CycleState, Handle, Status, unresolvable
from minikube_py.scheduler.plugins.helpers import (
    default_normalize_score,
    node_selector_matches,
    pod_matches_node_selector_and_affinity,
    required_node_affinity,
    term_matches,
)
from minikube_py.scheduler.types import NodeInfo, PodInfo

NAME = "NodeAffinity"
REASON = "node(s) didn't match Pod's node affinity/selector"


def _preferred(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
    return list(affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or ())


class NodeAffinity:
    name = NAME

    def __init__(self, args: Mapping[str, Any]) -> None:
        added = args.get("addedAffinity") or {}
        self.added_required = added.get("requiredDuringSchedulingIgnoredDuringExecution")
        self.added_preferred = list(
            added.get("preferredDuringSchedulingIgnoredDuringExecution") or ())

    def events_to_register(self) -> list[ce.Registration]:
        return [ce.Registration(ce.ClusterEvent(ce.NODE, ce.ActionType.ADD |
                                                ce.ActionType.UPDATE_NODE_LABEL), self._hint)]

    def _hint(self, pod: PodInfo, _old: Mapping[str, Any] | None,
              new: Mapping[str, Any] | None) -> bool:
        """Only a node that now matches the pod's selector and affinity can help."""
        if new is None:
            return True
        node = NodeInfo(str((new.get("metadata") or {}).get("name") or ""))
        node.labels = dict((new.get("metadata") or {}).get("labels") or {})
        return self._matches(pod, node)

    def _matches(self, pod: PodInfo, node: NodeInfo) -> bool:
        if self.added_required is not None and \
                not node_selector_matches(self.added_required, node):
            return False
        return pod_matches_node_selector_and_affinity(pod.spec, node)

    def pre_filter(self, _state: CycleState, pod: PodInfo, _nodes: object) -> Status | None:
        spec = pod.spec
        if spec.get("nodeSelector") or required_node_affinity(spec) is not None or \
                self.added_required is not None:
            return None
        return SKIP

    def filter(self, _state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        return None if self._matches(pod, node) else unresolvable(REASON)

    def pre_score(self, state: CycleState, pod: PodInfo, _nodes: object) -> Status | None:
        terms = _preferred(pod.spec) + self.added_preferred
        if not terms:
            return SKIP
        state.write(NAME, terms)
        return None

    def score(self, state: CycleState, _pod: PodInfo, node: NodeInfo) -> int:
        terms: list[Mapping[str, Any]] = state.read(NAME) or []
        return sum(int(t.get("weight") or 0) for t in terms
                   if term_matches(t.get("preference") or {}, node))

    def normalize_score(self, _state: CycleState, _pod: PodInfo, scores: list[int]) -> None:
        default_normalize_score(scores)


def new(args: Mapping[str, Any], _handle: Handle) -> NodeAffinity:
    return NodeAffinity(args)
