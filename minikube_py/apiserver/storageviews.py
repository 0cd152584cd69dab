"""A second version of stored objects: the store seen through a kind's conversion pair.

Kubernetes stores an object in one version (its storage version) and serves it in every
version of its resource, converting on the way in and out; events.k8s.io/v1 Events are the
core/v1 Events of ``/registry/events``. Here a :class:`ResourceType` with ``stored_as`` names
the type it shares keys with, and its strategy's ``to_shared_storage`` /
``from_shared_storage`` convert (custom resources' versions are ``conversion.py``'s).

:class:`ConvertingStorage` is the :class:`Storage` the REST layer (``rest.py``, through
:class:`StorageViews`) and watches (``watch.py``) use for such a type: every entry, watch
event and guaranteed-update decision passes through the pair, so a get, list, watch, create,
update, patch, apply or delete through either version sees the same objects, and nothing
else in the request path knows there are two.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from minikube_py.api.resource import ResourceType
from minikube_py.store.interface import Decision, Entry, Keep, Storage, StoreStats, TryUpdate, Write
from minikube_py.store.watch import Event, Watcher
from minikube_py.util import jsonutil

Convert = Callable[[dict[str, Any]], dict[str, Any]]


def _bytes(value: bytes, convert: Convert) -> bytes:
    return jsonutil.dumps(convert(jsonutil.loads(value)))


class ConvertedWatcher(Watcher):
    """The events of another watcher, each object (and its previous state) converted."""

    def __init__(self, inner: Watcher, convert: Convert) -> None:
        # Not the base's state: every read goes to ``inner``; only iteration's buffer here.
        self._inner = inner
        self._convert = convert
        self._ready: deque[Event] = deque()
        self.last_rev = inner.last_rev

    def _event(self, event: Event) -> Event:
        prev = _bytes(event.prev, self._convert) if event.prev is not None else None
        return Event(event.rev, event.type, event.key, _bytes(event.value, self._convert), prev)

    async def next_batch(self, wait: float | None) -> list[Event] | None:
        batch = await self._inner.next_batch(wait)
        if batch is None:
            return None
        self.last_rev = self._inner.last_rev
        return [self._event(e) for e in batch]

    def pending(self) -> int:
        return self._inner.pending() + len(self._ready)

    def close(self) -> None:
        self._inner.close()


class ConvertingStorage:
    """The stored objects of ``rt.storage_type`` in ``rt``'s version (a :class:`Storage`)."""

    def __init__(self, store: Storage, rt: ResourceType) -> None:
        self.inner = store
        self.rt = rt
        self.on_commit = store.on_commit  # the inner store's hooks (raw, unconverted events)
        self._out: Convert = rt.strategy.from_shared_storage
        self._in: Convert = rt.strategy.to_shared_storage

    def _entry(self, entry: Entry) -> Entry:
        return Entry(entry.key, _bytes(entry.value, self._out), entry.create_rev, entry.mod_rev)

    # -- reads -------------------------------------------------------------------------------

    @property
    def revision(self) -> int:
        return self.inner.revision

    @property
    def compact_revision(self) -> int:
        return self.inner.compact_revision

    @property
    def stats(self) -> StoreStats:
        return self.inner.stats

    def get(self, key: str) -> Entry | None:
        entry = self.inner.get(key)
        return self._entry(entry) if entry is not None else None

    def list_prefix(self, prefix: str, start: str = "",
                    limit: int | None = None) -> tuple[list[Entry], int]:
        entries, rev = self.inner.list_prefix(prefix, start, limit)
        return [self._entry(e) for e in entries], rev

    def count(self, prefix: str, start: str = "") -> int:
        return self.inner.count(prefix, start)

    def lookup(self, prefix: str, index: str, values: Iterable[str]) -> list[Entry] | None:
        found = self.inner.lookup(prefix, index, values)
        return [self._entry(e) for e in found] if found is not None else None

    def register_index(self, name: str, prefix: str,
                       func: Callable[[dict[str, Any]], Iterable[str]]) -> None:
        self.inner.register_index(name, prefix, lambda obj: func(self._out(obj)))

    async def list_at(self, prefix: str, revision: int, start: str = "",
                      limit: int | None = None) -> list[Entry]:
        return [self._entry(e) for e in await self.inner.list_at(prefix, revision, start,
                                                                    limit)]

    async def sync(self, within: float) -> bool:
        return await self.inner.sync(within)

    async def wait_for_revision(self, revision: int, within: float) -> bool:
        return await self.inner.wait_for_revision(revision, within)

    async def watch(self, prefix: str, after: int) -> Watcher:
        return ConvertedWatcher(await self.inner.watch(prefix, after), self._out)

    # -- writes ------------------------------------------------------------------------------

    def check_size(self, obj: dict[str, Any], key: str = "") -> None:
        self.inner.check_size(self._in(jsonutil.copy(obj)), key)

    async def create(self, key: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self._out(await self.inner.create(key, self._in(obj)))

    async def guaranteed_update(self, key: str, try_update: TryUpdate, *,
                                retry: bool = True, create: bool = False) -> dict[str, Any]:
        kept: list[dict[str, Any]] = []

        async def converted(entry: Entry | None) -> Decision:
            kept.clear()
            decision = await try_update(self._entry(entry) if entry is not None else None)
            if isinstance(decision, Keep):
                kept.append(decision.obj)  # answered as it is: already in our version
                return decision
            if isinstance(decision, Write):
                return Write(self._in(decision.obj))
            return decision

        result = await self.inner.guaranteed_update(key, converted, retry=retry,
                                                    create=create)
        if kept and result is kept[0]:
            return result
        return self._out(result)

    async def compact(self, revision: int | None = None) -> int:
        return await self.inner.compact(revision)

    async def backup(self, dest: Any) -> None:
        await self.inner.backup(dest)

    async def close(self) -> None:
        """The view owns nothing: the store is closed by its owner."""


class StorageViews:
    """``views(rt)``: the store as ``rt`` sees it: the store itself, or for a second version
    of another type's objects (``rt.stored_as``) its converting view, made once."""

    def __init__(self, store: Storage) -> None:
        self.store = store
        self._views: dict[tuple[str, str, str], ConvertingStorage] = {}

    def __call__(self, rt: ResourceType) -> Storage:
        if rt.stored_as is None:
            return self.store
        key = (rt.group, rt.version, rt.plural)
        view = self._views.get(key)
        if view is None:
            view = ConvertingStorage(self.store, rt)
            self._views[key] = view
        return view
