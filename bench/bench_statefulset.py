"""StatefulSet start-up on the sim runtime: a StatefulSet of R replicas (no claims) from
create to ``readyReplicas: R``, OrderedReady (each pod waits for the previous one to be
Running and Ready, so this is R trips through controller -> scheduler -> kubelet -> status)
and Parallel; then a template change rolled over all R pods (one at a time, highest first).

    .venv/bin/python bench/bench_statefulset.py [REPLICAS]
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, start_daemon

from minikube_py.api.registry import REGISTRY
from minikube_py.client import kubeconfig
from minikube_py.client.base import Client
from minikube_py.client.http import HttpTransport

STATEFUL_SETS = REGISTRY.require("apps", "v1", "statefulsets")
IMAGE = "minikube-py/busybox:local"


def stateful_set(name: str, replicas: int, policy: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "serviceName": name, "podManagementPolicy": policy,
                     "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {
                         "terminationGracePeriodSeconds": 0,
                         "containers": [{"name": "app", "image": IMAGE,
                                         "imagePullPolicy": "Never"}]}}}}


async def wait_for(client: Client, name: str, done: Any) -> None:
    while True:
        sts = await client.get(STATEFUL_SETS, name, "default")
        if done(sts):
            return
        await asyncio.sleep(0.02)


def all_ready(replicas: int) -> Any:
    return lambda s: (s.get("status") or {}).get("readyReplicas") == replicas


def rolled(replicas: int) -> Any:
    def check(s: dict[str, Any]) -> bool:
        status = s.get("status") or {}
        return (status.get("observedGeneration") == s["metadata"]["generation"]
                and status.get("updatedReplicas") == replicas
                and status.get("readyReplicas") == replicas
                and status.get("currentRevision") == status.get("updateRevision"))
    return check


def data_dir() -> Path:
    """A fresh data directory with a nodes file of one roomy node."""
    data = Path(tempfile.mkdtemp(prefix="minikube-py-bench-"))
    node = f"bench-{uuid.uuid4().hex[:6]}"
    (data / "nodes.yaml").write_text(f"- name: {node}\n  cpu: '8'\n  memory: 16Gi\n")
    return data


async def run(replicas: int, data: Path) -> None:
    proc, data, _port, _ready = start_daemon(data, "--runtime", "sim", "--nodes-file",
                                             str(data / "nodes.yaml"))
    client = Client(HttpTransport(kubeconfig.load(data / "kubeconfig")))
    try:
        print(f"machine: {machine()}")
        for policy in ("OrderedReady", "Parallel"):
            name = policy.lower()
            started = time.perf_counter()
            await client.create(STATEFUL_SETS, stateful_set(name, replicas, policy), "default")
            await wait_for(client, name, all_ready(replicas))
            took = time.perf_counter() - started
            print(f"  {policy:12s} {replicas} replicas -> all Ready: {took:6.2f} s"
                  f"  ({took / replicas * 1000:5.0f} ms a pod)")
        started = time.perf_counter()
        await client.patch(STATEFUL_SETS, "orderedready", {"spec": {"template": {"metadata": {
            "annotations": {"bench": "2"}}}}}, "default")
        await wait_for(client, "orderedready", rolled(replicas))
        took = time.perf_counter() - started
        print(f"  RollingUpdate of {replicas} pods -> all updated and Ready: {took:6.2f} s"
              f"  ({took / replicas * 1000:5.0f} ms a pod)")
    finally:
        await client.close()
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 10, data_dir()))
