"""What several plugins share: core/v1 NodeSelector matching (node affinity, PV node
affinity, topology spread's node filter) and kube-scheduler's ``DefaultNormalizeScore``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def requirement_matches(req: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """One ``NodeSelectorRequirement``: In, NotIn, Exists, DoesNotExist, Gt, Lt."""
    key, op = str(req.get("key") or ""), req.get("operator")
    values = [str(v) for v in req.get("values") or ()]
    present = key in labels
    value = labels.get(key, "")
    if op == "In":
        return present and value in values
    if op == "NotIn":
        return not present or value not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt") and present and len(values) == 1:
        have, want = _int(value), _int(values[0])
        if have is None or want is None:
            return False
        return have > want if op == "Gt" else have < want
    return False


def term_matches(term: Mapping[str, Any], node: NodeInfo) -> bool:
    """A ``NodeSelectorTerm``: all its expressions (labels) and fields (metadata.name);
    a term with neither matches nothing."""
    expressions = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not expressions and not fields:
        return False
    if not all(requirement_matches(r, node.labels) for r in expressions):
        return False
    return all(requirement_matches(r, {"metadata.name": node.name}) for r in fields)


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
