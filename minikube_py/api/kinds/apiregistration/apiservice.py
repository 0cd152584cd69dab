"""APIService: one API group-version and who serves it (apiregistration.k8s.io/v1,
cluster-scoped): the apiserver itself (``Local``, no ``spec.service``; one per served
group-version, kept by the apiserver) or a Service it forwards the group-version's requests
to (aggregation, ``apiserver/aggregation/``), whose health is the Available condition.

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``).
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.printers import registration as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import apiregistration as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import apiregistration as validation


class APIServiceStrategy(Strategy):
    generation = ("spec",)
    printer = printers.API_SERVICE

    def check_name(self, name: str) -> list[str]:
        return validation.api_service_name(name)

    def default(self, obj: dict[str, Any]) -> None:
        service = (obj.get("spec") or {}).get("service")
        if isinstance(service, dict) and service.get("port") is None:
            service["port"] = 443

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_api_service(obj)


RESOURCE = ResourceType("apiregistration.k8s.io", "v1", "APIService", "apiservices", False,
                        schemas.API_SERVICE, categories=("api-extensions",),
                        subresources=("status",), strategy=APIServiceStrategy())
