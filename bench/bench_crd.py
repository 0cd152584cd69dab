"""Custom resources, in one process through the apiserver pipeline (``ApiServer.handle``, no
HTTP), on SQLite with ``synchronous=FULL``:

1. from the POST of a CRD to its kind being served (Established, and a first object
   created), median of 20 CRDs;
2. creates/s of a custom resource with a schema (prune, default, validate; stored in the
   storage version) against ConfigMaps, 32 concurrent writers, 3,000 objects each;
3. a list of 3,000 objects: custom resources (each decoded, converted and defaulted) against
   ConfigMaps (stored bytes spliced into the answer);
4. an apiserver starting on a store that holds 200 CRDs: until all are served again.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine

from minikube_py.apiserver.server import ApiServer
from minikube_py.client.base import Client
from minikube_py.client.local import LocalTransport
from minikube_py.daemon import bootstrap
from minikube_py.store.sqlite import SqliteStorage as Store

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
N = 3000
WRITERS = 32
SCHEMA = {"type": "object", "properties": {"spec": {"type": "object", "required": ["size"],
          "properties": {"size": {"type": "integer", "minimum": 1},
                         "color": {"type": "string", "enum": ["red", "blue"],
                                   "default": "red"},
                         "tags": {"type": "array", "items": {"type": "string"}}}}}}


def crd(i: int) -> dict[str, Any]:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"things{i}.bench.io"},
            "spec": {"group": "bench.io", "scope": "Namespaced",
                     "names": {"plural": f"things{i}", "kind": f"Thing{i}"},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": SCHEMA}}]}}


async def until_served(c: Client, i: int) -> None:
    body = {"apiVersion": "bench.io/v1", "kind": f"Thing{i}", "metadata": {"name": "first"},
            "spec": {"size": 1}}
    while True:
        try:
            await c.request("POST", f"/apis/bench.io/v1/namespaces/default/things{i}",
                            body=body)
            return
        except Exception:
            await asyncio.sleep(0.001)


async def creates(c: Client, path: str, make: Any) -> float:
    queue = list(range(N))

    async def writer() -> None:
        while queue:
            await c.request("POST", path, body=make(queue.pop()))

    start = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    return N / (time.perf_counter() - start)


async def list_ms(c: Client, path: str) -> float:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        await c.request("GET", path)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def main() -> None:
    print(machine())
    with tempfile.TemporaryDirectory(prefix="minikube-py-bench-") as tmp:
        store = await Store.open(Path(tmp) / "s.db", synchronous="FULL")
        server = ApiServer(store)
        await server.custom_resources.start()
        c = Client(LocalTransport(server.handle))
        await bootstrap(c)
        served = []
        for i in range(20):
            start = time.perf_counter()
            await c.request("POST", CRDS, body=crd(i))
            await until_served(c, i)
            served.append((time.perf_counter() - start) * 1000)
        print(f"CRD POST to kind served (Established + first create): median "
              f"{statistics.median(served):.1f} ms, max {max(served):.1f} ms (20 CRDs)")
        cr_path = "/apis/bench.io/v1/namespaces/default/things0"
        cm_path = "/api/v1/namespaces/default/configmaps"
        cr_rate = await creates(c, cr_path, lambda n: {
            "apiVersion": "bench.io/v1", "kind": "Thing0", "metadata": {"name": f"t{n}"},
            "spec": {"size": n + 1, "tags": ["a", "b"], "unknown": 1}})
        cm_rate = await creates(c, cm_path, lambda n: {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{n}"},
            "data": {"size": str(n + 1), "tags": "a,b"}})
        print(f"creates/s, {WRITERS} writers, {N} objects: custom resource {cr_rate:,.0f}/s, "
              f"ConfigMap {cm_rate:,.0f}/s")
        print(f"list of {N}: custom resources {await list_ms(c, cr_path):.1f} ms, ConfigMaps "
              f"{await list_ms(c, cm_path):.1f} ms (median of 5)")
        for i in range(20, 200):
            await c.request("POST", CRDS, body=crd(i))
        await asyncio.sleep(0.5)  # the last ones established
        await server.custom_resources.stop()
        start = time.perf_counter()
        again = ApiServer(store)
        await again.custom_resources.start()
        took = (time.perf_counter() - start) * 1000
        served = sum(1 for rt in again.registry if rt.group == "bench.io")
        print(f"apiserver start on a store with 200 CRDs: {took:.0f} ms to serve {served} kinds")
        await again.custom_resources.stop()
        await store.close()


if __name__ == "__main__":
    asyncio.run(main())
