"""The namespace controller: finishes the deletion of a namespace.

Deleting a Namespace makes the apiserver mark it Terminating (deletionTimestamp, phase) and
keep it while its ``spec.finalizers`` holds ``kubernetes``. This controller then deletes every
namespaced object in it, waits until none is left, and clears the finalizer through the
``finalize`` subresource, after which the apiserver removes the namespace.

It watches namespaces (relisting when the watch ends or expires) and reconciles each
terminating one by name; a namespace that still has content is looked at again shortly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from minikube_py.api.errors import Conflict, NotFound, StatusError
from minikube_py.api.registry import REGISTRY, Registry, ResourceType
from minikube_py.client.base import Client
from minikube_py.util.tasks import spawn

log = logging.getLogger(__name__)

RECHECK_SECONDS = 1.0


class NamespaceController:
    def __init__(self, client: Client, registry: Registry = REGISTRY) -> None:
        self.client = client
        self.registry = registry
        namespaces = registry.by_path("", "v1", "namespaces")
        assert namespaces is not None
        self.namespaces = namespaces
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()

    def enqueue(self, name: str) -> None:
        if name not in self._queued:
            self._queued.add(name)
            self._queue.put_nowait(name)

    async def run(self) -> None:
        """Watch namespaces and work the queue until cancelled."""
        worker = spawn(self._worker(), name="controller/namespace/worker")
        try:
            await self._watch_loop()
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    async def _watch_loop(self) -> None:
        while True:
            try:
                listing = await self.client.list(self.namespaces)
                for ns in listing["items"]:
                    if _terminating(ns):
                        self.enqueue(ns["metadata"]["name"])
                rv = listing["metadata"]["resourceVersion"]
                async for event in self.client.watch(self.namespaces, resource_version=rv,
                                                     timeout_seconds=300):
                    obj = event.get("object") or {}
                    if event.get("type") == "ERROR":
                        break  # expired: relist
                    if event.get("type") in ("ADDED", "MODIFIED") and _terminating(obj):
                        self.enqueue(obj["metadata"]["name"])
            except StatusError as err:
                log.warning("namespace watch failed, relisting: %s", err.message)
                await asyncio.sleep(RECHECK_SECONDS)

    async def _worker(self) -> None:
        while True:
            name = await self._queue.get()
            self._queued.discard(name)
            try:
                done = await self.reconcile(name)
            except StatusError as err:
                log.warning("namespace %s: %s; retrying", name, err.message)
                done = False
            except Exception:  # a bug in one reconcile must not stop the controller
                log.exception("namespace %s: reconcile failed; retrying", name)
                done = False
            if not done:
                asyncio.get_running_loop().call_later(RECHECK_SECONDS, self.enqueue, name)

    async def reconcile(self, name: str) -> bool:
        """One pass over namespace ``name``; True when nothing is left to do."""
        try:
            ns = await self.client.get(self.namespaces, name)
        except NotFound:
            return True
        if not _terminating(ns):
            return True
        remaining = 0
        for rt in self._namespaced():
            listing = await self.client.list(rt, name)
            for item in listing["items"]:
                remaining += 1
                if not (item.get("metadata") or {}).get("deletionTimestamp"):
                    with contextlib.suppress(NotFound, Conflict):
                        await self.client.delete(rt, item["metadata"]["name"], name,
                                                 propagation_policy="Background")
        if remaining:
            return False
        finalizers = (ns.get("spec") or {}).get("finalizers") or []
        if "kubernetes" in finalizers:
            ns["spec"]["finalizers"] = [f for f in finalizers if f != "kubernetes"]
            with contextlib.suppress(NotFound):
                await self.client.update(self.namespaces, ns, subresource="finalize")
        return True

    def _namespaced(self) -> list[ResourceType]:
        return [rt for rt in self.registry
                if rt.namespaced and "list" in rt.verbs and "delete" in rt.verbs]


def _terminating(ns: dict[str, Any]) -> bool:
    return bool((ns.get("metadata") or {}).get("deletionTimestamp"))
