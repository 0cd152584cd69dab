"""PodTopologySpread: keep the pods of one group evenly spread over topology domains.

Each constraint (``spec.topologySpreadConstraints``) names a topology key, a label selector
(the group), a ``maxSkew`` and what to do when it cannot be met: ``DoNotSchedule`` makes it a
filter (placing the pod must not make its domain exceed the least-populated eligible domain by
more than ``maxSkew``), ``ScheduleAnyway`` a score (fewer matching pods, higher score). A pod
without constraints gets the system defaults: spread over hostnames (maxSkew 3) and zones
(maxSkew 5), ScheduleAnyway, with the selector of the Services, ReplicationControllers,
ReplicaSets and StatefulSets the pod belongs to (kube-scheduler's ``DefaultSelector``).

Eligible domains are those of nodes that match the pod's node selector and required node
affinity (``nodeAffinityPolicy: Honor``) and carry every constraint's key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from minikube_py.api.machinery.selectors import LabelSelector, Operator, Requirement
from minikube_py.scheduler import clusterevents as ce
from minikube_py.scheduler.framework import (
    MAX_NODE_SCORE,
    SKIP,
    CycleState,
    Handle,
    Status,
    unresolvable,
    unschedulable,
)
from minikube_py.scheduler.plugins.helpers import pod_matches_node_selector_and_affinity
from minikube_py.scheduler.types import HOSTNAME_LABEL, ZONE_LABEL, NodeInfo, PodInfo

NAME = "PodTopologySpread"
REASON = "node(s) didn't match pod topology spread constraints"
MISSING_LABEL_REASON = ("node(s) didn't match pod topology spread constraints (missing required "
                        "label)")
SYSTEM_DEFAULTS = ({"maxSkew": 3, "topologyKey": HOSTNAME_LABEL,
                    "whenUnsatisfiable": "ScheduleAnyway"},
                   {"maxSkew": 5, "topologyKey": ZONE_LABEL,
                    "whenUnsatisfiable": "ScheduleAnyway"})


@dataclass(frozen=True)
class Constraint:
    max_skew: int
    topology_key: str
    selector: LabelSelector
    min_domains: int = 1
    honor_taints: bool = False


@dataclass
class _Counts:
    constraints: list[Constraint]
    counts: list[dict[str, int]] = field(default_factory=list)  # per constraint: value -> n
    self_match: list[int] = field(default_factory=list)


def _constraints(items: Sequence[Mapping[str, Any]], pod: PodInfo, *, hard: bool,
                 default_selector: LabelSelector | None = None) -> list[Constraint]:
    out = []
    wanted = "DoNotSchedule" if hard else "ScheduleAnyway"
    for c in items:
        if (c.get("whenUnsatisfiable") or "DoNotSchedule") != wanted:
            continue
        if default_selector is not None:
            selector = default_selector
        else:
            selector = LabelSelector.from_dict(c.get("labelSelector"))
            keys = c.get("matchLabelKeys") or ()
            extra = [Requirement(k, Operator.IN, (pod.labels[k],)) for k in keys
                     if k in pod.labels]
            if extra:
                selector = LabelSelector(tuple(sorted(
                    (*selector.requirements, *extra), key=lambda r: r.key)))
        out.append(Constraint(int(c.get("maxSkew") or 1), str(c.get("topologyKey") or ""),
                              selector, int(c.get("minDomains") or 1),
                              c.get("nodeTaintsPolicy") == "Honor"))
    return out


class PodTopologySpread:
    name = NAME

    def __init__(self, args: Mapping[str, Any], handle: Handle) -> None:
        self.handle = handle
        self.defaulting = args.get("defaultingType") or "System"
        self.default_constraints = list(args.get("defaultConstraints") or SYSTEM_DEFAULTS)

    def events_to_register(self) -> list[ce.Registration]:
        return [ce.Registration(ce.ClusterEvent(ce.ASSIGNED_POD, ce.ActionType.ALL)),
                ce.Registration(ce.ClusterEvent(ce.NODE, ce.ActionType.ADD |
                                                ce.ActionType.DELETE |
                                                ce.ActionType.UPDATE_NODE_LABEL |
                                                ce.ActionType.UPDATE_NODE_TAINT))]

    def _counts(self, pod: PodInfo, constraints: list[Constraint],
                nodes: Sequence[NodeInfo], *, require_all: bool = True) -> _Counts:
        """Matching pods per domain, per constraint. ``require_all``: only nodes carrying
        every constraint's key count (the system defaults count each key on its own)."""
        state = _Counts(constraints, [{} for _ in constraints],
                        [1 if c.selector.matches(pod.labels) else 0 for c in constraints])
        keys = [c.topology_key for c in constraints]
        spec = pod.spec
        for node in nodes:
            labels = node.labels
            if require_all and any(k not in labels for k in keys):
                continue
            if not pod_matches_node_selector_and_affinity(spec, node):
                continue
            for i, c in enumerate(constraints):
                value = labels.get(c.topology_key)
                if value is None:
                    continue
                count = sum(1 for other in node.pods.values()
                            if other.namespace == pod.namespace and not other.terminating
                            and c.selector.matches(other.labels))
                counts = state.counts[i]
                counts[value] = counts.get(value, 0) + count
        return state

    # -- filter (DoNotSchedule) -------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo,
                   nodes: Sequence[NodeInfo]) -> Status | None:
        constraints = _constraints(pod.spec.get("topologySpreadConstraints") or (), pod,
                                   hard=True)
        if not constraints:
            return SKIP
        state.write(NAME, self._counts(pod, constraints, nodes))
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        counts: _Counts | None = state.read(NAME)
        if counts is None:
            return None
        for i, c in enumerate(counts.constraints):
            value = node.labels.get(c.topology_key)
            if value is None:
                return unresolvable(MISSING_LABEL_REASON)
            domains = counts.counts[i]
            minimum = min(domains.values(), default=0) if len(domains) >= c.min_domains else 0
            skew = domains.get(value, 0) + counts.self_match[i] - minimum
            if skew > c.max_skew:
                return unschedulable(REASON)
        return None

    # -- score (ScheduleAnyway) -------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        items = pod.spec.get("topologySpreadConstraints") or ()
        require_all = bool(items)
        if items:
            constraints = _constraints(items, pod, hard=False)
        elif self.defaulting == "System" or self.default_constraints:
            selector = self.default_selector(pod)
            if selector is None:
                return SKIP
            constraints = _constraints(self.default_constraints, pod, hard=False,
                                       default_selector=selector)
        else:
            constraints = []
        if not constraints:
            return SKIP
        all_nodes = self.handle.node_infos() if self.handle is not None else nodes
        counts = self._counts(pod, constraints, all_nodes, require_all=require_all)
        weights = [math.log(len(c) + 2) for c in counts.counts]
        state.write(NAME + "/score", (counts, weights))
        return None

    def score(self, state: CycleState, _pod: PodInfo, node: NodeInfo) -> int:
        counts, weights = state.read(NAME + "/score")
        total = 0.0
        for i, c in enumerate(counts.constraints):
            value = node.labels.get(c.topology_key)
            if value is None:
                continue
            total += counts.counts[i].get(value, 0) * weights[i] + (c.max_skew - 1)
        return round(total)

    def normalize_score(self, _state: CycleState, _pod: PodInfo, scores: list[int]) -> None:
        if not scores:
            return
        low, high = min(scores), max(scores)
        for i, score in enumerate(scores):
            scores[i] = MAX_NODE_SCORE if high == 0 else \
                MAX_NODE_SCORE * (high + low - score) // high

    def default_selector(self, pod: PodInfo) -> LabelSelector | None:
        """The selectors of the Services, RCs, ReplicaSets and StatefulSets the pod belongs
        to, ANDed (None when it belongs to none)."""
        if self.handle is None:
            return None
        requirements: list[Requirement] = []
        services = self.handle.lister("services")
        if services is not None:
            for svc in services.namespaced(pod.namespace).list():
                selector = (svc.get("spec") or {}).get("selector")
                if selector and LabelSelector.from_set(selector).matches(pod.labels):
                    requirements.extend(LabelSelector.from_set(selector).requirements)
        rcs = self.handle.lister("replicationcontrollers")
        if rcs is not None:
            for rc in rcs.namespaced(pod.namespace).list():
                selector = (rc.get("spec") or {}).get("selector")
                if selector and LabelSelector.from_set(selector).matches(pod.labels):
                    requirements.extend(LabelSelector.from_set(selector).requirements)
        owner = _controller_of(pod.pod)
        if owner is not None and owner.get("kind") in ("ReplicaSet", "StatefulSet"):
            lister = self.handle.lister("replicasets" if owner["kind"] == "ReplicaSet"
                                        else "statefulsets")
            found = lister.get(str(owner.get("name")), pod.namespace) \
                if lister is not None else None
            if found is not None:
                try:
                    selector = LabelSelector.from_dict((found.get("spec") or {}).get("selector"))
                except Exception:  # an invalid selector spreads nothing
                    selector = LabelSelector.nothing()
                requirements.extend(selector.requirements)
        if not requirements:
            return None
        return LabelSelector(tuple(sorted(set(requirements), key=lambda r: (r.key, str(r)))))


def _controller_of(pod: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for ref in (pod.get("metadata") or {}).get("ownerReferences") or ():
        if isinstance(ref, dict) and ref.get("controller"):
            return ref
    return None


def new(args: Mapping[str, Any], handle: Handle) -> PodTopologySpread:
    return PodTopologySpread(args, handle)
