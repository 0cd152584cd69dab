"""The current objects of one resource as the apiserver keeps them for itself: listed from
the store once, then kept current by draining a store watch at each read.

Draining at read time (rather than in a background task) means a read sees every write
acknowledged before it: the store publishes a commit's events before the writer's caller
resumes. A watch that fell behind or ended is replaced by a fresh list. Used for the webhook
configurations, which admission reads on every write, and for APIServices (aggregation).
"""

from __future__ import annotations

import asyncio
from typing import Any

from minikube_py.api.resource import ResourceType
from minikube_py.store.interface import Storage
from minikube_py.store.watch import DELETED, Watcher, WatchOverflow


class StoredObjects:
    """Objects of ``rt`` by key, in key order."""

    def __init__(self, store: Storage, rt: ResourceType) -> None:
        self.store = store
        self.rt = rt
        self._objects: dict[str, dict[str, Any]] = {}
        self._sorted: list[dict[str, Any]] | None = None
        self._watcher: Watcher | None = None
        self._relisting = asyncio.Lock()  # one relist at a time (it awaits the watch)

    async def objects(self) -> list[dict[str, Any]]:
        """Every object, current as of the latest acknowledged write (read-only)."""
        if self._watcher is None:
            await self._relist()
        else:
            try:
                batch = await self._watcher.next_batch(0)
            except WatchOverflow:
                batch = None
            if batch is None:
                await self._relist()
            else:
                for event in batch:
                    if event.type == DELETED:
                        self._objects.pop(event.key, None)
                    else:
                        self._objects[event.key] = event.object
                if batch:
                    self._sorted = None
        if self._sorted is None:
            self._sorted = [self._objects[k] for k in sorted(self._objects)]
        return self._sorted

    async def _relist(self) -> None:
        stale = self._watcher
        async with self._relisting:
            if self._watcher is not stale:
                return  # another reader relisted meanwhile
            if stale is not None:
                stale.close()
            entries, rev = self.store.list_prefix(self.rt.prefix())
            self._objects = {e.key: e.decode() for e in entries}
            self._sorted = None
            self._watcher = await self.store.watch(self.rt.prefix(), rev)

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
