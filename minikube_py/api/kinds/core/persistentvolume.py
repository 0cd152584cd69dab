"""PersistentVolume: a piece of storage in the cluster (core/v1).

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


class PersistentVolumeStrategy(Strategy):
    status_on_create = True  # a new volume starts Pending as its creator says
    printer = printers.PERSISTENT_VOLUME

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_persistent_volume(obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_persistent_volume(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_persistent_volume_update(new, old)


RESOURCE = ResourceType("", "v1", "PersistentVolume", "persistentvolumes", False,
                        schemas.PERSISTENT_VOLUME, short_names=("pv",), subresources=("status",),
                        strategy=PersistentVolumeStrategy())
