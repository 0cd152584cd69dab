"""RuntimeClass: a container runtime configuration pods name with ``spec.runtimeClassName``
(node.k8s.io/v1, cluster-scoped).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``).
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.printers import networking as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import node as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import node as validation


class RuntimeClassStrategy(Strategy):
    printer = printers.RUNTIME_CLASS

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_runtime_class(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_runtime_class_update(new, old)


RESOURCE = ResourceType("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", False,
                        schemas.RUNTIME_CLASS, strategy=RuntimeClassStrategy())
