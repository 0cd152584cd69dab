"""The revisioned SQLite store: CAS, group commit, watch replay, compaction, snapshots."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from minikube_py.store.errors import Compacted
from minikube_py.store.sqlite import SqliteStorage as Store
from minikube_py.store.sqlite import restore_file


@pytest.fixture
async def store(tmp_path: Path):
    s = await Store.open(tmp_path / "state.db", synchronous="NORMAL")
    yield s
    await s.close()


def cm(name: str, value: str = "v") -> dict:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
            "data": {"k": value}}


async def test_group_commit_64_writers_gap_free(store: Store) -> None:
    """64 concurrent writers: every write committed, revisions 1..N with no gap, fewer
    transactions than writes."""
    n = 64 * 8

    async def writer(i: int) -> list[int]:
        revs = []
        for j in range(8):
            obj = await store.create(f"/registry/configmaps/default/w{i}-{j}", cm(f"w{i}-{j}"))
            revs.append(int(obj["metadata"]["resourceVersion"]))
        return revs

    results = await asyncio.gather(*(writer(i) for i in range(64)))
    revs = sorted(r for rs in results for r in rs)
    assert revs == list(range(1, n + 1))
    entries, rev = store.list_prefix("/registry/configmaps/default/")
    assert len(entries) == n and rev == n
    assert store.batches < n, "concurrent writes should share transactions"
    reopened = await Store.open(store.path)
    try:
        assert reopened.revision == n
        assert len(reopened.list_prefix("/registry/configmaps/")[0]) == n
    finally:
        await reopened.close()


async def test_watch_from_compacted_revision_is_gone(store: Store) -> None:
    """After compaction, a watch from before the compact revision raises Compacted; one from
    the compact revision still works."""
    for i in range(20):
        await store.create(f"/registry/configmaps/default/c{i}", cm(f"c{i}"))
    compacted = await store.compact(15)
    assert compacted == 15
    with pytest.raises(Compacted):
        await store.watch("/registry/configmaps/", 3)
    watcher = await store.watch("/registry/configmaps/", 15)
    first = await asyncio.wait_for(watcher.__anext__(), 2)
    watcher.close()
    assert first.rev == 16
    reopened_rev = store.revision
    await store.close()
    again = await Store.open(store.path)
    try:
        assert again.compact_revision == 15
        assert again.revision == reopened_rev
        with pytest.raises(Compacted):
            await again.watch("/registry/configmaps/", 10)
    finally:
        await again.close()


async def test_snapshot_round_trip(store: Store, tmp_path: Path) -> None:
    """A backup restored in place of the store brings back exactly the state at backup time."""
    for i in range(5):
        await store.create(f"/registry/configmaps/default/c{i}", cm(f"c{i}"))
    snapshot = tmp_path / "snap.db"
    await store.backup(snapshot)
    await store.delete("/registry/configmaps/default/c0")
    await store.create("/registry/configmaps/default/late", cm("late"))
    db_path = store.path
    await store.close()
    assert restore_file(snapshot, db_path) == 5
    restored = await Store.open(db_path)
    try:
        keys = [e.key for e in restored.list_prefix("/registry/configmaps/")[0]]
        assert keys == [f"/registry/configmaps/default/c{i}" for i in range(5)]
        assert restored.revision == 5
    finally:
        await restored.close()


def test_restore_rejects_a_file_that_is_not_a_snapshot(tmp_path: Path) -> None:
    """Restoring from a non-snapshot file fails clearly and leaves the store untouched."""
    bogus = tmp_path / "bogus.db"
    bogus.write_text("not sqlite at all" * 100)
    target = tmp_path / "state.db"
    target.write_bytes(b"original")
    with pytest.raises(ValueError, match="not"):
        restore_file(bogus, target)
    assert target.read_bytes() == b"original"


