"""The read side every storage backend shares: the in-memory index of current objects (the
watch cache), watches (replay from the backend's log, then live from the broadcaster),
revision waiters, consistent reads, the object size limit and the guaranteed-update loop.

Who decides revisions is the backend's business: ``RevisionedStore`` (``revisioned.py``:
SQLite, memory) is its data's only writer and decides them in its writer task;
``EtcdStorage`` (``etcd.py``) takes etcd's, since other apiservers write the same etcd, and
feeds this cache from an etcd watch. Either way committed changes enter through
:meth:`CachedStore._publish`, strictly in revision order.

Reads are served from memory, so a get or list never waits on the disk or the network.
Values are kept as encoded JSON; decoding is how each reader gets its own copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from minikube_py.store.errors import (
    Compacted,
    KeyExists,
    KeyNotFound,
    RevisionMismatch,
    TooManyAttempts,
    ValueTooLarge,
)
from minikube_py.store.history import History, RevisionClock
from minikube_py.store.index import IndexFunc, ObjectIndex
from minikube_py.store.interface import (
    CommitHook,
    Entry,
    Keep,
    Remove,
    StoreStats,
    TryUpdate,
    Write,
)
from minikube_py.store.watch import Broadcaster, Event, Watcher
from minikube_py.util import jsonutil

log = logging.getLogger(__name__)

MAX_VALUE_BYTES = 1536 * 1024  # per object, as etcd's default --max-request-bytes (1.5 MiB)
MAX_ATTEMPTS = 1000  # of a guaranteed update; each round one of the racing writers wins


class CachedStore(ABC):
    """The shared read side; a backend adds the writes, compaction and past reads."""

    def __init__(self, *, history: History | None = None) -> None:
        self.history = history or History()
        self.monotonic = time.monotonic  # the clock of the history window (tests set it)
        self._clock = RevisionClock(keep=self.history.window or 0.0)
        self._index = ObjectIndex()
        self._rev = 0
        self._compact_rev = 0
        self._closed = False
        self.broadcaster = Broadcaster()
        self.batches = 0  # committed batches, for metrics and tests of group commit
        self.on_commit: list[CommitHook] = []
        self.max_value_bytes = MAX_VALUE_BYTES
        self._revision_waiters: list[tuple[int, asyncio.Future[None]]] = []

    # -- the backend ---------------------------------------------------------------------------

    @abstractmethod
    async def create(self, key: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Create if absent (else ``KeyExists``); the stored object, after commit."""

    @abstractmethod
    async def update(self, key: str, obj: dict[str, Any], *,
                     expected_rev: int | None = None) -> dict[str, Any]:
        """Replace the object at ``key``; with ``expected_rev``, only if its mod revision is
        still that one (compare-and-swap; else :class:`RevisionMismatch`)."""

    @abstractmethod
    async def delete(self, key: str, *, expected_rev: int | None = None) -> dict[str, Any]:
        """Delete ``key``; returns the last state, stamped with the deletion's revision."""

    @abstractmethod
    async def compact(self, revision: int | None = None) -> int:
        """Forget history at or below ``revision`` (default: what :attr:`history` no longer
        keeps); the new compact revision."""

    @abstractmethod
    async def list_at(self, prefix: str, revision: int, start: str = "",
                      limit: int | None = None) -> list[Entry]:
        """Entries under ``prefix`` from ``start`` on as they were at ``revision``."""

    @abstractmethod
    async def _log_after(self, prefix: str, after: int) -> list[Event]:
        """Logged events under ``prefix`` with revision > ``after``, oldest first."""

    @abstractmethod
    async def close(self) -> None:
        """Stop taking writes, let queued ones commit, close watchers."""

    @abstractmethod
    async def backup(self, dest: Any) -> None:
        """A consistent copy of the whole store at ``dest`` (a snapshot file)."""

    @property
    def writer_error(self) -> str | None:
        """Why writes cannot be served (for health checks); None while they can."""
        return None

    def _publish(self, rev: int, events: list[Event]) -> None:
        """Committed changes up to ``rev`` are in the index: wake the waiters, then hand
        ``events`` to the watchers and hooks (strictly in revision order, after commit)."""
        self._rev = max(self._rev, rev)
        self._clock.observe(self._rev, self.monotonic())
        for waited, future in self._revision_waiters:
            if waited <= self._rev and not future.done():
                future.set_result(None)
        if not events:
            return
        self.broadcaster.publish(events)
        for hook in self.on_commit:
            try:
                hook(events)
            except Exception:  # an observer's bug must not stop the store
                log.exception("store on_commit hook failed")

    # -- reads (from memory) -----------------------------------------------------------------

    @property
    def revision(self) -> int:
        return self._rev

    @property
    def compact_revision(self) -> int:
        return self._compact_rev

    @property
    def stats(self) -> StoreStats:
        db_bytes, wal_bytes = self._disk_usage()
        return StoreStats(self._rev, self._compact_rev, self.batches, self.broadcaster.watchers,
                          self.broadcaster.dropped, self.writer_error, len(self._index),
                          db_bytes, wal_bytes)

    def _disk_usage(self) -> tuple[int | None, int | None]:
        """Bytes of the database and of its write-ahead log (None: not on disk)."""
        return None, None

    def get(self, key: str) -> Entry | None:
        return self._index.get(key)

    def list_prefix(self, prefix: str, start: str = "",
                    limit: int | None = None) -> tuple[list[Entry], int]:
        return self._index.prefix(prefix, start, limit), self._rev

    def count(self, prefix: str, start: str = "") -> int:
        return self._index.count(prefix, start)

    def lookup(self, prefix: str, index: str, values: Iterable[str]) -> list[Entry] | None:
        """Current entries under ``prefix`` whose index holds any of ``values``, in key
        order (``labels`` indexes ``key=value`` and ``key``); None without such an index."""
        return self._index.lookup(prefix, index, values)

    def register_index(self, name: str, prefix: str, func: IndexFunc) -> None:
        """Index the objects under ``prefix`` as ``name`` by ``func`` (built on first use)."""
        self._index.register(name, prefix, func)

    async def wait_for_revision(self, revision: int, within: float) -> bool:
        if self._rev >= revision:
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiter = (revision, future)
        self._revision_waiters.append(waiter)
        try:
            await asyncio.wait_for(future, within)
            return True
        except TimeoutError:
            return self._rev >= revision
        finally:
            with contextlib.suppress(ValueError):
                self._revision_waiters.remove(waiter)

    async def sync(self, within: float) -> bool:
        """Reads are current already: this store is its data's only writer."""
        return True

    def check_size(self, obj: dict[str, Any], key: str = "") -> None:
        size = len(jsonutil.dumps(obj))
        if size > self.max_value_bytes:
            raise ValueTooLarge(key, size, self.max_value_bytes)

    # -- writes ------------------------------------------------------------------------------

    async def guaranteed_update(self, key: str, try_update: TryUpdate, *,
                                retry: bool = True, create: bool = False) -> dict[str, Any]:
        for _ in range(MAX_ATTEMPTS):
            entry = self.get(key)
            if entry is None and not create:
                raise KeyNotFound(key)
            decision = await try_update(entry)
            try:
                if isinstance(decision, Keep):
                    return decision.obj
                if isinstance(decision, Remove):
                    if entry is None:
                        raise KeyNotFound(key)
                    return await self.delete(key, expected_rev=entry.mod_rev)
                assert isinstance(decision, Write)
                if entry is None:
                    return await self.create(key, decision.obj)
                return await self.update(key, decision.obj, expected_rev=entry.mod_rev)
            # The entry changed, appeared or went since it was read: decide again.
            except RevisionMismatch:
                if not retry:
                    raise
            except KeyExists:
                continue
            except KeyNotFound:
                if not create:
                    raise
        raise TooManyAttempts(key)

    # -- watch -------------------------------------------------------------------------------

    async def watch(self, prefix: str, after: int) -> Watcher:
        """Events under ``prefix`` with revision > ``after``: replayed from the log, then live.

        Raises :class:`Compacted` if the log no longer holds revision ``after + 1``.
        """
        if after < self._compact_rev:
            raise Compacted(after, self._compact_rev)
        sub = self.broadcaster.subscribe(prefix)  # subscribe before replay: no gap
        try:
            replay = await self._log_after(prefix, after) if after < self._rev else []
            if after < self._compact_rev:  # compacted while we read
                raise Compacted(after, self._compact_rev)
        except BaseException:
            self.broadcaster.unsubscribe(sub)
            raise
        return Watcher(self.broadcaster, sub, replay, after)
