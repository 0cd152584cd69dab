"""The durable storage backend (the role etcd plays in Kubernetes): SQLite in WAL mode.

Two tables written in one transaction per batch: ``objects`` (current state, loaded into
memory at open) and ``log`` (one row per change, for watches and reads at past revisions),
plus ``meta`` (compact revision, revision floor). The shared core (``revisioned.py``) decides
what a batch holds; this module makes it durable, reads the log back, and compacts it.

One connection writes (owned by the writer task, between whose transactions compaction and
checkpoints run); a second, read-only one replays the log for watches, so a slow replay never
holds up writes.

The disk follows the live data: compaction (what :class:`~minikube_py.store.history.History`
no longer keeps) deletes log rows, then gives their pages back to the file system
(``auto_vacuum=INCREMENTAL``, a bounded ``incremental_vacuum`` per compaction) and checkpoints
the WAL with TRUNCATE, so the WAL shrinks to nothing when no replay holds it; otherwise
``journal_size_limit`` bounds what a checkpoint leaves. ``close`` checkpoints the same way.

Only the apiserver reaches this module (ARCHITECTURE.md: the apiserver is the store's only
door).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from pathlib import Path

import aiosqlite

from minikube_py.store.history import History
from minikube_py.store.index import prefix_end
from minikube_py.store.interface import Entry
from minikube_py.store.revisioned import Batch, RevisionedStore
from minikube_py.store.snapshotfile import SCHEMA
from minikube_py.store.watch import Event

log = logging.getLogger(__name__)

LOAD_MMAP_BYTES = 1 << 30
# A log row holds an object twice (value and value before): ~2.2 KiB for a 1 KiB ConfigMap,
# one to a 4 KiB page (45 % empty) but three to an 8 KiB one: the DB after churn is 30 %
# smaller (bench_scale), writes no slower. A store made with other pages keeps them.
PAGE_SIZE = 8192
JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024  # what a checkpoint leaves of the WAL, at most
VACUUM_PAGES = 32_768  # pages (of 8 KiB) given back per compaction, at most: 256 MiB
VACUUM_STEP = 1_024  # pages per step (~50 ms here); writes that wait end the steps



class SqliteStorage(RevisionedStore):
    """Open with :meth:`open`; close with :meth:`close`."""

    def __init__(self, path: Path, db: aiosqlite.Connection, reader: aiosqlite.Connection,
                 *, history: History | None) -> None:
        super().__init__(history=history)
        self.path = path
        self._db = db
        self._reader = reader

    @classmethod
    async def open(cls, path: str | Path, *, synchronous: str = "FULL",
                   history: History | None = None) -> SqliteStorage:
        """Open (creating if needed) the store at ``path``.

        ``synchronous=FULL`` fsyncs each commit (power-loss safe); ``NORMAL`` is safe against a
        crashed process but not a crashed machine. ``history`` is how much log compaction
        keeps.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        # Both take effect on a new file only (before its first table).
        await db.execute(f"PRAGMA page_size={PAGE_SIZE}")
        await db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute(f"PRAGMA synchronous={synchronous}")
        await db.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
        await db.executescript(SCHEMA)
        await _ensure_incremental_vacuum(db, path)
        reader = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        store = cls(path, db, reader, history=history)
        await store._load()
        return store

    async def _load(self) -> None:
        # One read of the whole table, in storage order (the index sorts in memory), through
        # a memory map while it lasts: a third of the time of reads through the page cache.
        await self._db.execute(f"PRAGMA mmap_size={LOAD_MMAP_BYTES}")
        try:
            async with self._db.execute(
                    "SELECT key, value, create_rev, mod_rev FROM objects") as cur:
                rows = await cur.fetchall()
        finally:
            await self._db.execute("PRAGMA mmap_size=0")  # not counted in RSS for good
        entries = list(map(Entry._make, rows))
        max_mod = max((e.mod_rev for e in entries), default=0)
        async with self._db.execute("SELECT max(rev) FROM log") as cur:
            row = await cur.fetchone()
            max_log = (row[0] if row else None) or 0
        async with self._db.execute("SELECT name, value FROM meta") as cur:
            meta = {name: value async for name, value in cur}
        compact = int(meta.get("compact_rev", 0))
        self._start(revision=max(max_log, max_mod, compact, int(meta.get("rev_floor", 0))),
                    compact_revision=compact, entries=entries)

    async def close(self) -> None:
        """Stop taking writes, let queued ones commit, close watchers and connections."""
        if self._closed:
            return
        await self._stop_writer()
        await self._reader.close()
        with contextlib.suppress(sqlite3.Error):  # the next open starts from a short WAL
            await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        await self._db.close()

    def _disk_usage(self) -> tuple[int | None, int | None]:
        sizes: list[int | None] = []
        for name in (str(self.path), f"{self.path}-wal"):
            try:
                sizes.append(os.stat(name).st_size)
            except OSError:
                sizes.append(0)
        return sizes[0], sizes[1]

    # -- the backend of the revisioned core --------------------------------------------------

    async def _persist(self, batch: Batch) -> None:
        try:
            await self._db.execute("BEGIN IMMEDIATE")
            if batch.upserts:
                await self._db.executemany(
                    "INSERT INTO objects(key, value, create_rev, mod_rev) VALUES (?,?,?,?) "
                    "ON CONFLICT(key) DO UPDATE SET value=excluded.value, "
                    "mod_rev=excluded.mod_rev", batch.upserts)
            if batch.deletes:
                await self._db.executemany("DELETE FROM objects WHERE key=?",
                                           [(k,) for k in batch.deletes])
            await self._db.executemany(
                "INSERT INTO log(rev, type, key, value, prev_value) VALUES (?,?,?,?,?)",
                [(e.rev, e.type, e.key, e.value, e.prev) for e in batch.events])
            await self._db.execute("COMMIT")
        except Exception:
            with contextlib.suppress(Exception):
                await self._db.execute("ROLLBACK")
            raise

    async def _log_after(self, prefix: str, after: int) -> list[Event]:
        replay: list[Event] = []
        async with self._reader.execute(
                "SELECT rev, type, key, value, prev_value FROM log "
                "WHERE rev > ? AND key >= ? AND key < ? ORDER BY rev",
                (after, prefix, prefix_end(prefix))) as cur:
            async for rev, typ, key, value, prev in cur:
                replay.append(Event(rev, typ, key, bytes(value),
                                    bytes(prev) if prev is not None else None))
        return replay

    async def _log_undo(self, prefix: str, after: int) -> list[tuple[str, bytes | None]]:
        undo: list[tuple[str, bytes | None]] = []
        async with self._reader.execute(
                "SELECT key, prev_value FROM log WHERE rev > ? AND key >= ? AND key < ? "
                "ORDER BY rev DESC", (after, prefix, prefix_end(prefix))) as cur:
            async for key, prev in cur:
                undo.append((key, bytes(prev) if prev is not None else None))
        return undo

    async def _drop_log(self, upto: int) -> None:
        try:
            await self._db.execute("BEGIN IMMEDIATE")
            await self._db.execute("DELETE FROM log WHERE rev <= ?", (upto,))
            await self._db.execute(
                "INSERT INTO meta(name, value) VALUES ('compact_rev', ?), ('rev_floor', ?) "
                "ON CONFLICT(name) DO UPDATE SET value=excluded.value", (upto, self._rev))
            await self._db.execute("COMMIT")
        except Exception:
            with contextlib.suppress(Exception):
                await self._db.execute("ROLLBACK")
            raise

    async def _reclaim(self) -> None:
        """Free pages back to the file system, then the WAL truncated. On the writer's
        connection between its transactions, in steps that stop while writes are waiting:
        what is left goes back at the next compaction."""
        started = time.perf_counter()
        given = 0
        while given < VACUUM_PAGES:
            async with self._db.execute("PRAGMA freelist_count") as cur:
                row = await cur.fetchone()
            free = int(row[0]) if row else 0
            if not free:
                break
            step = min(free, VACUUM_STEP, VACUUM_PAGES - given)
            # As a script: run to its end (a plain execute steps it once: one page).
            await self._db.executescript(f"PRAGMA incremental_vacuum({step});")
            given += step
            if not self._queue.empty():
                break
        # TRUNCATE waits for no one: with a replay reading, it checkpoints what it can and
        # journal_size_limit bounds the file instead.
        with contextlib.suppress(sqlite3.OperationalError):
            await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if given:
            log.debug("compaction gave back %d free pages in %.0f ms", given,
                      (time.perf_counter() - started) * 1000)

    # -- snapshots ---------------------------------------------------------------------------

    async def backup(self, dest: str | Path) -> None:
        """A consistent copy of the whole store at ``dest`` (SQLite online backup)."""
        await asyncio.to_thread(backup_file, self.path, Path(dest))


async def _ensure_incremental_vacuum(db: aiosqlite.Connection, path: Path) -> None:
    """A store made before free pages were given back: switch it over (one VACUUM)."""
    async with db.execute("PRAGMA auto_vacuum") as cur:
        row = await cur.fetchone()
    if row is not None and int(row[0]) != 2:
        log.info("converting %s to incremental vacuum (once)", path)
        await db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        await db.execute("VACUUM")


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
