"""Store write throughput and latency: 1 and 64 concurrent writers, and p99 at 30 writes/s,
on both backends side by side.

SQLite: the real store on a temp file, synchronous=FULL (the daemon's default: fsync per
commit) and NORMAL. etcd (Debian's, started on loopback in a temp dir, fsync per commit as
always): our ``EtcdStorage`` (a create-if-absent transaction, then its watch delivering the
revision) next to raw etcd (the same transaction through the same client, nothing waited
for): the anchor, and the overhead our store adds over it."""

from __future__ import annotations

import asyncio
import itertools
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, percentile, start_etcd, stop_etcd

from minikube_py.store.etcd import EtcdStorage
from minikube_py.store.etcd_client import EtcdClient, b64, parse_endpoints
from minikube_py.store.sqlite import SqliteStorage as Store
from minikube_py.util import jsonutil

TMP = tempfile.TemporaryDirectory(prefix="minikube-py-bench-")  # removed at exit
_N = itertools.count()


def obj(i: int) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": f"c{i}", "namespace": "default"}, "data": {"k": "v" * 200}}


class RawEtcd:
    """etcd alone: the create transaction our store sends, and nothing else."""

    def __init__(self, url: str) -> None:
        self.client = EtcdClient(parse_endpoints(url, tls=False))

    async def create(self, key: str, obj: dict) -> None:
        await self.client.txn(
            [{"target": "CREATE", "key": b64(key), "create_revision": "0"}],
            [{"request_put": {"key": b64(key), "value": b64(jsonutil.dumps(obj))}}], [])

    async def close(self) -> None:
        await self.client.close()


async def open_backend(backend: str, etcd: str | None) -> object:
    if backend.startswith("sqlite"):
        return await Store.open(Path(TMP.name) / f"s{next(_N)}.db",
                                synchronous=backend.split("-")[1])
    assert etcd is not None
    if backend == "etcd-raw":
        return RawEtcd(etcd)
    return await EtcdStorage.open(EtcdClient(parse_endpoints(etcd, tls=False)))


async def throughput(writers: int, total: int, backend: str,
                     etcd: str | None = None) -> tuple[float, list[float]]:
    store = await open_backend(backend, etcd)
    latencies: list[float] = []
    per = total // writers
    run = next(_N)

    async def writer(w: int) -> None:
        for j in range(per):
            t = time.perf_counter()
            await store.create(f"/registry/configmaps/default/{run}w{w}-{j}", obj(j))
            latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    elapsed = time.perf_counter() - start
    await store.close()
    return per * writers / elapsed, latencies


async def paced(rate: float, seconds: float, backend: str,
                etcd: str | None = None) -> list[float]:
    store = await open_backend(backend, etcd)
    latencies: list[float] = []
    n = int(rate * seconds)
    run = next(_N)
    for i in range(n):
        t = time.perf_counter()
        await store.create(f"/registry/configmaps/default/{run}p{i}", obj(i))
        latencies.append(time.perf_counter() - t)
        await asyncio.sleep(max(0.0, 1 / rate - (time.perf_counter() - t)))
    await store.close()
    return latencies


BACKENDS = ("sqlite-FULL", "sqlite-NORMAL", "etcd-store", "etcd-raw")


def cell(rate: float, lat: list[float]) -> str:
    return f"{rate:,.0f}/s (p50 {percentile(lat, 50) * 1000:.2f}, " \
           f"p99 {percentile(lat, 99) * 1000:.2f} ms)"


async def main() -> None:
    print(f"# store benchmark on {machine()}")
    etcd = start_etcd()
    backends = [b for b in BACKENDS if etcd is not None or not b.startswith("etcd")]
    url = etcd[1] if etcd is not None else None
    try:
        print("| figure | " + " | ".join(backends) + " |")
        print("|---" * (len(backends) + 1) + "|")
        for writers, total in ((1, 1000), (64, 6400)):
            cells = [cell(*await throughput(writers, total, b, url)) for b in backends]
            print(f"| writes, {writers} writer(s) | " + " | ".join(cells) + " |")
        cells = []
        for b in backends:
            lat = await paced(30, 5, b, url)
            cells.append(f"p50 {percentile(lat, 50) * 1000:.2f}, "
                         f"p99 {percentile(lat, 99) * 1000:.2f} ms")
        print("| latency at 30 writes/s | " + " | ".join(cells) + " |")
    finally:
        if etcd is not None:
            stop_etcd(etcd)


if __name__ == "__main__":
    asyncio.run(main())
