"""The admission plugins of the class kinds, as Kubernetes enables them by default:

- DefaultIngressClass: a new Ingress that names no class (neither ``spec.ingressClassName``
  nor the ``kubernetes.io/ingress.class`` annotation) gets the IngressClass annotated
  ``ingressclass.kubernetes.io/is-default-class: "true"`` (the newest, if several are);
- DefaultStorageClass: a new PersistentVolumeClaim that names no class (no
  ``spec.storageClassName`` at all — an empty string asks for none — and no beta
  ``volume.beta.kubernetes.io/storage-class`` annotation) gets the StorageClass annotated
  ``storageclass.kubernetes.io/is-default-class: "true"`` (the newest, if several are);
- RuntimeClass: a new pod naming ``spec.runtimeClassName`` must name an existing
  RuntimeClass; it gets the class's ``overhead.podFixed`` as ``spec.overhead`` (a different
  overhead the client set is refused) and its scheduling node selector (a conflicting label
  is refused) and tolerations.

- StorageObjectInUseProtection: a new PersistentVolumeClaim gets the
  ``kubernetes.io/pvc-protection`` finalizer (claims only; volumes are not protected).

All are mutating plugins of the chain of ``admission.py``; :func:`class_plugins` gives them
to the apiserver, which appends them to ``default_admission``'s.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Forbidden
from minikube_py.api.registry import REGISTRY
from minikube_py.apiserver.admission import Admit, Getter, ListAll, WriteContext

DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_STORAGE_CLASS_ANNOTATIONS = ("storageclass.kubernetes.io/is-default-class",
                                     "storageclass.beta.kubernetes.io/is-default-class")
BETA_STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"


def _creating(ctx: WriteContext, group: str, plural: str) -> dict[str, Any] | None:
    """The object of a create of ``group/plural`` itself (no subresource), else None."""
    rt = REGISTRY.by_path(group, "v1", plural)
    if ctx.rt is not rt or ctx.operation != "CREATE" or ctx.subresource or ctx.obj is None:
        return None
    return ctx.obj


def _newest(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return max(objects, key=lambda c: (c["metadata"].get("creationTimestamp", ""),
                                       c["metadata"]["name"]))


class DefaultIngressClass:
    def __init__(self, list_all: ListAll) -> None:
        self.list_all = list_all

    async def __call__(self, ctx: WriteContext) -> None:
        ingress = _creating(ctx, "networking.k8s.io", "ingresses")
        if ingress is None:
            return
        spec = ingress.setdefault("spec", {})
        annotations = (ingress.get("metadata") or {}).get("annotations") or {}
        if spec.get("ingressClassName") or CLASS_ANNOTATION in annotations:
            return
        classes = REGISTRY.require("networking.k8s.io", "v1", "ingressclasses")
        defaults = [c for c in self.list_all(classes)
                    if ((c.get("metadata") or {}).get("annotations") or {}).get(
                        DEFAULT_CLASS_ANNOTATION) == "true"]
        if defaults:
            spec["ingressClassName"] = _newest(defaults)["metadata"]["name"]


class DefaultStorageClass:
    """plugin/pkg/admission/storage/storageclass/setdefault."""

    def __init__(self, list_all: ListAll) -> None:
        self.list_all = list_all

    async def __call__(self, ctx: WriteContext) -> None:
        claim = _creating(ctx, "", "persistentvolumeclaims")
        if claim is None:
            return
        spec = claim.setdefault("spec", {})
        annotations = (claim.get("metadata") or {}).get("annotations") or {}
        if spec.get("storageClassName") is not None or BETA_STORAGE_CLASS_ANNOTATION in \
                annotations:
            return
        classes = REGISTRY.require("storage.k8s.io", "v1", "storageclasses")
        defaults = [c for c in self.list_all(classes)
                    if any(((c.get("metadata") or {}).get("annotations") or {}).get(key)
                           == "true" for key in DEFAULT_STORAGE_CLASS_ANNOTATIONS)]
        if defaults:
            spec["storageClassName"] = _newest(defaults)["metadata"]["name"]


class RuntimeClassAdmission:
    def __init__(self, get: Getter) -> None:
        self.get = get

    async def __call__(self, ctx: WriteContext) -> None:
        pod = _creating(ctx, "", "pods")
        spec = pod.get("spec") if pod is not None else None
        if not isinstance(spec, dict) or not spec.get("runtimeClassName"):
            return
        name = str(spec["runtimeClassName"])
        found = self.get(REGISTRY.require("node.k8s.io", "v1", "runtimeclasses"), "", name)
        if found is None:
            raise self._refused(ctx, f'pod rejected: RuntimeClass "{name}" not found')
        overhead = (found.get("overhead") or {}).get("podFixed")
        if overhead:
            if spec.get("overhead") and spec["overhead"] != overhead:
                raise self._refused(ctx, "pod rejected: Pod's Overhead doesn't match "
                                    "RuntimeClass's defined Overhead")
            spec["overhead"] = dict(overhead)
        scheduling = found.get("scheduling") or {}
        selector = spec.get("nodeSelector") or {}
        for key, value in (scheduling.get("nodeSelector") or {}).items():
            if key in selector and selector[key] != value:
                raise self._refused(ctx, f"conflict: runtimeClass.scheduling.nodeSelector"
                                    f"[{key}] = {value}; pod.spec.nodeSelector[{key}] = "
                                    f"{selector[key]}")
            selector[key] = value
        if selector:
            spec["nodeSelector"] = selector
        tolerations = list(spec.get("tolerations") or [])
        for toleration in scheduling.get("tolerations") or []:
            if toleration not in tolerations:
                tolerations.append(toleration)
        if tolerations:
            spec["tolerations"] = tolerations

    @staticmethod
    def _refused(ctx: WriteContext, why: str) -> Forbidden:
        return Forbidden(f'pods "{ctx.name}" is forbidden: {why}', name=ctx.name, kind="pods")


PVC_PROTECTION = "kubernetes.io/pvc-protection"


async def storage_object_in_use_protection(ctx: WriteContext) -> None:
    """StorageObjectInUseProtection: a new claim gets the finalizer the pvc-protection
    controller removes once no pod uses it (controllers/pvcprotection.py)."""
    claim = _creating(ctx, "", "persistentvolumeclaims")
    if claim is None:
        return
    finalizers = claim.setdefault("metadata", {}).setdefault("finalizers", [])
    if PVC_PROTECTION not in finalizers:
        finalizers.append(PVC_PROTECTION)


def class_plugins(get: Getter, list_all: ListAll) -> list[Admit]:
    return [RuntimeClassAdmission(get), DefaultIngressClass(list_all),
            DefaultStorageClass(list_all), storage_object_in_use_protection]
