"""Informer figures, in one process through the in-process client (the path controllers
take), on a real SQLite store:

1. Sync: one SharedInformer over 10,000 ConfigMaps (paginated list of 500 per page, then
   the watch opens): time to ``wait_for_cache_sync``, and memory, twice: the RSS delta of
   the process across a plain sync, then a second sync under tracemalloc for the peak of
   Python allocations during the sync and what the cache keeps afterwards.
2. Delivery: a writer creating ConfigMaps through the client at 1,000/s for 5 s while the
   informer watches; latency from the write call's start to the ``on_add`` handler, and from
   the commit (the store's ``on_commit`` hook) to the handler. p50 and p99."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, percentile, rss_mb

from minikube_py.api.registry import REGISTRY
from minikube_py.apiserver.server import ApiServer
from minikube_py.client.base import Client
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.local import LocalTransport
from minikube_py.daemon import bootstrap
from minikube_py.store.sqlite import Store

OBJECTS = 10_000
RATE = 1000
SECONDS = 5
CONFIGMAPS = REGISTRY.resolve("configmaps")
assert CONFIGMAPS is not None


def configmap(name: str, i: int) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "default", "labels": {"app": f"a{i % 10}"}},
            "data": {"key": f"value-{i}", "other": "x" * 64}}


async def fill(client: Client) -> float:
    started = time.perf_counter()
    for start in range(0, OBJECTS, 250):
        await asyncio.gather(*(client.create(CONFIGMAPS, configmap(f"c{i}", i))
                               for i in range(start, min(start + 250, OBJECTS))))
    return time.perf_counter() - started


async def sync_case(client: Client) -> None:
    filled = await fill(client)
    print(f"setup: {OBJECTS:,} ConfigMaps created through the client in {filled:.1f} s")
    gc.collect()
    before = rss_mb(os.getpid())
    factory = SharedInformerFactory(client)
    informer = factory.informer_for(CONFIGMAPS)
    started = time.perf_counter()
    factory.start()
    assert await factory.wait_for_cache_sync(timeout=300)
    elapsed = time.perf_counter() - started
    gc.collect()
    after = rss_mb(os.getpid())
    assert len(informer.indexer) == OBJECTS, len(informer.indexer)
    await factory.shutdown()
    print(f"informer sync of {OBJECTS:,} ConfigMaps: {elapsed * 1000:.0f} ms "
          f"({OBJECTS / elapsed:,.0f} objects/s); RSS +{after - before:.1f} MB")
    del informer, factory
    gc.collect()
    tracemalloc.start()
    traced, _ = await sync_once_keep(client)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"same sync under tracemalloc ({traced * 1000:.0f} ms, slowed by tracing): peak "
          f"{peak / 2**20:.1f} MB of Python allocations, {current / 2**20:.1f} MB kept by "
          f"the cache ({current / OBJECTS / 1024:.2f} KiB per object)")


_kept: list[Any] = []


async def sync_once_keep(client: Client) -> tuple[float, int]:
    """A sync whose informer (and cache) stays alive while memory is read."""
    factory = SharedInformerFactory(client)
    informer = factory.informer_for(CONFIGMAPS)
    started = time.perf_counter()
    factory.start()
    assert await factory.wait_for_cache_sync(timeout=300)
    elapsed = time.perf_counter() - started
    await factory.shutdown()  # the watch ends; the cache stays with the informer
    _kept.append(informer)
    return elapsed, len(informer.indexer)


async def latency_case(store: Store, client: Client) -> None:
    sent: dict[str, float] = {}
    committed: dict[str, float] = {}
    from_write: list[float] = []
    from_commit: list[float] = []

    def on_commit(events: list) -> None:  # type: ignore[type-arg]
        now = time.perf_counter()
        for event in events:
            committed[event.key.rsplit("/", 1)[1]] = now

    def on_add(obj: dict[str, Any]) -> None:
        now = time.perf_counter()
        name = obj["metadata"]["name"]
        if name in sent:
            from_write.append(now - sent[name])
            from_commit.append(now - committed[name])
            if len(from_write) == total:
                all_seen.set()

    total = RATE * SECONDS
    all_seen = asyncio.Event()
    store.on_commit.append(on_commit)
    factory = SharedInformerFactory(client)
    factory.informer_for(CONFIGMAPS).add_event_handler(on_add=on_add)
    factory.start()
    assert await factory.wait_for_cache_sync(timeout=300)
    pending: set[asyncio.Task[Any]] = set()
    start = time.perf_counter()
    for i in range(total):
        delay = start + i / RATE - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        name = f"e{i}"
        sent[name] = time.perf_counter()
        pending.add(asyncio.create_task(client.create(CONFIGMAPS, configmap(name, i))))
        pending = {t for t in pending if not t.done()}
    await asyncio.gather(*pending)
    achieved = total / (time.perf_counter() - start)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_seen.wait(), 60)
    await factory.shutdown()
    print(f"event to handler at {achieved:,.0f} writes/s offered {RATE} for {SECONDS} s: "
          f"p50 {percentile(from_write, 50) * 1000:.1f} ms, "
          f"p99 {percentile(from_write, 99) * 1000:.1f} ms from the write call "
          f"({len(from_write):,} of {total:,} delivered, {OBJECTS:,} objects cached)")
    print(f"event to handler after commit (same run): p50 "
          f"{percentile(from_commit, 50) * 1000:.1f} ms, "
          f"p99 {percentile(from_commit, 99) * 1000:.1f} ms")


async def main() -> None:
    print(f"# informer benchmark on {machine()}")
    with tempfile.TemporaryDirectory(prefix="minikube-py-bench-") as tmp:
        store = await Store.open(Path(tmp) / "s.db", synchronous="FULL")
        server = ApiServer(store)
        client = Client(LocalTransport(server.handle), user_agent="bench-informer")
        await bootstrap(client)
        try:
            await sync_case(client)
            await latency_case(store, client)
        finally:
            await store.close()


if __name__ == "__main__":
    asyncio.run(main())
