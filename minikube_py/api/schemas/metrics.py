"""Schemas of metrics.k8s.io/v1beta1 (the resource metrics API kubectl top reads)."""

from __future__ import annotations

from minikube_py.api.schema import array, map_of, obj, quantity, string, timestamp
from minikube_py.api.schemas.meta import kind

USAGE = map_of(quantity(), "Resource usage: cpu in cores (e.g. 3m), memory in bytes (12Mi).")

CONTAINER_METRICS = obj(
    "io.k8s.metrics.pkg.apis.metrics.v1beta1.ContainerMetrics",
    {"name": string("The container's name."), "usage": USAGE},
    required=("name", "usage"),
    description="Resource usage of one container.",
)

POD_METRICS = kind(
    "io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics",
    {
        "timestamp": timestamp("When the usage was sampled (the end of the window)."),
        "window": string("The interval the usage was averaged over."),
        "containers": array(CONTAINER_METRICS, "Usage per container.", merge_key="name"),
    },
    description="Resource usage of a pod's containers.",
)

NODE_METRICS = kind(
    "io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics",
    {
        "timestamp": timestamp("When the usage was sampled (the end of the window)."),
        "window": string("The interval the usage was averaged over."),
        "usage": USAGE,
    },
    description="Resource usage of a node.",
)
