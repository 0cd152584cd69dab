"""Namespace: a scope for names, and the unit of cleanup (core/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``).
A namespace is created Active with the ``kubernetes`` finalizer in ``spec.finalizers``;
deleting it marks it Terminating and it stays until the namespace controller has emptied it
and cleared that finalizer through ``/finalize``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.api.defaults import core as defaults
from minikube_py.api.errors import Cause
from minikube_py.api.machinery.fieldselectors import selectable, strings
from minikube_py.api.printers import core as printers
from minikube_py.api.resource import ALL_VERBS, ResourceType
from minikube_py.api.schemas import core as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import core as validation
from minikube_py.api.validation import names
from minikube_py.util import jsonutil

NAME_LABEL = "kubernetes.io/metadata.name"
FINALIZER = "kubernetes"
TERMINATING = ("The system is ensuring all content is removed from this namespace.  Upon "
               "completion, this namespace will automatically be purged by the system.")


def _fields(namespace: Mapping[str, Any]) -> dict[str, str]:
    return strings(namespace, {"status.phase": "status.phase"})


class NamespaceStrategy(Strategy):
    fields = selectable("status.phase", namespaced=False, extract=_fields)
    printer = printers.NAMESPACE

    def check_name(self, name: str) -> list[str]:
        return names.is_dns1123_label(name)

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_namespace(obj)

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        obj.setdefault("spec", {}).setdefault("finalizers", [FINALIZER])
        obj["status"] = {"phase": "Active"}
        obj["metadata"].setdefault("labels", {})[NAME_LABEL] = obj["metadata"]["name"]

    def prepare_for_update(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        if "spec" in old:  # spec.finalizers change only through /finalize
            new["spec"] = jsonutil.copy(old["spec"])
        new["metadata"].setdefault("labels", {})[NAME_LABEL] = new["metadata"]["name"]

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_namespace(obj)

    def begin_deletion(self, obj: dict[str, Any]) -> bool:
        obj.setdefault("status", {})["phase"] = "Terminating"
        return True

    def deletion_in_progress(self, obj: dict[str, Any]) -> str | None:
        return TERMINATING if obj["metadata"].get("deletionTimestamp") else None

    def removable(self, obj: dict[str, Any]) -> bool:
        return not (obj.get("spec") or {}).get("finalizers")


RESOURCE = ResourceType("", "v1", "Namespace", "namespaces", False, schemas.NAMESPACE,
                        short_names=("ns",), subresources=("status", "finalize"),
                        # no deletecollection: Kubernetes serves none for namespaces
                        verbs=tuple(v for v in ALL_VERBS if v != "deletecollection"),
                        strategy=NamespaceStrategy())
