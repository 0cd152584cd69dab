"""The garbage collector: carries out cascading deletion through ownerReferences (Kubernetes'
``pkg/controller/garbagecollector``: the graph builder and the attemptToDelete/Orphan
workers, here one queue of uids).

The apiserver records how a deletion should cascade (``propagationPolicy``) and this
controller does it:

- **Background** (the default): the owner goes at once; afterwards every dependent whose
  owners are all gone is deleted;
- **Foreground**: the owner stays (finalizer ``foregroundDeletion``) while its dependents are
  deleted (themselves in the foreground); when none is left the finalizer is removed;
- **Orphan**: the owner stays (finalizer ``orphan``) until its dependents no longer point at
  it; then the finalizer is removed and the dependents stay.

The graph (uid -> node, owner uid -> dependent uids) is fed by metadata-only informers of every
resource that can be listed, watched and deleted; custom resources too, as their CRDs come
and go (the registry given is followed through its change hook: the controller manager's is
a ``client/customresources.py`` ServedTypes). Because a relisted informer delivers what
vanished meanwhile as deletes, the graph keeps no ghosts. An owner the graph has not seen is
looked up through the API before a dependent is judged orphaned: informers of different
resources are not in step, and a new owner may simply not have arrived yet.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from minikube_py.api.errors import Conflict, NotFound
from minikube_py.api.machinery.patch import JSON_PATCH
from minikube_py.api.registry import REGISTRY, Registry, ResourceType
from minikube_py.client.base import Client
from minikube_py.client.customresources import one_version_each
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.store import DeletedFinalStateUnknown
from minikube_py.controllers.base import Controller, Requeue

log = logging.getLogger(__name__)

ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"
RECHECK_SECONDS = 0.5
Object = dict[str, Any]


def metadata_only(obj: Object) -> Object:
    """What the graph needs of an object (Kubernetes' GC watches metadata only)."""
    meta = dict(obj.get("metadata") or {})
    meta.pop("managedFields", None)
    return {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": meta}


@dataclass
class Node:
    """One object in the ownership graph."""

    rt: ResourceType
    namespace: str | None
    name: str
    owners: dict[str, Object] = field(default_factory=dict)  # owner uid -> ownerReference
    finalizers: tuple[str, ...] = ()
    deleting: bool = False


class GarbageCollector(Controller):
    name = "garbagecollector"
    workers = 2

    def __init__(self, client: Client, *, registry: Registry = REGISTRY) -> None:
        # Its own factory: metadata-only caches of everything, apart from the full objects
        # other controllers share.
        super().__init__(client, SharedInformerFactory(client, transform=metadata_only,
                                                       name="garbagecollector/informers"))
        self.registry = registry
        self.nodes: dict[str, Node] = {}
        self.dependents_of: dict[str, set[str]] = {}
        self._observed: dict[tuple[str, str, str], ResourceType] = {}
        self._types_changed(registry)
        self._unsubscribe = registry.subscribe(self._types_changed)

    def _types_changed(self, registry: Registry) -> None:
        """Observe every deletable resource served now; forget those no longer served."""
        wanted = {(rt.group, rt.version, rt.plural): rt for rt in one_version_each(
            [rt for rt in registry if rt.stored_as is None
             and {"list", "watch", "delete"} <= set(rt.verbs)])}
        for key, rt in wanted.items():
            if key not in self._observed:
                self._observed[key] = rt
                self._observe_type(rt)
        for key in [k for k in self._observed if k not in wanted]:
            self.informers.forget(self._observed.pop(key))

    def _observe_type(self, rt: ResourceType) -> None:
        informer = self.informer(rt)
        informer.add_event_handler(
            on_add=lambda obj: self.observe(rt, obj),
            on_update=lambda _old, new: self.observe(rt, new),
            on_delete=lambda obj: self.forget(obj))

    async def start(self) -> None:
        self.informers.start()
        await super().start()

    async def stop(self) -> None:
        self._unsubscribe()
        await super().stop()
        await self.informers.shutdown()

    # -- the graph ---------------------------------------------------------------------------

    def dependents(self, uid: str) -> list[tuple[str, Node]]:
        return [(d, self.nodes[d]) for d in sorted(self.dependents_of.get(uid, ()))
                if d in self.nodes]

    def observe(self, rt: ResourceType, obj: Object) -> None:
        """Update the graph from one object and queue whoever it may concern."""
        meta = obj.get("metadata") or {}
        uid = meta.get("uid")
        if not uid:
            return
        refs = {ref["uid"]: ref for ref in meta.get("ownerReferences") or [] if ref.get("uid")}
        node = Node(rt, meta.get("namespace"), meta["name"], refs,
                    tuple(meta.get("finalizers") or ()), bool(meta.get("deletionTimestamp")))
        self._unlink(uid)
        self.nodes[uid] = node
        for owner in refs:
            self.dependents_of.setdefault(owner, set()).add(uid)
        if self.dependents_of.get(uid):
            self.enqueue(uid)  # an owner arrived or changed: its dependents' fate may too
        if node.deleting and (ORPHAN in node.finalizers or FOREGROUND in node.finalizers):
            self.enqueue(uid)
        if refs:
            self.enqueue(uid)
            for owner in refs:
                self.enqueue(owner)

    def forget(self, obj: Object | DeletedFinalStateUnknown) -> None:
        last = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        uid = (last.get("metadata") or {}).get("uid") if isinstance(last, dict) else None
        if not uid:
            return
        gone = self._unlink(uid)
        self.nodes.pop(uid, None)
        for dep_uid in self.dependents_of.get(uid, ()):
            self.enqueue(dep_uid)  # it may have lost its last owner
        for owner in gone.owners if gone else ():
            self.enqueue(owner)  # a foreground owner may now be free to go

    def _unlink(self, uid: str) -> Node | None:
        old = self.nodes.get(uid)
        for owner in old.owners if old else ():
            deps = self.dependents_of.get(owner)
            if deps is not None:
                deps.discard(uid)
                if not deps and owner not in self.nodes:
                    del self.dependents_of[owner]
        return old

    # -- reconcile ---------------------------------------------------------------------------

    async def reconcile(self, key: str) -> None:
        node = self.nodes.get(key)
        if node is None:
            return
        if node.owners and not node.deleting and not await self._any_owner_exists(node):
            await self._delete(node, "Background")
            return
        if not node.deleting:
            return
        if ORPHAN in node.finalizers:
            for _, dep in self.dependents(key):
                await self._drop_owner(dep, key)
            await self._remove_finalizer(node, key, ORPHAN)
        elif FOREGROUND in node.finalizers:
            remaining = self.dependents(key)
            for _, dep in remaining:
                if not dep.deleting:
                    await self._delete(dep, "Foreground")
            if remaining:
                raise Requeue(RECHECK_SECONDS)
            await self._remove_finalizer(node, key, FOREGROUND)

    async def _any_owner_exists(self, node: Node) -> bool:
        """Whether one of the owners is still there: from the graph, or else from the API
        (an owner not observed yet is not an absent owner)."""
        for uid, ref in node.owners.items():
            if uid in self.nodes:
                return True
            owner_rt = self.registry.by_kind(str(ref.get("apiVersion", "")),
                                             str(ref.get("kind", "")))
            if owner_rt is None:
                continue  # a kind this cluster does not serve cannot be the owner
            namespace = node.namespace if owner_rt.namespaced else None
            try:
                live = await self.client.get(owner_rt, str(ref.get("name")), namespace)
            except NotFound:
                continue
            if live["metadata"].get("uid") == uid:
                return True
        return False

    async def _delete(self, node: Node, policy: str) -> None:
        with contextlib.suppress(NotFound, Conflict):
            await self.client.delete(node.rt, node.name, node.namespace,
                                     propagation_policy=policy)

    async def _drop_owner(self, dep: Node, owner_uid: str) -> None:
        with contextlib.suppress(NotFound):
            obj = await self.client.get(dep.rt, dep.name, dep.namespace)
            refs = obj["metadata"].get("ownerReferences") or []
            keep = [r for r in refs if r.get("uid") != owner_uid]
            if len(keep) != len(refs):
                await self.client.patch(dep.rt, dep.name, _guarded_replace(
                    obj, "/metadata/ownerReferences", keep), dep.namespace,
                    patch_type=JSON_PATCH)

    async def _remove_finalizer(self, node: Node, uid: str, finalizer: str) -> None:
        with contextlib.suppress(NotFound):
            obj = await self.client.get(node.rt, node.name, node.namespace)
            finalizers = obj["metadata"].get("finalizers") or []
            if obj["metadata"].get("uid") != uid or finalizer not in finalizers:
                return
            await self.client.patch(node.rt, node.name, _guarded_replace(
                obj, "/metadata/finalizers", [f for f in finalizers if f != finalizer]),
                node.namespace, patch_type=JSON_PATCH)


def _guarded_replace(obj: Object, path: str, value: Any) -> list[Object]:
    """A JSON patch that replaces ``path`` only if nobody wrote the object since it was read."""
    return [{"op": "test", "path": "/metadata/resourceVersion",
             "value": obj["metadata"]["resourceVersion"]},
            {"op": "replace", "path": path, "value": value}]
