"""Schemas of policy/v1: the Eviction that ``pods/eviction`` accepts and the
PodDisruptionBudget that evictions honour (``api/kinds/policy/poddisruptionbudget.py``)."""

from __future__ import annotations

from minikube_py.api.schema import (
    array,
    int64,
    int_or_string,
    integer,
    map_of,
    obj,
    string,
    timestamp,
)
from minikube_py.api.schemas.meta import (
    CONDITION,
    DELETE_OPTIONS,
    LABEL_SELECTOR,
    OBJECT_META,
    kind,
)

EVICTION = kind(
    "io.k8s.api.policy.v1.Eviction",
    {
        "metadata": OBJECT_META.describe("Identifies the pod to evict."),
        "deleteOptions": DELETE_OPTIONS.describe("Options for deleting the pod."),
    },
    description="A request to evict a pod, honouring disruption budgets (pods/eviction).",
)

POD_DISRUPTION_BUDGET_SPEC = obj(
    "io.k8s.api.policy.v1.PodDisruptionBudgetSpec",
    {
        "minAvailable": int_or_string(
            "Pods of the selector that must stay available after an eviction, as a number or "
            "a percentage (exclusive with maxUnavailable)."),
        "maxUnavailable": int_or_string(
            "Pods of the selector that may be unavailable after an eviction, as a number or a "
            "percentage (exclusive with minAvailable)."),
        "selector": LABEL_SELECTOR.describe(
            "The pods the budget covers; an empty selector selects every pod of the "
            "namespace, a missing one none."),
        "unhealthyPodEvictionPolicy": string(
            "When not-Ready pods may be evicted: IfHealthyBudget (only while the budget is "
            "met) or AlwaysAllow.", enum=("AlwaysAllow", "IfHealthyBudget")),
    },
    description="The pods a budget covers and how many of them must stay available.",
)

POD_DISRUPTION_BUDGET_STATUS = obj(
    "io.k8s.api.policy.v1.PodDisruptionBudgetStatus",
    {
        "observedGeneration": int64("The generation the disruption controller last observed."),
        "disruptedPods": map_of(
            timestamp(), "Pods whose eviction the apiserver allowed and the controller has "
            "not yet seen deleted, by name, with when the eviction was allowed."),
        "disruptionsAllowed": integer("Pod disruptions allowed now."),
        "currentHealthy": integer("Ready pods of the selector that are not terminating."),
        "desiredHealthy": integer("The fewest healthy pods the budget allows."),
        "expectedPods": integer("Pods the budget counts (from their controllers' scale)."),
        "conditions": array(CONDITION, "DisruptionAllowed, with reason SufficientPods, "
                            "InsufficientPods or SyncFailed.", merge_key="type"),
    },
    # Kubernetes' OpenAPI marks the four counts required; they are not here, because a
    # protobuf body (kubectl 1.32+ create) leaves zero counts out and they mean 0.
    description="What the disruption controller last computed for a budget.",
)

POD_DISRUPTION_BUDGET = kind(
    "io.k8s.api.policy.v1.PodDisruptionBudget",
    {
        "spec": POD_DISRUPTION_BUDGET_SPEC.describe("The budget."),
        "status": POD_DISRUPTION_BUDGET_STATUS.describe("The budget's current state."),
    },
    description="The least number of a set of pods that voluntary disruptions (evictions) "
                "must leave available.",
)
