"""StatefulSet: pods with stable names and storage, in order (apps/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.defaults import apps as defaults
from minikube_py.api.errors import Cause
from minikube_py.api.printers import workloads as printers
from minikube_py.api.resource import WORKLOAD_SUBRESOURCES, ResourceType
from minikube_py.api.schemas import apps as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import apps as validation


class StatefulSetStrategy(Strategy):
    generation = ("spec",)
    printer = printers.STATEFUL_SET

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_stateful_set(obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_stateful_set(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_stateful_set_update(new, old)


RESOURCE = ResourceType("apps", "v1", "StatefulSet", "statefulsets", True, schemas.STATEFUL_SET,
                        short_names=("sts",), categories=("all",),
                        subresources=WORKLOAD_SUBRESOURCES, strategy=StatefulSetStrategy())
