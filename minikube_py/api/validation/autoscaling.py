"""Validation of HorizontalPodAutoscalers, as pkg/apis/autoscaling/validation: the spec's
replica bounds, its scale target, and each metric's source type and the target of Resource
and ContainerResource metrics (the structural schema checks the fields' types)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation.base import invalid, not_supported, required
from minikube_py.api.validation.pod import as_dict, as_int

MIN_REPLICAS_LOWER_BOUND = 1  # 0 only behind the HPAScaleToZero feature gate
METRIC_TYPES = ["ContainerResource", "External", "Object", "Pods", "Resource"]
TARGET_TYPES = ["AverageValue", "Utilization", "Value"]
_TARGET_FIELD = {"Utilization": "averageUtilization", "AverageValue": "averageValue",
                 "Value": "value"}


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
    for i, metric in enumerate(spec.get("metrics") or []):
        causes += _metric(as_dict(metric), f"spec.metrics[{i}]")
    return causes


def _metric(metric: dict[str, Any], path: str) -> list[Cause]:
    kind = metric.get("type")
    if not kind:
        return [required(f"{path}.type", "must specify a metric source type")]
    if kind not in METRIC_TYPES:
        return [not_supported(f"{path}.type", kind, METRIC_TYPES)]
    if kind not in ("Resource", "ContainerResource"):
        return []
    field = "resource" if kind == "Resource" else "containerResource"
    source = as_dict(metric.get(field))
    if not source:
        return [required(f"{path}.{field}", "must populate information for the given metric "
                                           "source")]
    causes = [] if source.get("name") else [required(f"{path}.{field}.name")]
    return causes + _target(as_dict(source.get("target")), f"{path}.{field}.target")


def _target(target: dict[str, Any], path: str) -> list[Cause]:
    kind = target.get("type")
    if not kind:
        return [required(f"{path}.type", "must specify a metric target type")]
    if kind not in TARGET_TYPES:
        return [not_supported(f"{path}.type", kind, TARGET_TYPES)]
    field = _TARGET_FIELD[kind]
    if target.get(field) is None:
        return [required(f"{path}.{field}", "must set the target value for the metric type")]
    utilization = as_int(target.get("averageUtilization"))
    if utilization is not None and utilization <= 0:
        return [invalid(f"{path}.averageUtilization", utilization, "must be greater than 0")]
    return []
