"""ReplicationController: the core/v1 ancestor of ReplicaSet (core/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.api.defaults import core as defaults
from minikube_py.api.errors import Cause
from minikube_py.api.machinery.fieldselectors import count, get_path, selectable
from minikube_py.api.printers import workloads as printers
from minikube_py.api.resource import WORKLOAD_SUBRESOURCES, ResourceType
from minikube_py.api.schemas import core as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import apps as validation


def _fields(controller: Mapping[str, Any]) -> dict[str, str]:
    return {"status.replicas": count(get_path(controller, "status.replicas"))}


class ReplicationControllerStrategy(Strategy):
    generation = ("spec",)
    fields = selectable("status.replicas", extract=_fields)
    printer = printers.REPLICATION_CONTROLLER

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_replication_controller(obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_replication_controller(obj)


RESOURCE = ResourceType("", "v1", "ReplicationController", "replicationcontrollers", True,
                        schemas.REPLICATION_CONTROLLER, short_names=("rc",),
                        categories=("all",), subresources=WORKLOAD_SUBRESOURCES,
                        strategy=ReplicationControllerStrategy())
