"""CustomResourceDefinition: a new kind served by the apiserver (apiextensions.k8s.io/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``).
A new CRD gets its names defaulted (``singular``, ``listKind``) and ``status.storedVersions``
set to its storage version; its conditions (``NamesAccepted``, ``Established``) and
``status.acceptedNames`` are written by the apiserver's custom resource serving
(``apiserver/customresources.py``), which then serves the types of
``api/kinds/apiextensions/customresource.py``. Deleting a CRD adds the
``customresourcecleanup.apiextensions.k8s.io`` finalizer and the ``Terminating`` condition
(Kubernetes' CRD storage does it in Delete); the serving removes the finalizer once every
object of the kind is gone.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.kinds.apiextensions.customresource import (
    CLEANUP_FINALIZER,
    storage_version,
)
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import apiextensions as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import apiextensions as validation
from minikube_py.util import clock


def set_condition(crd: dict[str, Any], type_: str, status: str, reason: str,
                  message: str) -> None:
    """Set one condition; its transition time moves only when its status does."""
    conditions = crd.setdefault("status", {}).setdefault("conditions", [])
    for cond in conditions:
        if cond.get("type") == type_:
            if cond.get("status") != status:
                cond["lastTransitionTime"] = clock.rfc3339()
            cond.update(status=status, reason=reason, message=message)
            return
    conditions.append({"type": type_, "status": status, "lastTransitionTime": clock.rfc3339(),
                       "reason": reason, "message": message})


class CustomResourceDefinitionStrategy(Strategy):
    generation = ("spec",)

    def default(self, obj: dict[str, Any]) -> None:
        spec = obj.setdefault("spec", {})
        names = spec.get("names")
        if isinstance(names, dict) and names.get("kind"):
            names.setdefault("singular", str(names["kind"]).lower())
            names.setdefault("listKind", f"{names['kind']}List")
        spec.setdefault("conversion", {"strategy": "None"})

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        storage = storage_version(obj)
        obj["status"] = {"storedVersions": [storage] if storage else [],
                         "conditions": [], "acceptedNames": {"plural": "", "kind": ""}}

    def prepare_for_update(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        # A new storage version joins storedVersions (every CRD has them from its create).
        storage = storage_version(new)
        stored = (new.get("status") or {}).get("storedVersions")
        if storage and isinstance(stored, list) and storage not in stored:
            stored.append(storage)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_crd(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_crd_update(new, old)

    def begin_deletion(self, obj: dict[str, Any]) -> bool:
        finalizers = obj["metadata"].setdefault("finalizers", [])
        if CLEANUP_FINALIZER not in finalizers:
            finalizers.append(CLEANUP_FINALIZER)
            set_condition(obj, "Terminating", "True", "InstanceDeletionPending",
                          "CustomResourceDefinition marked for deletion; CustomResource "
                          "deletion will begin soon")
        return False


RESOURCE = ResourceType("apiextensions.k8s.io", "v1", "CustomResourceDefinition",
                        "customresourcedefinitions", False, schemas.CUSTOM_RESOURCE_DEFINITION,
                        short_names=("crd", "crds"), categories=("api-extensions",),
                        subresources=("status",),
                        strategy=CustomResourceDefinitionStrategy())
