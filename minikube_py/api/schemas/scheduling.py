"""Schema of the scheduling.k8s.io/v1 PriorityClass."""

from __future__ import annotations

from minikube_py.api.schema import boolean, integer, string
from minikube_py.api.schemas.meta import kind

PRIORITY_CLASS = kind(
    "io.k8s.api.scheduling.v1.PriorityClass",
    {
        "value": integer("The priority pods of this class receive (higher is more important)."),
        "globalDefault": boolean("Whether pods without a priorityClassName get this class."),
        "description": string("When this class should be used."),
        "preemptionPolicy": string("PreemptLowerPriority or Never.",
                                   enum=("PreemptLowerPriority", "Never")),
    },
    required=("value",),
    description="A mapping from a class name to the priority of pods that name it.",
)
