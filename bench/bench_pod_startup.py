"""Pod startup through the kubelet: time from pod creation to ``phase: Running`` as a watch
sees it, p50/p99 over N pods created one after another (each waited for), on the docker and
on the sim runtime; then a Deployment of R replicas from create to all Ready. Images are
local (minikube-py/busybox:local); the daemon has one node whose containers are removed at
the end.

    .venv/bin/python bench/bench_pod_startup.py [PODS] [REPLICAS] [docker|sim ...]
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, percentile, start_daemon

from minikube_py.api.registry import REGISTRY
from minikube_py.client import kubeconfig
from minikube_py.client.base import Client
from minikube_py.client.http import HttpTransport

PODS = REGISTRY.by_path("", "v1", "pods")
DEPLOYMENTS = REGISTRY.by_path("apps", "v1", "deployments")
assert PODS and DEPLOYMENTS
IMAGE = "minikube-py/busybox:local"


def pod(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": {"bench": "startup"}},
            "spec": {"terminationGracePeriodSeconds": 0, "containers": [
                {"name": "app", "image": IMAGE, "imagePullPolicy": "Never",
                 "command": ["sleep", "3600"]}]}}


async def wait_running(client: Client, name: str, rv: str) -> None:
    async for event in client.watch(PODS, "default", resource_version=rv,
                                    field_selector=f"metadata.name={name}"):
        obj = event.get("object") or {}
        if (obj.get("status") or {}).get("phase") == "Running":
            return


async def startup(client: Client, count: int) -> list[float]:
    out = []
    for i in range(count):
        name = f"start-{i:03d}"
        listed = await client.list(PODS, "default", limit=1)
        rv = listed["metadata"]["resourceVersion"]
        began = time.perf_counter()
        await client.create(PODS, pod(name))
        await asyncio.wait_for(wait_running(client, name, rv), 60)
        out.append(time.perf_counter() - began)
    return out


async def deployment(client: Client, replicas: int) -> float:
    began = time.perf_counter()
    await client.create(DEPLOYMENTS, {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "bench-web", "namespace": "default"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "bench-web"}},
                 "template": {"metadata": {"labels": {"app": "bench-web"}}, "spec": {
                     "terminationGracePeriodSeconds": 0, "containers": [
                         {"name": "web", "image": IMAGE, "imagePullPolicy": "Never",
                          "command": ["httpd", "-f", "-p", "8080"]}]}}}})
    while True:
        dep = await client.get(DEPLOYMENTS, "bench-web", "default")
        if (dep.get("status") or {}).get("readyReplicas") == replicas:
            return time.perf_counter() - began
        await asyncio.sleep(0.05)


async def run(port: int, data: Path, count: int, replicas: int) -> tuple[list[float], float]:
    config = kubeconfig.load(data / "kubeconfig")
    client = Client(HttpTransport(config))
    try:
        times = await startup(client, count)
        took = await deployment(client, replicas)
        return times, took
    finally:
        await client.close()


def main() -> None:
    args = sys.argv[1:]
    count = int(args[0]) if args and args[0].isdigit() else 50
    replicas = int(args[1]) if len(args) > 1 and args[1].isdigit() else 30
    runtimes = [a for a in args if a in ("docker", "sim")] or ["docker", "sim"]
    print(f"# pod startup, {machine()}")
    for runtime in runtimes:
        node = f"bench-{uuid.uuid4().hex[:6]}"
        data = Path(f"/tmp/minikube-py-bench-{node}")
        data.mkdir(parents=True)
        (data / "nodes.yaml").write_text(f"- name: {node}\n")
        proc, data, port, _ = start_daemon(data, "--nodes-file", str(data / "nodes.yaml"),
                                           "--runtime", runtime)
        try:
            times, took = asyncio.run(run(port, data, count, replicas))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            ids = subprocess.run(["docker", "ps", "-aq", "--filter",
                                  f"label=io.minikube-py.node={node}"], capture_output=True,
                                 text=True, check=False).stdout.split()
            if ids:
                subprocess.run(["docker", "rm", "-f", *ids], capture_output=True, check=False)
            shutil.rmtree(data, ignore_errors=True)
        print(f"{runtime}: {count} pods created -> Running: p50 {percentile(times, 50):.3f} s, "
              f"p99 {percentile(times, 99):.3f} s, max {max(times):.3f} s; "
              f"Deployment of {replicas} -> all Ready {took:.2f} s")


if __name__ == "__main__":
    main()
