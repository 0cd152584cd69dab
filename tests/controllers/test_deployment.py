"""The Deployment controller, sample-controller style, on a fake clientset: each rollout
step of a 10-replica Deployment for several (maxSurge, maxUnavailable), Recreate, rollback
to an old template, pause, proportional scaling, history cleanup and the progress deadline.

A rollout is stepped by hand: reconcile once, then play the ReplicaSet controller and the
kubelet (every ReplicaSet's pods exist and are available: status = spec), then reconcile
again. Between the reconcile and that settling, the pods a scale-down removed are gone and
the ones a scale-up asked for are not yet available: that is when the bounds are checked.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from minikube_py.api.defaults.apps import default_deployment
from minikube_py.api.errors import AlreadyExists
from minikube_py.controllers import deployment_util as du
from minikube_py.controllers.base import Requeue
from minikube_py.controllers.deployment import DEPLOYMENTS, PODS, DeploymentController
from minikube_py.controllers.deployment_sync import REPLICA_SETS
from tests.controllers.fakes import FakeCluster

Object = dict[str, Any]
KEY = "default/web"


def deployment(replicas: int = 10, *, image: str = "nginx:1", surge: Any = "25%",
               unavailable: Any = "25%", strategy: str = "RollingUpdate",
               **spec: Any) -> Object:
    strat: Object = {"type": strategy}
    if strategy == "RollingUpdate":
        strat["rollingUpdate"] = {"maxSurge": surge, "maxUnavailable": unavailable}
    d: Object = {"apiVersion": "apps/v1", "kind": "Deployment",
                 "metadata": {"name": "web", "namespace": "default", "uid": "uid-web",
                              "annotations": {"kubernetes.io/change-cause": "first"}},
                 "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                          "strategy": strat, "template": template(image), **spec}}
    default_deployment(d)
    return d


def template(image: str) -> Object:
    return {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": image}]}}


class World:
    """The fake cluster, the controller, and the simulated rest of the cluster."""

    def __init__(self) -> None:
        self.cluster = FakeCluster()
        self.controller = DeploymentController(self.cluster.client, self.cluster.informers,
                                               clock=lambda: 1_800_000_000.0)

    @property
    def d(self) -> Object:
        return self.cluster.get("deployments", "web")

    def replica_sets(self) -> list[Object]:
        return du.by_creation(self.cluster.of("replicasets"))

    def new_and_old(self) -> tuple[int, int]:
        """(replicas of the new set, replicas of all old ones)."""
        new = du.find_new_replica_set(self.d, self.replica_sets())
        olds = [rs for rs in self.replica_sets() if rs is not new]
        return (du.replicas(new) if new else 0), du.spec_replicas(olds)

    def available_now(self) -> int:
        """Available pods right after a reconcile: scale-downs took pods away, scale-ups
        have not made any available yet."""
        return sum(min(int(du.status(rs).get("availableReplicas") or 0), du.replicas(rs))
                   for rs in self.replica_sets())

    def settle(self) -> None:
        """Every ReplicaSet has its pods, all available (the RS controller and kubelet)."""
        for rs in self.cluster.of("replicasets"):
            n = du.replicas(rs)
            rs["status"] = {"replicas": n, "readyReplicas": n, "availableReplicas": n,
                            "fullyLabeledReplicas": n,
                            "observedGeneration": rs["metadata"]["generation"]}
        self.cluster.sync_caches()

    async def reconcile(self) -> None:
        self.cluster.sync_caches()
        try:
            await self.controller.reconcile(KEY)
        except Requeue:
            pass

    async def start(self, d: Object) -> None:
        """A Deployment that has rolled out completely once."""
        self.cluster.seed(DEPLOYMENTS, d)
        for _ in range(3):
            await self.reconcile()
            self.settle()

    def change(self, **spec: Any) -> None:
        d = copy.deepcopy(self.d)
        d["spec"].update(spec)
        self.cluster.clock = "2026-01-01T00:10:00Z"  # later sets are newer
        self.cluster.put("deployments", d)

    async def roll(self, *, surge: int, unavailable: int, limit: int = 40,
                   stop_after: int = 0) -> list[tuple[int, int]]:
        """Reconcile and settle until nothing changes; the (new, old) replicas after every
        reconcile that changed them. Checks the bounds at every step."""
        want = du.replicas(self.d)
        steps: list[tuple[int, int]] = []
        for _ in range(limit):
            before = self.new_and_old()
            await self.reconcile()
            now = self.new_and_old()
            assert sum(now) <= want + surge, f"{now}: more than {want}+{surge} pods"
            assert self.available_now() >= want - unavailable, \
                f"{now}: fewer than {want}-{unavailable} available"
            self.settle()
            if now != before:
                steps.append(now)
                if len(steps) == stop_after:
                    return steps
            elif du.deployment_complete(self.d, du.status(self.d)):
                return steps
        raise AssertionError(f"no end of the rollout after {limit} reconciles: {steps}")


ONE_BY_ONE_SURGE = [p for k in range(1, 11) for p in ((k, 11 - k), (k, 10 - k))]
ONE_BY_ONE_UNAVAILABLE = [p for k in range(0, 10) for p in ((k, 9 - k), (k + 1, 9 - k))]


@pytest.mark.parametrize("surge, unavailable, resolved, steps", [
    pytest.param("25%", "25%", (3, 2), [(3, 8), (5, 8), (5, 3), (10, 3), (10, 0)],
                 id="defaults-25%-25%"),
    pytest.param(2, 3, (2, 3), [(2, 7), (5, 7), (5, 2), (10, 2), (10, 0)], id="ints-2-3"),
    pytest.param(1, 0, (1, 0), ONE_BY_ONE_SURGE, id="surge-1-unavailable-0"),
    pytest.param(0, 1, (0, 1), ONE_BY_ONE_UNAVAILABLE, id="surge-0-unavailable-1"),
    pytest.param("0%", "5%", (0, 1), ONE_BY_ONE_UNAVAILABLE, id="both-round-to-0"),
    pytest.param("100%", 0, (10, 0), [(10, 10), (10, 0)], id="surge-100%"),
    pytest.param(0, "100%", (0, 10), [(0, 0), (10, 0)], id="unavailable-100%"),
    pytest.param("30%", "30%", (3, 3), [(3, 7), (6, 7), (6, 1), (10, 1), (10, 0)],
                 id="percent-30-30"),
])
async def test_rolling_update_steps(surge: Any, unavailable: Any, resolved: tuple[int, int],
                                    steps: list[tuple[int, int]]) -> None:
    """An image change of a 10-replica Deployment rolls over in exactly Kubernetes' steps
    (new set, old sets), never above replicas+maxSurge pods nor below
    replicas-maxUnavailable available ones (surge rounds up, unavailable down, both 0
    means maxUnavailable 1)."""
    world = World()
    await world.start(deployment(surge=surge, unavailable=unavailable))
    assert (du.max_surge(world.d), du.max_unavailable(world.d)) == resolved
    world.change(template=template("nginx:2"))
    assert await world.roll(surge=resolved[0], unavailable=resolved[1]) == steps
    st = world.d["status"]
    assert (st["replicas"], st["updatedReplicas"], st["availableReplicas"],
            st["observedGeneration"]) == (10, 10, 10, world.d["metadata"]["generation"])
    assert du.get_condition(st, "Progressing")["reason"] == "NewReplicaSetAvailable"


async def test_first_sync_creates_one_replica_set_named_by_the_template_hash() -> None:
    """The new ReplicaSet is ``<deployment>-<hash>``; the hash label is in its selector, its
    template and its labels; revision 1, desired/max replicas and change-cause annotations;
    a ScalingReplicaSet event says so; the status reports NewReplicaSetCreated."""
    world = World()
    world.cluster.seed(DEPLOYMENTS, deployment())
    await world.reconcile()
    [rs] = world.cluster.of("replicasets")
    pod_hash = du.compute_hash(world.d["spec"]["template"], None)
    assert rs["metadata"]["name"] == f"web-{pod_hash}"
    assert rs["metadata"]["labels"] == {"app": "web", "pod-template-hash": pod_hash}
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": pod_hash}
    assert rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] == pod_hash
    assert rs["spec"]["replicas"] == 10
    assert rs["metadata"]["annotations"] == {
        "kubernetes.io/change-cause": "first", du.REVISION: "1",
        du.DESIRED_REPLICAS: "10", du.MAX_REPLICAS: "13"}
    ref = rs["metadata"]["ownerReferences"][0]
    assert (ref["kind"], ref["uid"], ref["controller"]) == ("Deployment", "uid-web", True)
    assert world.d["metadata"]["annotations"][du.REVISION] == "1"
    assert du.get_condition(world.d["status"], "Progressing")["reason"] == "NewReplicaSetCreated"


def test_the_hash_is_stable_and_moves_with_the_collision_count() -> None:
    """The same template gives the same hash, whatever its key order or empty values; a
    collision count gives another."""
    a = template("nginx:1")
    b = {"spec": {"containers": [{"image": "nginx:1", "name": "c", "resources": {}}]},
         "metadata": {"labels": {"app": "web"}, "creationTimestamp": None}}
    assert du.compute_hash(a, None) == du.compute_hash(b, 0)
    assert du.compute_hash(a, 1) != du.compute_hash(a, None)
    assert set(du.compute_hash(a, None)) <= set(du.SAFE_ALPHANUMS)


async def test_events_use_kubernetes_wording() -> None:
    """ScalingReplicaSet messages read as Kubernetes writes them."""
    world = World()
    recorded: list[str] = []

    class Recorder:
        def event(self, _obj: Object, _kind: str, reason: str, message: str,
                  **_kw: Any) -> None:
            recorded.append(f"{reason}: {message}")

    world.controller.syncer.recorder = Recorder()  # type: ignore[assignment]
    await world.start(deployment(surge=1, unavailable=0))
    world.change(template=template("nginx:2"))
    await world.roll(surge=1, unavailable=0, stop_after=2)
    first, new = world.replica_sets()[0]["metadata"]["name"], world.replica_sets()[1][
        "metadata"]["name"]
    assert recorded[:3] == [f"ScalingReplicaSet: Scaled up replica set {first} to 10",
                            f"ScalingReplicaSet: Scaled up replica set {new} to 1",
                            f"ScalingReplicaSet: Scaled down replica set {first} to 9 from 10"]


async def test_recreate_scales_old_to_zero_then_creates_the_new_set() -> None:
    """Recreate: old sets to 0 first; the new set is created (with all replicas) only once
    no old pod is left."""
    world = World()
    await world.start(deployment(strategy="Recreate"))
    world.change(template=template("nginx:2"))
    await world.reconcile()
    assert world.new_and_old() == (0, 0)
    assert len(world.cluster.of("replicasets")) == 1  # not created yet
    old = world.cluster.of("replicasets")[0]
    world.cluster.seed(PODS, {"metadata": {
        "name": "old-pod", "namespace": "default", "labels": {"app": "web"},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "controller": True,
                             "name": old["metadata"]["name"], "uid": old["metadata"]["uid"]}]},
        "status": {"phase": "Running"}})
    world.settle()
    await world.reconcile()
    assert len(world.cluster.of("replicasets")) == 1  # an old pod still runs
    del world.cluster.objects[("pods", "default", "old-pod")]
    await world.reconcile()
    assert world.new_and_old() == (10, 0)
    assert len(world.cluster.of("replicasets")) == 2


async def test_rollback_reuses_the_old_replica_set_with_the_next_revision() -> None:
    """``kubectl rollout undo`` writes an old set's template (without pod-template-hash,
    with creationTimestamp null and resources {}): no new set is made; the old one becomes
    the new one as revision 3 (its revision 1 in revision-history) and scales up."""
    world = World()
    await world.start(deployment(surge=1, unavailable=0))
    world.change(template=template("nginx:2"))
    await world.roll(surge=1, unavailable=0)
    first = world.replica_sets()[0]
    undo = copy.deepcopy(first["spec"]["template"])
    del undo["metadata"]["labels"]["pod-template-hash"]
    undo["metadata"]["creationTimestamp"] = None
    undo["spec"]["containers"][0]["resources"] = {}
    world.change(template=undo)
    steps = await world.roll(surge=1, unavailable=0)
    assert steps[0] == (1, 10) and steps[-1] == (10, 0)
    assert len(world.cluster.of("replicasets")) == 2
    reused = world.cluster.get("replicasets", first["metadata"]["name"])
    assert reused["metadata"]["annotations"][du.REVISION] == "3"
    assert reused["metadata"]["annotations"][du.REVISION_HISTORY] == "1"
    assert world.d["metadata"]["annotations"][du.REVISION] == "3"


async def test_a_paused_deployment_does_not_roll_out_but_scales() -> None:
    """Paused: a template change makes no new set (Progressing Unknown/DeploymentPaused);
    a replicas change still scales the current set; resuming rolls out."""
    world = World()
    await world.start(deployment())
    world.change(paused=True, template=template("nginx:2"))
    await world.reconcile()
    assert len(world.cluster.of("replicasets")) == 1
    cond = du.get_condition(world.d["status"], "Progressing")
    assert (cond["status"], cond["reason"]) == ("Unknown", "DeploymentPaused")
    world.change(replicas=12)
    await world.reconcile()
    assert du.replicas(world.cluster.of("replicasets")[0]) == 12
    world.change(paused=False)
    await world.reconcile()
    assert len(world.cluster.of("replicasets")) == 2


async def test_scaling_mid_rollout_is_proportional() -> None:
    """From 10 to 20 replicas while 8 old and 5 new pods exist (maxSurge 3 -> 5): the 12
    extra pods allowed are shared in proportion, 7 to the old set and 5 to the new."""
    world = World()
    await world.start(deployment())
    world.change(template=template("nginx:2"))
    await world.roll(surge=3, unavailable=2, stop_after=2)
    assert world.new_and_old() == (5, 8)
    world.change(replicas=20)
    await world.reconcile()
    assert world.new_and_old() == (10, 15)
    for rs in world.cluster.of("replicasets"):
        anns = rs["metadata"]["annotations"]
        assert (anns[du.DESIRED_REPLICAS], anns[du.MAX_REPLICAS]) == ("20", "25")


async def test_old_sets_beyond_the_history_limit_are_deleted() -> None:
    """revisionHistoryLimit 1: after three rollouts only the newest old set remains."""
    world = World()
    await world.start(deployment(revisionHistoryLimit=1))
    for image in ("nginx:2", "nginx:3", "nginx:4"):
        world.change(template=template(image))
        await world.roll(surge=3, unavailable=2)
        await world.reconcile()
    revisions = sorted(du.revision(rs) for rs in world.cluster.of("replicasets"))
    assert revisions == [3, 4]


async def test_progress_deadline_exceeded() -> None:
    """A rollout that has not progressed for progressDeadlineSeconds gets Progressing False
    with ProgressDeadlineExceeded (what makes ``kubectl rollout status`` fail)."""
    world = World()
    await world.start(deployment(progressDeadlineSeconds=60))
    world.change(template=template("nginx:2"))
    await world.reconcile()  # the new set is created; nothing becomes available after it
    d = copy.deepcopy(world.d)
    for cond in d["status"]["conditions"]:
        cond["lastUpdateTime"] = "2020-01-01T00:00:00Z"
    world.cluster.put("deployments", d)
    await world.reconcile()
    cond = du.get_condition(world.d["status"], "Progressing")
    assert (cond["status"], cond["reason"]) == ("False", "ProgressDeadlineExceeded")


async def test_available_condition_follows_max_unavailable() -> None:
    """Available is True (MinimumReplicasAvailable) at replicas-maxUnavailable available
    pods and False (MinimumReplicasUnavailable) below."""
    world = World()
    world.cluster.seed(DEPLOYMENTS, deployment())
    await world.reconcile()
    await world.reconcile()
    cond = du.get_condition(world.d["status"], "Available")
    assert (cond["status"], cond["reason"]) == ("False", "MinimumReplicasUnavailable")
    world.settle()
    await world.reconcile()
    cond = du.get_condition(world.d["status"], "Available")
    assert (cond["status"], cond["reason"]) == ("True", "MinimumReplicasAvailable")


async def test_an_orphan_replica_set_that_matches_is_adopted() -> None:
    """A ReplicaSet without a controller that the selector matches is adopted (and, having
    the template, becomes the new set: no second set is created)."""
    world = World()
    d = deployment()
    world.cluster.seed(DEPLOYMENTS, d)
    rs_tmpl = copy.deepcopy(d["spec"]["template"])
    world.cluster.seed(REPLICA_SETS, {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {
        "name": "handmade", "namespace": "default", "labels": {"app": "web"}},
        "spec": {"replicas": 10, "selector": {"matchLabels": {"app": "web"}},
                 "template": rs_tmpl}})
    await world.reconcile()
    [rs] = world.cluster.of("replicasets")
    assert rs["metadata"]["ownerReferences"][0]["uid"] == "uid-web"




async def test_a_name_taken_by_another_replica_set_bumps_the_collision_count() -> None:
    """The new set's name belongs to a ReplicaSet that is not ours: status.collisionCount
    goes to 1 and the sync fails; the next sync creates the set under the next hash."""
    world = World()
    d = deployment()
    world.cluster.seed(DEPLOYMENTS, d)
    taken = f"web-{du.compute_hash(d['spec']['template'], None)}"
    world.cluster.seed(REPLICA_SETS, {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                      "metadata": {"name": taken, "namespace": "default",
                                                   "labels": {"other": "x"}},
                                      "spec": {"replicas": 0, "selector": {
                                          "matchLabels": {"other": "x"}},
                                          "template": template("busybox")}})
    with pytest.raises(AlreadyExists):
        await world.controller.reconcile(KEY)
    assert world.d["status"]["collisionCount"] == 1
    await world.reconcile()
    names = {rs["metadata"]["name"] for rs in world.cluster.of("replicasets")}
    assert names == {taken, f"web-{du.compute_hash(d['spec']['template'], 1)}"}


async def test_a_replica_set_that_stops_matching_is_released() -> None:
    """A ReplicaSet of ours whose labels no longer match the selector loses our controller
    reference; its name is then a collision, and the template gets a set under the next
    hash."""
    world = World()
    await world.start(deployment())
    [rs] = world.cluster.of("replicasets")
    relabelled = copy.deepcopy(rs)
    relabelled["metadata"]["labels"] = {"app": "elsewhere"}
    world.cluster.put("replicasets", relabelled)
    await world.reconcile()
    assert not world.cluster.get("replicasets", rs["metadata"]["name"])["metadata"].get(
        "ownerReferences")
    with pytest.raises(AlreadyExists):
        await world.reconcile()
    await world.reconcile()
    assert world.d["status"]["collisionCount"] == 1
    assert len(world.cluster.of("replicasets")) == 2


async def test_a_deployment_being_deleted_only_gets_its_status() -> None:
    """With a deletionTimestamp, a template change rolls nothing out."""
    world = World()
    await world.start(deployment())
    d = copy.deepcopy(world.d)
    d["metadata"]["deletionTimestamp"] = "2026-01-01T00:20:00Z"
    d["spec"]["template"] = template("nginx:2")
    world.cluster.put("deployments", d)
    world.cluster.clear()
    await world.reconcile()
    assert world.cluster.writes(resource="replicasets") == []


async def test_a_replica_failure_of_a_set_shows_on_the_deployment() -> None:
    """A ReplicaSet's ReplicaFailure condition is copied to the Deployment's status, and
    removed once the set has none."""
    world = World()
    await world.start(deployment())
    [rs] = world.cluster.of("replicasets")
    rs["status"]["conditions"] = [{"type": "ReplicaFailure", "status": "True",
                                   "reason": "FailedCreate", "message": "exceeded quota"}]
    world.cluster.sync_caches()
    world.change(template=template("nginx:2"))
    await world.reconcile()
    cond = du.get_condition(world.d["status"], "ReplicaFailure")
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "True", "FailedCreate", "exceeded quota")
    del world.cluster.get("replicasets", rs["metadata"]["name"])["status"]["conditions"]
    await world.reconcile()
    assert du.get_condition(world.d["status"], "ReplicaFailure") is None
