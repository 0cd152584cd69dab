"""Node: a machine (here: a virtual node) that runs pods (core/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.api.defaults import core as defaults
from minikube_py.api.errors import Cause
from minikube_py.api.machinery.fieldselectors import get_path, selectable, text
from minikube_py.api.printers import core as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import core as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import core as validation


def _fields(node: Mapping[str, Any]) -> dict[str, str]:
    return {"spec.unschedulable": text(get_path(node, "spec.unschedulable") is True)}


class NodeStrategy(Strategy):
    status_on_create = True  # a kubelet registers its node with its status
    fields = selectable("spec.unschedulable", namespaced=False, extract=_fields)
    printer = printers.NODE

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_node(obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_node(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_node_update(new, old)


RESOURCE = ResourceType("", "v1", "Node", "nodes", False, schemas.NODE, short_names=("no",),
                        subresources=("status",), strategy=NodeStrategy())
