"""HorizontalPodAutoscaler: scales a workload to a metric's target (autoscaling/v2).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.printers import workloads as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import autoscaling as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import autoscaling as validation


class HorizontalPodAutoscalerStrategy(Strategy):
    printer = printers.HORIZONTAL_POD_AUTOSCALER

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_horizontal_pod_autoscaler(obj)


RESOURCE = ResourceType("autoscaling", "v2", "HorizontalPodAutoscaler",
                        "horizontalpodautoscalers", True, schemas.HORIZONTAL_POD_AUTOSCALER,
                        short_names=("hpa",), categories=("all",), subresources=("status",),
                        strategy=HorizontalPodAutoscalerStrategy())
