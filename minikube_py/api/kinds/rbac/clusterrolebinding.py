"""ClusterRoleBinding: grants a ClusterRole in every namespace and on non-resource URLs
(rbac.authorization.k8s.io/v1); its ``roleRef`` never changes.

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.printers import rbac as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import rbac as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import rbac as validation


class ClusterRoleBindingStrategy(Strategy):
    printer = printers.BINDING

    def check_name(self, name: str) -> list[str]:
        return validation.path_segment_name(name)

    def default(self, obj: dict[str, Any]) -> None:
        validation.default_binding(obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_cluster_role_binding(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_binding_update(new, old)


RESOURCE = ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding",
                        "clusterrolebindings", False, schemas.CLUSTER_ROLE_BINDING,
                        strategy=ClusterRoleBindingStrategy())
