"""IngressClass: a class of Ingresses and the controller that implements it
(networking.k8s.io/v1, cluster-scoped).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``).
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.defaults import networking as defaults
from minikube_py.api.errors import Cause
from minikube_py.api.printers import networking as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import networking as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import networking as validation


class IngressClassStrategy(Strategy):
    generation = ("spec",)
    printer = printers.INGRESS_CLASS

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_ingress_class(obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_ingress_class(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_ingress_class_update(new, old)


RESOURCE = ResourceType("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False,
                        schemas.INGRESS_CLASS, strategy=IngressClassStrategy())
