"""Endpoints: the addresses behind a Service (core/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.defaults import core as defaults
from minikube_py.api.errors import Cause
from minikube_py.api.printers import core as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import core as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import core as validation


class EndpointsStrategy(Strategy):
    printer = printers.ENDPOINTS

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_endpoints(obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_endpoints(obj)


RESOURCE = ResourceType("", "v1", "Endpoints", "endpoints", True, schemas.ENDPOINTS,
                        short_names=("ep",), singular_name="endpoints",
                        strategy=EndpointsStrategy())
