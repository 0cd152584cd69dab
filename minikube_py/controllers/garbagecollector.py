"""The garbage collector: carries out cascading deletion through ownerReferences.

The apiserver records how a deletion should cascade (``propagationPolicy``) and this
controller does it, as Kubernetes' garbage collector does:

- **Background** (the default): the owner goes at once; afterwards every dependent whose
  owners are all gone is deleted.
- **Foreground**: the owner stays (finalizer ``foregroundDeletion``) while its dependents are
  deleted; when none is left the finalizer is removed and the owner goes.
- **Orphan**: the owner stays (finalizer ``orphan``) until its dependents no longer point at
  it; then the finalizer is removed and the owner goes, the dependents stay.

It keeps a graph of every object's uid and owner uids, fed by one list-and-watch per resource
type on the in-process client, and reconciles owners and dependents by uid on a work queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from minikube_py.api.errors import Conflict, NotFound, StatusError
from minikube_py.api.patch import JSON_PATCH
from minikube_py.api.registry import REGISTRY, Registry, ResourceType
from minikube_py.client.base import Client
from minikube_py.util.tasks import TaskGroup

log = logging.getLogger(__name__)

ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"
RECHECK_SECONDS = 0.5


@dataclass
class Node:
    """One object in the ownership graph."""

    rt: ResourceType
    namespace: str | None
    name: str
    owners: set[str] = field(default_factory=set)
    finalizers: tuple[str, ...] = ()
    deleting: bool = False


class GarbageCollector:
    def __init__(self, client: Client, registry: Registry = REGISTRY) -> None:
        self.client = client
        self.types = [rt for rt in registry if {"list", "watch", "delete"} <= set(rt.verbs)]
        self.nodes: dict[str, Node] = {}
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()
        self.tasks = TaskGroup("garbagecollector")

    def dependents(self, uid: str) -> list[tuple[str, Node]]:
        return [(u, n) for u, n in self.nodes.items() if uid in n.owners]

    def enqueue(self, uid: str) -> None:
        if uid not in self._queued:
            self._queued.add(uid)
            self._queue.put_nowait(uid)

    async def run(self) -> None:
        for rt in self.types:
            self.tasks.spawn(self._watch(rt), name=f"watch/{rt.group_resource}")
        try:
            await self._worker()
        finally:
            await self.tasks.stop()

    async def _watch(self, rt: ResourceType) -> None:
        while True:
            try:
                listing = await self.client.list(rt)
                for obj in listing["items"]:
                    self.observe(rt, obj, deleted=False)
                rv = listing["metadata"]["resourceVersion"]
                async for event in self.client.watch(rt, resource_version=rv,
                                                     timeout_seconds=300):
                    if event.get("type") == "ERROR":
                        break  # expired: relist
                    if event.get("type") in ("ADDED", "MODIFIED", "DELETED"):
                        self.observe(rt, event["object"], deleted=event["type"] == "DELETED")
            except StatusError as err:
                log.warning("garbage collector watch of %s failed: %s", rt.plural, err.message)
                await asyncio.sleep(RECHECK_SECONDS)

    def observe(self, rt: ResourceType, obj: dict[str, Any], *, deleted: bool) -> None:
        """Update the graph from one object and queue whoever it may concern."""
        meta = obj.get("metadata") or {}
        uid = meta.get("uid")
        if not uid:
            return
        if deleted:
            gone = self.nodes.pop(uid, None)
            for dep_uid, _ in self.dependents(uid):
                self.enqueue(dep_uid)  # it may have lost its last owner
            for owner in gone.owners if gone else ():
                self.enqueue(owner)  # a foreground owner may now be free to go
            return
        node = Node(rt, meta.get("namespace"), meta["name"],
                    {ref["uid"] for ref in meta.get("ownerReferences") or [] if ref.get("uid")},
                    tuple(meta.get("finalizers") or ()), bool(meta.get("deletionTimestamp")))
        self.nodes[uid] = node
        if node.deleting and (ORPHAN in node.finalizers or FOREGROUND in node.finalizers):
            self.enqueue(uid)
        if node.owners:
            self.enqueue(uid)
            for owner in node.owners:
                self.enqueue(owner)

    async def _worker(self) -> None:
        while True:
            uid = await self._queue.get()
            self._queued.discard(uid)
            try:
                done = await self.reconcile(uid)
            except StatusError as err:
                log.warning("garbage collector: %s: %s; retrying", uid, err.message)
                done = False
            except Exception:  # a bug in one reconcile must not stop the collector
                log.exception("garbage collector: %s failed; retrying", uid)
                done = False
            if not done:
                asyncio.get_running_loop().call_later(RECHECK_SECONDS, self.enqueue, uid)

    async def reconcile(self, uid: str) -> bool:
        """One pass over the object ``uid``; True when nothing is left to do for now."""
        node = self.nodes.get(uid)
        if node is None:
            return True
        if node.owners and not any(o in self.nodes for o in node.owners):
            await self._delete(node, "Background")  # every owner is gone
            return True
        if not node.deleting:
            return True
        if ORPHAN in node.finalizers:
            for _, dep in self.dependents(uid):
                await self._drop_owner(dep, uid)
                dep.owners.discard(uid)
            await self._remove_finalizer(node, uid, ORPHAN)
        elif FOREGROUND in node.finalizers:
            remaining = self.dependents(uid)
            for _, dep in remaining:
                if not dep.deleting:
                    await self._delete(dep, "Foreground")
            if remaining:
                return False
            await self._remove_finalizer(node, uid, FOREGROUND)
        return True

    async def _delete(self, node: Node, policy: str) -> None:
        with contextlib.suppress(NotFound, Conflict):
            await self.client.delete(node.rt, node.name, node.namespace,
                                     propagation_policy=policy)

    async def _drop_owner(self, dep: Node, owner_uid: str) -> None:
        obj = await self.client.get(dep.rt, dep.name, dep.namespace)
        refs = obj["metadata"].get("ownerReferences") or []
        keep = [r for r in refs if r.get("uid") != owner_uid]
        if len(keep) == len(refs):
            return
        patch = [{"op": "test", "path": "/metadata/resourceVersion",
                  "value": obj["metadata"]["resourceVersion"]},
                 {"op": "replace", "path": "/metadata/ownerReferences", "value": keep}]
        await self.client.patch(dep.rt, dep.name, patch, dep.namespace, patch_type=JSON_PATCH)

    async def _remove_finalizer(self, node: Node, uid: str, finalizer: str) -> None:
        obj = await self.client.get(node.rt, node.name, node.namespace)
        if obj["metadata"].get("uid") != uid:
            return
        finalizers = obj["metadata"].get("finalizers") or []
        if finalizer not in finalizers:
            return
        patch = [{"op": "test", "path": "/metadata/resourceVersion",
                  "value": obj["metadata"]["resourceVersion"]},
                 {"op": "replace", "path": "/metadata/finalizers",
                  "value": [f for f in finalizers if f != finalizer]}]
        with contextlib.suppress(NotFound):
            await self.client.patch(node.rt, node.name, patch, node.namespace,
                                    patch_type=JSON_PATCH)
