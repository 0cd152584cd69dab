"""autoscaling/v1 HorizontalPodAutoscalers are the stored v2 objects converted
(api/kinds/autoscaling/horizontalpodautoscaler_v1.py): the CPU target is a field of its own,
the rest rides in Kubernetes' annotations, and a round trip through v1 loses nothing."""

from __future__ import annotations

import json
from typing import Any

from minikube_py.api.kinds.autoscaling.horizontalpodautoscaler_v1 import (
    BEHAVIOR,
    CONDITIONS,
    CURRENT_METRICS,
    METRICS,
    from_v2,
    to_v2,
)

CPU = {"type": "Resource", "resource": {"name": "cpu", "target": {
    "type": "Utilization", "averageUtilization": 60}}}
MEMORY = {"type": "Resource", "resource": {"name": "memory", "target": {
    "type": "AverageValue", "averageValue": "64Mi"}}}
V2: dict[str, Any] = {
    "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
             "minReplicas": 1, "maxReplicas": 5, "metrics": [CPU, MEMORY],
             "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}},
    "status": {"currentReplicas": 2, "desiredReplicas": 3,
               "currentMetrics": [
                   {"type": "Resource", "resource": {"name": "cpu", "current": {
                       "averageUtilization": 90, "averageValue": "90m"}}},
                   {"type": "Resource", "resource": {"name": "memory", "current": {
                       "averageValue": "10Mi"}}}],
               "conditions": [{"type": "AbleToScale", "status": "True",
                               "reason": "SucceededRescale"}]}}


def test_v2_seen_in_v1_and_back() -> None:
    v1 = from_v2(V2)
    assert v1["apiVersion"] == "autoscaling/v1"
    assert v1["spec"] == {"scaleTargetRef": V2["spec"]["scaleTargetRef"], "minReplicas": 1,
                          "maxReplicas": 5, "targetCPUUtilizationPercentage": 60}
    assert v1["status"] == {"currentReplicas": 2, "desiredReplicas": 3,
                            "currentCPUUtilizationPercentage": 90}
    annotations = v1["metadata"]["annotations"]
    assert json.loads(annotations[METRICS]) == [MEMORY]
    assert json.loads(annotations[BEHAVIOR]) == V2["spec"]["behavior"]
    assert json.loads(annotations[CONDITIONS]) == V2["status"]["conditions"]
    assert json.loads(annotations[CURRENT_METRICS]) == [V2["status"]["currentMetrics"][1]]
    back = to_v2(v1)
    assert back["spec"] == V2["spec"] and back["metadata"] == V2["metadata"]
    assert back["status"]["conditions"] == V2["status"]["conditions"]
    assert [m["resource"]["name"] for m in back["status"]["currentMetrics"]] == [
        "cpu", "memory"]
    assert V2["spec"]["metrics"] == [CPU, MEMORY], "the stored object is not changed"


def test_a_v1_object_without_a_target_has_no_metrics() -> None:
    """No CPU target in v1: no metric in v2 (the controller's default applies)."""
    v2 = to_v2({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": "a"}, "spec": {"maxReplicas": 2, "scaleTargetRef": {
                    "kind": "Deployment", "name": "a"}}})
    assert "metrics" not in v2["spec"] and "annotations" not in v2["metadata"]


def test_v1_validation_refuses_what_the_conversion_would_drop_or_a_bad_target() -> None:
    """A conversion annotation that is not the JSON it should be is a 422 cause (not dropped
    on the way to storage); a CPU target under 1 % is refused on its v2 path, as Kubernetes
    validates the internal object."""
    from minikube_py.api.kinds.autoscaling.horizontalpodautoscaler_v1 import RESOURCE

    def hpa(target: int, annotations: dict[str, str]) -> dict[str, Any]:
        return {"metadata": {"name": "a", "annotations": annotations},
                "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "a"},
                         "maxReplicas": 2, "targetCPUUtilizationPercentage": target}}

    assert RESOURCE.strategy.validate(hpa(50, {METRICS: json.dumps([MEMORY])})) == []
    causes = RESOURCE.strategy.validate(hpa(50, {METRICS: "{not json", BEHAVIOR: "[]"}))
    assert [c.field for c in causes] == [f"metadata.annotations[{METRICS}]",
                                         f"metadata.annotations[{BEHAVIOR}]"]
    causes = RESOURCE.strategy.validate(hpa(0, {}))
    assert [c.field for c in causes] == ["spec.metrics[0].resource.target.averageUtilization"]
