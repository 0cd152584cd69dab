"""HorizontalPodAutoscaler of autoscaling/v1: the autoscaling/v2 objects of
``/registry/horizontalpodautoscalers`` seen with one CPU target (Kubernetes serves both; its
storage version is v2). ``kubectl autoscale`` creates them in this version.

The conversion pair (``to_shared_storage`` / ``from_shared_storage``, Kubernetes'
pkg/apis/autoscaling/v1 conversion): ``targetCPUUtilizationPercentage`` is the v2 Resource
metric ``cpu`` with an Utilization target, ``currentCPUUtilizationPercentage`` its current
value; what v1 has no field for (other metrics, behavior, conditions, other current
metrics) travels in the ``autoscaling.alpha.kubernetes.io/*`` annotations as JSON, so an
object read and written back in v1 keeps it. Validation is v2's, on the converted object.
"""

from __future__ import annotations

import json
from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.kinds.autoscaling import horizontalpodautoscaler as v2
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import autoscaling as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import autoscaling as validation
from minikube_py.api.validation.base import invalid
from minikube_py.util import jsonutil

METRICS = "autoscaling.alpha.kubernetes.io/metrics"
CURRENT_METRICS = "autoscaling.alpha.kubernetes.io/current-metrics"
CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions"
BEHAVIOR = "autoscaling.alpha.kubernetes.io/behavior"
Object = dict[str, Any]


def _cpu(metric: Any) -> dict[str, Any] | None:
    """The ``resource`` of a Resource metric (spec or status) on cpu, else None."""
    if not isinstance(metric, dict) or metric.get("type") != "Resource":
        return None
    resource = metric.get("resource")
    return resource if isinstance(resource, dict) and resource.get("name") == "cpu" else None


def _is_cpu_utilization(metric: Any) -> bool:
    resource = _cpu(metric)
    return resource is not None and (resource.get("target") or {}).get("type") == "Utilization"


def _cpu_current(metric: Any) -> bool:
    resource = _cpu(metric)
    return resource is not None and "averageUtilization" in (resource.get("current") or {})


def _annotate(meta: Object, key: str, value: Any) -> None:
    if value:
        meta.setdefault("annotations", {})[key] = json.dumps(value, separators=(",", ":"))


def _take(meta: Object, key: str) -> Any:
    annotations = meta.get("annotations") or {}
    raw = annotations.pop(key, None)
    if not annotations:
        meta.pop("annotations", None)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def from_v2(hpa: Object) -> Object:
    """A stored autoscaling/v2 object as autoscaling/v1 shows it."""
    out: Object = jsonutil.copy(hpa)
    out["apiVersion"] = "autoscaling/v1"
    meta = out.setdefault("metadata", {})
    spec = out.setdefault("spec", {})
    metrics = spec.pop("metrics", None) or []
    cpu = next((m for m in metrics if _is_cpu_utilization(m)), None)
    if cpu is not None:
        target = (cpu["resource"].get("target") or {}).get("averageUtilization")
        if target is not None:
            spec["targetCPUUtilizationPercentage"] = target
    _annotate(meta, METRICS, [m for m in metrics if m is not cpu])
    _annotate(meta, BEHAVIOR, spec.pop("behavior", None))
    status = out.get("status")
    if isinstance(status, dict):
        current = status.pop("currentMetrics", None) or []
        now = next((m for m in current if _cpu_current(m)), None)
        if now is not None:
            status["currentCPUUtilizationPercentage"] = now["resource"]["current"][
                "averageUtilization"]
        _annotate(meta, CURRENT_METRICS, [m for m in current if m is not now])
        _annotate(meta, CONDITIONS, status.pop("conditions", None))
    return out


def to_v2(hpa: Object) -> Object:
    """An autoscaling/v1 object as autoscaling/v2 stores it."""
    out: Object = jsonutil.copy(hpa)
    out["apiVersion"] = "autoscaling/v2"
    meta = out.setdefault("metadata", {})
    spec = out.setdefault("spec", {})
    metrics: list[Any] = []
    target = spec.pop("targetCPUUtilizationPercentage", None)
    if target is not None:
        metrics.append({"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": target}}})
    others = _take(meta, METRICS)
    metrics += [m for m in others if isinstance(m, dict)] if isinstance(others, list) else []
    if metrics:
        spec["metrics"] = metrics
    behavior = _take(meta, BEHAVIOR)
    if isinstance(behavior, dict):
        spec["behavior"] = behavior
    current_others, conditions = _take(meta, CURRENT_METRICS), _take(meta, CONDITIONS)
    status = out.get("status")
    if isinstance(status, dict):
        current: list[Any] = []
        now = status.pop("currentCPUUtilizationPercentage", None)
        if now is not None:
            current.append({"type": "Resource", "resource": {"name": "cpu", "current": {
                "averageUtilization": now}}})
        if isinstance(current_others, list):
            current += current_others
        if current:
            status["currentMetrics"] = current
        if isinstance(conditions, list):
            status["conditions"] = conditions
    return out


class HorizontalPodAutoscalerV1Strategy(Strategy):
    printer = v2.RESOURCE.strategy.printer

    def default(self, obj: Object) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict):
            spec.setdefault("minReplicas", 1)

    def to_shared_storage(self, obj: Object) -> Object:
        return to_v2(obj)

    def from_shared_storage(self, obj: Object) -> Object:
        return from_v2(obj)

    def validate(self, obj: Object) -> list[Cause]:
        return _annotation_causes(obj) + validation.validate_horizontal_pod_autoscaler(to_v2(obj))


def _annotation_causes(obj: Object) -> list[Cause]:
    """The conversion's annotations must hold what it reads (a list of objects; an object for
    behavior): anything else would be dropped on the way to storage."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    causes = []
    for key in (METRICS, CURRENT_METRICS, CONDITIONS, BEHAVIOR):
        if key not in annotations:
            continue
        try:
            value = json.loads(annotations[key])
        except (TypeError, ValueError):
            value = None
        fits = isinstance(value, dict) if key == BEHAVIOR else (
            isinstance(value, list) and all(isinstance(v, dict) for v in value))
        if not fits:
            causes.append(invalid(f"metadata.annotations[{key}]", annotations[key],
                                  "must be a JSON object" if key == BEHAVIOR
                                  else "must be a JSON list of objects"))
    return causes


RESOURCE = ResourceType("autoscaling", "v1", "HorizontalPodAutoscaler",
                        "horizontalpodautoscalers", True, schemas.HORIZONTAL_POD_AUTOSCALER_V1,
                        short_names=("hpa",), categories=("all",), subresources=("status",),
                        strategy=HorizontalPodAutoscalerV1Strategy(), stored_as=v2.RESOURCE)
