"""Ingress: rules that route outside HTTP(S) traffic to Services (networking.k8s.io/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``).
Stored and validated here; routing is an ingress controller's work. Its empty status is
``{"loadBalancer": {}}``, written by the controller through ``/status``.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.printers import core as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import networking as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import networking as validation


class IngressStrategy(Strategy):
    generation = ("spec",)
    printer = printers.INGRESS

    def empty_status(self) -> dict[str, Any]:
        return {"loadBalancer": {}}

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_ingress(obj)


RESOURCE = ResourceType("networking.k8s.io", "v1", "Ingress", "ingresses", True, schemas.INGRESS,
                        short_names=("ing",), subresources=("status",),
                        strategy=IngressStrategy())
