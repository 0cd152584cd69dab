"""ReplicaSet: keeps a number of identical pods running (apps/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.api.defaults import apps as defaults
from minikube_py.api.errors import Cause
from minikube_py.api.machinery.fieldselectors import count, exposed_only, get_path
from minikube_py.api.printers import workloads as printers
from minikube_py.api.resource import WORKLOAD_SUBRESOURCES, ResourceType
from minikube_py.api.schemas import apps as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import apps as validation


def _fields(replica_set: Mapping[str, Any]) -> dict[str, str]:
    return {"status.replicas": count(get_path(replica_set, "status.replicas"))}


class ReplicaSetStrategy(Strategy):
    generation = ("spec",)
    # apps/v1 registers no field label conversion: status.replicas is exposed, not accepted.
    fields = exposed_only(_fields)
    printer = printers.REPLICA_SET

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_replica_set(obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_replica_set(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_replica_set_update(new, old)


RESOURCE = ResourceType("apps", "v1", "ReplicaSet", "replicasets", True, schemas.REPLICA_SET,
                        short_names=("rs",), categories=("all",),
                        subresources=WORKLOAD_SUBRESOURCES, strategy=ReplicaSetStrategy())
