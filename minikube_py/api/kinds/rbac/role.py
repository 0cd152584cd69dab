"""Role: a namespaced set of rules (rbac.authorization.k8s.io/v1), granted by RoleBindings
and read by the RBAC authorizer (``apiserver/authorization``).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.printers.base import BUILTIN_DEFAULT
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import rbac as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import rbac as validation


class RoleStrategy(Strategy):
    printer = BUILTIN_DEFAULT

    def check_name(self, name: str) -> list[str]:
        return validation.path_segment_name(name)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_role(obj)


RESOURCE = ResourceType("rbac.authorization.k8s.io", "v1", "Role", "roles", True,
                        schemas.ROLE, strategy=RoleStrategy())
