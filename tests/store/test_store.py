"""The revisioned SQLite store: CAS, group commit, watch replay, compaction, snapshots."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from minikube_py.store.errors import Compacted, KeyExists, KeyNotFound, RevisionMismatch
from minikube_py.store.sqlite import SqliteStorage as Store
from minikube_py.store.sqlite import restore_file
from minikube_py.store.watch import ADDED, DELETED, MODIFIED


@pytest.fixture
async def store(tmp_path: Path):
    s = await Store.open(tmp_path / "state.db", synchronous="NORMAL")
    yield s
    await s.close()


def cm(name: str, value: str = "v") -> dict:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
            "data": {"k": value}}


async def test_create_stamps_resource_version_and_rejects_duplicates(store: Store) -> None:
    """A create gets the next revision as resourceVersion; a second create is KeyExists."""
    first = await store.create("/registry/configmaps/default/a", cm("a"))
    assert first["metadata"]["resourceVersion"] == "1"
    assert store.revision == 1
    with pytest.raises(KeyExists):
        await store.create("/registry/configmaps/default/a", cm("a"))
    assert store.revision == 1, "a failed write must not consume a revision"


@pytest.mark.parametrize("expected, ok", [
    pytest.param(1, True, id="current-revision-succeeds"),
    pytest.param(0, False, id="stale-revision-conflicts"),
    pytest.param(None, True, id="no-precondition-succeeds"),
])
async def test_compare_and_swap(store: Store, expected: int | None, ok: bool) -> None:
    """An update with an expected revision succeeds only if the object still has it."""
    key = "/registry/configmaps/default/a"
    await store.create(key, cm("a"))
    if ok:
        updated = await store.update(key, cm("a", "new"), expected_rev=expected)
        assert updated["metadata"]["resourceVersion"] == "2"
        assert store.get(key).decode()["data"]["k"] == "new"
    else:
        with pytest.raises(RevisionMismatch):
            await store.update(key, cm("a", "new"), expected_rev=expected)
        assert store.get(key).decode()["data"]["k"] == "v"


async def test_update_and_delete_of_missing_key(store: Store) -> None:
    """Updating or deleting an absent key is KeyNotFound and writes nothing."""
    with pytest.raises(KeyNotFound):
        await store.update("/registry/configmaps/default/x", cm("x"))
    with pytest.raises(KeyNotFound):
        await store.delete("/registry/configmaps/default/x")
    assert store.revision == 0


async def test_delete_with_stale_precondition_keeps_object(store: Store) -> None:
    """A delete with a stale revision precondition conflicts and leaves the object."""
    key = "/registry/configmaps/default/a"
    await store.create(key, cm("a"))
    await store.update(key, cm("a", "2"))
    with pytest.raises(RevisionMismatch):
        await store.delete(key, expected_rev=1)
    last = await store.delete(key, expected_rev=2)
    assert last["metadata"]["resourceVersion"] == "3"
    assert store.get(key) is None


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
    entries, rev = store.list("/registry/configmaps/default/")
    assert len(entries) == n and rev == n
    assert store.batches < n, "concurrent writes should share transactions"
    reopened = await Store.open(store.path)
    try:
        assert reopened.revision == n
        assert len(reopened.list("/registry/configmaps/")[0]) == n
    finally:
        await reopened.close()


async def test_watch_resumes_from_old_revision_without_loss_or_repeat(store: Store) -> None:
    """A watch from an old revision replays the log, then continues live, each event once."""
    prefix = "/registry/configmaps/default/"
    for i in range(10):
        await store.create(f"{prefix}c{i}", cm(f"c{i}"))
    watcher = await store.watch(prefix, 4)
    got: list[int] = []

    async def consume() -> None:
        async for event in watcher:
            got.append(event.rev)
            if event.rev == 30:
                return

    task = asyncio.create_task(consume())
    # Live writes race the replay on purpose.
    for i in range(10, 30):
        await store.create(f"{prefix}c{i}", cm(f"c{i}"))
    await asyncio.wait_for(task, 5)
    watcher.close()
    assert got == list(range(5, 31))


async def test_watch_event_types_and_prefix(store: Store) -> None:
    """A watch sees ADDED, MODIFIED, DELETED for its prefix only; DELETED carries the last state."""
    watcher = await store.watch("/registry/configmaps/ns1/", store.revision)
    await store.create("/registry/configmaps/ns2/x", cm("x"))
    await store.create("/registry/configmaps/ns1/a", cm("a"))
    await store.update("/registry/configmaps/ns1/a", cm("a", "2"))
    await store.delete("/registry/configmaps/ns1/a")
    events = [await asyncio.wait_for(watcher.__anext__(), 2) for _ in range(3)]
    watcher.close()
    assert [e.type for e in events] == [ADDED, MODIFIED, DELETED]
    assert events[2].object["data"]["k"] == "2"
    assert events[2].object["metadata"]["resourceVersion"] == str(events[2].rev)


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
        keys = [e.key for e in restored.list("/registry/configmaps/")[0]]
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


async def test_unencodable_write_fails_alone(store: Store) -> None:
    """An object that cannot be encoded fails its own write; the batch around it and every
    later write still commit."""
    from minikube_py.store.errors import Unencodable

    good = store.create("/registry/configmaps/default/a", cm("a"))
    bad = store.create("/registry/configmaps/default/b", {"metadata": {}, "data": {1: "x"}})
    results = await asyncio.gather(good, bad, return_exceptions=True)
    assert isinstance(results[1], Unencodable)
    assert results[0]["metadata"]["resourceVersion"] == "1"
    later = await store.create("/registry/configmaps/default/c", cm("c"))
    assert later["metadata"]["resourceVersion"] == "2"
    assert store.writer_error is None
