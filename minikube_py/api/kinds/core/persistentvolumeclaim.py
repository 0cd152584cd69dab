"""PersistentVolumeClaim: a pod's request for storage (core/v1).

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


class PersistentVolumeClaimStrategy(Strategy):
    printer = printers.PERSISTENT_VOLUME_CLAIM

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_persistent_volume_claim(obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_persistent_volume_claim(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_persistent_volume_claim_update(new, old)


RESOURCE = ResourceType("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True,
                        schemas.PERSISTENT_VOLUME_CLAIM, short_names=("pvc",),
                        subresources=("status",), strategy=PersistentVolumeClaimStrategy())
