"""What several plugins share: core/v1 NodeSelector matching on a NodeInfo (node affinity,
PV node affinity, topology spread's node filter; the rules are api/machinery/nodeaffinity.py)
and kube-scheduler's ``DefaultNormalizeScore``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from minikube_py.api.machinery import nodeaffinity
from minikube_py.scheduler.framework import MAX_NODE_SCORE
from minikube_py.scheduler.types import NodeInfo


def default_normalize_score(scores: list[int], *, reverse: bool = False,
                            max_priority: int = MAX_NODE_SCORE) -> None:
    """Scale so the highest is ``max_priority``; ``reverse`` turns highest into lowest."""
    highest = max(scores, default=0)
    if highest == 0:
        if reverse:
            scores[:] = [max_priority] * len(scores)
        return
    for i, score in enumerate(scores):
        value = max_priority * score // highest
        scores[i] = max_priority - value if reverse else value


def term_matches(term: Mapping[str, Any], node: NodeInfo) -> bool:
    """A ``NodeSelectorTerm`` on ``node`` (api/machinery/nodeaffinity.py)."""
    return nodeaffinity.term_matches(term, node.labels, node.name)


def node_selector_matches(selector: Mapping[str, Any] | None, node: NodeInfo) -> bool:
    """A ``NodeSelector``: any of its terms (none = nothing matches)."""
    if selector is None:
        return True
    terms: Sequence[Mapping[str, Any]] = selector.get("nodeSelectorTerms") or []
    return any(term_matches(t, node) for t in terms)


def required_node_affinity(spec: Mapping[str, Any]) -> Mapping[str, Any] | None:
    affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
    found = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    return found if isinstance(found, dict) else None


def pod_matches_node_selector_and_affinity(spec: Mapping[str, Any], node: NodeInfo) -> bool:
    """``spec.nodeSelector`` (every pair) and the required node affinity."""
    for key, value in (spec.get("nodeSelector") or {}).items():
        if node.labels.get(key) != value:
            return False
    return node_selector_matches(required_node_affinity(spec), node)
