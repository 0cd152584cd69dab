"""What admission webhooks and the second version of Events cost, in process (ApiServer.handle
over the in-memory store, no HTTP front end): ConfigMap creates/s with no webhook
configuration, with 10 that match nothing (the matching alone), and with one matching
mutating webhook (a real HTTPS call per create to a server in another thread), one client and
16 concurrent; then a list of 1,000 Events through core/v1 against events.k8s.io/v1 (each
item converted).

    .venv/bin/python bench/bench_webhooks.py [CREATES]
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
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.helpers
from common import machine

from minikube_py.api.wire import ApiRequest
from minikube_py.apiserver.server import ApiServer
from minikube_py.client.base import Client
from minikube_py.client.local import LocalTransport
from minikube_py.daemon import bootstrap
from minikube_py.store.memory import MemoryStorage
from tests.helpers.webhook_server import WebhookServer

AR = "/apis/admissionregistration.k8s.io/v1"


async def post(server: ApiServer, path: str, body: dict[str, Any]) -> int:
    resp = await server.handle(ApiRequest("POST", path, body=json.dumps(body).encode(),
                                          content_type="application/json"))
    return resp.status


async def creates(server: ApiServer, ns: str, n: int, concurrency: int) -> float:
    await post(server, "/api/v1/namespaces", {"metadata": {"name": ns}})
    path = f"/api/v1/namespaces/{ns}/configmaps"
    queue = list(range(n))

    async def worker() -> None:
        while queue:
            i = queue.pop()
            status = await post(server, path, {"metadata": {"name": f"cm-{i}", "labels": {
                "hook": "label"}}, "data": {"k": "v"}})
            assert status == 201, status

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - started)


def webhook(name: str, url: str, ca: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"name": f"{name}.example.com", "clientConfig": {"url": url, "caBundle": ca},
            "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "objectSelector": {"matchLabels": labels},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                       "resources": ["configmaps"]}]}


async def main(n: int) -> None:
    print(f"machine: {machine()}")
    hooks = WebhookServer(Path(tempfile.mkdtemp())).start()
    store = MemoryStorage()
    server = ApiServer(store)
    await bootstrap(Client(LocalTransport(server.handle)))
    try:
        print(f"creates/s, no webhooks:                 {await creates(server, 'a', n, 1):8.0f}")
        for i in range(10):
            await post(server, f"{AR}/validatingwebhookconfigurations", {
                "metadata": {"name": f"other-{i}"},
                "webhooks": [webhook(f"other-{i}", hooks.url("/allow"), hooks.ca_bundle,
                                     {"never": "matches"})]})
        print(f"creates/s, 10 webhooks matching nothing: {await creates(server, 'b', n, 1):8.0f}")
        await post(server, f"{AR}/mutatingwebhookconfigurations", {
            "metadata": {"name": "labeller"},
            "webhooks": [webhook("labeller", hooks.url("/label"), hooks.ca_bundle,
                                 {"hook": "label"})]})
        calls = n // 5
        one = await creates(server, "c", calls, 1)
        many = await creates(server, "d", calls, 16)
        print(f"creates/s, 1 matching mutating webhook:  {one:8.0f} (1 client), "
              f"{many:.0f} (16 clients)")
        for i in range(1000):
            await post(server, "/api/v1/namespaces/default/events", {
                "metadata": {"name": f"ev-{i}"}, "reason": "R", "message": "m" * 100,
                "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"}})
        for label, path in (("core/v1", "/api/v1/namespaces/default/events"),
                            ("events.k8s.io/v1", "/apis/events.k8s.io/v1/namespaces/default/"
                                                 "events")):
            started = time.perf_counter()
            for _ in range(20):
                resp = await server.handle(ApiRequest("GET", path))
                assert resp.status == 200
            took = (time.perf_counter() - started) / 20 * 1000
            print(f"list of 1,000 Events through {label:17s} {took:6.1f} ms")
    finally:
        await server.close()
        hooks.stop()
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
