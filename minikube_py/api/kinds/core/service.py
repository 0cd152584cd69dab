"""Service: a stable address for a set of pods (core/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``).
The cluster IP and node ports are allocated by the apiserver (``allocations``,
``apiserver/allocators.py``); an update that leaves them empty keeps the allocated ones, as
``kubectl apply`` expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.api.defaults import core as defaults
from minikube_py.api.errors import Cause
from minikube_py.api.machinery.fieldselectors import selectable, strings
from minikube_py.api.printers import core as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import core as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import core as validation
from minikube_py.api.validation import names


def _fields(service: Mapping[str, Any]) -> dict[str, str]:
    return strings(service, {"spec.clusterIP": "spec.clusterIP", "spec.type": "spec.type"})


class ServiceStrategy(Strategy):
    return_deleted_object = True
    fields = selectable("spec.clusterIP", "spec.type", extract=_fields)
    printer = printers.SERVICE

    def check_name(self, name: str) -> list[str]:
        return names.is_dns1035_label(name)
    allocations = ("cluster-ip", "node-port")

    def empty_status(self) -> dict[str, Any]:
        return {"loadBalancer": {}}

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_service(obj)

    def prepare_for_update(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        old_spec, new_spec = old.get("spec") or {}, new.setdefault("spec", {})
        if not new_spec.get("clusterIP") and old_spec.get("clusterIP") and \
                new_spec.get("type") != "ExternalName":
            new_spec["clusterIP"] = old_spec["clusterIP"]
            new_spec["clusterIPs"] = old_spec.get("clusterIPs") or [old_spec["clusterIP"]]

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_service(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_service_update(new, old)


RESOURCE = ResourceType("", "v1", "Service", "services", True, schemas.SERVICE,
                        short_names=("svc",), categories=("all",), subresources=("status",),
                        strategy=ServiceStrategy())
