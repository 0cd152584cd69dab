"""Store write throughput and latency: 1 and 64 concurrent writers, and p99 at 30 writes/s.

Prints one line per figure. Uses the real store on a temp file with synchronous=FULL (the
daemon's default: fsync per commit)."""

from __future__ import annotations

import asyncio
import itertools
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, percentile

from minikube_py.store.sqlite import SqliteStorage as Store

TMP = tempfile.TemporaryDirectory(prefix="minikube-py-bench-")  # removed at exit
_N = itertools.count()


def obj(i: int) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": f"c{i}", "namespace": "default"}, "data": {"k": "v" * 200}}


async def throughput(writers: int, total: int, sync: str) -> tuple[float, list[float]]:
    store = await Store.open(Path(TMP.name) / f"s{next(_N)}.db", synchronous=sync)
    latencies: list[float] = []
    per = total // writers

    async def writer(w: int) -> None:
        for j in range(per):
            t = time.perf_counter()
            await store.create(f"/registry/configmaps/default/w{w}-{j}", obj(j))
            latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    elapsed = time.perf_counter() - start
    await store.close()
    return per * writers / elapsed, latencies


async def paced(rate: float, seconds: float, sync: str) -> list[float]:
    store = await Store.open(Path(TMP.name) / f"s{next(_N)}.db", synchronous=sync)
    latencies: list[float] = []
    n = int(rate * seconds)
    for i in range(n):
        t = time.perf_counter()
        await store.create(f"/registry/configmaps/default/p{i}", obj(i))
        latencies.append(time.perf_counter() - t)
        await asyncio.sleep(max(0.0, 1 / rate - (time.perf_counter() - t)))
    await store.close()
    return latencies


async def main() -> None:
    print(f"# store benchmark on {machine()}")
    for sync in ("FULL", "NORMAL"):
        for writers, total in ((1, 2000), (64, 12800)):
            rate, lat = await throughput(writers, total, sync)
            print(f"store writes/s synchronous={sync} writers={writers}: {rate:,.0f} "
                  f"(p50 {percentile(lat, 50) * 1000:.2f} ms, "
                  f"p99 {percentile(lat, 99) * 1000:.2f} ms)")
        lat = await paced(30, 5, sync)
        print(f"store latency at 30 writes/s synchronous={sync}: p50 "
              f"{percentile(lat, 50) * 1000:.2f} ms, p99 {percentile(lat, 99) * 1000:.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
