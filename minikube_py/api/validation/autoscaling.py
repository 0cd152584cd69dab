"""Validation of HorizontalPodAutoscalers, as pkg/apis/autoscaling/validation (the spec's
replica bounds and its scale target; metric specs are checked by the structural schema)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation.base import invalid, required
from minikube_py.api.validation.pod import as_dict, as_int

MIN_REPLICAS_LOWER_BOUND = 1  # 0 only behind the HPAScaleToZero feature gate


def path_segment_errors(name: str) -> list[str]:
    """Kubernetes' path.IsValidPathSegmentName: a name that can be one URL path segment."""
    if name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{c}'" for c in "/%" if c in name]


def validate_cross_version_object_reference(ref: dict[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    for key in ("kind", "name"):
        value = ref.get(key)
        if not value:
            causes.append(required(f"{path}.{key}"))
        elif isinstance(value, str):
            causes += [invalid(f"{path}.{key}", value, msg) for msg in path_segment_errors(value)]
    return causes


def validate_horizontal_pod_autoscaler(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes: list[Cause] = []
    low, high = as_int(spec.get("minReplicas")), as_int(spec.get("maxReplicas")) or 0
    if low is not None and low < MIN_REPLICAS_LOWER_BOUND:
        causes.append(invalid("spec.minReplicas", low,
                              f"must be greater than or equal to {MIN_REPLICAS_LOWER_BOUND}"))
    if high < 1:
        causes.append(invalid("spec.maxReplicas", high, "must be greater than 0"))
    if low is not None and high < low:
        causes.append(invalid("spec.maxReplicas", high,
                              "must be greater than or equal to `minReplicas`"))
    causes += validate_cross_version_object_reference(as_dict(spec.get("scaleTargetRef")),
                                                      "spec.scaleTargetRef")
    return causes
