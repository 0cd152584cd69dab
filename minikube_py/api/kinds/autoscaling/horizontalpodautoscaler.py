"""HorizontalPodAutoscaler: scales a workload to a metric's target (autoscaling/v2).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from minikube_py.api.printers import workloads as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import autoscaling as schemas
from minikube_py.api.strategy import Strategy


class HorizontalPodAutoscalerStrategy(Strategy):
    printer = printers.HORIZONTAL_POD_AUTOSCALER


RESOURCE = ResourceType("autoscaling", "v2", "HorizontalPodAutoscaler",
                        "horizontalpodautoscalers", True, schemas.HORIZONTAL_POD_AUTOSCALER,
                        short_names=("hpa",), categories=("all",), subresources=("status",),
                        strategy=HorizontalPodAutoscalerStrategy())
