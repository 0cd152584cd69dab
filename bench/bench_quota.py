"""What ResourceQuota admission costs, in process (ApiServer.handle, memory store): pod
creates/s in a namespace without a quota, with a quota on pods and requests.cpu (each create
charges status.used by compare-and-swap), and with 16 concurrent clients (all serialized on
the quota's revision); plus a LimitRange defaulting every pod."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine

from minikube_py.api.wire import ApiRequest
from minikube_py.apiserver.server import ApiServer
from minikube_py.client.base import Client
from minikube_py.client.local import LocalTransport
from minikube_py.daemon import bootstrap
from minikube_py.store.memory import MemoryStorage


async def post(server: ApiServer, path: str, body: dict[str, Any]) -> int:
    resp = await server.handle(ApiRequest("POST", path, body=json.dumps(body).encode(),
                                          content_type="application/json"))
    return resp.status


def pod(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {"containers": [{
        "name": "c", "image": "busybox",
        "resources": {"requests": {"cpu": "1m"}, "limits": {"cpu": "1m"}}}]}}


async def creates(server: ApiServer, ns: str, n: int, concurrency: int,
                  extra: dict[str, Any] | None = None) -> float:
    await post(server, "/api/v1/namespaces", {"metadata": {"name": ns}})
    for plural, obj in (extra or {}).items():
        assert await post(server, f"/api/v1/namespaces/{ns}/{plural}", obj) == 201
    queue = list(range(n))

    async def worker() -> None:
        while queue:
            i = queue.pop()
            status = await post(server, f"/api/v1/namespaces/{ns}/pods", pod(f"p-{i}"))
            assert status == 201, status

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - started)


async def main(n: int) -> None:
    print(f"machine: {machine()}")
    store = MemoryStorage()
    server = ApiServer(store)
    await bootstrap(Client(LocalTransport(server.handle)))
    quota = {"resourcequotas": {"metadata": {"name": "q"}, "spec": {"hard": {
        "pods": str(10 * n), "requests.cpu": "1000", "limits.cpu": "1000"}}}}
    limits = {"limitranges": {"metadata": {"name": "lr"}, "spec": {"limits": [
        {"type": "Container", "max": {"cpu": "2"}, "default": {"memory": "64Mi"}}]}}}
    try:
        print(f"pod creates/s, no quota:            {await creates(server, 'a', n, 1):8.0f}")
        print(f"pod creates/s, quota (1 client):    "
              f"{await creates(server, 'b', n, 1, quota):8.0f}")
        print(f"pod creates/s, quota (16 clients):  "
              f"{await creates(server, 'c', n, 16, quota):8.0f}")
        print(f"pod creates/s, LimitRange:          "
              f"{await creates(server, 'd', n, 1, limits):8.0f}")
    finally:
        await server.close()
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500))
