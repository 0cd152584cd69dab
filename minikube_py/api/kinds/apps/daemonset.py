"""DaemonSet: one pod on every eligible node (apps/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.defaults import apps as defaults
from minikube_py.api.errors import Cause
from minikube_py.api.printers import workloads as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import apps as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import apps as validation


class DaemonSetStrategy(Strategy):
    generation = ("spec",)
    printer = printers.DAEMON_SET

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_daemon_set(obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_daemon_set(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_daemon_set_update(new, old)


RESOURCE = ResourceType("apps", "v1", "DaemonSet", "daemonsets", True, schemas.DAEMON_SET,
                        short_names=("ds",), categories=("all",),
                        subresources=("status",), strategy=DaemonSetStrategy())
