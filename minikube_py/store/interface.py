"""The storage seam: what the apiserver's REST layer may ask of a store (Kubernetes'
``storage.Interface``; kine's contract).

Keys are ``/registry/{resource}/{namespace}/{name}``; values are JSON objects whose
``metadata.resourceVersion`` the store stamps with the revision of their last write. One
global revision orders every change. Implementations: ``sqlite.SqliteStorage`` (the default,
durable), ``memory.MemoryStorage`` (tests, ``--storage memory``) and ``etcd.EtcdStorage``
(``--storage etcd://...``: etcd decides revisions, the core is its watch cache), all on the
revisioned core of ``revisioned.py`` and held to one contract test suite
(``tests/store/test_contract.py``).

Writes other than a plain create go through :meth:`Storage.guaranteed_update`: the store
reads the current entry, asks the caller's function what to do with it (a
:class:`Decision`), and writes with compare-and-swap, asking again when a concurrent write
got there first (Kubernetes' GuaranteedUpdate). Errors are the few of ``errors.py``; the
apiserver turns them into API errors at one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from minikube_py.store.watch import Event, Watcher
from minikube_py.util import jsonutil


class Entry(NamedTuple):
    """The stored state of one key (a named tuple: made from a row at no cost)."""

    key: str
    value: bytes
    create_rev: int
    mod_rev: int

    def decode(self) -> dict[str, Any]:
        """A private copy of the object (decoding the stored bytes)."""
        result: dict[str, Any] = jsonutil.loads(self.value)
        return result


@dataclass(frozen=True)
class Write:
    """Store this object (create it, if there was no entry)."""

    obj: dict[str, Any]


@dataclass(frozen=True)
class Remove:
    """Delete the entry."""


@dataclass(frozen=True)
class Keep:
    """Write nothing; answer with this object (no change, or a dry run)."""

    obj: dict[str, Any]


Decision = Write | Remove | Keep
TryUpdate = Callable[[Entry | None], Awaitable[Decision]]
CommitHook = Callable[[list[Event]], None]


class Storage(Protocol):
    """A revisioned key-value store of JSON objects with watches."""

    #: Called with each committed batch of events, in revision order (on etcd: every
    #: apiserver's writes, as this store's watch delivers them).
    on_commit: list[CommitHook]

    @property
    def revision(self) -> int:
        """The revision of the last committed write."""
        ...

    @property
    def compact_revision(self) -> int:
        """Watches and past reads must start at or after this revision."""
        ...

    def get(self, key: str) -> Entry | None:
        """The current entry of ``key`` (from memory: never waits)."""
        ...

    def list_prefix(self, prefix: str, start: str = "",
                    limit: int | None = None) -> tuple[list[Entry], int]:
        """Current entries under ``prefix`` from key ``start`` on (``limit`` at most), in
        key order, and the revision they are at (found by bisection: a page costs its
        length)."""
        ...

    def count(self, prefix: str, start: str = "") -> int:
        ...

    def lookup(self, prefix: str, index: str, values: Iterable[str]) -> list[Entry] | None:
        """Current entries under ``prefix`` whose ``index`` holds any of ``values``, in key
        order; None when no such index is registered. ``labels`` is always there."""
        ...

    def register_index(self, name: str, prefix: str,
                       func: Callable[[dict[str, Any]], Iterable[str]]) -> None:
        """Index the objects under ``prefix`` by ``func`` as ``name``."""
        ...

    async def list_at(self, prefix: str, revision: int, start: str = "",
                      limit: int | None = None) -> list[Entry]:
        """Entries under ``prefix`` from ``start`` on (``limit`` at most) as they were at
        ``revision``, in key order (``Compacted`` if gone)."""
        ...

    async def wait_for_revision(self, revision: int, within: float) -> bool:
        """Wait up to ``within`` seconds for ``revision`` to be committed."""
        ...

    async def sync(self, within: float) -> bool:
        """Wait up to ``within`` seconds until reads reflect every write committed anywhere
        before this call (a consistent read: at once on a store that is its own only
        writer; on etcd, its current revision reached by this cache)."""
        ...

    async def create(self, key: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Create if absent (else ``KeyExists``); the stored object, after commit."""
        ...

    async def guaranteed_update(self, key: str, try_update: TryUpdate, *,
                                retry: bool = True, create: bool = False) -> dict[str, Any]:
        """Read, decide, compare-and-swap; again on a concurrent change when ``retry``
        (else ``RevisionMismatch``). ``create`` lets ``try_update`` see a missing entry
        (None); otherwise a missing key is ``KeyNotFound``. Returns the resulting object."""
        ...

    def check_size(self, obj: dict[str, Any], key: str = "") -> None:
        """``ValueTooLarge`` if ``obj`` would not be stored (for dry runs)."""
        ...

    async def watch(self, prefix: str, after: int) -> Watcher:
        """Events under ``prefix`` after revision ``after``: replayed, then live."""
        ...

    async def compact(self, revision: int | None = None) -> int:
        ...

    async def backup(self, dest: Any) -> None:
        """A consistent copy of the whole store at ``dest`` (a path)."""
        ...

    async def close(self) -> None:
        ...

    @property
    def stats(self) -> StoreStats:
        ...


@dataclass(frozen=True)
class StoreStats:
    """Figures for metrics and health."""

    revision: int
    compact_revision: int
    batches: int
    watchers: int
    dropped_watchers: int
    writer_error: str | None
    objects: int = 0
    db_bytes: int | None = None  # the database file (a durable backend only)
    wal_bytes: int | None = None  # its write-ahead log

