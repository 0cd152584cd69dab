"""The compaction window (``--history``): parsing, the revision clock, and what compaction
keeps by time and by count; watches racing compaction get every event or a 410, never a gap;
SQLite gives the space of compacted history back to the file system."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from minikube_py.store.errors import Compacted
from minikube_py.store.history import History, HistoryError, RevisionClock
from minikube_py.store.memory import MemoryStorage
from minikube_py.store.revisioned import RevisionedStore
from minikube_py.store.sqlite import SqliteStorage
from tests.store.test_contract import cm
from tests.store.test_contract import store as store

PREFIX = "/registry/configmaps/default/"


@pytest.mark.parametrize(("text", "window", "revisions"), [
    pytest.param("5m", 300.0, None, id="minutes"),
    pytest.param("90s", 90.0, None, id="seconds"),
    pytest.param("1h30m", 5400.0, None, id="compound"),
    pytest.param("1.5h", 5400.0, None, id="fraction"),
    pytest.param("20000", None, 20000, id="revisions"),
    pytest.param("10m,50000", 600.0, 50000, id="both"),
    pytest.param("50000, 10m", 600.0, 50000, id="both-other-order"),
])
def test_history_parses(text: str, window: float | None, revisions: int | None) -> None:
    history = History.parse(text)
    assert (history.window, history.revisions) == (window, revisions)
    assert History.parse(history.flag()) == history


@pytest.mark.parametrize("text", [
    pytest.param("", id="empty"), pytest.param("5q", id="unit"), pytest.param("m5", id="order"),
    pytest.param("0", id="zero-revisions"), pytest.param("5m,6m", id="two-windows"),
    pytest.param("1,2", id="two-counts"), pytest.param("5m,", id="trailing-comma"),
    pytest.param("1,2,3", id="three"), pytest.param("-5", id="negative"),
])
def test_history_refuses(text: str) -> None:
    with pytest.raises(HistoryError, match="invalid history"):
        History.parse(text)


def test_revision_clock_never_claims_a_revision_too_new() -> None:
    """revision_at(t) is a revision committed at or before t (one sample a second)."""
    clock = RevisionClock(keep=60)
    committed: list[tuple[float, int]] = []
    rev = 0
    for step in range(400):  # 40 s of commits every 0.1 s
        now = 1000.0 + step * 0.1
        rev += 3
        committed.append((now, rev))
        clock.observe(rev, now)
    for when in (1000.0, 1005.05, 1020.0, 1039.9):
        truth = max((r for t, r in committed if t <= when), default=0)
        got = clock.revision_at(when)
        assert got <= truth and truth - got <= 3 * 11, (when, got, truth)
    assert clock.revision_at(999.0) == 0


def test_revision_clock_forgets_samples_past_its_window() -> None:
    clock = RevisionClock(keep=10)
    for second in range(1000):
        clock.observe(second, float(second))
    assert len(clock._times) <= 14


async def test_compaction_by_count_keeps_the_last_revisions() -> None:
    store = MemoryStorage(history=History(window=None, revisions=5))
    try:
        for i in range(12):
            await store.create(f"{PREFIX}c{i}", cm(f"c{i}"))
        assert await store.compact() == 7
        with pytest.raises(Compacted):
            await store.watch(PREFIX, 6)
        watcher = await store.watch(PREFIX, 7)
        events = [await asyncio.wait_for(anext(watcher), 1) for _ in range(5)]
        assert [e.rev for e in events] == [8, 9, 10, 11, 12]
        watcher.close()
    finally:
        await store.close()


async def test_compaction_by_time_keeps_the_window() -> None:
    """Revisions younger than the window are kept however many there are; older ones go."""
    now = [time.monotonic()]
    store = MemoryStorage(history=History(window=60.0, revisions=None))
    store.monotonic = lambda: now[0]
    try:
        for i in range(10):  # at t0
            await store.create(f"{PREFIX}old{i}", cm(f"old{i}"))
        now[0] += 30
        for i in range(10):  # at t0+30
            await store.create(f"{PREFIX}mid{i}", cm(f"mid{i}"))
        now[0] += 45  # t0+75: the first ten are older than the window, the next ten are not
        for i in range(10):
            await store.create(f"{PREFIX}new{i}", cm(f"new{i}"))
        assert await store.compact() == 10
        now[0] += 1000  # everything is old now but the newest sample's revisions
        assert await store.compact() >= 20
    finally:
        await store.close()


async def test_both_bounds_keep_the_smaller_history() -> None:
    now = [time.monotonic()]
    store = MemoryStorage(history=History(window=3600.0, revisions=4))
    store.monotonic = lambda: now[0]
    try:
        for i in range(10):
            await store.create(f"{PREFIX}c{i}", cm(f"c{i}"))
        assert await store.compact() == 6  # all within the hour, but only 4 revisions kept
    finally:
        await store.close()


async def test_compaction_never_takes_events_from_a_live_watcher(
        store: RevisionedStore) -> None:
    """A live watcher that has not read yet still gets every event after compaction passes
    them; a watch from before the compact revision is refused (410) instead of skipping."""
    base = store.revision
    watcher = await store.watch(PREFIX, base)
    for i in range(30):
        await store.create(f"{PREFIX}c{i}", cm(f"c{i}"))
    await store.compact(store.revision)
    events = [await asyncio.wait_for(anext(watcher), 2) for _ in range(30)]
    assert [e.rev - base for e in events] == list(range(1, 31))
    watcher.close()
    with pytest.raises(Compacted):
        await store.watch(PREFIX, base + 10)


async def test_a_replay_racing_compaction_is_410_not_a_gap(store: RevisionedStore,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """Compaction that lands while a watch reads its replay from the log makes the watch
    Compacted: it never starts with the history it read cut short."""
    for i in range(20):
        await store.create(f"{PREFIX}c{i}", cm(f"c{i}"))
    read = type(store)._log_after

    async def compacting_read(self: RevisionedStore, prefix: str, after: int) -> Any:
        events = await read(self, prefix, after)
        await self.compact(15)  # between the read and the watch's start
        return events

    monkeypatch.setattr(type(store), "_log_after", compacting_read)
    with pytest.raises(Compacted):
        await store.watch(PREFIX, 5)


async def test_list_at_pages_equal_slices_of_the_whole(store: RevisionedStore) -> None:
    """A page of a past revision (start key, limit) is exactly that slice of the whole list at
    that revision, through creates, updates and deletes on both sides of the page."""
    for i in range(40):
        await store.create(f"{PREFIX}c{i:02d}", cm(f"c{i:02d}", "then"))
    at = store.revision
    for i in range(0, 40, 3):
        await store.delete(f"{PREFIX}c{i:02d}")
    for i in range(1, 40, 4):
        if store.get(f"{PREFIX}c{i:02d}") is not None:
            await store.update(f"{PREFIX}c{i:02d}", cm(f"c{i:02d}", "now"))
    for i in range(10):
        await store.create(f"{PREFIX}c{i:02d}x", cm(f"c{i:02d}x"))
    whole = await store.list_at(PREFIX, at)
    assert [e.key for e in whole] == [f"{PREFIX}c{i:02d}" for i in range(40)]
    assert all(e.decode()["data"]["k"] == "then" for e in whole)
    for limit in (1, 7, 50):
        for start_at in (0, 5, 13, 39):
            start = whole[start_at].key
            page = await store.list_at(PREFIX, at, start, limit)
            assert [e.value for e in page] == [e.value for e in whole[start_at:start_at + limit]]


async def _churn(store: SqliteStorage, rounds: int, n: int) -> None:
    for i in range(n):
        await store.create(f"{PREFIX}c{i}", cm(f"c{i}", "x" * 2000))
    for r in range(rounds):
        await asyncio.gather(*(store.update(f"{PREFIX}c{i}", cm(f"c{i}", str(r) * 2000))
                               for i in range(n)))


async def test_sqlite_gives_compacted_space_back(tmp_path: Path) -> None:
    """After churn, compaction returns the log's pages to the file system and truncates the
    WAL: the file shrinks to about the live data plus the kept window."""
    store = await SqliteStorage.open(tmp_path / "state.db", synchronous="NORMAL",
                                     history=History(window=None, revisions=100))
    try:
        await _churn(store, rounds=8, n=300)
        grown = store.stats.db_bytes
        assert grown is not None and grown > 6_000_000
        await store.compact()
        await store.compact()  # a second pass gives back what the first's bound left
        stats = store.stats
        assert stats.db_bytes is not None and stats.db_bytes < grown / 3
        assert stats.wal_bytes == 0
        assert stats.objects == 300
    finally:
        await store.close()
    conn = sqlite3.connect(tmp_path / "state.db")
    try:
        assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
        assert conn.execute("PRAGMA page_size").fetchone()[0] == 8192
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] < 100
    finally:
        conn.close()


async def test_an_old_store_is_converted_to_incremental_vacuum(tmp_path: Path) -> None:
    """A store file made without auto_vacuum is switched over at open, its data intact."""
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE objects (key TEXT PRIMARY KEY, value BLOB NOT NULL,
                              create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL);
        CREATE TABLE log (rev INTEGER PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL,
                          value BLOB NOT NULL, prev_value BLOB);
        CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    """)
    conn.execute("INSERT INTO objects VALUES (?, ?, 1, 1)",
                 (f"{PREFIX}a", b'{"metadata":{"name":"a","resourceVersion":"1"}}'))
    conn.commit()
    assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    conn.close()
    store = await SqliteStorage.open(path, synchronous="NORMAL")
    try:
        assert store.revision == 1 and store.get(f"{PREFIX}a") is not None
    finally:
        await store.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
    finally:
        conn.close()
