"""Watch delivery latency: 100 watchers, a writer at 1,000 events/s for 5 s.

In one process through the apiserver pipeline (``ApiServer.handle``): each watcher is a real
watch stream as HTTP clients get (encoded JSON lines); latency is from the write call's
start to each watcher reading the line."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, percentile

from minikube_py.api.wire import ApiRequest
from minikube_py.apiserver.server import ApiServer
from minikube_py.client.base import Client
from minikube_py.client.local import LocalTransport
from minikube_py.daemon import bootstrap
from minikube_py.store.sqlite import Store

WATCHERS = 100
RATE = 1000
SECONDS = 5
PATH = "/api/v1/namespaces/default/configmaps"


async def main() -> None:
    print(f"# watch benchmark on {machine()}")
    tmp = tempfile.TemporaryDirectory(prefix="minikube-py-bench-")
    store = await Store.open(Path(tmp.name) / "s.db", synchronous="FULL")
    server = ApiServer(store)
    await bootstrap(Client(LocalTransport(server.handle)))
    sent: dict[str, float] = {}
    committed: dict[str, float] = {}
    latencies: list[float] = []
    after_commit: list[float] = []

    def on_commit(events: list) -> None:  # type: ignore[type-arg]
        now = time.perf_counter()
        for event in events:
            committed[event.key.rsplit("/", 1)[1]] = now

    store.on_commit.append(on_commit)
    total = RATE * SECONDS
    rv = str(store.revision)

    async def watcher() -> None:
        resp = await server.handle(ApiRequest("GET", PATH, query={
            "watch": "true", "resourceVersion": rv, "timeoutSeconds": "60"}))
        assert resp.stream is not None
        seen = 0
        async for chunk in resp.stream:
            now = time.perf_counter()
            for line in chunk.splitlines():
                # A byte scan, not a JSON decode: measure the server, not this client.
                name = line.split(b'"name":"', 1)[1].split(b'"', 1)[0].decode()
                latencies.append(now - sent[name])
                after_commit.append(now - committed[name])
                seen += 1
            if seen >= total:
                break
        await resp.stream.aclose()  # type: ignore[attr-defined]

    watchers = [asyncio.create_task(watcher()) for _ in range(WATCHERS)]
    await asyncio.sleep(0.2)
    start = time.perf_counter()
    pending = set()
    for i in range(total):
        target = start + i / RATE
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        name = f"e{i}"
        sent[name] = time.perf_counter()
        body = json.dumps({"metadata": {"name": name}, "data": {"i": str(i)}}).encode()
        pending.add(asyncio.create_task(server.handle(ApiRequest("POST", PATH, body=body))))
        pending = {t for t in pending if not t.done()}
    await asyncio.gather(*pending)
    achieved = total / (time.perf_counter() - start)
    await asyncio.wait_for(asyncio.gather(*watchers), 120)
    print(f"watch delivery with {WATCHERS} watchers at {achieved:,.0f} events/s offered "
          f"{RATE}: p50 {percentile(latencies, 50) * 1000:.1f} ms, "
          f"p99 {percentile(latencies, 99) * 1000:.1f} ms ({len(latencies):,} deliveries, "
          "from the write request)")
    print(f"watch delivery after commit (same run): p50 {percentile(after_commit, 50) * 1000:.1f}"
          f" ms, p99 {percentile(after_commit, 99) * 1000:.1f} ms")
    await store.close()
    tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
