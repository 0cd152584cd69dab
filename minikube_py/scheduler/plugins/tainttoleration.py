"""TaintToleration: a node's NoSchedule and NoExecute taints keep out pods that do not
tolerate them (filter); PreferNoSchedule taints a pod does not tolerate lower the node's
score (fewest wins).

Node conditions reach the scheduler this way too, as in Kubernetes (TaintNodesByCondition):
a node that is not ready, unreachable, or under memory, disk or pid pressure carries the
``node.kubernetes.io/<condition>`` taint, set by whoever registers the node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from minikube_py.api.machinery.nodeaffinity import tolerates
from minikube_py.scheduler import clusterevents as ce
from minikube_py.scheduler.framework import SKIP, CycleState, Handle, Status, unresolvable
from minikube_py.scheduler.plugins.helpers import default_normalize_score
from minikube_py.scheduler.types import NodeInfo, PodInfo, first_untolerated

NAME = "TaintToleration"
FILTER_EFFECTS = ("NoSchedule", "NoExecute")


class TaintToleration:
    name = NAME

    def events_to_register(self) -> list[ce.Registration]:
        return [ce.Registration(ce.ClusterEvent(ce.NODE, ce.ActionType.ADD |
                                                ce.ActionType.UPDATE_NODE_TAINT))]

    def filter(self, _state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if not node.taints:
            return None
        taint = first_untolerated(node.taints, pod.spec.get("tolerations") or (),
                                  FILTER_EFFECTS)
        if taint is None:
            return None
        return unresolvable(
            f"node(s) had untolerated taint {{{taint.get('key', '')}: {taint.get('value', '')}}}")

    def filter_nodes(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo],
                     ) -> tuple[list[NodeInfo], list[tuple[NodeInfo, Status]]]:
        """:meth:`filter` over many nodes: untainted ones pass without a call."""
        if not any(n.taints for n in nodes):
            return nodes, []
        passed, failed = [], []
        for node in nodes:
            status = self.filter(state, pod, node) if node.taints else None
            if status is None:
                passed.append(node)
            else:
                failed.append((node, status))
        return passed, failed

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        if not any(t.get("effect") == "PreferNoSchedule" for n in nodes if n.taints
                   for t in n.taints):
            return SKIP  # every node would score the same
        state.write(NAME, [t for t in pod.spec.get("tolerations") or ()
                           if isinstance(t, dict) and t.get("effect") in ("", None,
                                                                           "PreferNoSchedule")])
        return None

    def score(self, state: CycleState, _pod: PodInfo, node: NodeInfo) -> int:
        tolerations = state.read(NAME) or []
        return sum(1 for taint in node.taints if taint.get("effect") == "PreferNoSchedule"
                   and not any(tolerates(t, taint) for t in tolerations))

    def normalize_score(self, _state: CycleState, _pod: PodInfo, scores: list[int]) -> None:
        default_normalize_score(scores, reverse=True)


def new(_args: Mapping[str, Any], _handle: Handle) -> TaintToleration:
    return TaintToleration()

