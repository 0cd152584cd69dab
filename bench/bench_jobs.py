"""The Job controller's throughput, against a started daemon on the simulated runtime: one Job
of COMPLETIONS pods, PARALLELISM at a time, each container scripted to exit 0 at once. Prints
the time from the create to the Complete condition, completions per second, and the Job
controller's reconciles over that time (from the daemon's /metrics).

    .venv/bin/python bench/bench_jobs.py [COMPLETIONS] [PARALLELISM]
"""

from __future__ import annotations

import asyncio
import json
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

JOBS = REGISTRY.by_path("batch", "v1", "jobs")
PODS = REGISTRY.by_path("", "v1", "pods")
assert JOBS and PODS


def job(completions: int, parallelism: int) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "bench"},
            "spec": {"completions": completions, "parallelism": parallelism, "template": {
                "metadata": {"annotations": {
                    "sim.minikube-py.io/work": json.dumps({"exitCode": 0})}},
                "spec": {"restartPolicy": "Never", "containers": [
                    {"name": "work", "image": "minikube-py/busybox:local"}]}}}}


async def job_reconciles(client: Client) -> int:
    text = (await client.request("GET", "/metrics", accept="text/plain")).decode()
    match = re.search(r'^controller_runtime_reconcile_total\{controller="job"\} (\d+)$', text,
                      re.M)
    return int(match.group(1)) if match else 0


async def run(completions: int, parallelism: int) -> None:
    proc, data, _port, _ready = start_daemon(None, "--runtime", "sim", "--without", "proxy")
    client = Client(HttpTransport(kubeconfig.load(data / "kubeconfig")))
    try:
        before = await job_reconciles(client)
        started = time.perf_counter()
        await client.create(JOBS, job(completions, parallelism), "default")
        status: dict[str, Any] = {}
        while time.perf_counter() - started < 300:
            status = (await client.get(JOBS, "bench", "default")).get("status") or {}
            if any(c.get("type") == "Complete" for c in status.get("conditions") or []):
                break
            await asyncio.sleep(0.05)
        took = time.perf_counter() - started
        reconciles = await job_reconciles(client) - before
        pods = await client.list(PODS, "default",
                                 label_selector="batch.kubernetes.io/job-name=bench")
        print(f"machine: {machine()}")
        print(f"one Job, {completions} completions, parallelism {parallelism}, sim runtime")
        print(f"  create to Complete:   {took:6.2f} s  (succeeded {status.get('succeeded')}, "
              f"{len(pods['items'])} pods made)")
        print(f"  completions per second: {completions / took:6.1f}")
        print(f"  job reconciles:       {reconciles:6d}  ({reconciles / took:.0f}/s)")
        print(f"  daemon RSS after:     {rss_mb(proc.pid):6.0f} MB")
    finally:
        await client.close()
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    c = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    p = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    asyncio.run(run(c, p))
