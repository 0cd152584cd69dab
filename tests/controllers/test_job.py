"""The Job and TTL-after-finished controllers: seed the informer caches of a fake clientset,
run ``reconcile`` once, assert the writes it made."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from minikube_py.api.errors import Forbidden
from minikube_py.controllers.base import Requeue
from minikube_py.controllers.job import JOBS, PODS, JobController
from minikube_py.controllers.job_util import format_indexes, parse_indexes
from minikube_py.controllers.ttlafterfinished import TTLAfterFinishedController
from tests.controllers.fakes import FakeCluster

Object = dict[str, Any]
NOW = 1_800_000_000.0
UID_LABEL = "batch.kubernetes.io/controller-uid"


def ts(seconds_before_now: float) -> str:
    return dt.datetime.fromtimestamp(NOW - seconds_before_now, dt.UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def job(name: str = "pi", *, completions: int | None = 3, parallelism: int = 2,
        status: Object | None = None, **spec: Any) -> Object:
    labels = {UID_LABEL: f"uid-{name}", "batch.kubernetes.io/job-name": name}
    body: Object = {"parallelism": parallelism, "backoffLimit": 6,
                    "completionMode": "NonIndexed", "suspend": False,
                    "selector": {"matchLabels": {UID_LABEL: f"uid-{name}"}},
                    "template": {"metadata": {"labels": labels}, "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "c", "image": "busybox"}]}}, **spec}
    if completions is not None:
        body["completions"] = completions
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
            "spec": body, "status": status or {}}


def pod(name: str, owner: Object, phase: str = "Running", *, index: int | None = None,
        ended: float | None = None) -> Object:
    meta: Object = {"name": name, "namespace": "default", "uid": f"uid-{name}",
                    "labels": {UID_LABEL: owner["metadata"]["uid"]},
                    "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job",
                                         "name": owner["metadata"]["name"],
                                         "uid": owner["metadata"]["uid"], "controller": True}]}
    if index is not None:
        meta["annotations"] = {"batch.kubernetes.io/job-completion-index": str(index)}
    status: Object = {"phase": phase}
    if ended is not None:
        status["containerStatuses"] = [{"name": "c", "state": {
            "terminated": {"exitCode": 1, "finishedAt": ts(ended)}}}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}, "status": status}


class Events:
    """A recorder that keeps (type, reason, message)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []

    def event(self, obj: Object, kind: str, reason: str, message: str, **_: Any) -> None:
        self.seen.append((kind, reason, message))

    def reasons(self) -> list[str]:
        return [reason for _, reason, _ in self.seen]


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def controller(cluster: FakeCluster, events: Events) -> JobController:
    return JobController(cluster.client, cluster.informers, clock=lambda: NOW,
                         recorder=events)  # type: ignore[arg-type]


def creates(cluster: FakeCluster) -> list[Object]:
    return [a.body for a in cluster.writes(resource="pods") if a.verb == "create"]


def status_of(cluster: FakeCluster, name: str = "pi") -> Object:
    return cluster.get("jobs", name).get("status") or {}


def condition_types(cluster: FakeCluster, name: str = "pi") -> dict[str, str]:
    return {c["type"]: c["reason"] for c in status_of(cluster, name).get("conditions") or []}


async def test_a_new_job_starts_parallelism_pods_labelled_and_owned(
        cluster: FakeCluster, controller: JobController, events: Events) -> None:
    """completions 3, parallelism 2, no pods: two pods from the template with the Job's
    labels and a controller ownerReference; startTime set, active 2, ready 0."""
    cluster.seed(JOBS, job())
    await controller.reconcile("default/pi")
    made = creates(cluster)
    assert len(made) == 2
    for body in made:
        assert body["metadata"]["generateName"] == "pi-"
        assert body["metadata"]["labels"][UID_LABEL] == "uid-pi"
        assert body["metadata"]["ownerReferences"][0]["kind"] == "Job"
    status = status_of(cluster)
    assert status["startTime"] == ts(0) and status["ready"] == 0
    assert "active" not in status  # the pods were not in the cache yet
    assert events.reasons() == ["SuccessfulCreate", "SuccessfulCreate"]


async def test_progress_creates_only_the_remaining_completions(
        cluster: FakeCluster, controller: JobController) -> None:
    """Two succeeded of three and one running: nothing more is created (one remains and
    one runs); succeeded 2, active 1."""
    owner = job(status={"startTime": ts(60)})
    cluster.seed(JOBS, owner)
    cluster.seed(PODS, pod("a", owner, "Succeeded"), pod("b", owner, "Succeeded"),
                 pod("c", owner))
    await controller.reconcile("default/pi")
    assert creates(cluster) == []
    status = status_of(cluster)
    assert (status["succeeded"], status["active"]) == (2, 1)
    assert "conditions" not in status


async def test_completions_reached_completes_the_job_and_leaves_its_pods(
        cluster: FakeCluster, controller: JobController, events: Events) -> None:
    """Three succeeded: SuccessCriteriaMet and Complete (CompletionsReached), completionTime,
    a Completed event; a second reconcile writes nothing (a finished Job is left alone)."""
    owner = job(status={"startTime": ts(60)})
    cluster.seed(JOBS, owner)
    cluster.seed(PODS, *(pod(n, owner, "Succeeded") for n in "abc"))
    await controller.reconcile("default/pi")
    assert condition_types(cluster) == {"SuccessCriteriaMet": "CompletionsReached",
                                        "Complete": "CompletionsReached"}
    assert status_of(cluster)["completionTime"] == ts(0)
    assert status_of(cluster)["succeeded"] == 3
    assert "Completed" in events.reasons()
    cluster.sync_caches()
    cluster.clear()
    await controller.reconcile("default/pi")
    assert cluster.writes() == []


async def test_more_failures_than_the_backoff_limit_fail_the_job(
        cluster: FakeCluster, controller: JobController, events: Events) -> None:
    """backoffLimit 1 and two failed pods: the running pod is deleted, FailureTarget and
    Failed with BackoffLimitExceeded, a warning event."""
    owner = job(backoffLimit=1, status={"startTime": ts(60)})
    cluster.seed(JOBS, owner)
    cluster.seed(PODS, pod("a", owner, "Failed"), pod("b", owner, "Failed"), pod("c", owner))
    await controller.reconcile("default/pi")
    assert [(a.verb, a.name) for a in cluster.writes(resource="pods")] == [("delete", "c")]
    assert condition_types(cluster) == {"FailureTarget": "BackoffLimitExceeded",
                                        "Failed": "BackoffLimitExceeded"}
    assert status_of(cluster)["failed"] == 2 and "active" not in status_of(cluster)
    assert ("Warning", "BackoffLimitExceeded",
            "Job has reached the specified backoff limit") in events.seen


async def test_a_failed_pod_is_replaced_after_the_backoff(
        cluster: FakeCluster, controller: JobController) -> None:
    """One failure that ended 4 s ago (back-off 10 s): no replacement yet, a requeue for the
    6 s left; once 10 s have passed the replacement is created."""
    owner = job(completions=1, parallelism=1, status={"startTime": ts(60)})
    cluster.seed(JOBS, owner)
    cluster.seed(PODS, pod("a", owner, "Failed", ended=4))
    with pytest.raises(Requeue) as again:
        await controller.reconcile("default/pi")
    assert again.value.after == pytest.approx(6)
    assert creates(cluster) == []
    cluster.sync_caches()
    controller.clock = lambda: NOW + 7
    await controller.reconcile("default/pi")
    assert len(creates(cluster)) == 1


async def test_the_active_deadline_requeues_then_fails_the_job(
        cluster: FakeCluster, controller: JobController, events: Events) -> None:
    """activeDeadlineSeconds 100, started 40 s ago: a requeue for the 60 s left; at 100 s the
    active pods are deleted and the Job fails with DeadlineExceeded."""
    owner = job(activeDeadlineSeconds=100, status={"startTime": ts(40)})
    cluster.seed(JOBS, owner)
    cluster.seed(PODS, pod("a", owner), pod("b", owner))
    with pytest.raises(Requeue) as again:
        await controller.reconcile("default/pi")
    assert again.value.after == pytest.approx(60)
    cluster.sync_caches()
    controller.clock = lambda: NOW + 60
    await controller.reconcile("default/pi")
    assert sorted(a.name for a in cluster.writes(resource="pods")
                  if a.verb == "delete") == ["a", "b"]
    assert condition_types(cluster)["Failed"] == "DeadlineExceeded"
    assert "DeadlineExceeded" in events.reasons()


async def test_suspend_deletes_the_active_pods_and_resume_restarts_the_clock(
        cluster: FakeCluster, controller: JobController, events: Events) -> None:
    """A suspended Job: its pods are deleted, Suspended True (JobSuspended); resumed: Suspended
    False (JobResumed), a new startTime, pods created again."""
    owner = job(suspend=True, status={"startTime": ts(600)})
    cluster.seed(JOBS, owner)
    cluster.seed(PODS, pod("a", owner))
    await controller.reconcile("default/pi")
    assert [(a.verb, a.name) for a in cluster.writes(resource="pods")] == [("delete", "a")]
    assert condition_types(cluster) == {"Suspended": "JobSuspended"}
    stored = cluster.get("jobs", "pi")
    stored["spec"]["suspend"] = False
    cluster.sync_caches()
    controller.expectations.delete("default/pi")
    controller.clock = lambda: NOW + 30
    await controller.reconcile("default/pi")
    status = status_of(cluster)
    assert condition_types(cluster) == {"Suspended": "JobResumed"}
    assert status["startTime"] == ts(-30)
    assert len(creates(cluster)) == 2
    assert events.reasons()[-3:] == ["Resumed", "SuccessfulCreate", "SuccessfulCreate"]


async def test_indexed_jobs_create_one_pod_per_missing_index(
        cluster: FakeCluster, controller: JobController) -> None:
    """Indexed, completions 4, parallelism 2, index 0 succeeded and index 1 running: one pod
    for index 2 with the index annotation, label, hostname and JOB_COMPLETION_INDEX env."""
    owner = job(completions=4, completionMode="Indexed", status={"startTime": ts(60)})
    cluster.seed(JOBS, owner)
    cluster.seed(PODS, pod("p0", owner, "Succeeded", index=0), pod("p1", owner, index=1))
    await controller.reconcile("default/pi")
    [made] = creates(cluster)
    assert made["metadata"]["generateName"] == "pi-2-"
    assert made["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] == "2"
    assert made["spec"]["hostname"] == "pi-2"
    env = made["spec"]["containers"][0]["env"]
    assert env[0]["name"] == "JOB_COMPLETION_INDEX"
    assert status_of(cluster)["completedIndexes"] == "0"


@pytest.mark.parametrize(("indexes", "text"), [
    pytest.param({0, 1, 2, 5, 7, 8}, "0-2,5,7-8", id="ranges-and-singles"),
    pytest.param(set(), "", id="none"),
])
def test_completed_indexes_round_trip(indexes: set[int], text: str) -> None:
    """completedIndexes is written as ranges and read back to the same set."""
    assert format_indexes(indexes) == text
    assert parse_indexes(text, 10) == indexes


async def test_ttl_after_finished_waits_then_deletes_in_the_background(
        cluster: FakeCluster) -> None:
    """ttlSecondsAfterFinished 30, complete 10 s ago: a requeue for 20 s; at 30 s the Job is
    deleted with propagationPolicy Background and its uid as precondition."""
    finished = job(ttlSecondsAfterFinished=30, status={
        "completionTime": ts(10), "conditions": [
            {"type": "Complete", "status": "True", "lastTransitionTime": ts(10)}]})
    cluster.seed(JOBS, finished)
    ttl = TTLAfterFinishedController(cluster.client, cluster.informers, clock=lambda: NOW)
    with pytest.raises(Requeue) as again:
        await ttl.reconcile("default/pi")
    assert again.value.after == pytest.approx(20)
    ttl.clock = lambda: NOW + 20
    await ttl.reconcile("default/pi")
    [delete] = cluster.writes()
    assert delete.verb == "delete" and delete.body["propagationPolicy"] == "Background"
    assert delete.body["preconditions"] == {"uid": "uid-pi"}


async def test_a_refused_create_stops_after_the_first_batch(
        cluster: FakeCluster, controller: JobController, events: Events) -> None:
    """The apiserver refuses pods (a quota, say): one create is tried, not ten; a
    FailedCreate event; the reconcile fails (to be retried) with nothing left expected."""
    cluster.seed(JOBS, job(completions=10, parallelism=10))
    cluster.refuse[("create", "pods")] = Forbidden("exceeded quota")
    with pytest.raises(Forbidden):
        await controller.reconcile("default/pi")
    assert len([a for a in cluster.actions if a.verb == "create"]) == 1
    assert events.reasons() == ["FailedCreate"]
    assert controller.expectations.pending("default/pi") == (0, 0)
