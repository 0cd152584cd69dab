"""Validation of PriorityClasses, as pkg/apis/scheduling/validation: user classes stay at or
below one billion and may not take the ``system-`` prefix; value and preemption policy are
immutable."""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation.base import forbidden, immutable, invalid, not_supported, required

HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000
SYSTEM_PRIORITY_CLASSES = {"system-cluster-critical": 2_000_000_000,
                           "system-node-critical": 2_000_001_000}
PREEMPTION_POLICIES = ["Never", "PreemptLowerPriority"]


def validate_priority_class(obj: dict[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    name = str((obj.get("metadata") or {}).get("name") or "")
    value = obj.get("value")
    if not isinstance(value, int) or isinstance(value, bool):
        causes.append(required("value"))
    elif name in SYSTEM_PRIORITY_CLASSES:
        if value != SYSTEM_PRIORITY_CLASSES[name]:
            causes.append(forbidden("metadata.name", f"{name} is a system priority class "
                                    f"with value {SYSTEM_PRIORITY_CLASSES[name]}"))
    elif name.startswith("system-"):
        causes.append(forbidden("metadata.name", "priority class names with 'system-' prefix "
                                "are reserved"))
    elif value > HIGHEST_USER_DEFINABLE_PRIORITY:
        causes.append(invalid("value", value, "maximum allowed value of a user defined "
                              f"priority is {HIGHEST_USER_DEFINABLE_PRIORITY}"))
    policy = obj.get("preemptionPolicy")
    if policy is not None and policy not in PREEMPTION_POLICIES:
        causes.append(not_supported("preemptionPolicy", policy, PREEMPTION_POLICIES))
    return causes


def validate_priority_class_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    causes = validate_priority_class(new)
    for field in ("value", "preemptionPolicy"):
        if new.get(field) != old.get(field):
            causes.append(immutable(field, new.get(field)))
    return causes
