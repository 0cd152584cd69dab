"""PodDisruptionBudget (policy/v1): how many of a set of pods voluntary disruptions must leave
available. The disruption controller (``controllers/disruption.py``) writes its status
through ``/status``; the eviction handler (``apiserver/eviction.py``) spends
``status.disruptionsAllowed`` and records the pods it let go in ``status.disruptedPods``.

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``).
Status is reset on create and spec kept by a status update (the generic rules); the
generation follows the spec, which policy/v1 lets change.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.printers import policy as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import policy as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import policy as validation


class PodDisruptionBudgetStrategy(Strategy):
    generation = ("spec",)
    printer = printers.POD_DISRUPTION_BUDGET

    def empty_status(self) -> dict[str, Any]:
        # What Kubernetes' PrepareForCreate leaves: the zero PodDisruptionBudgetStatus.
        return {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0,
                "expectedPods": 0}

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_pod_disruption_budget(obj)


RESOURCE = ResourceType("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True,
                        schemas.POD_DISRUPTION_BUDGET, short_names=("pdb",),
                        subresources=("status",), strategy=PodDisruptionBudgetStrategy())
