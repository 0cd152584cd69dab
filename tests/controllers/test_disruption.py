"""The disruption controller, sample-controller style: seed the informer caches of a fake
clientset with a budget, its pods and their controllers, run ``reconcile`` once and assert
the status it wrote (Kubernetes' pkg/controller/disruption rules)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from minikube_py.controllers.disruption import (
    DEPLOYMENTS,
    PDBS,
    PODS,
    REPLICA_SETS,
    REPLICATION_CONTROLLERS,
    STATEFUL_SETS,
    DisruptionController,
)
from tests.controllers.fakes import FakeCluster

Object = dict[str, Any]
NOW = dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=dt.UTC)


def ts(seconds_before_now: float) -> str:
    return (NOW - dt.timedelta(seconds=seconds_before_now)).strftime("%Y-%m-%dT%H:%M:%SZ")


def budget(**spec: Any) -> Object:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": "web", "namespace": "default", "generation": 1},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec}, "status": {}}


def owner(kind: str, name: str, replicas: int, parent: Object | None = None) -> Object:
    meta: Object = {"name": name, "namespace": "default", "uid": f"uid-{name}"}
    if parent is not None:
        meta["ownerReferences"] = [ref(parent)]
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta,
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}}}}


def ref(obj: Object) -> Object:
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"],
            "name": obj["metadata"]["name"], "uid": obj["metadata"]["uid"], "controller": True}


def pod(name: str, *, ready: bool = True, controller: Object | None = None,
        deleting: bool = False) -> Object:
    meta: Object = {"name": name, "namespace": "default", "labels": {"app": "web"}}
    if controller is not None:
        meta["ownerReferences"] = [ref(controller)]
    if deleting:
        meta["deletionTimestamp"] = ts(1)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {},
            "status": {"phase": "Running", "conditions": [
                {"type": "Ready", "status": "True" if ready else "False"}]}}


async def reconcile(cluster: FakeCluster, pdb: Object, *objs: tuple[Any, Object]) -> Object:
    controller = DisruptionController(cluster.client, cluster.informers, now=lambda: NOW)
    cluster.seed(PDBS, pdb)
    for rt, obj in objs:
        cluster.seed(rt, obj)
    await controller.reconcile("default/web")
    controller.queue.shut_down()
    return cluster.get("poddisruptionbudgets", "web")["status"]


def counts(status: Object) -> tuple[int, int, int, int]:
    return (status["currentHealthy"], status["desiredHealthy"], status["expectedPods"],
            status["disruptionsAllowed"])


def condition(status: Object) -> tuple[str, str]:
    [cond] = status["conditions"]
    assert cond["type"] == "DisruptionAllowed"
    return cond["status"], cond["reason"]


async def test_min_available_number_counts_ready_pods() -> None:
    """minAvailable 2 of three pods, one unready and one terminating: 1 healthy, none allowed."""
    status = await reconcile(FakeCluster(), budget(minAvailable=2),
                             (PODS, pod("a")), (PODS, pod("b", ready=False)),
                             (PODS, pod("c", deleting=True)))
    assert counts(status) == (1, 2, 3, 0)
    assert condition(status) == ("False", "InsufficientPods")
    assert status["observedGeneration"] == 1


async def test_min_available_percent_uses_the_replicaset_scale() -> None:
    """minAvailable 50% of a ReplicaSet of 4 (3 pods Ready): desired 2, one disruption."""
    rs = owner("ReplicaSet", "web-1", 4)
    status = await reconcile(FakeCluster(), budget(minAvailable="50%"), (REPLICA_SETS, rs),
                             *[(PODS, pod(n, controller=rs)) for n in "abc"])
    assert counts(status) == (3, 2, 4, 1)
    assert condition(status) == ("True", "SufficientPods")


async def test_max_unavailable_uses_the_deployment_over_the_replicaset() -> None:
    """maxUnavailable 1 of a Deployment of 3 (its ReplicaSet says 5): desired 2."""
    deployment = owner("Deployment", "web", 3)
    rs = owner("ReplicaSet", "web-1", 5, parent=deployment)
    status = await reconcile(FakeCluster(), budget(maxUnavailable=1),
                             (DEPLOYMENTS, deployment), (REPLICA_SETS, rs),
                             *[(PODS, pod(n, controller=rs)) for n in "abc"])
    assert counts(status) == (3, 2, 3, 1)


@pytest.mark.parametrize(("rt", "api_version", "kind"), [
    pytest.param(STATEFUL_SETS, "apps/v1", "StatefulSet", id="statefulset"),
    pytest.param(REPLICATION_CONTROLLERS, "v1", "ReplicationController", id="rc"),
])
async def test_max_unavailable_percent_of_other_controllers(rt: Any, api_version: str,
                                                            kind: str) -> None:
    """maxUnavailable 25% of a StatefulSet or RC of 4 (rounded up: 1): desired 3."""
    ctl = owner(kind, "web", 4)
    ctl["apiVersion"] = api_version
    status = await reconcile(FakeCluster(), budget(maxUnavailable="25%"), (rt, ctl),
                             *[(PODS, pod(n, controller=ctl)) for n in "abcd"])
    assert counts(status) == (4, 3, 4, 1)


async def test_max_unavailable_without_a_controller_fails_safe() -> None:
    """A pod whose controller cannot be found: no disruptions, reason SyncFailed."""
    gone = owner("ReplicaSet", "gone", 2)
    status = await reconcile(FakeCluster(), budget(maxUnavailable="50%"),
                             (PODS, pod("a", controller=gone)))
    assert status.get("disruptionsAllowed", 0) == 0
    [cond] = status["conditions"]
    assert (cond["status"], cond["reason"]) == ("False", "SyncFailed")
    assert 'found no controllers for pod "a"' in cond["message"]


@pytest.mark.parametrize(("age", "kept"), [
    pytest.param(30, True, id="recent-entry-kept-and-not-healthy"),
    pytest.param(180, False, id="entry-older-than-two-minutes-dropped"),
])
async def test_disrupted_pods(age: float, kept: bool) -> None:
    """A pod the eviction handler let go is not healthy for two minutes, then forgotten."""
    pdb = budget(minAvailable=1)
    pdb["status"] = {"disruptedPods": {"a": ts(age), "gone": ts(10)}}
    status = await reconcile(FakeCluster(), pdb, (PODS, pod("a")), (PODS, pod("b")))
    assert status.get("disruptedPods", {}) == ({"a": ts(age)} if kept else {})
    assert counts(status) == ((1, 1, 2, 0) if kept else (2, 1, 2, 1))


async def test_unchanged_status_is_not_written() -> None:
    """A second reconcile of the same state writes nothing (idempotent)."""
    cluster = FakeCluster()
    await reconcile(cluster, budget(minAvailable=1), (PODS, pod("a")), (PODS, pod("b")))
    cluster.sync_caches()
    cluster.clear()
    controller = DisruptionController(cluster.client, cluster.informers, now=lambda: NOW)
    await controller.reconcile("default/web")
    assert cluster.writes() == []


def test_pod_events_enqueue_matching_budgets() -> None:
    """A pod's add enqueues the budgets that select it, and only those."""
    cluster = FakeCluster()
    controller = DisruptionController(cluster.client, cluster.informers, now=lambda: NOW)
    other = budget(minAvailable=1)
    other["metadata"]["name"] = "db"
    other["spec"]["selector"] = {"matchLabels": {"app": "db"}}
    cluster.seed(PDBS, budget(minAvailable=1), other)
    controller._pod_changed(pod("a"))
    assert len(controller.queue) == 1
    controller.queue.shut_down()
