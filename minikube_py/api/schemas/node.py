"""Schema of the node.k8s.io/v1 RuntimeClass."""

from __future__ import annotations

from minikube_py.api.schema import array, map_of, obj, quantity, string, string_map
from minikube_py.api.schemas.core_pod import TOLERATION
from minikube_py.api.schemas.meta import kind

RUNTIME_CLASS = kind(
    "io.k8s.api.node.v1.RuntimeClass",
    {
        "handler": string("The CRI configuration that runs pods of this class (a DNS label)."),
        "overhead": obj("io.k8s.api.node.v1.Overhead", {
            "podFixed": map_of(quantity(), "Resources a pod of this class uses besides its "
                               "containers."),
        }, description="Resources a running pod of this class takes.").describe(
            "Overhead of running a pod of this class."),
        "scheduling": obj("io.k8s.api.node.v1.Scheduling", {
            "nodeSelector": string_map("Labels a node must have to run pods of this class."),
            "tolerations": array(TOLERATION, "Tolerations added to pods of this class.",
                                 list_type="atomic"),
        }, description="Nodes that support this class.").describe(
            "Which nodes can run pods of this class."),
    },
    required=("handler",),
    description="A container runtime configuration pods may name (spec.runtimeClassName).",
)
