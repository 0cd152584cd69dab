"""PodMetrics (metrics.k8s.io/v1beta1): a pod's containers' CPU and memory, as metrics-server
serves them to ``kubectl top pod`` and autoscalers.

Not stored: get and list only, answered by the ``metrics`` provider (``Strategy.provider``)
that the daemon's kubelets install (kubelet/metrics.py), 503 while there is none."""

from __future__ import annotations

from typing import ClassVar

from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import metrics as schemas
from minikube_py.api.strategy import Strategy


class PodMetricsStrategy(Strategy):
    provider: ClassVar[str | None] = "metrics"


RESOURCE = ResourceType("metrics.k8s.io", "v1beta1", "PodMetrics", "pods", True,
                        schemas.POD_METRICS, verbs=("get", "list"), singular_name="pod",
                        strategy=PodMetricsStrategy())
