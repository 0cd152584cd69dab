"""What a PodDisruptionBudget costs an eviction, in process (an ApiServer over SQLite with
``synchronous=FULL``, no HTTP): N Ready pods, evicted one after another, first with no
budget, then with one budget covering them all (each eviction then also writes the budget's
status: three commits instead of two). Prints ms per eviction for both. Then the
disruption controller's ``reconcile`` of one budget over the N pods (caches synced, status
unchanged: the read-only cost every pod event pays).

    .venv/bin/python bench/bench_eviction.py [PODS]
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine

from minikube_py.api.wire import ApiRequest
from minikube_py.apiserver.server import ApiServer
from minikube_py.client.base import Client
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.local import LocalTransport
from minikube_py.controllers.disruption import DisruptionController
from minikube_py.daemon import bootstrap
from minikube_py.store.sqlite import SqliteStorage

PODS = "/api/v1/namespaces/default/pods"
PDBS = "/apis/policy/v1/namespaces/default/poddisruptionbudgets"


async def call(server: ApiServer, method: str, path: str, body: Any = None) -> Any:
    raw = None if body is None else json.dumps(body).encode()
    resp = await server.handle(ApiRequest(method, path, body=raw,
                                          content_type="application/json" if raw else "",
                                          accept="application/json"))
    assert resp.status < 300, (resp.status, resp.body or resp.raw)
    return resp.body if resp.raw is None else json.loads(resp.raw)


async def ready_pods(server: ApiServer, prefix: str, n: int) -> None:
    for i in range(n):
        pod = await call(server, "POST", PODS, {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"{prefix}-{i}", "labels": {"app": prefix}},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
        pod["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
        await call(server, "PUT", f"{PODS}/{prefix}-{i}/status", pod)


async def evict_all(server: ApiServer, prefix: str, n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        await call(server, "POST", f"{PODS}/{prefix}-{i}/eviction", {
            "apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": f"{prefix}-{i}"}})
    return (time.perf_counter() - started) / n * 1000


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = await SqliteStorage.open(Path(tmp) / "state.db", synchronous="FULL")
        server = ApiServer(store)
        client = Client(LocalTransport(server.handle))
        await bootstrap(client)
        await ready_pods(server, "free", n)
        free = await evict_all(server, "free", n)
        await ready_pods(server, "web", n)
        pdb = await call(server, "POST", PDBS, {
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": "web"},
            "spec": {"maxUnavailable": n, "selector": {"matchLabels": {"app": "web"}}}})
        pdb["status"] = {"disruptionsAllowed": n, "currentHealthy": n, "desiredHealthy": 0,
                         "expectedPods": n, "observedGeneration": 1}
        await call(server, "PUT", f"{PDBS}/web/status", pdb)
        budgeted = await evict_all(server, "web", n)
        print(machine())
        print(f"eviction without a budget: {free:.2f} ms; with one budget: {budgeted:.2f} ms "
              f"({n} pods, sequential, SQLite FULL)")

        await ready_pods(server, "ctl", n)
        await call(server, "POST", PDBS, {
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": "ctl"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "ctl"}}}})
        informers = SharedInformerFactory(client)
        controller = DisruptionController(client, informers)
        informers.start()
        for informer in controller._watched:
            await informer.wait_for_sync()
        await controller.reconcile("default/ctl")  # writes the status once
        await asyncio.sleep(0.2)  # the informer sees it
        rounds = 50
        started = time.perf_counter()
        for _ in range(rounds):
            await controller.reconcile("default/ctl")
        per = (time.perf_counter() - started) / rounds * 1000
        print(f"disruption reconcile of one budget over {n} pods (status unchanged): "
              f"{per:.2f} ms")
        controller.queue.shut_down()
        await informers.shutdown()
        await server.close()
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
