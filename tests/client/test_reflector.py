"""The reflector: paginated list, watch resumption without relists, relists on 410 and on
broken streams (missed deletes as DeletedFinalStateUnknown), back-off when the server is
down; against a scripted ListerWatcher and against the real in-process apiserver."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

from minikube_py.api.errors import Gone, ServiceUnavailable
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.fake import FakeListerWatcher
from minikube_py.client.informer import SharedInformer
from minikube_py.client.reflector import Backoff, ClientListerWatcher, Reflector
from minikube_py.client.store import DeletedFinalStateUnknown, Indexer
from minikube_py.store.sqlite import SqliteStorage as Store

if TYPE_CHECKING:
    from conftest import Eventually, FlakyTransport

CONFIGMAPS = REGISTRY.resolve("configmaps")


def cm(name: str, value: str = "") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "default"}, "data": {"v": value}}


def quick_backoff() -> Backoff:
    return Backoff(initial=0.001, cap=0.01)


@contextlib.asynccontextmanager
async def running(reflector: Reflector) -> AsyncIterator[Reflector]:
    task = asyncio.create_task(reflector.run())
    try:
        yield reflector
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


class Recorder:
    """Handlers that write down what they were told, in order."""

    def __init__(self, informer: SharedInformer) -> None:
        self.calls: list[tuple[str, Any]] = []
        informer.add_event_handler(
            on_add=lambda o: self.calls.append(("add", o["metadata"]["name"])),
            on_update=lambda old, new: self.calls.append(("update", new["metadata"]["name"])),
            on_delete=lambda o: self.calls.append(("delete", o)))


async def test_list_is_paginated_then_synced(eventually: Eventually) -> None:
    """The first list reads every page with limit/continue, then replace() marks synced."""
    fake = FakeListerWatcher()
    for i in range(5):
        fake.create(cm(f"c{i}"))
    store = Indexer()
    reflector = Reflector(fake, store, page_size=2, backoff=quick_backoff())
    async with running(reflector):
        await eventually(lambda: reflector.has_synced)
    assert sorted(store.list_keys()) == [f"default/c{i}" for i in range(5)]
    assert (fake.list_calls, fake.page_calls) == (1, 3)
    assert reflector.last_sync_resource_version == str(fake.revision)


async def test_expired_continue_token_falls_back_to_one_full_list(eventually: Eventually,
                                                                  ) -> None:
    """A 410 on a later page (its snapshot compacted) makes the pager list in one piece."""

    class Expiring(FakeListerWatcher):
        async def list(self, *, limit: int | None, continue_token: str) -> dict[str, Any]:
            if continue_token:
                self.page_calls += 1
                raise Gone("The provided continue parameter is too old")
            return await super().list(limit=limit, continue_token=continue_token)

    fake = Expiring()
    for i in range(5):
        fake.create(cm(f"c{i}"))
    store = Indexer()
    reflector = Reflector(fake, store, page_size=2, backoff=quick_backoff())
    async with running(reflector):
        await eventually(lambda: reflector.has_synced)
    assert len(store) == 5 and fake.list_calls == 2


async def test_watch_that_ends_resumes_without_relist(eventually: Eventually) -> None:
    """A watch the server ends (its timeout) is resumed from the last resourceVersion seen;
    the collection is listed exactly once."""
    fake = FakeListerWatcher()
    fake.create(cm("a"))
    store = Indexer()
    reflector = Reflector(fake, store, backoff=quick_backoff())
    async with running(reflector):
        await eventually(lambda: fake.open_watches == 1)
        listed_at = reflector.last_sync_resource_version
        for round_ in range(3):
            fake.create(cm(f"b{round_}"))
            await eventually(lambda r=round_: f"default/b{r}" in store)  # type: ignore[misc]
            fake.end_watches()
            await eventually(lambda r=round_: len(fake.watch_resource_versions) == r + 2)  # type: ignore[misc]
        fake.create(cm("late"))
        await eventually(lambda: "default/late" in store)
    assert fake.list_calls == 1
    assert fake.watch_resource_versions[0] == listed_at
    assert fake.watch_resource_versions[1:] == [str(int(listed_at) + n) for n in (1, 2, 3)]
    assert all(300 <= t <= 600 for t in fake.watch_timeouts)


async def test_bookmarks_advance_the_resume_resource_version(eventually: Eventually) -> None:
    """A BOOKMARK moves last_sync_resource_version, and the next watch starts from it."""
    fake = FakeListerWatcher()
    store = Indexer()
    reflector = Reflector(fake, store, backoff=quick_backoff())
    async with running(reflector):
        await eventually(lambda: fake.open_watches == 1)
        fake.revision += 40  # writes to other collections move the revision on
        fake.bookmark()
        await eventually(lambda: reflector.last_sync_resource_version == str(fake.revision))
        fake.end_watches()
        await eventually(lambda: len(fake.watch_resource_versions) == 2)
    assert fake.watch_resource_versions[1] == str(fake.revision)
    assert fake.list_calls == 1 and len(store) == 0


async def test_410_mid_stream_relists_and_delivers_missed_delete(eventually: Eventually) -> None:
    """Compacted away mid-stream (ERROR 410), the informer relists: the delete it missed
    arrives as DeletedFinalStateUnknown with the last known state, the missed update and add
    arrive too, and the cache equals the server."""
    fake = FakeListerWatcher()
    for name in ("a", "b", "c"):
        fake.create(cm(name, "1"))
    informer = SharedInformer(fake, backoff=quick_backoff())
    recorder = Recorder(informer)
    task = asyncio.create_task(informer.run())
    try:
        await eventually(lambda: informer.has_synced and fake.open_watches == 1)
        recorder.calls.clear()
        last_b = informer.lister.get("b", "default")
        # In one step, so the open watch sees none of it before its log is gone:
        fake.delete("default/b")
        fake.update(cm("c", "2"))
        fake.create(cm("d"))
        fake.expire_watches()
        await eventually(lambda: fake.list_calls == 2 and fake.open_watches == 1)
    finally:
        informer.stop()
        await task
    assert sorted(informer.indexer.list_keys()) == sorted(fake.objects)
    assert ("update", "c") in recorder.calls and ("add", "d") in recorder.calls
    deletes = [arg for what, arg in recorder.calls if what == "delete"]
    assert deletes == [DeletedFinalStateUnknown("default/b", last_b)]  # type: ignore[arg-type]
    assert informer.lister.get("c", "default")["data"] == {"v": "2"}  # type: ignore[index]


@pytest.mark.parametrize("error", [
    pytest.param(ServiceUnavailable("the connection to the server was lost"), id="connection-lost"),
    pytest.param(ValueError("unexpected end of JSON"), id="garbled-stream"),
])
async def test_broken_stream_relists(error: Exception, eventually: Eventually) -> None:
    """A stream that breaks after delivering events is not trusted: the reflector relists."""
    fake = FakeListerWatcher()
    store = Indexer()
    reflector = Reflector(fake, store, backoff=quick_backoff())
    async with running(reflector):
        await eventually(lambda: fake.open_watches == 1)
        fake.create(cm("a"))
        await eventually(lambda: "default/a" in store)
        fake.break_watches(error)
        await eventually(lambda: fake.list_calls == 2 and fake.open_watches == 1)
    assert store.list_keys() == ["default/a"]


async def test_error_event_on_resume_relists(eventually: Eventually) -> None:
    """Resuming from a resourceVersion the log no longer holds gets ERROR 410: relist."""
    fake = FakeListerWatcher()
    fake.create(cm("a"))
    store = Indexer()
    reflector = Reflector(fake, store, backoff=quick_backoff())
    async with running(reflector):
        await eventually(lambda: fake.open_watches == 1)
        fake.create(cm("b"))
        fake.compact()
        fake.end_watches()  # before it read b: it resumes from before the compaction
        await eventually(lambda: fake.list_calls == 2 and fake.open_watches == 1)
    assert sorted(store.list_keys()) == ["default/a", "default/b"]


async def test_server_down_backs_off_exponentially(eventually: Eventually) -> None:
    """Failing lists are retried after growing, capped delays, never at once."""
    delays: list[float] = []

    class Recording(Backoff):
        def next_delay(self) -> float:
            delays.append(super().next_delay())
            return delays[-1]

    fake = FakeListerWatcher()
    fake.list_errors = [ServiceUnavailable("connection refused") for _ in range(6)]
    reflector = Reflector(fake, Indexer(),
                          backoff=Recording(initial=0.001, cap=0.008, rng=lambda: 0.0))
    async with running(reflector):
        await eventually(lambda: reflector.has_synced)
    assert delays == [0.001, 0.002, 0.004, 0.008, 0.008, 0.008]
    assert fake.list_calls == 7


async def test_watch_that_cannot_open_is_retried_without_relist(eventually: Eventually) -> None:
    """A watch refused before any event (server restarting) backs off and resumes from the
    same resourceVersion; nothing was missed, so nothing is relisted."""
    fake = FakeListerWatcher()
    fake.watch_errors = [ServiceUnavailable("connection refused") for _ in range(3)]
    reflector = Reflector(fake, Indexer(), backoff=quick_backoff())
    async with running(reflector):
        await eventually(lambda: fake.open_watches == 1)
    assert fake.list_calls == 1
    assert len(set(fake.watch_resource_versions)) == 1 and len(fake.watch_resource_versions) == 4


@pytest.mark.parametrize(("clock_steps", "expected"), [
    pytest.param([0, 1, 2, 3, 4], [1.0, 2.0, 4.0, 5.0, 5.0], id="doubles-to-cap"),
    pytest.param([0, 1, 200, 201], [1.0, 2.0, 1.0, 2.0], id="resets-after-quiet-period"),
])
def test_backoff_delays(clock_steps: list[float], expected: list[float]) -> None:
    """Exponential, capped, and back to the start after a quiet period."""
    now = iter(clock_steps)
    backoff = Backoff(initial=1.0, cap=5.0, reset_after=120, jitter=0.0,
                      clock=lambda: next(now))
    assert [backoff.next_delay() for _ in clock_steps] == expected


def test_backoff_jitter_stays_within_cap() -> None:
    """Jitter adds up to the jitter fraction, and never past the cap."""
    backoff = Backoff(initial=1.0, cap=3.0, jitter=1.0, rng=lambda: 0.99)
    assert [round(backoff.next_delay(), 2) for _ in range(3)] == [1.99, 3.0, 3.0]


# --- against the real in-process apiserver ------------------------------------------------


async def test_relist_after_compaction_against_apiserver(client: Client, flaky: FlakyTransport,
                                                         store: Store,
                                                         eventually: Eventually) -> None:
    """Cut off from the apiserver while an object is deleted and the log compacted, the
    informer resumes, gets 410, relists, and delivers the delete as DeletedFinalStateUnknown."""
    assert CONFIGMAPS is not None
    for name in ("a", "b"):
        await client.create(CONFIGMAPS, cm(name))
    informer = SharedInformer(ClientListerWatcher(Client(flaky), CONFIGMAPS,
                                                  namespace="default"),
                              backoff=quick_backoff())
    recorder = Recorder(informer)
    task = asyncio.create_task(informer.run())
    try:
        await eventually(lambda: informer.has_synced)
        flaky.go_down()
        await client.delete(CONFIGMAPS, "b", "default")
        await client.create(CONFIGMAPS, cm("c"))
        await store.compact(store.revision)
        flaky.go_up()
        await eventually(lambda: "default/c" in informer.indexer)
    finally:
        informer.stop()
        await task
    assert sorted(informer.indexer.list_keys()) == ["default/a", "default/c"]
    deletes = [arg for what, arg in recorder.calls if what == "delete"]
    assert len(deletes) == 1 and isinstance(deletes[0], DeletedFinalStateUnknown)
    assert deletes[0].key == "default/b" and deletes[0].obj["metadata"]["name"] == "b"


async def test_server_side_timeout_resumes_without_relist_against_apiserver(
        client: Client, flaky: FlakyTransport, eventually: Eventually) -> None:
    """The apiserver ends a watch at its timeoutSeconds; the informer watches again from where
    it was, listing once, and what is written meanwhile still arrives."""
    assert CONFIGMAPS is not None
    informer = SharedInformer(ClientListerWatcher(Client(flaky), CONFIGMAPS,
                                                  namespace="default"),
                              min_watch_timeout=1, backoff=quick_backoff())
    task = asyncio.create_task(informer.run())
    try:
        await eventually(lambda: informer.has_synced)
        await eventually(lambda: flaky.watches >= 2)  # the first watch timed out
        await client.create(CONFIGMAPS, cm("after-timeout"))
        await eventually(lambda: "default/after-timeout" in informer.indexer)
    finally:
        informer.stop()
        await task
    assert flaky.lists == 1
