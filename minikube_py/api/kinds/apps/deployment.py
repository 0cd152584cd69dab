"""Deployment: declarative rollouts of ReplicaSets (apps/v1).

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


class DeploymentStrategy(Strategy):
    generation = ("spec", "annotations")  # annotations too: they are copied to ReplicaSets
    printer = printers.DEPLOYMENT
    status_metadata = ("annotations",)

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_deployment(obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_deployment(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_deployment_update(new, old)


RESOURCE = ResourceType("apps", "v1", "Deployment", "deployments", True, schemas.DEPLOYMENT,
                        short_names=("deploy",), categories=("all",),
                        subresources=WORKLOAD_SUBRESOURCES, strategy=DeploymentStrategy())
