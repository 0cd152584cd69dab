"""Informer figures, in one process through the in-process client (the path controllers
take), on a real SQLite store:

1. Sync: one SharedInformer over 10,000 ConfigMaps (paginated list of 500 per page, then
   the watch opens): time to ``wait_for_cache_sync``, and memory: the RSS delta of the
   process across a plain sync, then syncs under tracemalloc for the peak of Python
   allocations during the sync and what the cache keeps afterwards (as served, and with
   managedFields stripped by a transform).
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
from minikube_py.client.informer import (
    SharedInformer,
    SharedInformerFactory,
    TransformFunc,
    strip_managed_fields,
)
from minikube_py.client.local import LocalTransport
from minikube_py.daemon import bootstrap
from minikube_py.store.sqlite import SqliteStorage as Store

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


async def timed_sync(client: Client, transform: TransformFunc | None = None,
                     ) -> tuple[float, SharedInformer]:
    """Seconds from start() to wait_for_cache_sync; the informer (and its cache) is kept."""
    factory = SharedInformerFactory(client, transform=transform)
    informer = factory.informer_for(CONFIGMAPS)
    started = time.perf_counter()
    factory.start()
    assert await factory.wait_for_cache_sync(timeout=300)
    elapsed = time.perf_counter() - started
    await factory.shutdown()  # the watch ends; the cache stays with the informer
    assert len(informer.indexer) == OBJECTS, len(informer.indexer)
    return elapsed, informer


async def traced_sync(client: Client, transform: TransformFunc | None, label: str) -> None:
    gc.collect()
    tracemalloc.start()
    elapsed, informer = await timed_sync(client, transform)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label} under tracemalloc ({elapsed * 1000:.0f} ms, slowed by tracing): peak "
          f"{peak / 2**20:.1f} MB of Python allocations, {current / 2**20:.1f} MB kept by "
          f"the cache ({current / OBJECTS / 1024:.2f} KiB per object)")
    del informer


async def sync_case(client: Client) -> None:
    filled = await fill(client)
    print(f"setup: {OBJECTS:,} ConfigMaps created through the client in {filled:.1f} s")
    gc.collect()
    before = rss_mb(os.getpid())
    elapsed, informer = await timed_sync(client)
    gc.collect()
    after = rss_mb(os.getpid())
    print(f"informer sync of {OBJECTS:,} ConfigMaps: {elapsed * 1000:.0f} ms "
          f"({OBJECTS / elapsed:,.0f} objects/s); RSS +{after - before:.1f} MB")
    del informer
    await traced_sync(client, None, "same sync")
    await traced_sync(client, strip_managed_fields, "with strip_managed_fields")


class Probe:
    """Times each created ConfigMap: write call start, commit, arrival at on_add."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.sent: dict[str, float] = {}
        self.committed: dict[str, float] = {}
        self.from_write: list[float] = []
        self.from_commit: list[float] = []
        self.all_seen = asyncio.Event()

    def on_commit(self, events: list) -> None:  # type: ignore[type-arg]
        now = time.perf_counter()
        for event in events:
            self.committed[event.key.rsplit("/", 1)[1]] = now

    def on_add(self, obj: dict[str, Any]) -> None:
        now = time.perf_counter()
        name = obj["metadata"]["name"]
        if name in self.sent:
            self.from_write.append(now - self.sent[name])
            self.from_commit.append(now - self.committed[name])
            if len(self.from_write) == self.total:
                self.all_seen.set()


async def paced_writes(client: Client, probe: Probe) -> float:
    """Create ``probe.total`` ConfigMaps at RATE per second; return the rate achieved."""
    pending: set[asyncio.Task[Any]] = set()
    start = time.perf_counter()
    for i in range(probe.total):
        delay = start + i / RATE - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        name = f"e{i}"
        probe.sent[name] = time.perf_counter()
        pending.add(asyncio.create_task(client.create(CONFIGMAPS, configmap(name, i))))
        pending = {t for t in pending if not t.done()}
    await asyncio.gather(*pending)
    return probe.total / (time.perf_counter() - start)


async def latency_case(store: Store, client: Client) -> None:
    probe = Probe(RATE * SECONDS)
    store.on_commit.append(probe.on_commit)
    factory = SharedInformerFactory(client)
    factory.informer_for(CONFIGMAPS).add_event_handler(on_add=probe.on_add)
    factory.start()
    assert await factory.wait_for_cache_sync(timeout=300)
    achieved = await paced_writes(client, probe)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(probe.all_seen.wait(), 60)
    await factory.shutdown()
    ms = [percentile(values, p) * 1000 for values in (probe.from_write, probe.from_commit)
          for p in (50, 99)]
    print(f"event to handler at {achieved:,.0f} writes/s offered {RATE} for {SECONDS} s: "
          f"p50 {ms[0]:.1f} ms, p99 {ms[1]:.1f} ms from the write call "
          f"({len(probe.from_write):,} of {probe.total:,} delivered, {OBJECTS:,} cached)")
    print(f"event to handler after commit (same run): p50 {ms[2]:.1f} ms, p99 {ms[3]:.1f} ms")


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
