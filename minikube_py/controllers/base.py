"""The controller runtime: shared informers feed a rate-limited work queue of keys, and N
workers ``reconcile(key)`` (the shape of sample-controller and every controller of
kube-controller-manager).

A controller declares what it watches with :meth:`Controller.watch` (handlers that turn an
event into the key of the object to reconcile: the object's own key, or its owner's) and
implements :meth:`Controller.reconcile`, which reads the current state from the informers'
caches, treats a missing object as done, computes the difference and writes through the
client. Running a reconcile twice does no harm. The workers alone decide on retries: success
forgets the key, an error re-queues it with back-off (``Requeue`` asks for a plain delay),
and the key is always marked done.

Objects from a cache are shared and read-only: copy before changing.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from minikube_py.api.errors import Conflict, NotFound, StatusError
from minikube_py.api.registry import ResourceType
from minikube_py.client.base import Client
from minikube_py.client.events import EventRecorder
from minikube_py.client.informer import SharedInformer, SharedInformerFactory
from minikube_py.client.store import DeletedFinalStateUnknown, meta_namespace_key
from minikube_py.client.workqueue import RateLimitingQueue, ShutDown
from minikube_py.util.tasks import TaskGroup

log = logging.getLogger(__name__)

Object = dict[str, Any]
KeyFunc = Callable[[Object], list[str]]


class Requeue(Exception):
    """Reconcile again after ``after`` seconds (not a failure: no back-off grows)."""

    def __init__(self, after: float) -> None:
        super().__init__(f"requeue after {after}s")
        self.after = after


def own_key(obj: Object) -> list[str]:
    return [meta_namespace_key(obj)]


def owner_keys(kind: str) -> KeyFunc:
    """Keys of an object's controlling owners of ``kind`` (e.g. a pod -> its ReplicaSet)."""

    def keys(obj: Object) -> list[str]:
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace") or ""
        return [f"{namespace}/{ref['name']}" if namespace else str(ref["name"])
                for ref in meta.get("ownerReferences") or []
                if ref.get("kind") == kind and ref.get("controller") and ref.get("name")]
    return keys


class Controller(ABC):
    """Informers + a work queue + ``workers`` reconcile loops. Subclasses set ``name`` and
    implement :meth:`reconcile`; their constructor calls :meth:`watch`."""

    name: str = "controller"
    workers: int = 1

    def __init__(self, client: Client, informers: SharedInformerFactory, *,
                 recorder: EventRecorder | None = None, owns_recorder: bool = False) -> None:
        self.client = client
        self.informers = informers
        self.recorder = recorder
        self._owns_recorder = owns_recorder  # then stop() writes out its events and ends it
        self.queue: RateLimitingQueue[str] = RateLimitingQueue(name=self.name)
        self._tasks = TaskGroup(f"controller/{self.name}")
        self.reconciles = 0  # reconcile calls made by the workers (for /metrics)
        self._watched: list[SharedInformer] = []

    # -- wiring ------------------------------------------------------------------------------

    def informer(self, rt: ResourceType, **kwargs: Any) -> SharedInformer:
        """The shared informer of ``rt`` (waited for before the workers start)."""
        informer = self.informers.informer_for(rt, **kwargs)
        if informer not in self._watched:
            self._watched.append(informer)
        return informer

    def watch(self, rt: ResourceType, *, keys: KeyFunc = own_key,
              on_change: Callable[[Object | None, Object], None] | None = None,
              changed: Callable[[Object, Object], bool] | None = None) -> SharedInformer:
        """Enqueue ``keys(obj)`` for every add, update and delete of ``rt``'s objects
        (``on_change(old, new)`` runs first when given, e.g. to settle expectations; an update
        for which ``changed(old, new)`` is false enqueues nothing, e.g. a pod's status write
        that no Endpoints can see)."""
        informer = self.informer(rt)

        def added(obj: Object) -> None:
            if on_change is not None:
                on_change(None, obj)
            self._enqueue_all(keys(obj))

        def updated(old: Object, new: Object) -> None:
            if on_change is not None:
                on_change(old, new)
            if changed is not None and not changed(old, new):
                return
            self._enqueue_all(keys(new) + [k for k in keys(old) if k not in keys(new)])

        def deleted(obj: Object | DeletedFinalStateUnknown) -> None:
            last = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
            if on_change is not None and isinstance(last, dict):
                on_change(last, {})
            if isinstance(last, dict):
                self._enqueue_all(keys(last))

        informer.add_event_handler(on_add=added, on_update=updated, on_delete=deleted)
        return informer

    def _enqueue_all(self, keys: list[str]) -> None:
        for key in keys:
            self.queue.add(key)

    def enqueue(self, key: str, *, after: float = 0.0) -> None:
        if after > 0:
            self.queue.add_after(key, after)
        else:
            self.queue.add(key)

    # -- running -----------------------------------------------------------------------------

    @abstractmethod
    async def reconcile(self, key: str) -> None:
        """Bring the object of ``key`` to its desired state (idempotent)."""

    async def start(self) -> None:
        """Wait for the caches, then start the workers (the factory must be started)."""
        for informer in self._watched:
            await informer.wait_for_sync()
        for i in range(self.workers):
            self._tasks.spawn(self._worker(), name=f"worker-{i}")

    async def stop(self) -> None:
        self.queue.shut_down()
        await self._tasks.stop()
        if self._owns_recorder and self.recorder is not None:
            await self.recorder.shutdown()

    def health(self) -> str | None:
        if not self._tasks.failed:
            return None
        return "; ".join(f"{name}: {exc!r}" for name, exc in self._tasks.failed)

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except ShutDown:
                return
            self.reconciles += 1
            try:
                await self.reconcile(key)
            except Requeue as again:
                self.queue.forget(key)
                self.queue.add_after(key, again.after)
            except (Conflict, NotFound) as err:  # a race with another writer: try again soon
                log.debug("%s: %s: %s; retrying", self.name, key, err.message)
                self.queue.add_rate_limited(key)
            except StatusError as err:
                log.info("%s: %s failed (%d requeues): %s %s", self.name, key,
                         self.queue.num_requeues(key), err.reason, err.message)
                self.queue.add_rate_limited(key)
            except Exception:  # a bug in one reconcile must not stop the controller
                log.exception("%s: %s failed (%d requeues)", self.name, key,
                              self.queue.num_requeues(key))
                self.queue.add_rate_limited(key)
            else:
                self.queue.forget(key)
            finally:
                self.queue.done(key)
