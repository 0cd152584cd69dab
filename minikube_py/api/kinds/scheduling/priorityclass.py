"""PriorityClass: a name for a pod priority (scheduling.k8s.io/v1); the Priority admission
plugin resolves a pod's ``priorityClassName`` to ``spec.priority`` with it, and the
scheduler orders and preempts by that number.

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.printers import scheduling as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import scheduling as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import scheduling as validation

DEFAULT_PREEMPTION_POLICY = "PreemptLowerPriority"


class PriorityClassStrategy(Strategy):
    printer = printers.PRIORITY_CLASS

    def default(self, obj: dict[str, Any]) -> None:
        obj.setdefault("preemptionPolicy", DEFAULT_PREEMPTION_POLICY)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_priority_class(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_priority_class_update(new, old)


RESOURCE = ResourceType("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False,
                        schemas.PRIORITY_CLASS, short_names=("pc",),
                        strategy=PriorityClassStrategy())
