"""EndpointSlice: a slice of a Service's endpoints (discovery.k8s.io/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``).
Written by the EndpointSlice controller for Services with a selector (labels
``kubernetes.io/service-name`` and ``endpointslice.kubernetes.io/managed-by``); users may
write their own for Services without one.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.printers import core as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import discovery as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import discovery as validation

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
CONTROLLER_NAME = "endpointslice-controller.k8s.io"


class EndpointSliceStrategy(Strategy):
    printer = printers.ENDPOINT_SLICE

    def default(self, obj: dict[str, Any]) -> None:
        for port in obj.get("ports") or []:
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_endpoint_slice(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_endpoint_slice_update(new, old)


RESOURCE = ResourceType("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", True,
                        schemas.ENDPOINT_SLICE, strategy=EndpointSliceStrategy())
