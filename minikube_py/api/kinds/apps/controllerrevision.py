"""ControllerRevision: an immutable snapshot of a workload's template (apps/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.printers import workloads as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import apps as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import apps as validation


class ControllerRevisionStrategy(Strategy):
    printer = printers.CONTROLLER_REVISION

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_controller_revision(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_controller_revision_update(new, old)


RESOURCE = ResourceType("apps", "v1", "ControllerRevision", "controllerrevisions", True,
                        schemas.CONTROLLER_REVISION, strategy=ControllerRevisionStrategy())
