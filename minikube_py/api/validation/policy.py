"""Validation of PodDisruptionBudgets (policy/v1), as pkg/apis/policy/validation: at most one
of ``minAvailable`` and ``maxUnavailable``, each a non-negative number or a percentage of at
most 100%; a well-formed selector; a known unhealthy-pod eviction policy; status counts that
are not negative (the disruption controller and the eviction handler write them). The spec
of a policy/v1 budget may change after creation. Called by the kind's strategy."""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation import names
from minikube_py.api.validation.base import invalid, not_supported
from minikube_py.api.validation.meta import validate_label_selector
from minikube_py.api.validation.pod import as_dict, nonnegative

UNHEALTHY_POD_EVICTION_POLICIES = ["AlwaysAllow", "IfHealthyBudget"]
STATUS_COUNTS = ("disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods")


def _int_or_percent(value: Any, path: str) -> list[Cause]:
    """``ValidatePositiveIntOrPercent`` and ``IsNotMoreThan100Percent``."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return [invalid(path, value, "must be an integer or percentage (e.g '5%')")]
    if isinstance(value, int):
        return nonnegative(value, path)
    errors = names.is_valid_percent(value)
    if errors:
        return [invalid(path, value, message) for message in errors]
    if int(value[:-1]) > 100:
        return [invalid(path, value, "must not be greater than 100%")]
    return []


def validate_pod_disruption_budget(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes: list[Cause] = []
    minimum, maximum = spec.get("minAvailable"), spec.get("maxUnavailable")
    if minimum is not None and maximum is not None:
        causes.append(invalid("spec", {"minAvailable": minimum, "maxUnavailable": maximum},
                              "minAvailable and maxUnavailable cannot be both set"))
    if minimum is not None:
        causes += _int_or_percent(minimum, "spec.minAvailable")
    if maximum is not None:
        causes += _int_or_percent(maximum, "spec.maxUnavailable")
    causes += validate_label_selector(spec.get("selector"), "spec.selector")
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in UNHEALTHY_POD_EVICTION_POLICIES:
        causes.append(not_supported("spec.unhealthyPodEvictionPolicy", policy,
                                    UNHEALTHY_POD_EVICTION_POLICIES))
    status = as_dict(obj.get("status"))
    for key in STATUS_COUNTS:
        causes += nonnegative(status.get(key), f"status.{key}")
    return causes
