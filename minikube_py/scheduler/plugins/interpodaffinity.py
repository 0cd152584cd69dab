"""InterPodAffinity: required pod affinity and anti-affinity as a filter, preferred ones as a
score, by topology domain (the value of ``topologyKey`` on the node).

PreFilter counts, over every placed pod once per cycle:

- ``existing_anti``: domains where some placed pod's required anti-affinity term matches the
  incoming pod (it must keep out of them);
- ``anti``: domains holding pods that match one of the incoming pod's anti-affinity terms;
- ``affinity``: per affinity term, domains holding matching pods (the node's domain must hold
  one for every term; the first pod of a group that matches its own terms may go anywhere).

The score adds, per domain, the weights of the incoming pod's preferred terms that placed pods
match (anti-affinity subtracts) and of placed pods' terms that the incoming pod matches, then
scales min..max to 0..100.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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
from minikube_py.scheduler.types import AffinityTerm, NodeInfo, PodInfo

NAME = "InterPodAffinity"
AFFINITY_REASON = "node(s) didn't match pod affinity rules"
ANTI_AFFINITY_REASON = "node(s) didn't match pod anti-affinity rules"
EXISTING_ANTI_AFFINITY_REASON = "node(s) didn't satisfy existing pods anti-affinity rules"
HARD_POD_AFFINITY_WEIGHT = 1

Domain = tuple[str, str]  # (topology key, value)


@dataclass
class _FilterState:
    existing_anti: dict[Domain, int] = field(default_factory=dict)
    anti: dict[Domain, int] = field(default_factory=dict)
    affinity: list[dict[Domain, int]] = field(default_factory=list)
    affinity_matches_self: bool = False
    existing_anti_keys: set[str] = field(default_factory=set)


def _bump(counts: dict[Domain, int], key: str, node: NodeInfo, by: int = 1) -> None:
    value = node.labels.get(key)
    if value is not None:
        counts[(key, value)] = counts.get((key, value), 0) + by


class InterPodAffinity:
    name = NAME

    def __init__(self, args: Mapping[str, Any], handle: Handle) -> None:
        self.handle = handle
        self.hard_weight = int(args.get("hardPodAffinityWeight", HARD_POD_AFFINITY_WEIGHT))

    def events_to_register(self) -> list[ce.Registration]:
        return [ce.Registration(ce.ClusterEvent(ce.ASSIGNED_POD, ce.ActionType.ALL)),
                ce.Registration(ce.ClusterEvent(ce.NODE, ce.ActionType.ADD |
                                                ce.ActionType.UPDATE_NODE_LABEL))]

    # -- filter -----------------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo,
                   nodes: Sequence[NodeInfo]) -> Status | None:
        cache = self.handle.cache
        any_existing_anti = cache.pods_with_required_anti_affinity > 0
        if not any_existing_anti and not pod.required_affinity and \
                not pod.required_anti_affinity:
            return SKIP
        fs = _FilterState(affinity=[{} for _ in pod.required_affinity])
        infos = cache.nodes
        # The cache groups placed pods by their (shared) anti-affinity terms and by their
        # (namespace, labels): a cycle matches each distinct term or label set once.
        for term, on_nodes in cache.anti_terms.values() if any_existing_anti else ():
            if term.matches(pod):
                fs.existing_anti_keys.add(term.topology_key)
                for name, count in on_nodes.items():
                    _bump(fs.existing_anti, term.topology_key, infos[name], count)
        anti, affinity = pod.required_anti_affinity, pod.required_affinity
        if anti or affinity:
            for key, on_nodes in cache.by_match_key.items():
                for term in anti:
                    if term.matches_key(key):
                        for name, count in on_nodes.items():
                            _bump(fs.anti, term.topology_key, infos[name], count)
                for i, term in enumerate(affinity):
                    if term.matches_key(key):
                        for name, count in on_nodes.items():
                            _bump(fs.affinity[i], term.topology_key, infos[name], count)
        fs.affinity_matches_self = all(t.matches(pod) for t in affinity)
        state.write(NAME, fs)
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        fs: _FilterState | None = state.read(NAME)
        if fs is None:
            return None
        labels = node.labels
        for key in fs.existing_anti_keys:
            value = labels.get(key)
            if value is not None and fs.existing_anti.get((key, value), 0) > 0:
                return unschedulable(EXISTING_ANTI_AFFINITY_REASON)
        for term in pod.required_anti_affinity:
            value = labels.get(term.topology_key)
            if value is not None and fs.anti.get((term.topology_key, value), 0) > 0:
                return unschedulable(ANTI_AFFINITY_REASON)
        if pod.required_affinity and not self._affinity_ok(fs, pod.required_affinity, labels):
            return unresolvable(AFFINITY_REASON)
        return None

    @staticmethod
    def _affinity_ok(fs: _FilterState, terms: list[AffinityTerm],
                     labels: Mapping[str, str]) -> bool:
        if any(key not in labels for key in (t.topology_key for t in terms)):
            return False
        if all(fs.affinity[i].get((t.topology_key, labels[t.topology_key]), 0) > 0
               for i, t in enumerate(terms)):
            return True
        # No pod anywhere matches the terms, and the pod matches itself: the first of a group.
        return fs.affinity_matches_self and not any(fs.affinity)

    # -- score ------------------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        has_preferred = bool(pod.preferred_affinity or pod.preferred_anti_affinity)
        if not has_preferred and not self.handle.cache.pods_with_affinity:
            return SKIP
        all_nodes = self.handle.node_infos()
        scores: dict[Domain, int] = {}
        for node in all_nodes:
            others = node.pods.values() if has_preferred else \
                [p for p in node.pods_with_affinity.values() if p.scores_affinity]
            for other in others:
                self._score_pair(scores, pod, other, node)
        state.write(NAME + "/score", scores)
        return None

    def _score_pair(self, scores: dict[Domain, int], pod: PodInfo, other: PodInfo,
                    node: NodeInfo) -> None:
        for weighted in pod.preferred_affinity:
            if weighted.term.matches(other):
                _bump(scores, weighted.term.topology_key, node, weighted.weight)
        for weighted in pod.preferred_anti_affinity:
            if weighted.term.matches(other):
                _bump(scores, weighted.term.topology_key, node, -weighted.weight)
        if not other.scores_affinity:
            return
        if self.hard_weight > 0:
            for term in other.required_affinity:
                if term.matches(pod):
                    _bump(scores, term.topology_key, node, self.hard_weight)
        for weighted in other.preferred_affinity:
            if weighted.term.matches(pod):
                _bump(scores, weighted.term.topology_key, node, weighted.weight)
        for weighted in other.preferred_anti_affinity:
            if weighted.term.matches(pod):
                _bump(scores, weighted.term.topology_key, node, -weighted.weight)

    def score(self, state: CycleState, _pod: PodInfo, node: NodeInfo) -> int:
        scores: dict[Domain, int] = state.read(NAME + "/score") or {}
        return sum(v for (key, value), v in scores.items() if node.labels.get(key) == value)

    def normalize_score(self, _state: CycleState, _pod: PodInfo, scores: list[int]) -> None:
        if not scores:
            return
        low, high = min(scores), max(scores)
        spread = high - low
        for i, score in enumerate(scores):
            scores[i] = MAX_NODE_SCORE * (score - low) // spread if spread > 0 else 0


def new(args: Mapping[str, Any], handle: Handle) -> InterPodAffinity:
    return InterPodAffinity(args, handle)
