"""The revisioned core of the backends that are their data's only writer (SQLite, memory):
group commit and revisions decided here, on the shared read side of ``cache.py``.

A backend persists what this core decides (a subclass implements :meth:`_persist`,
:meth:`_log_after`, :meth:`_log_undo`, :meth:`_drop_log`): ``SqliteStorage`` writes a
transaction per batch, ``MemoryStorage`` keeps its log in a list.

Writes go through one queue to one writer task. The writer takes everything queued, checks
each operation's precondition against the state as the batch has left it, and persists the
batch as one unit (group commit). A caller's future resolves only after that: nothing
acknowledged is lost. Then the batch's events go to the broadcaster, strictly in revision
order, and only after they are durable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from minikube_py.store import versioner
from minikube_py.store.cache import CachedStore
from minikube_py.store.errors import (
    Compacted,
    KeyExists,
    KeyNotFound,
    RevisionMismatch,
    StoreClosed,
    Unencodable,
    ValueTooLarge,
)
from minikube_py.store.history import History
from minikube_py.store.interface import Entry
from minikube_py.store.watch import ADDED, DELETED, MODIFIED, Event
from minikube_py.util import jsonutil
from minikube_py.util.tasks import spawn

log = logging.getLogger(__name__)

MAX_BATCH = 1024


@dataclass(eq=False)
class _Op:
    op: str  # "create" | "update" | "delete" | "compact" | "stop"
    key: str
    obj: dict[str, Any] | None
    expected_rev: int | None
    future: asyncio.Future[Any]


@dataclass
class Batch:
    """What one commit persists: rows of the objects table and of the log."""

    upserts: list[tuple[str, bytes, int, int]]
    deletes: list[str]
    events: list[Event]


class RevisionedStore(CachedStore):
    """The writer's core; see the module docstring. Start the writer with :meth:`_start`."""

    def __init__(self, *, history: History | None = None) -> None:
        super().__init__(history=history)
        self._queue: asyncio.Queue[_Op] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    # -- backend ------------------------------------------------------------------------------

    @abstractmethod
    async def _persist(self, batch: Batch) -> None:
        """Make ``batch`` durable as one unit, or raise (nothing of it is then applied)."""

    @abstractmethod
    async def _log_undo(self, prefix: str, after: int) -> list[tuple[str, bytes | None]]:
        """(key, value before the change) of every change under ``prefix`` after ``after``,
        newest first (None: the change created the key)."""

    @abstractmethod
    async def _drop_log(self, upto: int) -> None:
        """Forget log rows at or below ``upto`` and record the new compact revision."""

    @abstractmethod
    async def _reclaim(self) -> None:
        """Give space freed by compaction back (after each compaction, between writes)."""

    def _start(self, *, revision: int, compact_revision: int,
               entries: Iterable[Entry]) -> None:
        self._index.load(entries)
        self._rev = revision
        self._compact_rev = compact_revision
        # What the log holds from before this start counts as committed now (kept a window).
        self._clock.observe(revision, self.monotonic())
        self._writer = spawn(self._write_loop(), name="store/writer")

    async def _stop_writer(self) -> None:
        """Stop taking writes, let queued ones commit, close watchers."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._queue.put_nowait(_Op("stop", "", None, None,
                                       asyncio.get_running_loop().create_future()))
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer
        self.broadcaster.close_all()

    async def list_at(self, prefix: str, revision: int, start: str = "",
                      limit: int | None = None) -> list[Entry]:
        """Entries under ``prefix`` from ``start`` on as they were at ``revision``: today's
        state with every later change undone from the log. A page costs its length plus the
        changes since ``revision``, not the size of the prefix.

        Entries restored from the log carry ``create_rev`` and ``mod_rev`` 0 (the log keeps
        the bytes, not the revisions); their resourceVersion is inside the bytes."""
        if revision < self._compact_rev:
            raise Compacted(revision, self._compact_rev)
        then: dict[str, bytes | None] = {}  # key -> its value at ``revision`` (None: absent)
        for key, prev in await self._log_undo(prefix, revision):  # newest first: oldest wins
            then[key] = prev
        if revision < self._compact_rev:  # compacted while we read
            raise Compacted(revision, self._compact_rev)
        start = max(prefix, start)
        changed = sorted(k for k in then if k >= start)
        out: list[Entry] = []
        i = 0
        for entry in self._index.iter_prefix(prefix, start):
            while i < len(changed) and changed[i] <= entry.key:
                key = changed[i]
                i += 1
                if (value := then[key]) is not None:
                    out.append(Entry(key, value, 0, 0))
                if limit is not None and len(out) >= limit:
                    return out
            if entry.key not in then:
                out.append(entry)
            if limit is not None and len(out) >= limit:
                return out
        for key in changed[i:]:  # existed then, deleted since, after every current key
            if (value := then[key]) is not None:
                out.append(Entry(key, value, 0, 0))
                if limit is not None and len(out) >= limit:
                    break
        return out

    # -- writes ------------------------------------------------------------------------------

    async def create(self, key: str, obj: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self._submit("create", key, obj, None)
        return result

    async def update(self, key: str, obj: dict[str, Any], *,
                     expected_rev: int | None = None) -> dict[str, Any]:
        """Replace the object at ``key``; with ``expected_rev``, only if its mod revision is
        still that one (compare-and-swap; else :class:`RevisionMismatch`)."""
        result: dict[str, Any] = await self._submit("update", key, obj, expected_rev)
        return result

    async def delete(self, key: str, *, expected_rev: int | None = None) -> dict[str, Any]:
        """Delete ``key``; returns the last state, stamped with the deletion's revision."""
        result: dict[str, Any] = await self._submit("delete", key, None, expected_rev)
        return result

    async def compact(self, revision: int | None = None) -> int:
        """Drop log rows at or below ``revision`` (default: what the :attr:`history` window
        no longer keeps). Returns the new compact revision."""
        target = revision if revision is not None else self.history.compact_target(
            self._rev, self._clock, self.monotonic())
        result: int = await self._submit("compact", "", None, max(target, 0))
        return result

    async def _submit(self, op: str, key: str, obj: dict[str, Any] | None,
                      expected_rev: int | None) -> Any:
        if self._closed:
            raise StoreClosed("store is closed")
        if self._writer is not None and self._writer.done():
            raise StoreClosed("store writer is not running")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Op(op, key, obj, expected_rev, future))
        return await future

    @property
    def writer_error(self) -> str | None:
        """Why the writer is not running (for health checks); None while it is."""
        if self._writer is None or not self._writer.done() or self._closed:
            return None
        if self._writer.cancelled():
            return "store writer was cancelled"
        return f"store writer crashed: {self._writer.exception()!r}"

    async def _write_loop(self) -> None:
        batch: list[_Op] = []
        try:
            while True:
                op = await self._queue.get()
                batch = [op]
                while len(batch) < MAX_BATCH and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                stop = any(o.op == "stop" for o in batch)
                writes = [o for o in batch if o.op not in ("stop", "compact")]
                try:
                    if writes:
                        await self._commit(writes)
                    for o in batch:
                        if o.op == "compact":
                            await self._run_compaction(o)
                except Exception as exc:  # a bug: fail this batch, keep serving the next
                    log.exception("store writer: batch failed")
                    _fail(batch, StoreClosed(f"write failed: {exc!r}"))
                if stop:
                    _fail(batch, None)
                    return
                batch = []
        finally:
            # Whatever ends the writer, no caller waits forever on a write it will not do.
            _fail(batch, StoreClosed("store writer stopped"))
            while not self._queue.empty():
                _fail([self._queue.get_nowait()], StoreClosed("store writer stopped"))

    async def _commit(self, ops: list[_Op]) -> None:
        """Apply one batch: check preconditions, persist as one unit, then publish."""
        overlay: dict[str, Entry | None] = {}
        rev = self._rev
        batch = Batch([], [], [])
        done: list[tuple[_Op, dict[str, Any]]] = []
        for op in ops:
            current = overlay[op.key] if op.key in overlay else self.get(op.key)
            error = _precondition(op, current)
            if error is None:
                try:
                    obj, value = _encode(op, current, rev + 1)
                except (TypeError, ValueError) as exc:  # not JSON: refuse this op only
                    error = Unencodable(f"{op.key}: {exc}")
            if error is None and op.op != "delete" and len(value) > self.max_value_bytes:
                error = ValueTooLarge(op.key, len(value), self.max_value_bytes)
            if error is not None:
                if not op.future.done():
                    op.future.set_exception(error)
                continue
            rev += 1
            if op.op == "delete":
                assert current is not None
                overlay[op.key] = None
                batch.deletes.append(op.key)
                batch.events.append(Event(rev, DELETED, op.key, value, current.value))
            else:
                create_rev = rev if current is None else current.create_rev
                overlay[op.key] = Entry(op.key, value, create_rev, rev)
                batch.upserts.append((op.key, value, create_rev, rev))
                batch.events.append(Event(rev, ADDED if current is None else MODIFIED, op.key,
                                          value, None if current is None else current.value))
            done.append((op, obj))
        if not done:
            return
        try:
            await self._persist(batch)
        except Exception as exc:  # disk full, I/O error: nothing of this batch is acknowledged
            log.error("store commit failed: %r", exc)
            for op, _ in done:
                if not op.future.done():
                    op.future.set_exception(StoreClosed(f"commit failed: {exc}"))
            return
        self.batches += 1
        written = {op.key: obj for op, obj in done}
        for key, entry in overlay.items():
            if entry is None:
                self._index.remove(key)
            else:
                self._index.put(entry, written.get(key))
        for op, result in done:
            if not op.future.done():
                op.future.set_result(result)
        # Events leave strictly in revision order, and only after they are durable.
        self._publish(rev, batch.events)

    async def _run_compaction(self, op: _Op) -> None:
        target = min(int(op.expected_rev or 0), self._rev)
        if target > self._compact_rev:
            # Raise the floor first: a watch or past read that runs concurrently re-checks it.
            previous, self._compact_rev = self._compact_rev, target
            try:
                await self._drop_log(target)
            except Exception as exc:
                self._compact_rev = previous
                op.future.set_exception(exc)
                return
        try:
            await self._reclaim()
        except Exception:  # space comes back at the next compaction; writes go on
            log.exception("store: giving back free space failed")
        op.future.set_result(self._compact_rev)


def _fail(batch: list[_Op], error: Exception | None) -> None:
    """Resolve every unresolved future of ``batch``: with ``error``, or None for a stop."""
    for op in batch:
        if op.future.done():
            continue
        if error is None or op.op == "stop":
            op.future.set_result(None)
        else:
            op.future.set_exception(error)


def _precondition(op: _Op, current: Entry | None) -> Exception | None:
    if op.op == "create":
        return KeyExists(op.key) if current is not None else None
    if current is None:
        return KeyNotFound(op.key)
    if op.expected_rev is not None and op.expected_rev != current.mod_rev:
        return RevisionMismatch(op.key, op.expected_rev, current.mod_rev)
    return None


def _encode(op: _Op, current: Entry | None, rev: int) -> tuple[dict[str, Any], bytes]:
    """The object to store, stamped with ``rev``, and its bytes."""
    obj = current.decode() if op.op == "delete" and current is not None else op.obj
    assert obj is not None
    versioner.stamp(obj, rev)
    return obj, jsonutil.dumps(obj)
