"""The ReplicaSet (and ReplicationController) controller, sample-controller style: seed the
informer caches of a fake clientset, run ``reconcile`` once, assert the writes it made."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from minikube_py.api.errors import Forbidden
from minikube_py.controllers.base import Requeue
from minikube_py.controllers.controller_utils import (
    ControllerExpectations,
    active_pods_order,
    slow_start_batch,
)
from minikube_py.controllers.replicaset import (
    PODS,
    REPLICA_SETS,
    REPLICATION_CONTROLLERS,
    ReplicaSetController,
)
from tests.controllers.fakes import FakeCluster

Object = dict[str, Any]
NOW = 1_800_000_000.0  # the controllers' clock in these tests
LONG_AGO = "2026-01-01T00:00:00Z"


def ts(seconds_before_now: float) -> str:
    return dt.datetime.fromtimestamp(NOW - seconds_before_now, dt.UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def replica_set(name: str = "web", replicas: int = 3, *, min_ready: int = 0,
                labels: dict[str, str] | None = None, **meta: Any) -> Object:
    labels = labels or {"app": name}
    spec: Object = {"replicas": replicas, "selector": {"matchLabels": dict(labels)},
                    "template": {"metadata": {"labels": {**labels, "tier": "front"}},
                                 "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}
    if min_ready:
        spec["minReadySeconds"] = min_ready
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}", **meta},
            "spec": spec}


def pod(name: str, *, owner: Object | None = None, labels: dict[str, str] | None = None,
        phase: str = "Running", ready: bool = True, node: str = "n1", ready_for: float = 600,
        restarts: int = 0, age: float = 3600, deleting: bool = False) -> Object:
    meta: Object = {"name": name, "namespace": "default", "uid": f"uid-{name}",
                    "labels": labels if labels is not None else {"app": "web", "tier": "front"},
                    "creationTimestamp": ts(age)}
    if owner is not None:
        kind = owner["kind"]
        meta["ownerReferences"] = [{"apiVersion": owner["apiVersion"], "kind": kind,
                                    "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"], "controller": True}]
    if deleting:
        meta["deletionTimestamp"] = ts(0)
    status: Object = {"phase": phase, "conditions": [
        {"type": "Ready", "status": "True" if ready else "False",
         "lastTransitionTime": ts(ready_for)}],
        "containerStatuses": [{"name": "c", "restartCount": restarts}]}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}]},
            "status": status}


def cost(obj: Object, value: str) -> Object:
    obj["metadata"]["annotations"] = {"controller.kubernetes.io/pod-deletion-cost": value}
    return obj


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def controller(cluster: FakeCluster) -> ReplicaSetController:
    return ReplicaSetController(cluster.client, cluster.informers, clock=lambda: NOW)


async def test_scale_up_creates_the_missing_pods_with_a_controller_reference(
        cluster: FakeCluster, controller: ReplicaSetController) -> None:
    """Three replicas and no pods: three pods from the template, named ``web-``..., each
    with a controller ownerReference that blocks the owner's deletion."""
    cluster.seed(REPLICA_SETS, replica_set(replicas=3))
    await controller.reconcile("default/web")
    creates = [a for a in cluster.writes(resource="pods") if a.verb == "create"]
    assert len(creates) == 3
    for action in creates:
        meta = action.body["metadata"]
        assert meta["generateName"] == "web-"
        assert meta["labels"] == {"app": "web", "tier": "front"}
        assert meta["ownerReferences"] == [{
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "uid-web",
            "controller": True, "blockOwnerDeletion": True}]
    assert controller.expectations.pending("default/web") == (3, 0)


async def test_expectations_hold_back_a_second_scale_up_until_the_creates_are_seen(
        cluster: FakeCluster, controller: ReplicaSetController) -> None:
    """A reconcile before the informer has seen the pods it created creates nothing more;
    once the three creations are observed, a reconcile acts again."""
    cluster.seed(REPLICA_SETS, replica_set(replicas=3))
    await controller.reconcile("default/web")
    cluster.clear()
    controller.sets.indexer.add(cluster.get("replicasets", "web"))  # its status write
    await controller.reconcile("default/web")
    assert [a for a in cluster.writes(resource="pods")] == []
    for created in cluster.of("pods"):
        controller._pod_added(created)
    assert controller.expectations.satisfied("default/web")
    await controller.reconcile("default/web")  # cache still empty: creates again
    assert len([a for a in cluster.writes(resource="pods") if a.verb == "create"]) == 3


def test_expectations_expire_and_count_each_delete_once() -> None:
    """Unsatisfied expectations stop blocking after the TTL; a delete seen twice counts
    once; creates count down to satisfied."""
    now = [0.0]
    exp = ControllerExpectations(ttl=300, clock=lambda: now[0])
    exp.expect_deletions("ns/rs", ["ns/a", "ns/b"])
    exp.deletion_observed("ns/rs", "ns/a")
    exp.deletion_observed("ns/rs", "ns/a")
    assert not exp.satisfied("ns/rs")
    now[0] = 301
    assert exp.satisfied("ns/rs")
    exp.expect_creations("ns/rs", 2)
    exp.creation_observed("ns/rs")
    assert not exp.satisfied("ns/rs")
    exp.creation_observed("ns/rs")
    assert exp.satisfied("ns/rs")


async def test_a_refused_create_stops_the_batch_and_sets_replica_failure(
        cluster: FakeCluster, controller: ReplicaSetController) -> None:
    """When the apiserver refuses pod creates (quota), slow start makes one attempt, not
    ten; the status gets ReplicaFailure/FailedCreate and the reconcile fails (retried)."""
    cluster.seed(REPLICA_SETS, replica_set(replicas=10))
    cluster.refuse[("create", "pods")] = Forbidden('pods "web-x" is forbidden: exceeded quota')
    with pytest.raises(Forbidden):
        await controller.reconcile("default/web")
    assert len([a for a in cluster.actions if a.verb == "create"]) == 1
    status = cluster.get("replicasets", "web")["status"]
    [cond] = status["conditions"]
    assert (cond["type"], cond["status"], cond["reason"]) == ("ReplicaFailure", "True",
                                                             "FailedCreate")
    assert "exceeded quota" in cond["message"]
    assert controller.expectations.satisfied("default/web")  # the 9 never sent are not awaited


async def test_replica_failure_is_removed_once_creates_succeed(
        cluster: FakeCluster, controller: ReplicaSetController) -> None:
    """A ReplicaFailure condition from an earlier refusal goes away when creates work."""
    rs = replica_set(replicas=1)
    rs["status"] = {"conditions": [{"type": "ReplicaFailure", "status": "True",
                                    "reason": "FailedCreate", "message": "quota"}]}
    cluster.seed(REPLICA_SETS, rs)
    await controller.reconcile("default/web")
    assert "conditions" not in cluster.get("replicasets", "web")["status"]


async def test_slow_start_batches_double_and_stop_at_the_first_failing_batch() -> None:
    """Batches of 1, 2, 4, ...: a failure in the third batch means 7 calls, 6 successes."""
    calls = 0

    async def call() -> None:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise RuntimeError("refused")
        await asyncio.sleep(0)

    done, err = await slow_start_batch(20, 1, call)
    assert (calls, done, str(err)) == (7, 6, "refused")


async def test_a_burst_is_capped_at_burst_replicas(cluster: FakeCluster) -> None:
    """No more than burstReplicas creates per reconcile."""
    controller = ReplicaSetController(cluster.client, cluster.informers, burst_replicas=5)
    cluster.seed(REPLICA_SETS, replica_set(replicas=12))
    await controller.reconcile("default/web")
    assert len([a for a in cluster.writes(resource="pods") if a.verb == "create"]) == 5


async def test_scale_down_deletes_in_active_pods_order(
        cluster: FakeCluster, controller: ReplicaSetController) -> None:
    """From 6 pods to 2: the unassigned, pending, not-ready, recently ready, restarting and
    newest pods go, the two oldest long-ready ones stay."""
    rs = cluster.seed(REPLICA_SETS, replica_set(replicas=2))[0]
    cluster.seed(PODS,
                 pod("unassigned", owner=rs, node=""),
                 pod("pending", owner=rs, phase="Pending", ready=False),
                 pod("not-ready", owner=rs, ready=False),
                 pod("ready-briefly", owner=rs, ready_for=5),
                 pod("keep-old", owner=rs, age=7200),
                 pod("keep", owner=rs, age=5000))
    await controller.reconcile("default/web")
    deleted = {a.name for a in cluster.writes(resource="pods") if a.verb == "delete"}
    assert deleted == {"unassigned", "pending", "not-ready", "ready-briefly"}
    assert controller.expectations.pending("default/web") == (0, 4)


@pytest.mark.parametrize("first, second", [
    pytest.param(pod("a", node=""), pod("b"), id="unassigned-before-assigned"),
    pytest.param(pod("a", phase="Pending", ready=False), pod("b", phase="Unknown", ready=False),
                 id="pending-before-unknown"),
    pytest.param(pod("a", phase="Unknown", ready=False), pod("b", ready=False),
                 id="unknown-before-running"),
    pytest.param(pod("a", ready=False), pod("b"), id="not-ready-before-ready"),
    pytest.param(cost(pod("a", ready_for=1000), "-5"), pod("b", ready_for=10),
                 id="lower-deletion-cost-first"),
    pytest.param(pod("a", ready_for=10), pod("b", ready_for=1000),
                 id="ready-shorter-before-longer"),
    pytest.param(pod("a", restarts=5), pod("b", restarts=1), id="more-restarts-first"),
    pytest.param(pod("a", age=10), pod("b", age=1000), id="newer-before-older"),
])
def test_active_pods_order(first: Object, second: Object) -> None:
    """Each rule of ActivePods, on two pods that differ only by it, both ways round."""
    assert active_pods_order(first) < active_pods_order(second)
    assert sorted([second, first], key=active_pods_order)[0] is first


async def test_an_orphan_that_matches_is_adopted_after_a_fresh_get(
        cluster: FakeCluster, controller: ReplicaSetController) -> None:
    """A matching pod without a controller gets our controller ref (after the owner was read
    from the API), and counts: no pod is created for it."""
    cluster.seed(REPLICA_SETS, replica_set(replicas=1))
    cluster.seed(PODS, pod("orphan"))
    await controller.reconcile("default/web")
    verbs = [(a.verb, a.resource, a.name) for a in cluster.actions if a.resource != "events"]
    assert verbs.index(("get", "replicasets", "web")) < verbs.index(("patch", "pods", "orphan"))
    refs = cluster.get("pods", "orphan")["metadata"]["ownerReferences"]
    assert [(r["uid"], r["controller"], r["blockOwnerDeletion"]) for r in refs] == [
        ("uid-web", True, True)]
    assert not [a for a in cluster.writes(resource="pods") if a.verb == "create"]


async def test_no_adoption_while_the_owner_is_being_deleted(
        cluster: FakeCluster, controller: ReplicaSetController) -> None:
    """A ReplicaSet with a deletionTimestamp adopts nothing and creates nothing."""
    cluster.seed(REPLICA_SETS, replica_set(replicas=2, deletionTimestamp=LONG_AGO))
    cluster.seed(PODS, pod("orphan"))
    await controller.reconcile("default/web")
    assert cluster.writes(resource="pods") == []


async def test_no_adoption_when_the_fresh_owner_is_another_object(
        cluster: FakeCluster, controller: ReplicaSetController) -> None:
    """The cache holds an owner whose name now belongs to a new object (another uid): the
    fresh GET shows it and the orphan is left alone."""
    cluster.seed(REPLICA_SETS, replica_set(replicas=1))
    cluster.seed(PODS, pod("orphan"))
    cluster.get("replicasets", "web")["metadata"]["uid"] = "uid-new"
    await controller.reconcile("default/web")
    assert [a for a in cluster.writes(resource="pods") if a.verb == "patch"] == []


async def test_a_pod_that_stops_matching_is_released(
        cluster: FakeCluster, controller: ReplicaSetController) -> None:
    """An owned pod whose labels no longer match loses our ownerReference; a replacement is
    created for it."""
    rs = cluster.seed(REPLICA_SETS, replica_set(replicas=1))[0]
    cluster.seed(PODS, pod("relabelled", owner=rs, labels={"app": "other"}))
    await controller.reconcile("default/web")
    assert not cluster.get("pods", "relabelled")["metadata"].get("ownerReferences")
    assert len([a for a in cluster.writes(resource="pods") if a.verb == "create"]) == 1


async def test_pods_of_another_controller_are_left_alone(
        cluster: FakeCluster, controller: ReplicaSetController) -> None:
    """A matching pod controlled by another owner is neither adopted nor counted."""
    cluster.seed(REPLICA_SETS, replica_set(replicas=1))
    other = replica_set("other", labels={"app": "web"})
    cluster.seed(PODS, pod("theirs", owner=other))
    await controller.reconcile("default/web")
    writes = [(a.verb, a.name) for a in cluster.writes(resource="pods")]
    assert writes == [("create", "")]


async def test_status_counts_ready_available_and_fully_labelled(
        cluster: FakeCluster, controller: ReplicaSetController) -> None:
    """Status: replicas, readyReplicas, availableReplicas (ready for minReadySeconds),
    fullyLabeledReplicas (all template labels) and observedGeneration; a set whose ready
    pods are not yet available asks to be looked at again after minReadySeconds."""
    rs = cluster.seed(REPLICA_SETS, replica_set(replicas=3, min_ready=30))[0]
    cluster.seed(PODS, pod("old", owner=rs, ready_for=100),
                 pod("fresh", owner=rs, ready_for=5),
                 pod("partial", owner=rs, ready_for=100, labels={"app": "web"}))
    with pytest.raises(Requeue) as again:
        await controller.reconcile("default/web")
    assert again.value.after == 30
    [write] = cluster.writes(resource="replicasets")
    assert write.subresource == "status"
    assert write.body["status"] == {"replicas": 3, "fullyLabeledReplicas": 2,
                                    "readyReplicas": 3, "availableReplicas": 2,
                                    "observedGeneration": 1}


async def test_finished_and_deleting_pods_do_not_count(
        cluster: FakeCluster, controller: ReplicaSetController) -> None:
    """Succeeded, Failed and terminating pods are not active: they are replaced."""
    rs = cluster.seed(REPLICA_SETS, replica_set(replicas=3))[0]
    cluster.seed(PODS, pod("done", owner=rs, phase="Succeeded"),
                 pod("failed", owner=rs, phase="Failed"),
                 pod("going", owner=rs, deleting=True))
    await controller.reconcile("default/web")
    assert len([a for a in cluster.writes(resource="pods") if a.verb == "create"]) == 3


async def test_replication_controller_uses_its_map_selector(cluster: FakeCluster) -> None:
    """The same controller runs v1 ReplicationControllers: a plain map selector, and pods
    owned by a ``v1 ReplicationController`` reference."""
    controller = ReplicaSetController(cluster.client, cluster.informers,
                                      resource=REPLICATION_CONTROLLERS)
    rc = {"apiVersion": "v1", "kind": "ReplicationController",
          "metadata": {"name": "legacy", "namespace": "default", "uid": "uid-legacy"},
          "spec": {"replicas": 2, "selector": {"app": "legacy"},
                   "template": {"metadata": {"labels": {"app": "legacy"}},
                                "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    cluster.seed(REPLICATION_CONTROLLERS, rc)
    cluster.seed(PODS, pod("mine", labels={"app": "legacy"}), pod("not-mine"))
    await controller.reconcile("default/legacy")
    writes = [(a.verb, a.name) for a in cluster.writes(resource="pods")]
    assert sorted(writes) == [("create", ""), ("patch", "mine")]
    created = next(a for a in cluster.writes(resource="pods") if a.verb == "create")
    ref = created.body["metadata"]["ownerReferences"][0]
    assert (ref["apiVersion"], ref["kind"]) == ("v1", "ReplicationController")


async def test_a_deleted_set_clears_its_expectations(
        cluster: FakeCluster, controller: ReplicaSetController) -> None:
    """Reconciling a key whose set is gone does nothing and forgets its expectations."""
    controller.expectations.expect_creations("default/gone", 3)
    await controller.reconcile("default/gone")
    assert cluster.writes() == []
    assert controller.expectations.pending("default/gone") == (0, 0)


async def test_pod_events_settle_expectations_and_enqueue_the_owner(
        cluster: FakeCluster, controller: ReplicaSetController) -> None:
    """An added pod with our controller ref counts as an observed create, a deleted one as
    an observed delete, and both enqueue the owner; an orphan enqueues the sets whose
    selector matches it, and no other."""
    rs = cluster.seed(REPLICA_SETS, replica_set(), replica_set("db", labels={"app": "db"}))[0]
    controller.expectations.expect_creations("default/web", 1)
    controller._pod_added(pod("mine", owner=rs))
    assert controller.expectations.pending("default/web") == (0, 0)
    assert await controller.queue.get() == "default/web"
    controller.queue.done("default/web")
    controller.expectations.expect_deletions("default/web", ["default/mine"])
    controller._pod_deleted(pod("mine", owner=rs))
    assert controller.expectations.satisfied("default/web")
    assert await controller.queue.get() == "default/web"
    controller.queue.done("default/web")
    controller._pod_added(pod("stray", labels={"app": "db"}))
    assert await controller.queue.get() == "default/db"
    assert len(controller.queue) == 0
