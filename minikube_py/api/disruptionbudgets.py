"""What a PodDisruptionBudget means, shared by the two parts that act on it: the disruption
controller (``controllers/disruption.py``, which computes a budget's status) and the eviction
handler (``apiserver/eviction.py``, which spends it). Kubernetes keeps these pieces in
pkg/apis/policy, ``pdbhelper`` and ``intstr``.

A budget's selector is ``metav1.LabelSelectorAsSelector``: a missing selector selects no pod,
an empty one every pod of the namespace (policy/v1). The ``DisruptionAllowed`` condition
says whether ``status.disruptionsAllowed`` is positive.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from minikube_py.api.errors import StatusError
from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.util.clock import rfc3339

Object = dict[str, Any]

DISRUPTION_ALLOWED = "DisruptionAllowed"
SUFFICIENT_PODS = "SufficientPods"
INSUFFICIENT_PODS = "InsufficientPods"
SYNC_FAILED = "SyncFailed"
ALWAYS_ALLOW = "AlwaysAllow"
IF_HEALTHY_BUDGET = "IfHealthyBudget"
#: How long a pod whose eviction was allowed stays in ``status.disruptedPods`` (not counted
#: healthy) before the controller assumes its deletion is not coming (``DeletionTimeout``).
DELETION_TIMEOUT = dt.timedelta(minutes=2)
#: The eviction handler refuses to add to a ``disruptedPods`` map larger than this.
MAX_DISRUPTED_POD_SIZE = 2000


def selector_of(pdb: Object) -> LabelSelector:
    """The budget's pods; a selector that does not parse selects none."""
    try:
        return LabelSelector.from_dict((pdb.get("spec") or {}).get("selector"))
    except StatusError:
        return LabelSelector.nothing()


def selects(pdb: Object, pod: Object) -> bool:
    """Whether ``pdb`` covers ``pod`` (same namespace, selector matches its labels)."""
    pdb_meta, pod_meta = pdb.get("metadata") or {}, pod.get("metadata") or {}
    if pdb_meta.get("namespace") != pod_meta.get("namespace"):
        return False
    return selector_of(pdb).matches(pod_meta.get("labels") or {})


def is_percent(value: Any) -> bool:
    return isinstance(value, str)


def scaled_value(value: Any, total: int, *, round_up: bool) -> int:
    """``intstr.GetScaledValueFromIntOrPercent``: an int as is, ``"N%"`` of ``total``."""
    if not isinstance(value, str):
        return int(value)
    if not value.endswith("%") or not value[:-1].isdigit():
        raise ValueError(f"invalid value for IntOrString: invalid value {value!r}")
    share = int(value[:-1]) * total / 100
    return math.ceil(share) if round_up else math.floor(share)


def is_pod_ready(pod: Object) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def _condition(status: Object) -> Object | None:
    for cond in status.get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == DISRUPTION_ALLOWED:
            return cond
    return None


def set_condition(status: Object, *, allowed: bool, reason: str, message: str = "",
                  now: dt.datetime | None = None) -> None:
    """``meta.SetStatusCondition`` of ``DisruptionAllowed``: the transition time changes only
    when the condition's status does."""
    wanted = {"type": DISRUPTION_ALLOWED, "status": "True" if allowed else "False",
              "reason": reason, "message": message,
              "observedGeneration": int(status.get("observedGeneration") or 0)}
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    current = _condition(status)
    if current is not None and current.get("status") == wanted["status"]:
        wanted["lastTransitionTime"] = current.get("lastTransitionTime") or rfc3339(now)
    else:
        wanted["lastTransitionTime"] = rfc3339(now)
    status["conditions"] = [wanted if c is current else c for c in conditions]
    if current is None:
        status["conditions"].append(wanted)


def update_disruption_allowed_condition(status: Object,
                                        now: dt.datetime | None = None) -> None:
    """``pdbhelper.UpdateDisruptionAllowedCondition``."""
    allowed = int(status.get("disruptionsAllowed") or 0) > 0
    set_condition(status, allowed=allowed,
                  reason=SUFFICIENT_PODS if allowed else INSUFFICIENT_PODS, now=now)


def conditions_up_to_date(status: Object) -> bool:
    """``pdbhelper.ConditionsAreUpToDate``."""
    cond = _condition(status)
    if cond is None:
        return False
    if int(cond.get("observedGeneration") or 0) != int(status.get("observedGeneration") or 0):
        return False
    if int(status.get("disruptionsAllowed") or 0) > 0:
        return cond.get("status") == "True" and cond.get("reason") == SUFFICIENT_PODS
    return cond.get("status") == "False" and cond.get("reason") == INSUFFICIENT_PODS
