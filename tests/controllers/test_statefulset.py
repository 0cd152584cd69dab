"""The StatefulSet controller, sample-controller style: seed the caches of a fake clientset,
run ``reconcile``, assert the writes; :meth:`World.step` plays the informers catching up and
the kubelet making the new pods Running and Ready."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from minikube_py.controllers.base import Requeue
from minikube_py.controllers.statefulset import (
    CLAIMS,
    PODS,
    STATEFUL_SETS,
    StatefulSetController,
)
from minikube_py.controllers.statefulset_util import revision_of
from tests.controllers.fakes import FakeCluster

Object = dict[str, Any]
KEY = "default/web"


def stateful_set(replicas: int = 3, *, policy: str = "OrderedReady", image: str = "nginx:1",
                 partition: int | None = None, claims: bool = True,
                 when_scaled: str = "Retain", when_deleted: str = "Retain") -> Object:
    strategy: Object = {"type": "RollingUpdate", "rollingUpdate": {"partition": partition or 0}}
    spec: Object = {
        "replicas": replicas, "serviceName": "web", "podManagementPolicy": policy,
        "selector": {"matchLabels": {"app": "web"}}, "updateStrategy": strategy,
        "revisionHistoryLimit": 10,
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": when_deleted,
                                                 "whenScaled": when_scaled},
        "template": {"metadata": {"labels": {"app": "web"}},
                     "spec": {"containers": [{"name": "c", "image": image, "volumeMounts": [
                         {"name": "data", "mountPath": "/data"}]}]}}}
    if claims:
        spec["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "namespace": "default", "uid": "uid-web"},
            "spec": spec}


class World:
    """A fake cluster with one StatefulSet and its controller."""

    def __init__(self, sts: Object) -> None:
        self.cluster = FakeCluster()
        self.events: list[str] = []
        self.controller = StatefulSetController(self.cluster.client, self.cluster.informers)
        self.controller.recorder = self  # type: ignore[assignment]
        self.cluster.seed(STATEFUL_SETS, sts)

    def event(self, _obj: Object, _kind: str, reason: str, message: str, **_kw: Any) -> None:
        self.events.append(f"{reason}: {message}")

    async def reconcile(self, *, status: bool = False) -> list[str]:
        """One reconcile; the writes it made as ``verb resource name`` (without the status
        writes unless asked)."""
        self.cluster.clear()
        try:
            await self.controller.reconcile(KEY)
        finally:
            self.cluster.sync_caches()
        return [f"{a.verb} {a.resource}{'/' + a.subresource if a.subresource else ''} "
                f"{a.name}" for a in self.cluster.writes() if status or not a.subresource]

    def set_ready(self, name: str, ready: bool = True, phase: str = "Running") -> None:
        pod = self.cluster.get("pods", name)
        pod["status"] = {"phase": phase, "conditions": [
            {"type": "Ready", "status": "True" if ready else "False",
             "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
        self.cluster.sync_caches()

    def all_ready(self) -> None:
        for pod in self.cluster.of("pods"):
            if not pod.get("status"):
                self.set_ready(pod["metadata"]["name"])

    async def settle(self, rounds: int = 12) -> None:
        """Reconcile, making new pods ready, until nothing more is written."""
        for _ in range(rounds):
            self.all_ready()
            if not await self.reconcile(status=True):
                return
        raise AssertionError("the set did not settle")

    def change(self, **spec: Any) -> None:
        sts = self.cluster.get("statefulsets", "web")
        sts["spec"].update(spec)
        self.cluster.put("statefulsets", sts)
        self.cluster.sync_caches()

    def pods(self) -> list[str]:
        return [p["metadata"]["name"] for p in self.cluster.of("pods")]

    def status(self) -> Object:
        return dict(self.cluster.get("statefulsets", "web").get("status") or {})


async def test_ordered_ready_creates_one_pod_at_a_time_after_the_previous_is_ready() -> None:
    """web-0 first with its claim before it; web-1 only once web-0 is Running and Ready."""
    world = World(stateful_set())
    writes = await world.reconcile()
    assert writes[1:] == [
        "create persistentvolumeclaims data-web-0", "create pods web-0"]
    assert writes[0].startswith("create controllerrevisions web-")
    assert await world.reconcile() == []  # web-0 is not ready yet: nothing more
    world.set_ready("web-0", ready=False)
    assert await world.reconcile() == []
    world.set_ready("web-0")
    writes = await world.reconcile()
    assert "create pods web-1" in writes and "create pods web-2" not in writes
    pod = world.cluster.get("pods", "web-0")
    labels = pod["metadata"]["labels"]
    assert labels["statefulset.kubernetes.io/pod-name"] == "web-0"
    assert labels["apps.kubernetes.io/pod-index"] == "0"
    assert labels["controller-revision-hash"] == world.status()["updateRevision"]
    assert (pod["spec"]["hostname"], pod["spec"]["subdomain"]) == ("web-0", "web")
    assert pod["spec"]["volumes"] == [{"name": "data",
                                       "persistentVolumeClaim": {"claimName": "data-web-0"}}]
    ref = pod["metadata"]["ownerReferences"][0]
    assert (ref["kind"], ref["name"], ref["controller"]) == ("StatefulSet", "web", True)
    assert world.events[:2] == [
        "SuccessfulCreate: create Claim data-web-0 Pod web-0 in StatefulSet web success",
        "SuccessfulCreate: create Pod web-0 in StatefulSet web successful"]


async def test_parallel_creates_every_pod_at_once() -> None:
    """podManagementPolicy Parallel does not wait for readiness."""
    world = World(stateful_set(policy="Parallel", claims=False))
    writes = await world.reconcile()
    assert [w for w in writes if w.startswith("create pods")] == [
        "create pods web-0", "create pods web-1", "create pods web-2"]


async def test_scale_down_deletes_from_the_highest_ordinal_and_keeps_the_claims() -> None:
    """3 -> 1 deletes web-2, then web-1, one per pass; the three claims stay."""
    world = World(stateful_set())
    await world.settle()
    assert world.pods() == ["web-0", "web-1", "web-2"]
    world.change(replicas=1)
    assert [w for w in await world.reconcile() if "pods" in w] == ["delete pods web-2"]
    assert [w for w in await world.reconcile() if "pods" in w] == ["delete pods web-1"]
    assert world.pods() == ["web-0"]
    assert [c["metadata"]["name"] for c in world.cluster.of("persistentvolumeclaims")] == [
        "data-web-0", "data-web-1", "data-web-2"]
    await world.settle()  # the status follows the cache, one pass behind the writes
    assert world.status()["replicas"] == 1
    assert "SuccessfulDelete: delete Pod web-1 in StatefulSet web successful" in world.events


async def test_scale_down_waits_while_a_remaining_pod_is_unhealthy() -> None:
    """OrderedReady removes nothing while web-0 is not Ready."""
    world = World(stateful_set(claims=False))
    await world.settle()
    world.set_ready("web-0", ready=False)
    world.change(replicas=1)
    assert [w for w in await world.reconcile() if "pods" in w] == []


async def test_when_scaled_delete_gives_the_claim_to_its_pod() -> None:
    """whenScaled: Delete puts the pod in the claim's ownerReferences before deleting it."""
    world = World(stateful_set(replicas=2, when_scaled="Delete"))
    await world.settle()
    world.change(replicas=1)
    writes = await world.reconcile()
    assert writes[:2] == ["patch persistentvolumeclaims data-web-1", "delete pods web-1"]
    refs = world.cluster.get("persistentvolumeclaims", "data-web-1")["metadata"][
        "ownerReferences"]
    assert [(r["kind"], r["name"]) for r in refs] == [("Pod", "web-1")]
    world.change(replicas=2)  # back up before the garbage collector took the claim
    with pytest.raises(Requeue):
        await world.reconcile()
    assert "web-1" not in world.pods()


async def test_when_deleted_delete_gives_the_claims_to_the_set() -> None:
    """whenDeleted: Delete makes the set a (non-controller) owner of every claim it makes."""
    world = World(stateful_set(replicas=1, when_deleted="Delete"))
    await world.settle()
    refs = world.cluster.get("persistentvolumeclaims", "data-web-0")["metadata"][
        "ownerReferences"]
    assert [(r["kind"], r["uid"], r["controller"]) for r in refs] == [
        ("StatefulSet", "uid-web", False)]


async def test_a_deleted_or_failed_pod_is_made_again_with_its_name() -> None:
    """A pod removed comes back as web-1; a Failed one is deleted, then made again."""
    world = World(stateful_set())
    await world.settle()
    del world.cluster.objects[("pods", "default", "web-1")]
    world.cluster.sync_caches()
    assert [w for w in await world.reconcile() if "pods" in w] == ["create pods web-1"]
    world.set_ready("web-1", ready=False, phase="Failed")
    assert [w for w in await world.reconcile() if "pods" in w] == ["delete pods web-1"]
    assert [w for w in await world.reconcile() if "pods" in w] == ["create pods web-1"]
    assert len(world.cluster.of("persistentvolumeclaims")) == 3  # the claim was kept


async def test_rolling_update_with_partition_updates_high_ordinals_first() -> None:
    """partition 1: web-2 then web-1 are replaced, each after the previous is Ready; web-0
    keeps the old revision; the status counts both."""
    world = World(stateful_set())
    await world.settle()
    old = world.status()["currentRevision"]
    world.change(template={"metadata": {"labels": {"app": "web"}}, "spec": {
        "containers": [{"name": "c", "image": "nginx:2"}]}},
        updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 1}})
    writes = await world.reconcile()
    assert writes[0].startswith("create controllerrevisions web-")
    assert [w for w in writes if "pods" in w] == ["delete pods web-2"]
    assert [w for w in await world.reconcile() if "pods" in w] == ["create pods web-2"]
    new = world.status()["updateRevision"]
    assert new != old and revision_of(world.cluster.get("pods", "web-2")) == new
    assert [w for w in await world.reconcile() if "pods" in w] == []  # web-2 not ready yet
    world.set_ready("web-2")
    assert [w for w in await world.reconcile() if "pods" in w] == ["delete pods web-1"]
    await world.settle()
    revisions = {p["metadata"]["name"]: revision_of(p) for p in world.cluster.of("pods")}
    assert revisions == {"web-0": old, "web-1": new, "web-2": new}
    status = world.status()
    assert (status["currentRevision"], status["updateRevision"]) == (old, new)
    assert (status["replicas"], status["readyReplicas"], status["currentReplicas"],
            status["updatedReplicas"]) == (3, 3, 1, 2)
    assert [r["revision"] for r in world.cluster.of("controllerrevisions")] in ([1, 2], [2, 1])


async def test_a_finished_rollout_makes_the_update_revision_current() -> None:
    """Partition 0: every pod updated and ready -> currentRevision = updateRevision."""
    world = World(stateful_set(claims=False))
    await world.settle()
    status = world.status()
    assert status["currentRevision"] == status["updateRevision"]
    assert (status["replicas"], status["readyReplicas"], status["availableReplicas"],
            status["currentReplicas"], status["updatedReplicas"], status["collisionCount"],
            status["observedGeneration"]) == (3, 3, 3, 3, 3, 0, 1)
    world.change(template={"metadata": {"labels": {"app": "web"}}, "spec": {
        "containers": [{"name": "c", "image": "nginx:2"}]}})
    await world.settle()
    status = world.status()
    assert status["currentRevision"] == status["updateRevision"] != ""
    assert {revision_of(p) for p in world.cluster.of("pods")} == {status["updateRevision"]}


async def test_on_delete_replaces_only_pods_the_user_deletes() -> None:
    """OnDelete: a template change deletes nothing; a deleted pod comes back updated."""
    world = World(stateful_set(claims=False))
    await world.settle()
    world.change(updateStrategy={"type": "OnDelete"}, template={
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "nginx:2"}]}})
    assert [w for w in await world.reconcile() if "pods" in w] == []
    del world.cluster.objects[("pods", "default", "web-0")]
    world.cluster.sync_caches()
    await world.settle()
    assert revision_of(world.cluster.get("pods", "web-0")) == world.status()["updateRevision"]
    assert (world.status()["updatedReplicas"], world.status()["currentReplicas"]) == (1, 2)


async def test_a_template_back_to_an_old_revision_reuses_it() -> None:
    """``rollout undo``: the old revision is renumbered, no new one is made."""
    world = World(stateful_set(claims=False, replicas=1))
    await world.settle()
    first = world.cluster.get("statefulsets", "web")["spec"]["template"]
    world.change(template={"metadata": {"labels": {"app": "web"}}, "spec": {
        "containers": [{"name": "c", "image": "nginx:2"}]}})
    await world.settle()
    world.change(template=first)
    await world.settle()
    revisions = sorted((r["revision"], r["metadata"]["name"])
                       for r in world.cluster.of("controllerrevisions"))
    assert [n for n, _ in revisions] == [2, 3]
    assert revisions[-1][1] == world.status()["updateRevision"]


@pytest.mark.parametrize("name", [pytest.param("web-x", id="no-ordinal"),
                                  pytest.param("other-0", id="another-parent")])
async def test_pods_that_are_not_members_are_left_alone(name: str) -> None:
    """A matching pod whose name is not ``web-<n>`` is not counted or deleted."""
    world = World(stateful_set(replicas=1, claims=False))
    world.cluster.seed(PODS, {"metadata": {"name": name, "namespace": "default",
                                           "labels": {"app": "web"}}, "spec": {}})
    await world.settle()
    assert name in world.pods() and world.status()["replicas"] == 1
    assert CLAIMS.plural == "persistentvolumeclaims"


async def test_an_orphan_member_is_adopted_and_a_relabelled_pod_released() -> None:
    """A matching orphan named web-0 gets the set's controller ref; a pod of the set that
    stops matching the selector loses it."""
    world = World(stateful_set(replicas=1, claims=False))
    world.cluster.seed(PODS, {"metadata": {"name": "web-0", "namespace": "default",
                                           "labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}})
    assert (await world.reconcile())[0] == "patch pods web-0"
    ref = world.cluster.get("pods", "web-0")["metadata"]["ownerReferences"][0]
    assert (ref["kind"], ref["uid"]) == ("StatefulSet", "uid-web")
    world.cluster.get("pods", "web-0")["metadata"]["labels"] = {"app": "other"}
    world.cluster.sync_caches()
    # released; its name is still taken, so the new web-0 is refused (AlreadyExists)
    assert await world.reconcile() == ["patch pods web-0", "create pods web-0"]
    assert "ownerReferences" not in world.cluster.get("pods", "web-0")["metadata"]


async def test_a_pod_the_cache_has_not_seen_is_not_an_error() -> None:
    """Creating web-0 again from a cache behind its own write ends the pass quietly."""
    world = World(stateful_set(replicas=2, claims=False))
    await world.controller.reconcile(KEY)  # web-0 created; only the set's cache catches up
    world.cluster.informers.informer_for(STATEFUL_SETS).indexer.add(
        copy.deepcopy(world.cluster.get("statefulsets", "web")))
    world.cluster.clear()
    await world.controller.reconcile(KEY)
    assert [a.name for a in world.cluster.writes(resource="pods")] == ["web-0"]
    assert "web-1" not in world.pods()


async def test_min_ready_seconds_holds_the_next_pod_and_asks_for_a_later_look() -> None:
    """OrderedReady with minReadySeconds waits for web-0 to be available, and requeues."""
    world = World(stateful_set(replicas=2, claims=False))
    world.change(minReadySeconds=30)
    world.controller.clock = lambda: 1_767_225_610.0  # 10 s after the pods turn Ready
    await world.reconcile()
    world.set_ready("web-0")
    with pytest.raises(Requeue):
        await world.reconcile()
    assert world.pods() == ["web-0"]
    world.controller.clock = lambda: 1_767_225_640.0  # 40 s after
    await world.reconcile()
    assert world.pods() == ["web-0", "web-1"]
