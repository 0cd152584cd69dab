"""Schema of the policy/v1 Eviction that ``pods/eviction`` accepts."""

from __future__ import annotations

from minikube_py.api.schemas.meta import DELETE_OPTIONS, OBJECT_META, kind

EVICTION = kind(
    "io.k8s.api.policy.v1.Eviction",
    {
        "metadata": OBJECT_META.describe("Identifies the pod to evict."),
        "deleteOptions": DELETE_OPTIONS.describe("Options for deleting the pod."),
    },
    description="A request to evict a pod, honouring disruption budgets (pods/eviction).",
)
