"""The node lifecycle controller on a fake clientset with a controlled clock: stale heartbeats
make a node Unknown and unreachable, recovery removes the taints, NoExecute taints evict."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from minikube_py.controllers.base import Requeue
from minikube_py.controllers.nodelifecycle import (
    LEASES,
    NODES,
    PODS,
    NodeLifecycleController,
)
from tests.controllers.fakes import FakeCluster

Object = dict[str, Any]
T0 = 1_800_000_000.0


def stamp(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def node(name: str, *, ready: str = "True", heartbeat: float = T0,
         taints: list[Object] | None = None) -> Object:
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "namespace": "", "creationTimestamp": stamp(T0 - 3600)},
            "spec": {"taints": taints} if taints else {},
            "status": {"conditions": [
                {"type": k, "status": ready if k == "Ready" else "False",
                 "lastHeartbeatTime": stamp(heartbeat), "lastTransitionTime": stamp(T0 - 3600)}
                for k in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")]}}


def lease(name: str, renewed: float) -> Object:
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": name, "namespace": "kube-node-lease"},
            "spec": {"holderIdentity": name, "renewTime": stamp(renewed)}}


def pod(name: str, on: str, tolerations: list[Object] | None = None) -> Object:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
            "spec": {"nodeName": on, "containers": [{"name": "a", "image": "x"}],
                     "tolerations": tolerations or []},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def controller(cluster: FakeCluster, clock: Clock) -> NodeLifecycleController:
    return NodeLifecycleController(cluster.client, cluster.informers, clock=clock)


def seed_node(cluster: FakeCluster, obj: Object) -> None:
    cluster.put("nodes", obj, namespace="")
    stored = cluster.objects[("nodes", "", obj["metadata"]["name"])]
    cluster.informers.informer_for(NODES).indexer.add(stored)


async def run(controller: NodeLifecycleController, key: str) -> float | None:
    try:
        await controller.reconcile(key)
    except Requeue as again:
        return again.after
    return None


def taints(cluster: FakeCluster, name: str) -> set[tuple[str, str]]:
    got = cluster.objects[("nodes", "", name)].get("spec", {}).get("taints") or []
    return {(t["key"], t["effect"]) for t in got}


UNREACHABLE = {("node.kubernetes.io/unreachable", "NoSchedule"),
               ("node.kubernetes.io/unreachable", "NoExecute")}


async def test_a_stale_node_becomes_unknown_and_unreachable(
        cluster: FakeCluster, clock: Clock, controller: NodeLifecycleController) -> None:
    seed_node(cluster, node("n1", heartbeat=T0 - 100))
    cluster.seed(LEASES, lease("n1", T0 - 100))
    assert await run(controller, "n1") == pytest.approx(40)  # first seen now: grace from now
    assert taints(cluster, "n1") == set()
    clock.now = T0 + 41
    await run(controller, "n1")
    status = cluster.objects[("nodes", "", "n1")]["status"]["conditions"]
    assert {c["type"]: (c["status"], c["reason"]) for c in status} == {
        k: ("Unknown", "NodeStatusUnknown")
        for k in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")}
    assert taints(cluster, "n1") == UNREACHABLE


async def test_a_fresh_lease_keeps_the_node_ready(
        cluster: FakeCluster, clock: Clock, controller: NodeLifecycleController) -> None:
    seed_node(cluster, node("n1", heartbeat=T0 - 100))
    cluster.seed(LEASES, lease("n1", T0 + 30))
    clock.now = T0 + 60
    await run(controller, "n1")
    assert cluster.writes(resource="nodes") == []


async def test_recovery_removes_the_taints(
        cluster: FakeCluster, clock: Clock, controller: NodeLifecycleController) -> None:
    gone = [{"key": "node.kubernetes.io/unreachable", "effect": e, "timeAdded": stamp(T0)}
            for e in ("NoSchedule", "NoExecute")]
    seed_node(cluster, node("n1", heartbeat=T0, taints=[*gone, {"key": "mine",
                                                                "effect": "NoSchedule"}]))
    await run(controller, "n1")
    assert taints(cluster, "n1") == {("mine", "NoSchedule")}


async def test_a_not_ready_node_gets_the_not_ready_taints(
        cluster: FakeCluster, controller: NodeLifecycleController) -> None:
    seed_node(cluster, node("n1", ready="False"))
    await run(controller, "n1")
    assert taints(cluster, "n1") == {("node.kubernetes.io/not-ready", "NoSchedule"),
                                     ("node.kubernetes.io/not-ready", "NoExecute")}


async def test_no_execute_taints_evict_by_toleration(
        cluster: FakeCluster, clock: Clock, controller: NodeLifecycleController) -> None:
    taint = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute",
             "timeAdded": stamp(T0)}
    seed_node(cluster, node("n1", ready="Unknown",
                            taints=[taint, {**taint, "effect": "NoSchedule"}]))
    cluster.seed(LEASES, lease("n1", T0))
    for_300 = [{"key": taint["key"], "operator": "Exists", "effect": "NoExecute",
                "tolerationSeconds": 300}]
    cluster.seed(PODS, pod("untolerated", "n1"), pod("for-300", "n1", for_300),
                 pod("forever", "n1", [{"operator": "Exists"}]))
    after = await run(controller, "n1")
    deleted = [a.name for a in cluster.writes(resource="pods") if a.verb == "delete"]
    assert deleted == ["untolerated"]
    marked = [a.body for a in cluster.writes(resource="pods") if a.subresource == "status"]
    assert marked[0]["status"]["conditions"][-1]["reason"] == "DeletionByTaintManager"
    assert after is not None and 0 < after <= 300
    clock.now = T0 + 299
    cluster.sync_caches()
    cluster.clear()
    await run(controller, "n1")
    assert [a for a in cluster.writes(resource="pods") if a.verb == "delete"] == []
    clock.now = T0 + 301
    cluster.sync_caches()
    await run(controller, "n1")
    assert [a.name for a in cluster.writes(resource="pods") if a.verb == "delete"] == \
        ["for-300"]
    assert ("pods", "default", "forever") in cluster.objects
