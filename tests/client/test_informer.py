"""Shared informers: handler fan-out in event order, late handlers, resync, failing
handlers; the factory's one informer per resource, fed by the real in-process apiserver."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.fake import FakeListerWatcher
from minikube_py.client.informer import (
    SharedInformer,
    SharedInformerFactory,
    strip_managed_fields,
)
from minikube_py.client.reflector import Backoff
from minikube_py.client.store import NAMESPACE_INDEX, label_index

if TYPE_CHECKING:
    from conftest import Eventually, FlakyTransport

CONFIGMAPS = REGISTRY.resolve("configmaps")
SECRETS = REGISTRY.resolve("secrets")


def cm(name: str, value: str = "", *, namespace: str = "default",
       labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = labels
    return {"metadata": meta, "data": {"v": value}}


def informer_on(fake: FakeListerWatcher, **kwargs: Any) -> SharedInformer:
    return SharedInformer(fake, backoff=Backoff(initial=0.001, cap=0.01), **kwargs)


@contextlib.asynccontextmanager
async def running(informer: SharedInformer) -> AsyncIterator[SharedInformer]:
    task = asyncio.create_task(informer.run())
    try:
        yield informer
    finally:
        informer.stop()
        await task


def record(informer: SharedInformer) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []

    def name(o: Any) -> str:
        return str(getattr(o, "key", None) or o["metadata"]["name"])

    informer.add_event_handler(
        on_add=lambda o: calls.append(("add", name(o))),
        on_update=lambda old, new: calls.append(("update", name(new))),
        on_delete=lambda o: calls.append(("delete", name(o))))
    return calls


async def test_handlers_see_events_in_order(eventually: Eventually) -> None:
    """Adds, updates and deletes reach every handler in the order they happened."""
    fake = FakeListerWatcher()
    informer = informer_on(fake)
    first, second = record(informer), record(informer)
    async with running(informer):
        await eventually(lambda: fake.open_watches == 1)
        fake.create(cm("a"))
        fake.create(cm("b"))
        fake.update(cm("a", "2"))
        fake.delete("default/b")
        await eventually(lambda: len(first) == 4)
    expected = [("add", "a"), ("add", "b"), ("update", "a"), ("delete", "b")]
    assert first == expected and second == expected


async def test_late_handler_gets_synthetic_adds(eventually: Eventually) -> None:
    """A handler added after sync is first told of every cached object, then of changes."""
    fake = FakeListerWatcher()
    for name in ("a", "b"):
        fake.create(cm(name))
    informer = informer_on(fake)
    async with running(informer):
        await eventually(lambda: informer.has_synced and fake.open_watches == 1)
        late = record(informer)
        assert sorted(late) == [("add", "a"), ("add", "b")]
        fake.create(cm("c"))
        await eventually(lambda: len(late) == 3)
    assert late[-1] == ("add", "c")


async def test_resync_redelivers_every_object_as_update(eventually: Eventually) -> None:
    """With a resync period, every cached object comes again as on_update(obj, obj)."""
    fake = FakeListerWatcher()
    fake.create(cm("a"))
    informer = informer_on(fake, resync_period=0.01)
    pairs: list[tuple[Any, Any]] = []
    informer.add_event_handler(on_update=lambda old, new: pairs.append((old, new)))
    async with running(informer):
        await eventually(lambda: len(pairs) >= 2)
    assert all(old is new and old["metadata"]["name"] == "a" for old, new in pairs)
    assert fake.list_calls == 1  # a resync replays the cache; it does not ask the server


async def test_failing_handler_does_not_stop_the_others(eventually: Eventually,
                                                        caplog: pytest.LogCaptureFixture,
                                                        ) -> None:
    """A handler that raises is logged; the handlers after it still get the event."""
    fake = FakeListerWatcher()
    informer = informer_on(fake)

    def broken(obj: Any) -> None:
        raise RuntimeError("handler bug")

    informer.add_event_handler(on_add=broken)
    calls = record(informer)
    async with running(informer):
        await eventually(lambda: fake.open_watches == 1)
        with caplog.at_level(logging.ERROR):
            fake.create(cm("a"))
            fake.create(cm("b"))
            await eventually(lambda: len(calls) == 2)
    assert calls == [("add", "a"), ("add", "b")]
    assert sum("handler" in r.getMessage() and "failed" in r.getMessage()
               for r in caplog.records) == 2


async def test_removed_handler_hears_nothing_more(eventually: Eventually) -> None:
    """remove_event_handler() stops deliveries to that handler only."""
    fake = FakeListerWatcher()
    informer = informer_on(fake)
    gone: list[str] = []
    registration = informer.add_event_handler(on_add=lambda o: gone.append("x"))
    kept = record(informer)
    informer.remove_event_handler(registration)
    async with running(informer):
        await eventually(lambda: fake.open_watches == 1)
        fake.create(cm("a"))
        await eventually(lambda: len(kept) == 1)
    assert gone == []


async def test_relist_is_silent_for_unchanged_objects(eventually: Eventually) -> None:
    """After a relist only real differences reach handlers (same resourceVersion: nothing)."""
    fake = FakeListerWatcher()
    for name in ("a", "b"):
        fake.create(cm(name))
    informer = informer_on(fake)
    calls = record(informer)
    async with running(informer):
        await eventually(lambda: informer.has_synced and fake.open_watches == 1)
        calls.clear()
        fake.update(cm("b", "2"))
        fake.expire_watches()
        await eventually(lambda: fake.list_calls == 2 and fake.open_watches == 1)
    assert calls == [("update", "b")]


def test_factory_returns_one_informer_per_resource_and_selectors(client: Client) -> None:
    """Same (resource, namespace, selectors): the same informer; any difference: another.
    Indexers asked for by several controllers end up on the one informer."""
    assert CONFIGMAPS is not None and SECRETS is not None
    factory = SharedInformerFactory(client)
    one = factory.informer_for(CONFIGMAPS)
    assert factory.informer_for(CONFIGMAPS, indexers={"label:app": label_index("app")}) is one
    assert set(one.indexer.get_indexers()) == {NAMESPACE_INDEX, "label:app"}
    others = {
        factory.informer_for(SECRETS),
        factory.informer_for(CONFIGMAPS, namespace="default"),
        factory.informer_for(CONFIGMAPS, label_selector="app=web"),
        factory.informer_for(CONFIGMAPS, field_selector="metadata.name=x"),
    }
    assert one not in others and len(others) == 4
    assert len(factory.informers) == 5


async def test_factory_informer_caches_apiserver_objects(client: Client,
                                                         eventually: Eventually) -> None:
    """ConfigMaps written through the in-process client reach the handler and the cache;
    the existing ones arrive with the first list, later ones by the watch."""
    assert CONFIGMAPS is not None
    await client.create(CONFIGMAPS, cm("before", labels={"app": "web"}))
    factory = SharedInformerFactory(client)
    informer = factory.informer_for(CONFIGMAPS, indexers={"label:app": label_index("app")})
    seen: list[str] = []
    informer.add_event_handler(on_add=lambda o: seen.append(o["metadata"]["name"]),
                               on_delete=lambda o: seen.append("-" + o["metadata"]["name"]))
    factory.start()
    try:
        assert await factory.wait_for_cache_sync(timeout=10)
        assert seen == ["before"]
        for i in range(3):
            await client.create(CONFIGMAPS, cm(f"after-{i}", labels={"app": "web"}))
        await client.delete(CONFIGMAPS, "before", "default")
        await eventually(lambda: len(seen) == 5)
        assert seen[1:] == ["after-0", "after-1", "after-2", "-before"]
        assert [o["metadata"]["name"] for o in informer.indexer.by_index("label:app", "web")
                ] == ["after-0", "after-1", "after-2"]
        cached = informer.lister.namespaced("default").get("after-1")
        assert cached is not None and cached["kind"] == "ConfigMap"
        # A second informer asked for after start() runs at once.
        secrets = factory.informer_for(SECRETS) if SECRETS else informer
        assert await factory.wait_for_cache_sync(timeout=10) and secrets.has_synced
    finally:
        await factory.shutdown()


async def test_wait_for_cache_sync_times_out_when_server_is_down(
        flaky: FlakyTransport) -> None:
    """With the apiserver unreachable, wait_for_cache_sync gives up with False."""
    assert CONFIGMAPS is not None
    flaky.go_down()
    factory = SharedInformerFactory(Client(flaky))
    informer = factory.informer_for(CONFIGMAPS)
    factory.start()
    try:
        assert await factory.wait_for_cache_sync(timeout=0.2) is False
        assert not informer.has_synced
    finally:
        await factory.shutdown()


async def test_transform_trims_objects_before_they_are_cached(client: Client,
                                                              eventually: Eventually) -> None:
    """With strip_managed_fields, neither the cache nor the handlers see managedFields."""
    assert CONFIGMAPS is not None
    created = await client.create(CONFIGMAPS, cm("a"))
    assert created["metadata"].get("managedFields")
    factory = SharedInformerFactory(client, transform=strip_managed_fields)
    informer = factory.informer_for(CONFIGMAPS)
    handed: list[dict[str, Any]] = []
    informer.add_event_handler(on_add=handed.append)
    factory.start()
    try:
        assert await factory.wait_for_cache_sync(timeout=10)
        await client.create(CONFIGMAPS, cm("b"))  # by the watch this time
        await eventually(lambda: len(handed) == 2)
    finally:
        await factory.shutdown()
    cached = informer.lister.get("a", "default")
    assert cached is not None and cached["metadata"]["uid"] == created["metadata"]["uid"]
    assert handed[0] is cached
    assert not any("managedFields" in o["metadata"] for o in informer.indexer.list())
    assert not any("managedFields" in o["metadata"] for o in handed)
