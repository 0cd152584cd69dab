"""NodeMetrics (metrics.k8s.io/v1beta1): a node's CPU and memory, for ``kubectl top node``.

Not stored: get and list only, answered by the ``metrics`` provider (see podmetrics.py)."""

from __future__ import annotations

from typing import ClassVar

from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import metrics as schemas
from minikube_py.api.strategy import Strategy


class NodeMetricsStrategy(Strategy):
    provider: ClassVar[str | None] = "metrics"


RESOURCE = ResourceType("metrics.k8s.io", "v1beta1", "NodeMetrics", "nodes", False,
                        schemas.NODE_METRICS, verbs=("get", "list"), singular_name="node",
                        strategy=NodeMetricsStrategy())
