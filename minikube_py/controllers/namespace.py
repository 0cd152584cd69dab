"""The namespace controller: finishes the deletion of a namespace (Kubernetes'
``pkg/controller/namespace``).

Deleting a Namespace makes the apiserver mark it Terminating (deletionTimestamp, phase) and
keep it while ``spec.finalizers`` holds ``kubernetes``. This controller, driven by the
namespace informer, then deletes every namespaced object in it, one resource at a time, looks
again until none is left, and clears the finalizer through the ``finalize`` subresource, after
which the apiserver removes the namespace.

It starts on a namespace only :data:`DELETION_GRACE` seconds after it saw the deletion, as
Kubernetes' controller waits (namespaceDeletionGracePeriod): a client deleting a namespace
and then, one by one, the objects in it (``kubectl delete -f`` of a file that lists both) has
its own deletes land first instead of finding its objects already gone.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from minikube_py.api.errors import Conflict, NotFound
from minikube_py.api.registry import REGISTRY, Registry, ResourceType
from minikube_py.client.base import Client
from minikube_py.client.customresources import one_version_each
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.store import DeletedFinalStateUnknown
from minikube_py.controllers.base import Controller, Requeue

log = logging.getLogger(__name__)

DELETION_GRACE = 2.0  # Kubernetes waits 5 s; a local cluster answers faster
RECHECK_SECONDS = 0.5  # while content is still going away
FINALIZER = "kubernetes"


def terminating(ns: dict[str, Any]) -> bool:
    return bool((ns.get("metadata") or {}).get("deletionTimestamp"))


class NamespaceController(Controller):
    name = "namespace"
    workers = 2

    def __init__(self, client: Client, informers: SharedInformerFactory, *,
                 registry: Registry = REGISTRY, grace: float = DELETION_GRACE) -> None:
        super().__init__(client, informers)
        namespaces = registry.by_path("", "v1", "namespaces")
        assert namespaces is not None
        self.namespaces = namespaces
        self.registry = registry
        self.grace = grace
        self.lister = self.informer(namespaces).lister
        self.informer(namespaces).add_event_handler(
            on_add=self._seen, on_update=lambda _old, new: self._seen(new),
            on_delete=self._gone)

    @property
    def content(self) -> list[ResourceType]:
        """The namespaced resources served now (custom ones included, as their CRDs come
        and go: the registry is the controller manager's ServedTypes)."""
        # stored_as: another version of a stored resource (events.k8s.io) is the same objects.
        return one_version_each([rt for rt in self.registry if rt.namespaced and
                                 rt.stored_as is None and
                                 {"list", "delete", "deletecollection"} <= set(rt.verbs)])

    def _seen(self, ns: dict[str, Any]) -> None:
        if terminating(ns):
            self.enqueue(ns["metadata"]["name"], after=self.grace)

    def _gone(self, ns: dict[str, Any] | DeletedFinalStateUnknown) -> None:
        return None  # nothing left to do for a namespace that is gone

    async def reconcile(self, key: str) -> None:
        ns = self.lister.get(key)
        if ns is None or not terminating(ns):
            return
        remaining = 0
        for rt in self.content:
            remaining += await self._empty(rt, key)
        if remaining:
            raise Requeue(RECHECK_SECONDS)
        finalizers = (ns.get("spec") or {}).get("finalizers") or []
        if FINALIZER in finalizers:
            finalize = {"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": key, "resourceVersion":
                                     ns["metadata"]["resourceVersion"]},
                        "spec": {"finalizers": [f for f in finalizers if f != FINALIZER]}}
            with contextlib.suppress(NotFound):
                await self.client.update(self.namespaces, finalize, subresource="finalize")

    async def _empty(self, rt: ResourceType, namespace: str) -> int:
        """Delete what is left of ``rt`` in ``namespace``; how many objects remain."""
        try:
            listing = await self.client.list(rt, namespace)
        except NotFound:
            return 0  # a custom resource whose CRD went meanwhile
        items = listing["items"]
        if any(not (i.get("metadata") or {}).get("deletionTimestamp") for i in items):
            with contextlib.suppress(NotFound, Conflict):
                await self.client.delete_collection(rt, namespace,
                                                    propagation_policy="Background")
        return len(items)
