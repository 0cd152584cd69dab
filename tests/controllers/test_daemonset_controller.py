"""The DaemonSet controller, sample-controller style: seed the informer caches of a fake
clientset (nodes, DaemonSets, pods), run ``reconcile`` once, assert the writes it made."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from minikube_py.controllers import daemonset_util as dsu
from minikube_py.controllers.base import Requeue
from minikube_py.controllers.daemonset import NODES, PODS, DaemonSetController
from minikube_py.controllers.daemonset_update import (
    CONTROLLER_REVISIONS,
    DAEMON_SETS,
    FailedPodsBackoff,
)
from tests.controllers.fakes import FakeCluster

Object = dict[str, Any]
NOW = 1_800_000_000.0


class Recorder:
    """Collects (type, reason, message) as the controller's event recorder."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def event(self, _obj: Object, kind: str, reason: str, message: str, **_: Any) -> None:
        self.events.append((kind, reason, message))


def node(name: str, *, labels: dict[str, str] | None = None,
         taints: list[Object] | None = None) -> Object:
    spec: Object = {"taints": taints} if taints else {}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                  **(labels or {})}},
            "spec": spec}


def daemon_set(name: str = "agent", *, image: str = "agent:1", node_selector: Object | None = None,
               tolerations: list[Object] | None = None, max_unavailable: Any = 1,
               max_surge: Any = 0, strategy: str = "RollingUpdate") -> Object:
    pod_spec: Object = {"containers": [{"name": "a", "image": image}]}
    if node_selector:
        pod_spec["nodeSelector"] = node_selector
    if tolerations:
        pod_spec["tolerations"] = tolerations
    update: Object = {"type": strategy}
    if strategy == "RollingUpdate":
        update["rollingUpdate"] = {"maxUnavailable": max_unavailable, "maxSurge": max_surge}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec},
                     "updateStrategy": update, "revisionHistoryLimit": 10}}


def daemon_pod(ds: Object, name: str, on: str, *, revision: str | None = None,
               ready: bool = True, phase: str = "Running",
               created: str = "2026-01-01T00:00:00Z") -> Object:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}",
                         "creationTimestamp": created,
                         "labels": {"app": ds["metadata"]["name"],
                                    dsu.REVISION_HASH: revision or dsu.revision_hash(ds)},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet",
                                              "name": ds["metadata"]["name"],
                                              "uid": ds["metadata"]["uid"],
                                              "controller": True}]},
            "spec": {"nodeName": on, "containers": [{"name": "a", "image": "agent:1"}]},
            "status": {"phase": phase, "conditions": [
                {"type": "Ready", "status": "True" if ready else "False",
                 "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def controller(cluster: FakeCluster, recorder: Recorder) -> DaemonSetController:
    return DaemonSetController(cluster.client, cluster.informers,
                               recorder=recorder,  # type: ignore[arg-type]
                               clock=lambda: NOW)


def created_pods(cluster: FakeCluster) -> list[Object]:
    return [a.body for a in cluster.writes(resource="pods") if a.verb == "create"]


def pinned_node(pod: Object) -> str:
    terms = pod["spec"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert len(terms) == 1
    [field] = terms[0]["matchFields"]
    assert field["key"] == "metadata.name" and field["operator"] == "In"
    return str(field["values"][0])


def deleted(cluster: FakeCluster) -> list[str]:
    return [a.name for a in cluster.writes(resource="pods") if a.verb == "delete"]


def catch_up(cluster: FakeCluster, controller: DaemonSetController) -> None:
    """The informers see the store, and the controller the events it was waiting for."""
    cluster.sync_caches()
    controller.expectations.delete("default/agent")
    cluster.clear()


def last_status(cluster: FakeCluster) -> Object:
    return cluster.get("daemonsets", "agent")["status"]  # type: ignore[no-any-return]


async def test_one_pod_per_node_pinned_by_node_affinity(
        cluster: FakeCluster, controller: DaemonSetController, recorder: Recorder) -> None:
    """Each of three nodes gets one pod, unbound, pinned by matchFields, labelled with the
    revision hash and template generation, carrying the daemon tolerations."""
    cluster.seed(NODES, node("n1"), node("n2"), node("n3"))
    [ds] = cluster.seed(DAEMON_SETS, daemon_set())
    await controller.reconcile("default/agent")
    pods = created_pods(cluster)
    assert sorted(pinned_node(p) for p in pods) == ["n1", "n2", "n3"]
    revision_hash = dsu.revision_hash(ds)
    for pod in pods:
        assert "nodeName" not in pod["spec"]
        assert pod["metadata"]["labels"] == {"app": "agent", dsu.REVISION_HASH: revision_hash,
                                             dsu.TEMPLATE_GENERATION: "1"}
        assert pod["metadata"]["ownerReferences"][0]["uid"] == ds["metadata"]["uid"]
        keys = {(t["key"], t["effect"]) for t in pod["spec"]["tolerations"]}
        assert ("node.kubernetes.io/unschedulable", "NoSchedule") in keys
        assert ("node.kubernetes.io/not-ready", "NoExecute") in keys
        assert ("node.kubernetes.io/network-unavailable", "NoSchedule") not in keys
    [revision] = cluster.of("controllerrevisions")
    assert revision["metadata"]["name"] == f"agent-{revision_hash}"
    assert revision["revision"] == 1
    assert revision["data"]["spec"]["template"]["$patch"] == "replace"
    assert [r for _, r, _ in recorder.events] == ["SuccessfulCreate"] * 3
    assert last_status(cluster)["desiredNumberScheduled"] == 3
    assert last_status(cluster)["numberUnavailable"] == 3


async def test_node_selector_excludes_nodes(cluster: FakeCluster,
                                            controller: DaemonSetController) -> None:
    """Only the nodes with the selected label get a pod."""
    cluster.seed(NODES, node("n1", labels={"disk": "ssd"}), node("n2"),
                 node("n3", labels={"disk": "ssd"}))
    cluster.seed(DAEMON_SETS, daemon_set(node_selector={"disk": "ssd"}))
    await controller.reconcile("default/agent")
    assert sorted(pinned_node(p) for p in created_pods(cluster)) == ["n1", "n3"]
    assert last_status(cluster)["desiredNumberScheduled"] == 2


GPU_TAINT = {"key": "gpu", "value": "yes", "effect": "NoSchedule"}


@pytest.mark.parametrize(("taint", "tolerations", "runs"), [
    pytest.param(GPU_TAINT, None, False, id="untolerated-noschedule-excluded"),
    pytest.param(GPU_TAINT, [{"key": "gpu", "operator": "Exists"}], True, id="tolerated"),
    pytest.param({"key": "gpu", "effect": "PreferNoSchedule"}, None, True,
                 id="prefer-noschedule-ignored"),
    pytest.param({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}, None,
                 True, id="cordoned-node-still-eligible"),
])
async def test_taints_against_tolerations(cluster: FakeCluster, controller: DaemonSetController,
                                          taint: Object, tolerations: list[Object] | None,
                                          runs: bool) -> None:
    """A tainted node gets a pod only when its taint is tolerated (or only preferred)."""
    cluster.seed(NODES, node("plain"), node("tainted", taints=[taint]))
    cluster.seed(DAEMON_SETS, daemon_set(tolerations=tolerations))
    await controller.reconcile("default/agent")
    expected = ["plain", "tainted"] if runs else ["plain"]
    assert sorted(pinned_node(p) for p in created_pods(cluster)) == expected


async def test_untolerated_no_execute_evicts_but_no_schedule_keeps(
        cluster: FakeCluster, controller: DaemonSetController) -> None:
    """A running pod stays on a node newly tainted NoSchedule, but not on one tainted
    NoExecute; the kept one counts as misscheduled."""
    cluster.seed(NODES, node("ns", taints=[GPU_TAINT]),
                 node("ne", taints=[{"key": "gpu", "effect": "NoExecute"}]))
    [ds] = cluster.seed(DAEMON_SETS, daemon_set())
    cluster.seed(PODS, daemon_pod(ds, "on-ns", "ns"), daemon_pod(ds, "on-ne", "ne"))
    await controller.reconcile("default/agent")
    assert created_pods(cluster) == [] and deleted(cluster) == ["on-ne"]
    catch_up(cluster, controller)
    await controller.reconcile("default/agent")
    status = last_status(cluster)
    assert status["desiredNumberScheduled"] == 0 and status["numberMisscheduled"] == 1


async def test_node_added_gets_a_pod(cluster: FakeCluster,
                                     controller: DaemonSetController) -> None:
    """A new node re-enqueues the DaemonSet, whose next reconcile creates only its pod."""
    cluster.seed(NODES, node("n1"))
    cluster.seed(DAEMON_SETS, daemon_set())
    await controller.reconcile("default/agent")
    catch_up(cluster, controller)
    controller._node_added(node("n2"))  # what the node informer's add handler does
    assert len(controller.queue) == 1
    cluster.seed(NODES, node("n2"))
    await controller.reconcile("default/agent")
    assert [pinned_node(p) for p in created_pods(cluster)] == ["n2"]
    assert cluster.writes(resource="controllerrevisions") == []


async def test_node_events_enqueue_the_daemon_sets_they_concern(
        controller: DaemonSetController, cluster: FakeCluster) -> None:
    """A new node enqueues the DaemonSets that should run there; a label change those whose
    decision it changes; a status-only change nothing."""
    cluster.seed(DAEMON_SETS, daemon_set(), daemon_set("ssd-only", node_selector={"disk": "ssd"}))
    old = node("n1")
    controller._node_added(old)
    assert await controller.queue.get() == "default/agent" and len(controller.queue) == 0
    controller.queue.done("default/agent")
    controller._node_updated(old, dict(old, status={"conditions": []}))
    assert len(controller.queue) == 0
    controller._node_updated(old, node("n1", labels={"disk": "ssd"}))
    assert await controller.queue.get() == "default/ssd-only" and len(controller.queue) == 0


@pytest.mark.parametrize("change", ["removed", "relabelled"])
async def test_pod_deleted_when_node_leaves(cluster: FakeCluster,
                                            controller: DaemonSetController,
                                            change: str) -> None:
    """A pod whose node is gone, or no longer matches the selector, is deleted."""
    nodes = [node("n1", labels={"disk": "ssd"})]
    if change == "relabelled":
        nodes.append(node("n2", labels={"disk": "hdd"}))
    cluster.seed(NODES, *nodes)
    [ds] = cluster.seed(DAEMON_SETS, daemon_set(node_selector={"disk": "ssd"}))
    cluster.seed(PODS, daemon_pod(ds, "on-n1", "n1"), daemon_pod(ds, "on-n2", "n2"))
    await controller.reconcile("default/agent")
    assert deleted(cluster) == ["on-n2"] and created_pods(cluster) == []
    assert [r for _, r, _ in controller.recorder.events] == [  # type: ignore[union-attr]
        "SuccessfulDelete"]


async def test_duplicate_on_a_node_keeps_the_oldest(cluster: FakeCluster,
                                                    controller: DaemonSetController) -> None:
    """Of two pods on one node the newer is deleted."""
    cluster.seed(NODES, node("n1"))
    [ds] = cluster.seed(DAEMON_SETS, daemon_set())
    cluster.seed(PODS, daemon_pod(ds, "newer", "n1", created="2026-01-02T00:00:00Z"),
                 daemon_pod(ds, "older", "n1", created="2026-01-01T00:00:00Z"))
    await controller.reconcile("default/agent")
    assert deleted(cluster) == ["newer"]


async def test_failed_pod_deleted_then_backs_off(cluster: FakeCluster, recorder: Recorder) -> None:
    """A failed pod is deleted with a FailedDaemonPod event; a second failure on that node
    within the back-off is left for later (a requeue), not deleted at once."""
    now = [0.0]
    controller = DaemonSetController(cluster.client, cluster.informers,
                                     recorder=recorder,  # type: ignore[arg-type]
                                     clock=lambda: NOW,
                                     backoff=FailedPodsBackoff(clock=lambda: now[0]))
    cluster.seed(NODES, node("n1"))
    [ds] = cluster.seed(DAEMON_SETS, daemon_set())
    cluster.seed(PODS, daemon_pod(ds, "crashed", "n1", phase="Failed", ready=False))
    await controller.reconcile("default/agent")
    assert deleted(cluster) == ["crashed"]
    assert recorder.events[0][:2] == ("Warning", "FailedDaemonPod")
    assert "crashed on node n1" in recorder.events[0][2]
    catch_up(cluster, controller)
    cluster.seed(PODS, daemon_pod(ds, "again", "n1", phase="Failed", ready=False))
    now[0] = 0.5
    with pytest.raises(Requeue) as again:
        await controller.reconcile("default/agent")
    assert again.value.after == pytest.approx(0.5)
    assert deleted(cluster) == []


def _three_nodes_with_old_pods(cluster: FakeCluster, **kwargs: Any) -> Object:
    cluster.seed(NODES, node("n1"), node("n2"), node("n3"))
    [ds] = cluster.seed(DAEMON_SETS, daemon_set(image="agent:2", **kwargs))
    old = copy.deepcopy(ds)
    old["spec"]["template"]["spec"]["containers"][0]["image"] = "agent:1"
    for n in ("n1", "n2", "n3"):
        cluster.seed(PODS, daemon_pod(ds, f"old-{n}", n, revision=dsu.revision_hash(old)))
    return ds


@pytest.mark.parametrize(("max_unavailable", "deletes"), [
    pytest.param(1, 1, id="one-at-a-time"), pytest.param(2, 2, id="two"),
    pytest.param("100%", 3, id="all")])
async def test_rolling_update_respects_max_unavailable(
        cluster: FakeCluster, controller: DaemonSetController, max_unavailable: Any,
        deletes: int) -> None:
    """A new template deletes at most maxUnavailable old, available pods per pass."""
    _three_nodes_with_old_pods(cluster, max_unavailable=max_unavailable)
    await controller.reconcile("default/agent")
    assert len(deleted(cluster)) == deletes and created_pods(cluster) == []
    assert "updatedNumberScheduled" not in last_status(cluster)


async def test_rolling_update_waits_for_the_replacement(
        cluster: FakeCluster, controller: DaemonSetController) -> None:
    """While the new pod on one node is not ready, no other old pod is deleted."""
    ds = _three_nodes_with_old_pods(cluster)
    cluster.objects.pop(("pods", "default", "old-n1"))
    controller.pods.delete(controller.pods.get_by_key("default/old-n1"))
    cluster.seed(PODS, daemon_pod(ds, "new-n1", "n1", ready=False))
    await controller.reconcile("default/agent")
    assert deleted(cluster) == [] and created_pods(cluster) == []
    assert last_status(cluster)["updatedNumberScheduled"] == 1


async def test_max_surge_starts_new_pod_beside_old(
        cluster: FakeCluster, controller: DaemonSetController) -> None:
    """With maxSurge 1 the new pod is created next to an old one, nothing deleted yet."""
    _three_nodes_with_old_pods(cluster, max_unavailable=0, max_surge=1)
    await controller.reconcile("default/agent")
    assert deleted(cluster) == [] and len(created_pods(cluster)) == 1


async def test_on_delete_leaves_old_pods(cluster: FakeCluster,
                                         controller: DaemonSetController) -> None:
    """OnDelete never replaces a pod by itself."""
    _three_nodes_with_old_pods(cluster, strategy="OnDelete")
    await controller.reconcile("default/agent")
    assert deleted(cluster) == [] and created_pods(cluster) == []


async def test_status_counts(cluster: FakeCluster, controller: DaemonSetController) -> None:
    """Scheduled, ready, available, updated and misscheduled counted node by node."""
    cluster.seed(NODES, node("n1"), node("n2"), node("n3"), node("off", taints=[GPU_TAINT]))
    [ds] = cluster.seed(DAEMON_SETS, daemon_set())
    cluster.seed(PODS, daemon_pod(ds, "a", "n1"), daemon_pod(ds, "b", "n2", ready=False),
                 daemon_pod(ds, "c", "off", revision="old"))
    await controller.reconcile("default/agent")
    status = last_status(cluster)
    assert status == {"currentNumberScheduled": 2, "desiredNumberScheduled": 3,
                      "numberMisscheduled": 1, "numberReady": 1, "numberAvailable": 1,
                      "numberUnavailable": 2, "updatedNumberScheduled": 2,
                      "observedGeneration": 1}
    assert [pinned_node(p) for p in created_pods(cluster)] == ["n3"]


def revision(ds: Object, number: int, *, template_of: Object | None = None,
             revision_hash: str | None = None) -> Object:
    source = template_of or ds
    hashed = revision_hash or dsu.revision_hash(source)
    return {"apiVersion": "apps/v1", "kind": "ControllerRevision",
            "metadata": {"name": f"agent-{hashed}", "namespace": "default",
                         "labels": {"app": "agent", dsu.REVISION_HASH: hashed},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet",
                                              "name": "agent", "uid": ds["metadata"]["uid"],
                                              "controller": True}]},
            "data": dsu.revision_data(source), "revision": number}


async def test_history_keeps_the_limit_and_revisions_pods_use(
        cluster: FakeCluster, controller: DaemonSetController) -> None:
    """A new template gets the next revision; old ones beyond revisionHistoryLimit are
    deleted oldest first, except one a live pod still runs."""
    spec = daemon_set()
    spec["spec"]["revisionHistoryLimit"] = 1
    [ds] = cluster.seed(DAEMON_SETS, spec)
    cluster.seed(NODES, node("n1"))
    cluster.seed(CONTROLLER_REVISIONS, *(revision(ds, n, revision_hash=f"h{n}",
                                                  template_of=daemon_set(image=f"old:{n}"))
                                         for n in (1, 2, 3)))
    cluster.seed(PODS, daemon_pod(ds, "old", "n1", revision="h1"))
    await controller.reconcile("default/agent")
    writes = cluster.writes(resource="controllerrevisions")
    assert [(a.verb, a.body["revision"]) for a in writes if a.verb == "create"] == [("create", 4)]
    assert [a.name for a in writes if a.verb == "delete"] == ["agent-h2", "agent-h3"]


async def test_returning_template_is_renumbered(cluster: FakeCluster,
                                                controller: DaemonSetController) -> None:
    """A rollback to an old template makes its revision the newest, no new one is made."""
    [ds] = cluster.seed(DAEMON_SETS, daemon_set())
    other = daemon_set(image="agent:2")
    cluster.seed(CONTROLLER_REVISIONS, revision(ds, 1), revision(ds, 2, template_of=other))
    await controller.reconcile("default/agent")
    [write] = cluster.writes(resource="controllerrevisions")
    assert write.verb == "update" and write.body["revision"] == 3
    assert write.name == f"agent-{dsu.revision_hash(ds)}"


async def test_host_network_pods_tolerate_network_unavailable(
        cluster: FakeCluster, controller: DaemonSetController) -> None:
    """A hostNetwork daemon runs on a node whose network is not ready yet."""
    spec = daemon_set()
    spec["spec"]["template"]["spec"]["hostNetwork"] = True
    cluster.seed(NODES, node("n1", taints=[{"key": "node.kubernetes.io/network-unavailable",
                                            "effect": "NoSchedule"}]))
    cluster.seed(DAEMON_SETS, spec)
    await controller.reconcile("default/agent")
    [pod] = created_pods(cluster)
    assert {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists",
            "effect": "NoSchedule"} in pod["spec"]["tolerations"]


async def test_orphan_matching_pod_is_adopted_not_duplicated(
        cluster: FakeCluster, controller: DaemonSetController) -> None:
    """A matching pod without an owner on a node is adopted; no second pod is created."""
    cluster.seed(NODES, node("n1"))
    [ds] = cluster.seed(DAEMON_SETS, daemon_set())
    orphan = daemon_pod(ds, "orphan", "n1")
    del orphan["metadata"]["ownerReferences"]
    cluster.seed(PODS, orphan)
    await controller.reconcile("default/agent")
    [patch] = cluster.writes(resource="pods")
    assert patch.verb == "patch" and patch.name == "orphan"
    assert created_pods(cluster) == []
    assert last_status(cluster)["currentNumberScheduled"] == 1


@pytest.mark.parametrize(("new_ready", "deletes"), [
    pytest.param(False, [], id="new-not-ready-both-stay"),
    pytest.param(True, ["old-n1"], id="new-available-old-goes")])
async def test_surge_keeps_old_pod_until_new_is_available(
        cluster: FakeCluster, controller: DaemonSetController, new_ready: bool,
        deletes: list[str]) -> None:
    """With maxSurge, a node's old pod stays beside the new one until that is available."""
    ds = _three_nodes_with_old_pods(cluster, max_unavailable=0, max_surge=1)
    cluster.seed(PODS, daemon_pod(ds, "new-n1", "n1", ready=new_ready,
                                  created="2026-01-02T00:00:00Z"))
    await controller.reconcile("default/agent")
    assert deleted(cluster) == deletes and created_pods(cluster) == []
