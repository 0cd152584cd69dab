"""The PVC protection controller (Kubernetes' ``pkg/controller/volume/pvcprotection``): a
claim being deleted keeps its ``kubernetes.io/pvc-protection`` finalizer (put on at create
by the StorageObjectInUseProtection admission, ``apiserver/admission_classes.py``) until no
pod that may still run uses it.

Without it, deleting a claim under a running pod would release its volume at once, and a
``Delete`` reclaim would remove the pod's data from under it. ``reconcile`` is keyed by the
claim; pods enqueue the claims their volumes name (on every add, update and delete, so the
end of the last user lets the claim go). Pods that have finished (Succeeded, Failed) do not
hold a claim; the cache is asked first and, before the finalizer goes, the API's own list of
the namespace's pods, so a pod created a moment ago is not missed.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Conflict, NotFound
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.store import meta_namespace_key
from minikube_py.controllers.base import Controller

PVC_PROTECTION = "kubernetes.io/pvc-protection"
CLAIMS = REGISTRY.require("", "v1", "persistentvolumeclaims")
PODS = REGISTRY.require("", "v1", "pods")
Object = dict[str, Any]


def claims_of(pod: Object) -> list[str]:
    """The claim names a pod's volumes use (persistentVolumeClaim; ephemeral volumes make
    ``<pod>-<volume>``)."""
    names = []
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        if not isinstance(volume, dict):
            continue
        if isinstance(volume.get("persistentVolumeClaim"), dict):
            names.append(str(volume["persistentVolumeClaim"].get("claimName") or ""))
        elif isinstance(volume.get("ephemeral"), dict):
            names.append(f"{pod['metadata'].get('name')}-{volume.get('name')}")
    return [n for n in names if n]


def holds_claims(pod: Object) -> bool:
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def _claim_keys(pod: Object) -> list[str]:
    namespace = pod["metadata"].get("namespace") or ""
    return [f"{namespace}/{name}" for name in claims_of(pod)]


class PVCProtectionController(Controller):
    """Removes the protection finalizer of deleted claims no live pod uses."""

    name = "pvc-protection"
    workers = 2

    def __init__(self, client: Client, informers: SharedInformerFactory) -> None:
        super().__init__(client, informers)
        self.claims = self.watch(CLAIMS).lister
        self.pods = self.watch(PODS, keys=_claim_keys).lister

    def _used_in_cache(self, namespace: str, name: str) -> bool:
        return any(name in claims_of(p) and holds_claims(p)
                   for p in self.pods.namespaced(namespace).list())

    async def reconcile(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        claim = self.claims.get(name, namespace)
        if claim is None or not claim["metadata"].get("deletionTimestamp"):
            return
        finalizers = claim["metadata"].get("finalizers") or []
        if PVC_PROTECTION not in finalizers or self._used_in_cache(namespace, name):
            return
        listed = await self.client.list(PODS, namespace)
        if any(name in claims_of(p) and holds_claims(p) for p in listed.get("items") or []):
            return
        # The finalizers without ours, on the version read: a Conflict if they changed.
        patch = {"metadata": {"finalizers": [f for f in finalizers if f != PVC_PROTECTION],
                              "resourceVersion": claim["metadata"].get("resourceVersion")}}
        try:
            await self.client.patch(CLAIMS, name, patch, namespace)
        except NotFound:
            return
        except Conflict:
            self.enqueue(meta_namespace_key(claim))
