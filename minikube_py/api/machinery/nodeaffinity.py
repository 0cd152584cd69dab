"""core/v1's node matching rules, shared by whoever decides where a pod may run: the
scheduler's plugins (node affinity, PV node affinity, taints) and the controllers that place
or evict pods themselves (DaemonSet, node lifecycle's taint eviction).

``NodeSelectorRequirement`` (In, NotIn, Exists, DoesNotExist, Gt, Lt), a
``NodeSelectorTerm`` over a node's labels and name (``matchFields`` on ``metadata.name``),
and ``Toleration.ToleratesTaint``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NODE_NAME_FIELD = "metadata.name"


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def requirement_matches(req: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """One ``NodeSelectorRequirement``: In, NotIn, Exists, DoesNotExist, Gt, Lt."""
    key, op = str(req.get("key") or ""), req.get("operator")
    values = [str(v) for v in req.get("values") or ()]
    present, value = key in labels, labels.get(key, "")
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


def term_matches(term: Mapping[str, Any], labels: Mapping[str, str], name: str) -> bool:
    """A ``NodeSelectorTerm``: all its expressions (labels) and fields (``metadata.name``);
    a term with neither matches nothing."""
    expressions = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not expressions and not fields:
        return False
    return (all(requirement_matches(r, labels) for r in expressions)
            and all(requirement_matches(r, {NODE_NAME_FIELD: name}) for r in fields))


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """core/v1 ``Toleration.ToleratesTaint``."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    return operator == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")
