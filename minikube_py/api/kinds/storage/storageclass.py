"""StorageClass: a class of dynamically provisioned PersistentVolumes and the provisioner
that makes them (storage.k8s.io/v1, cluster-scoped). The PersistentVolume controller
(``controllers/persistentvolume.py``) provisions claims of classes whose provisioner is
``minikube-py.io/hostpath``; the DefaultStorageClass admission plugin gives claims that name
no class the one annotated default.

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``).
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.defaults import storage as defaults
from minikube_py.api.errors import Cause
from minikube_py.api.printers import core as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import storage as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import storage as validation


class StorageClassStrategy(Strategy):
    printer = printers.STORAGE_CLASS

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_storage_class(obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_storage_class(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_storage_class_update(new, old)


RESOURCE = ResourceType("storage.k8s.io", "v1", "StorageClass", "storageclasses", False,
                        schemas.STORAGE_CLASS, short_names=("sc",),
                        strategy=StorageClassStrategy())
