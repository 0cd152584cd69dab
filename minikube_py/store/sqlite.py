"""The revisioned object store (the role etcd plays in Kubernetes), on SQLite in WAL mode.

Two tables written in one transaction: ``objects`` (current state, for reads and lists) and
``log`` (one row per change, for watches). One global revision counts every change; an
object's ``metadata.resourceVersion`` is the revision of its last write.

Writes go through one queue to one writer task that owns the write connection. The writer takes
everything queued, checks each operation's precondition against the state as the batch has left
it, and commits the batch as one transaction (group commit). A caller's future resolves only
after that commit: nothing acknowledged is lost, even to SIGKILL. Then the batch's events go to
the broadcaster, in revision order.

Reads are served from an in-memory copy of ``objects`` (loaded at open, updated after each
commit), so a get or list never waits on the disk. Values are kept as encoded JSON; decoding
is how each reader gets its own copy.

Only the apiserver calls this module (ARCHITECTURE.md: the apiserver is the store's only door).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from minikube_py.store.errors import (
    Compacted,
    KeyExists,
    KeyNotFound,
    RevisionMismatch,
    StoreClosed,
    Unencodable,
    ValueTooLarge,
)
from minikube_py.store.watch import ADDED, DELETED, MODIFIED, Broadcaster, Event, Watcher
from minikube_py.util import jsonutil
from minikube_py.util.tasks import spawn

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    create_rev INTEGER NOT NULL,
    mod_rev INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS log (
    rev INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    prev_value BLOB
);
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""

MAX_BATCH = 1024
MAX_VALUE_BYTES = 1536 * 1024  # per object, as etcd's default --max-request-bytes (1.5 MiB)


@dataclass(frozen=True)
class Entry:
    """The stored state of one key."""

    key: str
    value: bytes
    create_rev: int
    mod_rev: int

    def decode(self) -> dict[str, Any]:
        result: dict[str, Any] = jsonutil.loads(self.value)
        return result


@dataclass(eq=False)
class _Op:
    kind: str  # "create" | "update" | "delete" | "compact"
    key: str
    obj: dict[str, Any] | None
    expected_rev: int | None
    future: asyncio.Future[Any]


def bucket_of(key: str) -> str:
    """``/registry/pods/ns/name`` -> ``pods``: the in-memory index groups keys per resource."""
    parts = key.split("/", 3)
    return parts[2] if len(parts) > 2 else ""


class Store:
    """Open with :meth:`open`; close with :meth:`close`."""

    def __init__(self, path: Path, db: aiosqlite.Connection, reader: aiosqlite.Connection,
                 *, retain: int) -> None:
        self.path = path
        self._db = db
        self._reader = reader
        self._retain = retain
        self._buckets: dict[str, dict[str, Entry]] = {}
        self._rev = 0
        self._compact_rev = 0
        self._queue: asyncio.Queue[_Op] = asyncio.Queue()
        self._closed = False
        self.broadcaster = Broadcaster()
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # committed transactions, for metrics and tests of group commit
        self.on_commit: list[Callable[[list[Event]], None]] = []
        self.max_value_bytes = MAX_VALUE_BYTES
        self._revision_waiters: list[tuple[int, asyncio.Future[None]]] = []

    # -- life cycle --------------------------------------------------------------------------

    @classmethod
    async def open(cls, path: str | Path, *, synchronous: str = "FULL",
                   retain: int = 10_000) -> Store:
        """Open (creating if needed) the store at ``path``.

        ``synchronous=FULL`` fsyncs each commit (power-loss safe); ``NORMAL`` is safe against a
        crashed process but not a crashed machine. ``retain`` is how many revisions of log the
        compactor keeps.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute(f"PRAGMA synchronous={synchronous}")
        await db.executescript(SCHEMA)
        reader = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        store = cls(path, db, reader, retain=retain)
        await store._load()
        store._writer = spawn(store._write_loop(), name="store/writer")
        return store

    async def _load(self) -> None:
        max_mod = 0
        async with self._db.execute(
                "SELECT key, value, create_rev, mod_rev FROM objects") as cur:
            async for key, value, create_rev, mod_rev in cur:
                entry = Entry(key, bytes(value), create_rev, mod_rev)
                self._buckets.setdefault(bucket_of(key), {})[key] = entry
                max_mod = max(max_mod, mod_rev)
        async with self._db.execute("SELECT max(rev) FROM log") as cur:
            row = await cur.fetchone()
            max_log = (row[0] if row else None) or 0
        async with self._db.execute("SELECT name, value FROM meta") as cur:
            meta = {name: value async for name, value in cur}
        self._compact_rev = int(meta.get("compact_rev", 0))
        self._rev = max(max_log, max_mod, self._compact_rev, int(meta.get("rev_floor", 0)))

    async def close(self) -> None:
        """Stop taking writes, let queued ones commit, close watchers and connections."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._queue.put_nowait(_Op("stop", "", None, None,
                                       asyncio.get_running_loop().create_future()))
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer
        self.broadcaster.close_all()
        await self._reader.close()
        await self._db.close()

    # -- reads (from memory) -----------------------------------------------------------------

    @property
    def revision(self) -> int:
        """The revision of the last committed write."""
        return self._rev

    @property
    def compact_revision(self) -> int:
        """Watches must start at or after this revision."""
        return self._compact_rev

    def get_entry(self, key: str) -> Entry | None:
        return self._buckets.get(bucket_of(key), {}).get(key)

    def get(self, key: str) -> dict[str, Any] | None:
        entry = self.get_entry(key)
        return entry.decode() if entry else None

    def list_entries(self, prefix: str) -> tuple[list[Entry], int]:
        """Entries under ``prefix`` sorted by key, and the revision they were read at."""
        bucket = self._buckets.get(bucket_of(prefix), {})
        entries = [e for k, e in bucket.items() if k.startswith(prefix)]
        entries.sort(key=lambda e: e.key)
        return entries, self._rev

    async def list_at(self, prefix: str, revision: int) -> list[Entry]:
        """Entries under ``prefix`` as they were at ``revision``, sorted by key: today's state
        with every later change undone from the log, newest first. Raises
        :class:`Compacted` once the log no longer holds what came after ``revision``.

        Entries restored from the log carry ``create_rev`` and ``mod_rev`` 0 (the log keeps
        the bytes, not the revisions); their resourceVersion is inside the bytes."""
        if revision < self._compact_rev:
            raise Compacted(revision, self._compact_rev)
        state = {e.key: e for e in self.list_entries(prefix)[0]}
        async with self._reader.execute(
                "SELECT key, prev_value FROM log WHERE rev > ? AND key >= ? AND key < ? "
                "ORDER BY rev DESC", (revision, prefix, _prefix_end(prefix))) as cur:
            async for key, prev in cur:
                if prev is None:
                    state.pop(key, None)  # created after ``revision``
                else:
                    state[key] = Entry(key, bytes(prev), 0, 0)
        if revision < self._compact_rev:  # compacted while we read
            raise Compacted(revision, self._compact_rev)
        return sorted(state.values(), key=lambda e: e.key)

    async def wait_for_revision(self, revision: int, within: float) -> bool:
        """Wait until the store has committed ``revision`` (True), or ``within`` seconds pass
        (False). Woken by the commit itself, not by polling."""
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

    def check_size(self, obj: dict[str, Any], key: str = "") -> None:
        """Raise :class:`ValueTooLarge` if ``obj`` would not be stored (for dry runs)."""
        size = len(jsonutil.dumps(obj))
        if size > self.max_value_bytes:
            raise ValueTooLarge(key, size, self.max_value_bytes)

    # -- writes (through the writer) ---------------------------------------------------------

    async def create(self, key: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Create ``obj`` at ``key`` if absent (else :class:`KeyExists`); returns it stamped
        with its resourceVersion, after commit."""
        return await self._submit("create", key, obj, None)  # type: ignore[no-any-return]

    async def update(self, key: str, obj: dict[str, Any], *,
                     expected_rev: int | None = None) -> dict[str, Any]:
        """Replace the object at ``key``; with ``expected_rev``, only if its mod revision is
        still that one (compare-and-swap; else :class:`RevisionMismatch`)."""
        return await self._submit("update", key, obj, expected_rev)  # type: ignore[no-any-return]

    async def delete(self, key: str, *, expected_rev: int | None = None) -> dict[str, Any]:
        """Delete ``key`` (with an optional revision precondition); returns the last state,
        stamped with the deletion's revision."""
        return await self._submit("delete", key, None, expected_rev)  # type: ignore[no-any-return]

    async def compact(self, revision: int | None = None) -> int:
        """Drop log rows at or below ``revision`` (default: all but the last ``retain``
        revisions) and checkpoint the WAL. Returns the new compact revision."""
        target = revision if revision is not None else self._rev - self._retain
        return await self._submit("compact", "", None, max(target, 0))  # type: ignore[no-any-return]

    async def _submit(self, kind: str, key: str, obj: dict[str, Any] | None,
                      expected_rev: int | None) -> Any:
        if self._closed:
            raise StoreClosed("store is closed")
        if self._writer is not None and self._writer.done():
            raise StoreClosed("store writer is not running")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Op(kind, key, obj, expected_rev, future))
        return await future

    async def _write_loop(self) -> None:
        batch: list[_Op] = []
        try:
            while True:
                op = await self._queue.get()
                batch = [op]
                while len(batch) < MAX_BATCH and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                stop = any(o.kind == "stop" for o in batch)
                writes = [o for o in batch if o.kind not in ("stop", "compact")]
                try:
                    if writes:
                        await self._commit(writes)
                    for o in batch:
                        if o.kind == "compact":
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

    @property
    def writer_error(self) -> str | None:
        """Why the writer is not running (for health checks); None while it is."""
        if self._writer is None or not self._writer.done() or self._closed:
            return None
        if self._writer.cancelled():
            return "store writer was cancelled"
        return f"store writer crashed: {self._writer.exception()!r}"

    async def _commit(self, batch: list[_Op]) -> None:
        """Apply one batch: check preconditions, write in one transaction, then publish."""
        overlay: dict[str, Entry | None] = {}
        rev = self._rev
        upserts: list[tuple[str, bytes, int, int]] = []
        deletes: list[tuple[str]] = []
        log_rows: list[tuple[int, str, str, bytes, bytes | None]] = []
        events: list[Event] = []
        done: list[tuple[_Op, dict[str, Any]]] = []
        for op in batch:
            current = overlay[op.key] if op.key in overlay else self.get_entry(op.key)
            error = _precondition(op, current)
            if error is not None:
                if not op.future.done():
                    op.future.set_exception(error)
                continue
            try:
                encoded = self._encode(op, current, rev + 1)
            except (TypeError, ValueError) as exc:  # not JSON-encodable: refuse this op only
                if not op.future.done():
                    op.future.set_exception(Unencodable(f"{op.key}: {exc}"))
                continue
            if op.kind != "delete" and len(encoded[1]) > self.max_value_bytes:
                if not op.future.done():
                    op.future.set_exception(
                        ValueTooLarge(op.key, len(encoded[1]), self.max_value_bytes))
                continue
            rev += 1
            if op.kind == "delete":
                assert current is not None
                last, value = encoded
                overlay[op.key] = None
                deletes.append((op.key,))
                events.append(Event(rev, DELETED, op.key, value, current.value))
                done.append((op, last))
            else:
                assert op.obj is not None
                value = encoded[1]
                create_rev = rev if current is None else current.create_rev
                overlay[op.key] = Entry(op.key, value, create_rev, rev)
                upserts.append((op.key, value, create_rev, rev))
                events.append(Event(rev, ADDED if current is None else MODIFIED, op.key, value,
                                    None if current is None else current.value))
                done.append((op, op.obj))
            log_rows.append((rev, events[-1].type, op.key, events[-1].value, events[-1].prev))
        if not done:
            return
        try:
            await self._db.execute("BEGIN IMMEDIATE")
            if upserts:
                await self._db.executemany(
                    "INSERT INTO objects(key, value, create_rev, mod_rev) VALUES (?,?,?,?) "
                    "ON CONFLICT(key) DO UPDATE SET value=excluded.value, "
                    "mod_rev=excluded.mod_rev", upserts)
            if deletes:
                await self._db.executemany("DELETE FROM objects WHERE key=?", deletes)
            await self._db.executemany(
                "INSERT INTO log(rev, type, key, value, prev_value) VALUES (?,?,?,?,?)", log_rows)
            await self._db.execute("COMMIT")
        except Exception as exc:  # disk full, I/O error: nothing of this batch is acknowledged
            log.error("store commit failed: %r", exc)
            with contextlib.suppress(Exception):
                await self._db.execute("ROLLBACK")
            for op, _ in done:
                if not op.future.done():
                    op.future.set_exception(StoreClosed(f"commit failed: {exc}"))
            return
        self.batches += 1
        for key, entry in overlay.items():
            bucket = self._buckets.setdefault(bucket_of(key), {})
            if entry is None:
                bucket.pop(key, None)
            else:
                bucket[key] = entry
        self._rev = rev
        for op, result in done:
            if not op.future.done():
                op.future.set_result(result)
        for waited, future in self._revision_waiters:
            if waited <= rev and not future.done():
                future.set_result(None)
        # Events leave strictly in revision order, and only after their commit.
        self.broadcaster.publish(events)
        for hook in self.on_commit:
            try:
                hook(events)
            except Exception:  # an observer's bug must not stop the writer
                log.exception("store on_commit hook failed")

    @staticmethod
    def _encode(op: _Op, current: Entry | None, rev: int) -> tuple[dict[str, Any], bytes]:
        """The object to store, stamped with ``rev``, and its bytes."""
        obj = current.decode() if op.kind == "delete" and current is not None else op.obj
        assert obj is not None
        obj.setdefault("metadata", {})["resourceVersion"] = str(rev)
        return obj, jsonutil.dumps(obj)

    async def _run_compaction(self, op: _Op) -> None:
        target = min(int(op.expected_rev or 0), self._rev)
        if target <= self._compact_rev:
            op.future.set_result(self._compact_rev)
            return
        # Raise the floor first: a watch that replays concurrently re-checks it afterwards.
        self._compact_rev = target
        try:
            await self._db.execute("BEGIN IMMEDIATE")
            await self._db.execute("DELETE FROM log WHERE rev <= ?", (target,))
            await self._db.execute(
                "INSERT INTO meta(name, value) VALUES ('compact_rev', ?), ('rev_floor', ?) "
                "ON CONFLICT(name) DO UPDATE SET value=excluded.value", (target, self._rev))
            await self._db.execute("COMMIT")
        except Exception as exc:
            with contextlib.suppress(Exception):
                await self._db.execute("ROLLBACK")
            op.future.set_exception(exc)
            return
        # On the writer's own connection, between its transactions; PASSIVE never waits for
        # readers, so writes are not stalled by a slow watch replay.
        with contextlib.suppress(sqlite3.OperationalError):
            await self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        op.future.set_result(target)

    # -- watch -------------------------------------------------------------------------------

    async def watch(self, prefix: str, after: int) -> Watcher:
        """Events under ``prefix`` with revision > ``after``: replayed from the log, then live.

        Raises :class:`Compacted` if the log no longer holds revision ``after + 1``.
        """
        if after < self._compact_rev:
            raise Compacted(after, self._compact_rev)
        sub = self.broadcaster.subscribe(prefix)  # subscribe before replay: no gap
        try:
            replay: list[Event] = []
            if after < self._rev:
                end = _prefix_end(prefix)
                async with self._reader.execute(
                        "SELECT rev, type, key, value, prev_value FROM log "
                        "WHERE rev > ? AND key >= ? AND key < ? ORDER BY rev",
                        (after, prefix, end)) as cur:
                    async for rev, typ, key, value, prev in cur:
                        replay.append(Event(rev, typ, key, bytes(value),
                                            bytes(prev) if prev is not None else None))
            if after < self._compact_rev:  # compacted while we read
                raise Compacted(after, self._compact_rev)
        except BaseException:
            self.broadcaster.unsubscribe(sub)
            raise
        return Watcher(self.broadcaster, sub, replay, after)

    # -- snapshots ---------------------------------------------------------------------------

    async def backup(self, dest: str | Path) -> None:
        """A consistent copy of the whole store at ``dest`` (SQLite online backup)."""
        await asyncio.to_thread(backup_file, self.path, Path(dest))


def _fail(batch: list[_Op], error: Exception | None) -> None:
    """Resolve every unresolved future of ``batch``: with ``error``, or None for a stop."""
    for op in batch:
        if op.future.done():
            continue
        if error is None or op.kind == "stop":
            op.future.set_result(None)
        else:
            op.future.set_exception(error)


def _precondition(op: _Op, current: Entry | None) -> Exception | None:
    if op.kind == "create":
        return KeyExists(op.key) if current is not None else None
    if current is None:
        return KeyNotFound(op.key)
    if op.expected_rev is not None and op.expected_rev != current.mod_rev:
        return RevisionMismatch(op.key, op.expected_rev, current.mod_rev)
    return None


def _prefix_end(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "\U0010ffff"


def backup_file(src: Path, dest: Path) -> None:
    """Copy the SQLite database at ``src`` to ``dest`` with the online backup API."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    tmp.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    target = sqlite3.connect(tmp)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    tmp.replace(dest)


def restore_file(snapshot: Path, db_path: Path) -> int:
    """Put ``snapshot`` in place as the store at ``db_path`` (the daemon must be stopped).

    Checks that the file is a store snapshot first; returns its revision.
    """
    try:
        conn = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if not {"objects", "log", "meta"} <= tables:
                raise ValueError(f"{snapshot} is not a minikube-py store snapshot")
            rev = max(conn.execute("SELECT coalesce(max(rev), 0) FROM log").fetchone()[0],
                      conn.execute("SELECT coalesce(max(mod_rev), 0) FROM objects").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise ValueError(f"{snapshot} is not a SQLite database: {exc}") from exc
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    backup_file(snapshot, db_path)
    return int(rev)
