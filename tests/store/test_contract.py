"""The storage contract, held against every backend: the same tests on SQLite, in memory and
on a real etcd (started once for the module on loopback; each test starts from an empty
``/registry/``). Revisions are counted from where the store starts (etcd's first is 1).

Create-if-absent, compare-and-swap, guaranteed updates and their retries, reads at past
revisions, waiting for a revision, the object size limit, and watches (replay then live, each
event once, in revision order) behave identically whichever backend holds the data.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from minikube_py.store.cache import CachedStore
from minikube_py.store.errors import (
    Compacted,
    KeyExists,
    KeyNotFound,
    RevisionMismatch,
    ValueTooLarge,
)
from minikube_py.store.etcd import EtcdStorage
from minikube_py.store.etcd_client import EtcdClient, b64, parse_endpoints
from minikube_py.store.interface import Entry, Keep, Remove, Write
from minikube_py.store.memory import MemoryStorage
from minikube_py.store.sqlite import SqliteStorage
from minikube_py.store.watch import ADDED, DELETED, MODIFIED
from tests.helpers.etcd import EtcdProcess

KEY = "/registry/configmaps/default/a"


async def open_etcd(etcd: EtcdProcess) -> EtcdStorage:
    """An etcd store over an empty ``/registry/``."""
    client = EtcdClient(parse_endpoints(etcd.url, tls=False))
    await client.call("kv/deleterange", {"key": b64("/registry/"),
                                         "range_end": b64("/registry0")})
    return await EtcdStorage.open(client)


@pytest.fixture(params=["sqlite", "memory", "etcd"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CachedStore]:
    """Each backend in turn."""
    backend: CachedStore
    if request.param == "sqlite":
        backend = await SqliteStorage.open(tmp_path / "state.db", synchronous="NORMAL")
    elif request.param == "etcd":
        backend = await open_etcd(request.getfixturevalue("etcd"))
    else:
        backend = await MemoryStorage.open()
    yield backend
    await backend.close()


def cm(name: str, value: str = "v") -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
            "data": {"k": value}}


async def test_create_stamps_resource_version_and_rejects_duplicates(
        store: CachedStore) -> None:
    """A create gets the next revision as resourceVersion; a second create is KeyExists."""
    base = store.revision
    first = await store.create("/registry/configmaps/default/a", cm("a"))
    assert first["metadata"]["resourceVersion"] == str(base + 1)
    assert store.revision == base + 1
    assert store.get(KEY).mod_rev == base + 1  # type: ignore[union-attr]
    with pytest.raises(KeyExists):
        await store.create("/registry/configmaps/default/a", cm("a"))
    assert store.revision == base + 1, "a failed write must not consume a revision"



@pytest.mark.parametrize("expected, ok", [
    pytest.param(1, True, id="current-revision-succeeds"),
    pytest.param(0, False, id="stale-revision-conflicts"),
    pytest.param(None, True, id="no-precondition-succeeds"),
])
async def test_compare_and_swap(store: CachedStore, expected: int | None, ok: bool) -> None:
    """An update with an expected revision succeeds only if the object still has it."""
    key = "/registry/configmaps/default/a"
    base = store.revision
    await store.create(key, cm("a"))
    expected = None if expected is None else base + expected
    if ok:
        updated = await store.update(key, cm("a", "new"), expected_rev=expected)
        assert updated["metadata"]["resourceVersion"] == str(base + 2)
        assert store.get(key).decode()["data"]["k"] == "new"
    else:
        with pytest.raises(RevisionMismatch):
            await store.update(key, cm("a", "new"), expected_rev=expected)
        assert store.get(key).decode()["data"]["k"] == "v"



async def test_update_and_delete_of_missing_key(store: CachedStore) -> None:
    """Updating or deleting an absent key is KeyNotFound and writes nothing."""
    base = store.revision
    with pytest.raises(KeyNotFound):
        await store.update("/registry/configmaps/default/x", cm("x"))
    with pytest.raises(KeyNotFound):
        await store.delete("/registry/configmaps/default/x")
    assert store.revision == base



async def test_delete_with_stale_precondition_keeps_object(store: CachedStore) -> None:
    """A delete with a stale revision precondition conflicts and leaves the object."""
    key = "/registry/configmaps/default/a"
    base = store.revision
    await store.create(key, cm("a"))
    await store.update(key, cm("a", "2"))
    with pytest.raises(RevisionMismatch):
        await store.delete(key, expected_rev=base + 1)
    last = await store.delete(key, expected_rev=base + 2)
    assert last["metadata"]["resourceVersion"] == str(base + 3)
    assert last["data"]["k"] == "2"
    assert store.get(key) is None



async def test_watch_resumes_from_old_revision_without_loss_or_repeat(
        store: CachedStore) -> None:
    """A watch from an old revision replays the log, then continues live, each event once."""
    prefix = "/registry/configmaps/default/"
    base = store.revision
    for i in range(10):
        await store.create(f"{prefix}c{i}", cm(f"c{i}"))
    watcher = await store.watch(prefix, base + 4)
    got: list[int] = []

    async def consume() -> None:
        async for event in watcher:
            got.append(event.rev - base)
            if event.rev == base + 30:
                return

    task = asyncio.create_task(consume())
    # Live writes race the replay on purpose.
    for i in range(10, 30):
        await store.create(f"{prefix}c{i}", cm(f"c{i}"))
    await asyncio.wait_for(task, 5)
    watcher.close()
    assert got == list(range(5, 31))



async def test_watch_event_types_and_prefix(store: CachedStore) -> None:
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



async def test_watch_take_ready_sees_committed_writes_without_waiting(
        store: CachedStore) -> None:
    """``take_ready`` hands over replayed and live events at once (a reader that must see
    every write committed before it answers: the RBAC index), each event once."""
    rev = store.revision
    await store.create("/registry/roles/ns/a", cm("a"))
    watcher = await store.watch("/registry/roles/", rev)
    await store.sync(5.0)
    assert [e.key for e in watcher.take_ready()] == ["/registry/roles/ns/a"]
    assert watcher.take_ready() == []
    await store.create("/registry/roles/ns/b", cm("b"))
    await store.create("/registry/rolebindings/ns/b", cm("b"))
    assert [e.key for e in watcher.take_ready()] == ["/registry/roles/ns/b"]
    watcher.close()


async def test_unencodable_write_fails_alone(store: CachedStore) -> None:
    """An object that cannot be encoded fails its own write; the batch around it and every
    later write still commit."""
    from minikube_py.store.errors import Unencodable

    base = store.revision
    good = store.create("/registry/configmaps/default/a", cm("a"))
    bad = store.create("/registry/configmaps/default/b", {"metadata": {}, "data": {1: "x"}})
    results = await asyncio.gather(good, bad, return_exceptions=True)
    assert isinstance(results[1], Unencodable)
    assert results[0]["metadata"]["resourceVersion"] == str(base + 1)
    later = await store.create("/registry/configmaps/default/c", cm("c"))
    assert later["metadata"]["resourceVersion"] == str(base + 2)
    assert store.writer_error is None


async def test_guaranteed_update_retries_a_concurrent_change(store: CachedStore) -> None:
    """A concurrent write between read and write makes the update decide again, on the new
    state; nothing is lost."""
    await store.create(KEY, cm("a", "0"))
    calls = 0

    async def bump(entry: Entry | None) -> Write:
        nonlocal calls
        calls += 1
        assert entry is not None
        obj = entry.decode()
        if calls == 1:  # someone else writes after our read
            await store.update(KEY, cm("a", "other"))
        obj["data"]["k"] += "+mine"
        return Write(obj)

    result = await store.guaranteed_update(KEY, bump)
    assert calls == 2 and result["data"]["k"] == "other+mine"


async def test_guaranteed_update_without_retry_conflicts(store: CachedStore) -> None:
    """With retry off (a client-given resourceVersion) the concurrent change is a mismatch."""
    await store.create(KEY, cm("a"))

    async def racing(entry: Entry | None) -> Write:
        assert entry is not None
        await store.update(KEY, cm("a", "other"))
        return Write(entry.decode())

    with pytest.raises(RevisionMismatch):
        await store.guaranteed_update(KEY, racing, retry=False)
    assert store.get(KEY).decode()["data"]["k"] == "other"  # type: ignore[union-attr]


async def test_guaranteed_update_decisions(store: CachedStore) -> None:
    """Keep writes nothing, Remove deletes, and create=True lets a missing key be created."""
    rev = store.revision

    async def make(entry: Entry | None) -> Write:
        assert entry is None
        return Write(cm("a"))

    created = await store.guaranteed_update(KEY, make, create=True)
    assert created["metadata"]["resourceVersion"] == str(rev + 1)

    async def keep(entry: Entry | None) -> Keep:
        return Keep({"unchanged": True})

    assert await store.guaranteed_update(KEY, keep) == {"unchanged": True}
    assert store.revision == rev + 1

    async def remove(entry: Entry | None) -> Remove:
        return Remove()

    await store.guaranteed_update(KEY, remove)
    assert store.get(KEY) is None
    with pytest.raises(KeyNotFound):
        await store.guaranteed_update(KEY, keep)


async def test_list_at_a_past_revision(store: CachedStore) -> None:
    """list_at undoes every later create, update and delete; compacted revisions are gone."""
    prefix = "/registry/configmaps/default/"
    await store.create(prefix + "a", cm("a", "1"))
    await store.create(prefix + "b", cm("b", "1"))
    at = store.revision
    await store.update(prefix + "a", cm("a", "2"))
    await store.delete(prefix + "b")
    await store.create(prefix + "c", cm("c"))
    past = await store.list_at(prefix, at)
    assert [(e.key.rsplit("/", 1)[1], e.decode()["data"]["k"]) for e in past] == [
        ("a", "1"), ("b", "1")]
    await store.compact(store.revision)
    with pytest.raises(Compacted):
        await store.list_at(prefix, at)


async def test_wait_for_revision(store: CachedStore) -> None:
    """A waiter wakes when its revision commits, and gives up after its time."""
    assert await store.wait_for_revision(store.revision, 0.01)
    assert not await store.wait_for_revision(store.revision + 1, 0.01)
    waiting = asyncio.create_task(store.wait_for_revision(store.revision + 1, 5))
    await asyncio.sleep(0)
    await store.create(KEY, cm("a"))
    assert await asyncio.wait_for(waiting, 5)


async def test_objects_over_the_size_limit_are_refused(store: CachedStore) -> None:
    """An object whose encoding passes the limit is ValueTooLarge and writes nothing."""
    store.max_value_bytes = 1000
    base = store.revision
    with pytest.raises(ValueTooLarge):
        await store.create(KEY, cm("a", "x" * 2000))
    assert store.revision == base and store.get(KEY) is None
    with pytest.raises(ValueTooLarge):
        store.check_size(cm("a", "x" * 2000))


async def test_count_and_list_by_prefix(store: CachedStore) -> None:
    """count and list see only their prefix, in key order."""
    for ns, name in (("b", "x"), ("a", "y"), ("a", "x")):
        await store.create(f"/registry/configmaps/{ns}/{name}", cm(name))
    await store.create("/registry/secrets/a/x", cm("x"))
    assert store.count("/registry/configmaps/") == 3
    assert store.count("/registry/configmaps/a/") == 2
    keys = [e.key for e in store.list_prefix("/registry/configmaps/")[0]]
    assert keys == sorted(keys) and len(keys) == 3
