"""The garbage collector carries out Background, Foreground and Orphan cascading deletes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from minikube_py.api.errors import NotFound
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.controllers.garbagecollector import GarbageCollector
from minikube_py.store.sqlite import SqliteStorage as Store
from tests.client.conftest import FlakyTransport

CM = REGISTRY.resolve("configmaps")
assert CM is not None


@pytest.fixture
async def collector(client: Client) -> AsyncIterator[GarbageCollector]:
    gc = GarbageCollector(client)
    await gc.start()
    yield gc
    await gc.stop()


async def owner_and_dependent(client: Client) -> tuple[dict, dict]:
    owner = await client.create(CM, {"metadata": {"name": "owner", "namespace": "default"}})
    dep = await client.create(CM, {"metadata": {
        "name": "dep", "namespace": "default",
        "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
                             "uid": owner["metadata"]["uid"], "controller": True,
                             "blockOwnerDeletion": True}]}})
    return owner, dep


async def gone(client: Client, name: str) -> bool:
    try:
        await client.get(CM, name, "default")
    except NotFound:
        return True
    return False


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 5) -> None:
    for _ in range(int(seconds / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def test_background_delete_removes_dependents(client: Client,
                                                    collector: GarbageCollector) -> None:
    """Deleting an owner (Background) deletes its dependents afterwards."""
    await owner_and_dependent(client)
    await asyncio.sleep(0.1)  # the collector has seen both
    await client.delete(CM, "owner", "default", propagation_policy="Background")
    assert await gone(client, "owner")
    await eventually(lambda: gone(client, "dep"))


async def test_foreground_delete_waits_for_dependents(client: Client,
                                                      collector: GarbageCollector) -> None:
    """A Foreground delete keeps the owner until its dependents are gone, then removes it."""
    await owner_and_dependent(client)
    await asyncio.sleep(0.1)
    pending = await client.delete(CM, "owner", "default", propagation_policy="Foreground")
    assert "foregroundDeletion" in pending["metadata"]["finalizers"]
    await eventually(lambda: gone(client, "dep"))
    await eventually(lambda: gone(client, "owner"))


async def test_orphan_delete_keeps_dependents(client: Client,
                                              collector: GarbageCollector) -> None:
    """An Orphan delete removes the owner and leaves the dependent without its reference."""
    await owner_and_dependent(client)
    await asyncio.sleep(0.1)
    await client.delete(CM, "owner", "default", propagation_policy="Orphan")
    await eventually(lambda: gone(client, "owner"))
    dep = await client.get(CM, "dep", "default")
    assert not dep["metadata"].get("ownerReferences")


async def test_dependent_with_a_live_owner_stays(client: Client,
                                                 collector: GarbageCollector) -> None:
    """A dependent one of whose owners still exists is not collected."""
    owner, _ = await owner_and_dependent(client)
    other = await client.create(CM, {"metadata": {"name": "other", "namespace": "default"}})
    await client.patch(CM, "dep", {"metadata": {"ownerReferences": [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
         "uid": owner["metadata"]["uid"]},
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "other",
         "uid": other["metadata"]["uid"]}]}}, "default")
    await asyncio.sleep(0.1)
    await client.delete(CM, "owner", "default")
    await asyncio.sleep(0.5)
    assert not await gone(client, "dep")


async def test_relist_leaves_no_ghost(client: Client, store: Store) -> None:
    """An owner deleted while the collector is cut off from the apiserver, with the log
    compacted past it, comes back from the relist as a delete: it leaves the graph and its
    dependent, now without a live owner, is collected (a ghost node would keep it forever)."""
    flaky = FlakyTransport(client.transport)  # type: ignore[arg-type]
    gc = GarbageCollector(Client(flaky))
    await gc.start()
    try:
        owner, dep = await owner_and_dependent(client)
        owner_uid = owner["metadata"]["uid"]
        await eventually(lambda: _true(dep["metadata"]["uid"] in gc.nodes))
        flaky.go_down()
        await client.delete(CM, "owner", "default", propagation_policy="Background")
        await store.compact(store.revision)
        flaky.go_up()
        await eventually(lambda: gone(client, "dep"), seconds=15)
        # The dependent may go first (its owner's GET says 404) and the relist's delete of
        # the owner right after: a ghost would stay in the graph for good.
        await eventually(lambda: _true(owner_uid not in gc.nodes
                                       and owner_uid not in gc.dependents_of), seconds=15)
        await eventually(lambda: _true(dep["metadata"]["uid"] not in gc.nodes))
    finally:
        await gc.stop()


async def _true(value: bool) -> bool:
    return value
