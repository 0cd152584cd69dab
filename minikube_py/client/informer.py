"""Shared informers: one list+watch per resource per process, a cache with indexes, and
event handlers fanned out from it (client-go's ``tools/cache/shared_informer.go`` and
``informers/factory.go``).

Controllers do not watch the apiserver themselves. They ask a :class:`SharedInformerFactory`
for the informer of a resource, register ``on_add/on_update/on_delete`` handlers that turn
events into work-queue keys, wait for :meth:`SharedInformerFactory.wait_for_cache_sync`, and
then read objects from the informer's ``lister``/``indexer``. However many controllers ask for
pods, the process holds one watch and one copy of each pod.

Handlers run on the event loop, in event order, one after the other; they should be quick
(enqueue a key and return). A handler that raises is logged and the others still run. The
objects they receive are the cached ones: **read-only**, copy before changing.

What handlers see, as in client-go: a watch ADDED is ``on_add`` (or ``on_update`` if the key
was cached), MODIFIED ``on_update(old, new)``, DELETED ``on_delete(obj)``. After a relist,
new keys are ``on_add``, changed ones (another resourceVersion) ``on_update``, unchanged ones
nothing, and keys that vanished ``on_delete(DeletedFinalStateUnknown(key, last_state))``. A
periodic resync calls ``on_update(obj, obj)`` for every cached object.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from minikube_py.api.registry import ResourceType
from minikube_py.client.base import Client
from minikube_py.client.reflector import (
    MIN_WATCH_TIMEOUT,
    PAGE_SIZE,
    Backoff,
    ClientListerWatcher,
    ListerWatcher,
    Reflector,
)
from minikube_py.client.store import (
    NAMESPACE_INDEX,
    DeletedFinalStateUnknown,
    Indexer,
    Indexers,
    Lister,
    meta_namespace_index_func,
)
from minikube_py.util.tasks import TaskGroup

log = logging.getLogger(__name__)

Object = dict[str, Any]
OnAdd = Callable[[Object], None]
OnUpdate = Callable[[Object, Object], None]
OnDelete = Callable[[Object | DeletedFinalStateUnknown], None]
TransformFunc = Callable[[Object], Object]


def strip_managed_fields(obj: Object) -> Object:
    """A transform that drops ``metadata.managedFields``: controllers never read them, and
    they are a good part of every cached object (client-go users set the same transform)."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return obj


@dataclass(eq=False)
class ResourceEventHandlerRegistration:
    """One set of handlers (client-go's ``ResourceEventHandlerFuncs``); pass it to
    :meth:`SharedInformer.remove_event_handler` to stop receiving events."""

    on_add: OnAdd | None = None
    on_update: OnUpdate | None = None
    on_delete: OnDelete | None = None


def _rv(obj: Object) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


class SharedInformer:
    """A Reflector filling an :class:`Indexer`, and handlers told of every change (client-go's
    ``SharedIndexInformer``). Run it with :meth:`run`; end it with :meth:`stop`.

    ``transform`` (client-go's ``SetTransform``) may trim each object before it is cached,
    e.g. :func:`strip_managed_fields`; it must keep the name and namespace."""

    def __init__(self, lister_watcher: ListerWatcher, *, name: str = "informer",
                 resync_period: float = 0.0, indexers: Indexers | None = None,
                 page_size: int | None = PAGE_SIZE,
                 min_watch_timeout: float = MIN_WATCH_TIMEOUT,
                 backoff: Backoff | None = None,
                 transform: TransformFunc | None = None) -> None:
        self.name = name
        self.resync_period = resync_period  # seconds; 0 = no periodic resync
        self.indexer = Indexer(indexers)
        self.lister = Lister(self.indexer)
        self._handlers: list[ResourceEventHandlerRegistration] = []
        self._reflector = Reflector(lister_watcher, _Deltas(self), name=name,
                                    page_size=page_size, min_watch_timeout=min_watch_timeout,
                                    backoff=backoff, transform=transform)
        self._stopping = asyncio.Event()
        self._running = False

    # -- what controllers use --------------------------------------------------------------

    def add_event_handler(self, *, on_add: OnAdd | None = None,
                          on_update: OnUpdate | None = None,
                          on_delete: OnDelete | None = None,
                          ) -> ResourceEventHandlerRegistration:
        """Register handlers. If the cache already holds objects, ``on_add`` is called for
        each of them now (before this returns), so a late handler misses nothing."""
        registration = ResourceEventHandlerRegistration(on_add, on_update, on_delete)
        self._handlers.append(registration)
        if on_add is not None:
            for obj in self.indexer.list():
                self._call("on_add", on_add, obj)
        return registration

    def remove_event_handler(self, registration: ResourceEventHandlerRegistration) -> None:
        if registration in self._handlers:
            self._handlers.remove(registration)

    @property
    def has_synced(self) -> bool:
        """True once the first list is in the cache and its handlers have been called."""
        return self._reflector.has_synced

    async def wait_for_sync(self) -> None:
        await self._reflector.wait_for_sync()

    @property
    def last_sync_resource_version(self) -> str:
        return self._reflector.last_sync_resource_version

    def get_indexer(self) -> Indexer:
        return self.indexer

    def add_indexers(self, indexers: Indexers) -> None:
        """More indexes; unlike client-go this works after start too (indexed at once)."""
        self.indexer.add_indexers(indexers)

    async def run(self) -> None:
        """List, watch and resync until :meth:`stop` is called or the task is cancelled."""
        if self._running:
            raise RuntimeError(f"informer {self.name} is already running")
        self._running = True
        self._stopping.clear()
        tasks = TaskGroup(f"informer/{self.name}")
        tasks.spawn(self._reflector.run(), name="reflector")
        if self.resync_period > 0:
            tasks.spawn(self._resync_loop(), name="resync")
        try:
            await self._stopping.wait()
        finally:
            await tasks.stop()
            self._running = False

    def stop(self) -> None:
        self._stopping.set()

    def resync(self) -> None:
        """Call ``on_update(obj, obj)`` for every cached object (what the timer does)."""
        for obj in self.indexer.list():
            self._notify_update(obj, obj)

    async def _resync_loop(self) -> None:
        while True:
            await asyncio.sleep(self.resync_period)
            if self.has_synced:
                self.resync()

    # -- fan-out ---------------------------------------------------------------------------

    def _call(self, what: str, handler: Callable[..., None], *args: Any) -> None:
        try:
            handler(*args)
        except Exception:
            log.exception("informer %s: %s handler %r failed", self.name, what, handler)

    def _notify_add(self, obj: Object) -> None:
        for reg in tuple(self._handlers):
            if reg.on_add is not None:
                self._call("on_add", reg.on_add, obj)

    def _notify_update(self, old: Object, new: Object) -> None:
        for reg in tuple(self._handlers):
            if reg.on_update is not None:
                self._call("on_update", reg.on_update, old, new)

    def _notify_delete(self, obj: Object | DeletedFinalStateUnknown) -> None:
        for reg in tuple(self._handlers):
            if reg.on_delete is not None:
                self._call("on_delete", reg.on_delete, obj)


class _Deltas:
    """The Reflector's store: applies each change to the informer's cache, then tells the
    handlers (the part of client-go's DeltaFIFO + ``HandleDeltas`` we need in one thread)."""

    def __init__(self, informer: SharedInformer) -> None:
        self.informer = informer
        self.indexer = informer.indexer

    def add(self, obj: Object) -> None:
        old = self.indexer.get(obj)
        self.indexer.add(obj)
        if old is None:
            self.informer._notify_add(obj)
        else:
            self.informer._notify_update(old, obj)

    def update(self, obj: Object) -> None:
        self.add(obj)

    def delete(self, obj: Object) -> None:
        self.indexer.delete(obj)
        self.informer._notify_delete(obj)

    def replace(self, items: list[Object], resource_version: str) -> None:
        """After a (re)list: adds, changed objects as updates, unchanged ones silently, and
        the keys that vanished as deletes of their last known state."""
        fresh = set()
        for obj in items:
            key = self.indexer.key(obj)
            fresh.add(key)
            old = self.indexer.get_by_key(key)
            if old is not None and _rv(old) == _rv(obj) and _rv(obj):
                continue
            self.add(obj)
        for key in [k for k in self.indexer.list_keys() if k not in fresh]:
            last = self.indexer.get_by_key(key)
            assert last is not None
            self.indexer.delete(last)
            self.informer._notify_delete(DeletedFinalStateUnknown(key, last))
        self.indexer.resource_version = resource_version


async def wait_for_cache_sync(*informers: SharedInformer,
                              timeout: float | None = None) -> bool:  # noqa: ASYNC109
    """True once every informer has synced; False if ``timeout`` seconds pass first
    (client-go's ``cache.WaitForCacheSync``)."""
    try:
        await asyncio.wait_for(asyncio.gather(*(i.wait_for_sync() for i in informers)), timeout)
    except TimeoutError:
        return False
    return True


@dataclass(frozen=True)
class _InformerKey:
    group: str
    version: str
    plural: str
    namespace: str
    label_selector: str
    field_selector: str


class SharedInformerFactory:
    """Hands out one :class:`SharedInformer` per (resource, namespace, selectors) for the
    whole process (client-go's ``SharedInformerFactory``). Every informer it makes has the
    ``namespace`` index."""

    def __init__(self, client: Client, *, resync_period: float = 0.0,
                 transform: TransformFunc | None = None, name: str = "informers") -> None:
        self.client = client
        self.resync_period = resync_period
        self.transform = transform
        self._informers: dict[_InformerKey, SharedInformer] = {}
        self._tasks = TaskGroup(name)
        self._started: set[_InformerKey] = set()
        self._starting = False

    def informer_for(self, resource_type: ResourceType, *, namespace: str | None = None,
                     label_selector: str | None = None, field_selector: str | None = None,
                     indexers: Indexers | None = None) -> SharedInformer:
        """The informer of this resource (in one namespace, or all), made on first use; extra
        ``indexers`` are added to it. After :meth:`start`, a new informer starts at once."""
        key = _InformerKey(resource_type.group, resource_type.version, resource_type.plural,
                           namespace or "", label_selector or "", field_selector or "")
        informer = self._informers.get(key)
        if informer is None:
            lw = ClientListerWatcher(self.client, resource_type, namespace=namespace,
                                     label_selector=label_selector or "",
                                     field_selector=field_selector or "")
            informer = SharedInformer(lw, name=_name(key), resync_period=self.resync_period,
                                      indexers={NAMESPACE_INDEX: meta_namespace_index_func},
                                      transform=self.transform)
            self._informers[key] = informer
        if indexers:
            informer.add_indexers(indexers)
        if self._starting:
            self._start(key, informer)
        return informer

    @property
    def informers(self) -> list[SharedInformer]:
        return list(self._informers.values())

    def forget(self, resource_type: ResourceType) -> None:
        """Stop and drop the informers of a resource that is no longer served (a custom
        resource whose CRD went); a later :meth:`informer_for` makes a new one."""
        for key in [k for k in self._informers if (k.group, k.version, k.plural) ==
                    (resource_type.group, resource_type.version, resource_type.plural)]:
            self._informers.pop(key).stop()
            self._started.discard(key)

    def start(self) -> None:
        """Run every informer not yet running, each as a named guarded task."""
        self._starting = True
        for key, informer in self._informers.items():
            self._start(key, informer)

    def _start(self, key: _InformerKey, informer: SharedInformer) -> None:
        if key not in self._started:
            self._started.add(key)
            self._tasks.spawn(informer.run(), name=informer.name)

    async def wait_for_cache_sync(
            self, timeout: float | None = None) -> bool:  # noqa: ASYNC109 - client-go's name
        """True once every informer made so far has synced; False on timeout."""
        return await wait_for_cache_sync(*self._informers.values(), timeout=timeout)

    async def shutdown(self) -> None:
        """Stop every informer and wait for them to end."""
        self._starting = False
        for informer in self._informers.values():
            informer.stop()
        await self._tasks.stop()
        self._started.clear()


def _name(key: _InformerKey) -> str:
    name = f"{key.plural}.{key.group}" if key.group else key.plural
    if key.namespace:
        name += f"@{key.namespace}"
    for selector in (key.label_selector, key.field_selector):
        if selector:
            name += f"[{selector}]"
    return name
