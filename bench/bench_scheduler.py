"""Scheduler throughput of a real daemon: pods bound per second with 100 and 1,000 virtual
nodes (created through the API, as kube-scheduler's scheduler_perf does) and 5,000 pods,
basic pods and pods with required anti-affinity.

Two ways, each case on a fresh daemon (``up --without nodes``: no node of its own) that
first gets the nodes:

- **in the daemon**: 5,000 pods are created over HTTPS by 32 concurrent clients while the
  daemon's own scheduler binds them and a watch on pods (in this process) notes when each is
  first seen bound. Printed: pods/s from the first create to the last binding seen (end to
  end: creation, scheduling, bindings and events share the daemon's one core), the binding
  rate over the middle 80% of bindings, latency creation -> binding seen (p50, p99), and
  the daemon's CPU per pod.
- **scheduler process**: the daemon runs ``--without scheduler``; the 5,000 pods are created
  pending, then ``minikube-py scheduler --kubeconfig`` starts (its own process, as
  kube-scheduler is) and binds them. Printed: bindings/s from the first binding to the last
  (the scheduler's throughput, what kube-scheduler's scheduler_perf reports), the time from
  the process start (informer sync included), and CPU per pod of scheduler and daemon.

And **the cycle alone**: the framework over a cache of the same nodes in this process, no
API at all (pre-filter, filter, score, pick, assume, as ``Scheduler.schedule_one`` runs
them, opportunistic batching included): what the scheduling algorithm costs per pod.

Anti-affinity pods belong to groups of at most half the node count; each repels its own group
by hostname, so every pod can be placed but no node takes two of a group.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_http import cpu_seconds
from common import ROOT, machine, percentile, start_daemon

from minikube_py.api.registry import REGISTRY
from minikube_py.client import kubeconfig
from minikube_py.client.base import Client
from minikube_py.client.http import HttpTransport
from minikube_py.scheduler.batching import Batcher
from minikube_py.scheduler.cache import Cache
from minikube_py.scheduler.config import SchedulerConfig, build_profiles
from minikube_py.scheduler.framework import CycleState, Diagnosis, Framework
from minikube_py.scheduler.types import NodeInfo, PodInfo

PODS = int(os.environ.get("BENCH_SCHED_PODS", "5000"))
CASES = [(100, False), (1000, False), (100, True), (1000, True)]
CONCURRENCY = 32
POD_RT = REGISTRY.by_path("", "v1", "pods")
NODE_RT = REGISTRY.by_path("", "v1", "nodes")
NS_RT = REGISTRY.by_path("", "v1", "namespaces")
assert POD_RT is not None and NODE_RT is not None and NS_RT is not None


def node(i: int) -> dict[str, Any]:
    name = f"node-{i}"
    capacity = {"cpu": "32", "memory": "256Gi", "pods": "110"}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                  "topology.kubernetes.io/zone":
                                                  f"zone-{i % 3}"}},
            "status": {"capacity": capacity, "allocatable": capacity,
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def pod(i: int, groups: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "busybox",
                                            "resources": {"requests": {"cpu": "10m",
                                                                       "memory": "10Mi"}}}]}
    labels = {"bench": "sched"}
    if groups:
        labels["group"] = f"g{i % groups}"
        spec["affinity"] = {"podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [{
                "labelSelector": {"matchLabels": {"group": labels["group"]}},
                "topologyKey": "kubernetes.io/hostname"}]}}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"pod-{i}", "namespace": "bench", "labels": labels},
            "spec": spec}


def start_scheduler(kubeconfig_file: Path) -> subprocess.Popen[bytes]:
    """``minikube-py scheduler`` in its own process (started from sync code: the bench's
    loop has nothing else to do meanwhile)."""
    return subprocess.Popen([sys.executable, "-m", "minikube_py.cli.main", "scheduler",
                             "--kubeconfig", str(kubeconfig_file)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=ROOT)


async def in_parallel(items: list[Any], work: Any) -> None:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)

    async def worker() -> None:
        while not queue.empty():
            await work(queue.get_nowait())

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def run_case(nodes: int, anti: bool, separate: bool = False) -> dict[str, float]:
    extra = ("--without", "nodes") + (("--without", "scheduler") if separate else ())
    proc, data, _port, _ready = start_daemon(None, *extra)
    scheduler: subprocess.Popen[bytes] | None = None
    client = Client(HttpTransport(kubeconfig.load(data / "kubeconfig")))
    try:
        await in_parallel(list(range(nodes)), lambda i: client.create(NODE_RT, node(i)))
        await client.create(NS_RT, {"metadata": {"name": "bench"}})
        groups = math.ceil(PODS / max(nodes // 2, 1)) if anti else 0
        created: dict[str, float] = {}
        bound: dict[str, float] = {}
        done = asyncio.Event()
        listing = await client.list(POD_RT, "bench")
        rv = listing["metadata"]["resourceVersion"]

        async def watcher() -> None:
            async for event in client.watch(POD_RT, "bench", resource_version=rv,
                                            timeout_seconds=600):
                obj = event.get("object") or {}
                name = (obj.get("metadata") or {}).get("name")
                if name and (obj.get("spec") or {}).get("nodeName") and name not in bound:
                    bound[name] = time.perf_counter()
                    if len(bound) >= PODS:
                        done.set()
                        return

        watch = asyncio.ensure_future(watcher())
        await asyncio.sleep(0.2)
        cpu0 = cpu_seconds(proc.pid)
        start = time.perf_counter()

        async def create(i: int) -> None:
            created[f"pod-{i}"] = time.perf_counter()
            await client.create(POD_RT, pod(i, groups))

        await in_parallel(list(range(PODS)), create)
        created_all = time.perf_counter() - start
        if separate:
            cpu0 = cpu_seconds(proc.pid)
            start = time.perf_counter()
            scheduler = start_scheduler(data / "kubeconfig")
        try:
            await asyncio.wait_for(done.wait(), 600)
        finally:
            watch.cancel()
        cpu = cpu_seconds(proc.pid) - cpu0
        sched_cpu = cpu_seconds(scheduler.pid) if scheduler is not None else 0.0
        times = sorted(bound.values())
        total = times[-1] - start
        lo, hi = times[len(times) // 10], times[len(times) * 9 // 10]
        latencies = [bound[n] - created[n] for n in bound]
        return {"pods_per_s": PODS / total, "steady_per_s": (len(times) * 0.8) / (hi - lo),
                "binding_per_s": (len(times) - 1) / (times[-1] - times[0]),
                "sched_cpu_ms_per_pod": sched_cpu / PODS * 1000,
                "create_s": created_all, "total_s": total,
                "p50_ms": percentile(latencies, 50) * 1000,
                "p99_ms": percentile(latencies, 99) * 1000,
                "cpu_ms_per_pod": cpu / PODS * 1000}
    finally:
        await client.close()
        if scheduler is not None:
            scheduler.terminate()
            scheduler.wait(timeout=30)
        proc.terminate()
        proc.wait(timeout=30)


class _Handle:
    """The plugins' Handle over a bare cache (no API: nothing binds, nothing is listed)."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.client: Any = None
        self.events: Any = None
        self.fw: Framework | None = None

    def node_infos(self) -> list[NodeInfo]:
        return self.cache.node_list()

    def node_info(self, name: str) -> NodeInfo | None:
        return self.cache.nodes.get(name)

    def lister(self, _plural: str) -> None:
        return None

    def framework(self) -> Framework:
        assert self.fw is not None
        return self.fw


def cycle_only(nodes: int, anti: bool, *, batching: bool = True) -> float:
    """Pods/s of the scheduling cycle alone."""
    cache = Cache()
    for i in range(nodes):
        cache.add_node(node(i))
    handle = _Handle(cache)
    fw = build_profiles(SchedulerConfig(), handle)["default-scheduler"]  # type: ignore[arg-type]
    handle.fw = fw
    batcher = Batcher()
    groups = math.ceil(PODS / max(nodes // 2, 1)) if anti else 0
    pods = []
    for i in range(PODS):
        obj = pod(i, groups)
        obj["metadata"]["uid"] = f"uid-{i}"
        obj["spec"]["schedulerName"] = "default-scheduler"
        pods.append(PodInfo.of(obj))
    start = time.perf_counter()
    for p in pods:
        node_list = cache.node_list()
        reuse = batcher.candidates(p, fw, node_list) if batching else None
        if reuse is not None:
            host = fw.select_host(*reuse)
        else:
            state, diagnosis = CycleState(), Diagnosis()
            fw.run_pre_filter(state, p, node_list)
            feasible = fw.find_nodes_that_fit(state, p, node_list, diagnosis)
            fw.run_pre_score(state, p, feasible)
            scores = fw.run_score(state, p, feasible)
            host = fw.select_host(feasible, scores)
            batcher.remember(p, fw, state, node_list, feasible, scores)
        cache.assume_pod(dataclasses.replace(p, node_name=host.name), host.name)
    return PODS / (time.perf_counter() - start)


async def main() -> None:
    print(f"bench_scheduler: {PODS} pods; {machine()}")
    only = os.environ.get("BENCH_SCHED_CASES")  # e.g. "1000:basic,100:anti"
    modes = os.environ.get("BENCH_SCHED_MODES", "cycle,daemon,process").split(",")
    for nodes, anti in CASES:
        label = f"{nodes}:{'anti' if anti else 'basic'}"
        if only and label not in only.split(","):
            continue
        kind = "anti-affinity" if anti else "basic"
        if "cycle" in modes:
            print(f"  the cycle alone    {nodes:>5} nodes, {kind:<13} "
                  f"{cycle_only(nodes, anti):5.0f} pods/s (without batching "
                  f"{cycle_only(nodes, anti, batching=False):5.0f} pods/s)", flush=True)
        if "daemon" in modes:
            r = await run_case(nodes, anti)
            print(f"  in the daemon      {nodes:>5} nodes, {kind:<13} {r['pods_per_s']:5.0f} "
                  f"pods/s end to end ({r['total_s']:.1f} s; creates took "
                  f"{r['create_s']:.1f} s), steady {r['steady_per_s']:5.0f} bindings/s, "
                  f"latency p50 {r['p50_ms']:.0f} ms p99 {r['p99_ms']:.0f} ms, daemon CPU "
                  f"{r['cpu_ms_per_pod']:.2f} ms/pod", flush=True)
        if "process" in modes:
            r = await run_case(nodes, anti, separate=True)
            print(f"  scheduler process  {nodes:>5} nodes, {kind:<13} "
                  f"{r['binding_per_s']:5.0f} bindings/s ({r['total_s']:.1f} s from the "
                  f"process start), scheduler CPU {r['sched_cpu_ms_per_pod']:.2f} ms/pod, "
                  f"daemon CPU {r['cpu_ms_per_pod']:.2f} ms/pod", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
