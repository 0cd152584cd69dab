"""Workload controllers at scale, against a started daemon (the controller manager in it):
100 Deployments of 10 replicas created at once over HTTPS. Prints the time until all 1,000
pods exist, until every Deployment reports 10 replicas in its status, the reconciles per
second of each controller over that time (from the daemon's /metrics), and the daemon's
peak RSS (VmHWM). Nothing marks pods ready: this is the create path.

    .venv/bin/python bench/bench_controllers.py [DEPLOYMENTS] [REPLICAS]
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, rss_mb, start_daemon

from minikube_py.api.registry import REGISTRY
from minikube_py.client import kubeconfig
from minikube_py.client.base import Client
from minikube_py.client.http import HttpTransport
from minikube_py.client.informer import SharedInformerFactory

DEPLOYMENTS = REGISTRY.by_path("apps", "v1", "deployments")
PODS = REGISTRY.by_path("", "v1", "pods")
NAMESPACES = REGISTRY.by_path("", "v1", "namespaces")
assert DEPLOYMENTS and PODS and NAMESPACES
NS = "bench"


def deployment(i: int, replicas: int) -> dict[str, Any]:
    name = f"web-{i:03d}"
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {
                         "containers": [{"name": "web", "image": "nginx:1.25"}]}}}}


async def reconciles(client: Client) -> dict[str, int]:
    text = (await client.request("GET", "/metrics", accept="text/plain")).decode()
    return {m[1]: int(m[2]) for m in re.finditer(
        r'^controller_runtime_reconcile_total\{controller="([^"]+)"\} (\d+)$', text, re.M)}


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run(count: int, replicas: int) -> None:
    proc, data, _port, _ready = start_daemon()
    client = Client(HttpTransport(kubeconfig.load(data / "kubeconfig")))
    informers = SharedInformerFactory(client, name="bench")
    try:
        await client.create(NAMESPACES, {"metadata": {"name": NS}})
        pods = informers.informer_for(PODS, namespace=NS)
        deploys = informers.informer_for(DEPLOYMENTS, namespace=NS)
        all_pods, all_status = asyncio.Event(), asyncio.Event()
        want = count * replicas

        def pods_seen(*_: Any) -> None:
            if len(pods.indexer) >= want:
                all_pods.set()

        def status_seen(*_: Any) -> None:
            done = [d for d in deploys.indexer.list()
                    if (d.get("status") or {}).get("replicas") == replicas]
            if len(done) == count:
                all_status.set()

        pods.add_event_handler(on_add=pods_seen)
        deploys.add_event_handler(on_add=status_seen, on_update=status_seen)
        informers.start()
        await informers.wait_for_cache_sync()
        rss_before = rss_mb(proc.pid)
        before = await reconciles(client)
        started = time.perf_counter()
        await asyncio.gather(*(client.create(DEPLOYMENTS, deployment(i, replicas))
                               for i in range(count)))
        created = time.perf_counter() - started
        await asyncio.wait_for(all_pods.wait(), 120)
        pods_at = time.perf_counter() - started
        await asyncio.wait_for(all_status.wait(), 120)
        status_at = time.perf_counter() - started
        after = await reconciles(client)
        print(f"machine: {machine()}")
        print(f"{count} Deployments x {replicas} replicas created at once over HTTPS")
        print(f"  creates answered:                  {created:6.2f} s")
        print(f"  all {want} pods exist:              {pods_at:6.2f} s")
        print(f"  every status at {replicas} replicas:      {status_at:6.2f} s")
        for name in sorted(after):
            n = after[name] - before.get(name, 0)
            if n:
                print(f"  reconciles {name:22s} {n:6d}  ({n / status_at:7.0f}/s)")
        total = sum(after.values()) - sum(before.values())
        print(f"  reconciles in all                 {total:6d}  ({total / status_at:7.0f}/s)")
        print(f"  daemon RSS: {rss_before:.0f} MB before, peak {peak_rss_mb(proc.pid):.0f} MB,"
              f" {rss_mb(proc.pid):.0f} MB after")
    finally:
        await informers.shutdown()
        await client.close()
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    r = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    asyncio.run(run(n, r))
