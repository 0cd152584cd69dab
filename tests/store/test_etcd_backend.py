"""What the etcd backend adds to the contract: etcd is shared. Two stores on one etcd (as two
apiservers) see each other's writes in their reads and watches, in order; racing guaranteed
updates from both lose nothing; compaction through one is 410 for the other's past reads;
TLS with client certificates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from minikube_py.store.errors import Compacted, StoreClosed
from minikube_py.store.etcd import EtcdStorage
from minikube_py.store.etcd_client import EtcdClient, EtcdError, parse_endpoints, tls_context
from minikube_py.store.interface import Entry, Write
from tests.helpers.etcd import EtcdProcess, free_port, start_etcd, start_etcd_cluster
from tests.store.test_contract import cm, open_etcd

PREFIX = "/registry/configmaps/default/"


@pytest.fixture
async def two(etcd: EtcdProcess) -> AsyncIterator[tuple[EtcdStorage, EtcdStorage]]:
    a = await open_etcd(etcd)
    b = await EtcdStorage.open(EtcdClient(parse_endpoints(etcd.url, tls=False)))
    yield a, b
    await a.close()
    await b.close()


async def test_writes_through_one_reach_the_others_reads_and_watch_in_order(
        two: tuple[EtcdStorage, EtcdStorage]) -> None:
    """B's watch gets A's creates, updates and deletes in revision order; B's cache holds
    A's objects with A's resourceVersions once it has reached their revision."""
    a, b = two
    watcher = await b.watch(PREFIX, b.revision)
    revs = []
    for i in range(5):
        revs.append(int((await a.create(f"{PREFIX}c{i}", cm(f"c{i}")))["metadata"]
                        ["resourceVersion"]))
    revs.append(int((await a.update(f"{PREFIX}c0", cm("c0", "2")))["metadata"]
                    ["resourceVersion"]))
    revs.append(int((await a.delete(f"{PREFIX}c1"))["metadata"]["resourceVersion"]))
    events = [await asyncio.wait_for(anext(watcher), 5) for _ in range(7)]
    watcher.close()
    assert [e.rev for e in events] == revs
    assert [e.type for e in events][-2:] == ["MODIFIED", "DELETED"]
    assert await b.wait_for_revision(revs[-1], 5)
    entry = b.get(f"{PREFIX}c0")
    assert entry is not None and entry.decode()["metadata"]["resourceVersion"] == str(revs[5])
    assert b.get(f"{PREFIX}c1") is None
    assert [e.key for e in b.list_prefix(PREFIX)[0]] == [f"{PREFIX}c{i}" for i in (0, 2, 3, 4)]


async def test_racing_guaranteed_updates_from_both_lose_nothing(
        two: tuple[EtcdStorage, EtcdStorage]) -> None:
    """40 increments of one counter, half through each store at once, end at 40: a stale
    cache only costs a retry."""
    a, b = two
    key = f"{PREFIX}counter"
    await a.create(key, cm("counter", "0"))

    async def bump(entry: Entry | None) -> Write:
        assert entry is not None
        obj = entry.decode()
        obj["data"]["k"] = str(int(obj["data"]["k"]) + 1)
        return Write(obj)

    await asyncio.gather(*(s.guaranteed_update(key, bump) for s in (a, b) for _ in range(20)))
    assert await a.sync(5)  # B's last write may still be on its way to A's cache
    final = await a.list_at(PREFIX, a.revision)
    assert [e.decode()["data"]["k"] for e in final] == ["40"]


async def test_compaction_through_one_is_gone_for_the_others_past_reads(
        two: tuple[EtcdStorage, EtcdStorage]) -> None:
    """After A compacts, B's read at a compacted revision is Compacted (410), and a watch
    from before B's own start is too."""
    a, b = two
    old = b.revision
    await a.create(f"{PREFIX}x", cm("x"))
    await a.create(f"{PREFIX}y", cm("y"))
    assert [e.key for e in await b.list_at(PREFIX, old + 1)] == [f"{PREFIX}x"]
    await a.compact(a.revision)
    with pytest.raises(Compacted):
        await b.list_at(PREFIX, old + 1)
    with pytest.raises(Compacted):
        await b.watch(PREFIX, old - 1)


async def test_tls_with_client_certificates(tmp_path: Path) -> None:
    """Against an etcd that requires client certificates the store works with the CA and a
    client certificate, and is refused without them."""
    etcd = start_etcd(tls=True)
    try:
        assert etcd.tls is not None
        ctx = tls_context(str(etcd.tls.ca), str(etcd.tls.client_cert),
                          str(etcd.tls.client_key))
        store = await EtcdStorage.open(EtcdClient(parse_endpoints(etcd.url, tls=True),
                                                  ssl_context=ctx))
        try:
            created = await store.create(f"{PREFIX}a", cm("a"))
            assert store.get(f"{PREFIX}a") is not None
            assert created["metadata"]["resourceVersion"] == str(store.revision)
        finally:
            await store.close()
        bare = EtcdClient(parse_endpoints(etcd.url, tls=True),
                          ssl_context=tls_context(str(etcd.tls.ca), None, None))
        with pytest.raises(EtcdError):
            await bare.range("/registry/")
        await bare.close()
    finally:
        etcd.stop()


async def test_sync_makes_the_others_writes_readable(
        two: tuple[EtcdStorage, EtcdStorage]) -> None:
    """After ``sync`` (a consistent read) B reads every write A had committed before it,
    with no wait of its own; concurrent syncs share requests."""
    a, b = two
    for i in range(20):
        await a.create(f"{PREFIX}s{i}", cm(f"s{i}"))
        assert await b.sync(5)
        assert b.get(f"{PREFIX}s{i}") is not None
    assert all(await asyncio.gather(*(b.sync(5) for _ in range(50))))
    assert b.revision >= a.revision


@pytest.mark.parametrize("text", [
    pytest.param("etcd://", id="no-endpoint"),
    pytest.param("etcd://host", id="no-port"),
    pytest.param("etcd://a:1,b:x", id="bad-port"),
])
def test_bad_addresses_are_refused(text: str) -> None:
    """An etcd address without HOST:PORT endpoints is a ValueError naming it."""
    with pytest.raises(ValueError, match="etcd"):
        parse_endpoints(text, tls=False)


async def test_a_dead_endpoint_is_skipped(etcd: EtcdProcess) -> None:
    """With the first endpoint down, requests and the watch go to the next one."""
    dead = f"127.0.0.1:{free_port()}"
    client = EtcdClient(parse_endpoints(f"etcd://{dead},127.0.0.1:{etcd.port}", tls=False))
    store = await EtcdStorage.open(client)
    try:
        created = await store.create(f"{PREFIX}via-second", cm("x"))
        assert store.get(f"{PREFIX}via-second") is not None
        assert created["metadata"]["resourceVersion"] == str(store.revision)
    finally:
        await store.close()


async def test_the_cache_survives_an_etcd_restart() -> None:
    """etcd stopped and started again: the watch comes back from where it was (a watcher
    sees the writes before and after, once each), writes work again."""
    etcd = start_etcd()
    try:
        store = await EtcdStorage.open(EtcdClient(parse_endpoints(etcd.url, tls=False)))
        try:
            watcher = await store.watch(PREFIX, store.revision)
            await store.create(f"{PREFIX}before", cm("before"))
            await asyncio.to_thread(etcd.restart)
            for _ in range(100):  # writes fail while the client reconnects
                try:
                    await store.create(f"{PREFIX}after", cm("after"))
                    break
                except StoreClosed:
                    await asyncio.sleep(0.1)
            events = [await asyncio.wait_for(anext(watcher), 10) for _ in range(2)]
            assert [e.key.rsplit("/", 1)[1] for e in events] == ["before", "after"]
            assert store.get(f"{PREFIX}after") is not None and store.writer_error is None
        finally:
            await store.close()
    finally:
        etcd.stop()


async def test_a_three_member_cluster_survives_losing_the_member_in_use() -> None:
    """On etcd://a,b,c the store keeps serving when the member it talks to dies: writes go
    to the next member, and the watch resumes there without losing or repeating events."""
    members = start_etcd_cluster(3)
    try:
        address = "etcd://" + ",".join(f"127.0.0.1:{m.port}" for m in members)
        store = await EtcdStorage.open(EtcdClient(parse_endpoints(address, tls=False)))
        try:
            watcher = await store.watch(PREFIX, store.revision)
            await store.create(f"{PREFIX}before", cm("before"))
            await asyncio.to_thread(members[0].kill)  # the first endpoint: the one in use
            for _ in range(100):
                try:
                    await store.create(f"{PREFIX}after", cm("after"))
                    break
                except StoreClosed:
                    await asyncio.sleep(0.1)
            events = [await asyncio.wait_for(anext(watcher), 15) for _ in range(2)]
            assert [e.key.rsplit("/", 1)[1] for e in events] == ["before", "after"]
            assert store.get(f"{PREFIX}after") is not None
        finally:
            await store.close()
    finally:
        for member in members:
            member.stop()
