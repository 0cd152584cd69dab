"""The CronJob controller on a fake clientset and a clock the test sets: due times, the
concurrency policies, missed runs and the history limits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from minikube_py.controllers.base import Requeue
from minikube_py.controllers.cronjob import CRON_JOBS, CronJobController
from minikube_py.controllers.job import JOBS
from tests.controllers.fakes import FakeCluster
from tests.controllers.test_job import Events

Object = dict[str, Any]
CREATED = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def stamp(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def cron_job(name: str = "tick", schedule: str = "*/5 * * * *", *,
             status: Object | None = None, **spec: Any) -> Object:
    body: Object = {"schedule": schedule, "concurrencyPolicy": "Allow", "suspend": False,
                    "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                    "jobTemplate": {"metadata": {"labels": {"app": name}}, "spec": {
                        "template": {"spec": {"restartPolicy": "Never", "containers": [
                            {"name": "c", "image": "busybox"}]}}}}, **spec}
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}",
                         "creationTimestamp": stamp(CREATED)},
            "spec": body, "status": status or {}}


def owned_job(name: str, owner: Object, finished: str | None = None, *,
              started: dt.datetime = CREATED) -> Object:
    status: Object = {"startTime": stamp(started)}
    if finished is not None:
        status["conditions"] = [{"type": finished, "status": "True"}]
        if finished == "Complete":
            status["completionTime"] = stamp(started + dt.timedelta(seconds=30))
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}",
                         "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob",
                                              "name": owner["metadata"]["name"],
                                              "uid": owner["metadata"]["uid"],
                                              "controller": True}]},
            "spec": {}, "status": status}


def active_ref(job: Object) -> Object:
    return {"apiVersion": "batch/v1", "kind": "Job", "name": job["metadata"]["name"],
            "namespace": "default", "uid": job["metadata"]["uid"]}


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def events() -> Events:
    return Events()


def controller_at(cluster: FakeCluster, events: Events, when: dt.datetime) -> CronJobController:
    return CronJobController(cluster.client, cluster.informers, recorder=events,  # type: ignore[arg-type]
                             clock=when.timestamp)


def job_creates(cluster: FakeCluster) -> list[Object]:
    return [a.body for a in cluster.writes(resource="jobs") if a.verb == "create"]


async def test_a_due_schedule_creates_one_job_and_requeues_for_the_next(
        cluster: FakeCluster, events: Events) -> None:
    """At 12:06 a */5 schedule created at 12:00 is due for 12:05: one Job
    ``tick-<minutes>`` with the template's labels, the scheduled-timestamp annotation and a
    controller ownerReference; status active and lastScheduleTime; a requeue for 12:10."""
    cluster.seed(CRON_JOBS, cron_job())
    now = CREATED + dt.timedelta(minutes=6)
    controller = controller_at(cluster, events, now)
    with pytest.raises(Requeue) as again:
        await controller.reconcile("default/tick")
    assert again.value.after == pytest.approx(240.1)
    [made] = job_creates(cluster)
    due = CREATED + dt.timedelta(minutes=5)
    assert made["metadata"]["name"] == f"tick-{int(due.timestamp()) // 60}"
    assert made["metadata"]["labels"] == {"app": "tick"}
    assert made["metadata"]["annotations"] == {
        "batch.kubernetes.io/cronjob-scheduled-timestamp": "2026-12-04T12:05:00Z"}
    assert made["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    status = cluster.get("cronjobs", "tick")["status"]
    assert status["lastScheduleTime"] == stamp(due)
    assert [r["name"] for r in status["active"]] == [made["metadata"]["name"]]
    assert events.reasons() == ["SuccessfulCreate"]


async def test_nothing_is_due_before_the_first_time(cluster: FakeCluster,
                                                    events: Events) -> None:
    """At 12:03 nothing is due yet: no Job, a requeue for 12:05."""
    cluster.seed(CRON_JOBS, cron_job())
    controller = controller_at(cluster, events, CREATED + dt.timedelta(minutes=3))
    with pytest.raises(Requeue) as again:
        await controller.reconcile("default/tick")
    assert again.value.after == pytest.approx(120.1)
    assert cluster.writes() == []


async def test_suspended_cron_jobs_start_nothing(cluster: FakeCluster, events: Events) -> None:
    """suspend: true: no Job however late it is, and no requeue."""
    cluster.seed(CRON_JOBS, cron_job(suspend=True))
    await controller_at(cluster, events, CREATED + dt.timedelta(hours=1)).reconcile(
        "default/tick")
    assert job_creates(cluster) == []


async def test_forbid_starts_nothing_while_a_job_is_active(cluster: FakeCluster,
                                                           events: Events) -> None:
    """Forbid with a running Job: the due run is not started (JobAlreadyActive)."""
    owner = cron_job(concurrencyPolicy="Forbid")
    running = owned_job("tick-old", owner)
    owner["status"] = {"active": [active_ref(running)], "lastScheduleTime": stamp(CREATED)}
    cluster.seed(CRON_JOBS, owner)
    cluster.seed(JOBS, running)
    with pytest.raises(Requeue):
        await controller_at(cluster, events, CREATED + dt.timedelta(minutes=6)).reconcile(
            "default/tick")
    assert job_creates(cluster) == []
    assert "JobAlreadyActive" in events.reasons()


async def test_replace_deletes_the_active_job_first(cluster: FakeCluster,
                                                    events: Events) -> None:
    """Replace with a running Job: it is deleted (Background) and the new one created; active
    lists only the new one."""
    owner = cron_job(concurrencyPolicy="Replace")
    running = owned_job("tick-old", owner)
    owner["status"] = {"active": [active_ref(running)], "lastScheduleTime": stamp(CREATED)}
    cluster.seed(CRON_JOBS, owner)
    cluster.seed(JOBS, running)
    with pytest.raises(Requeue):
        await controller_at(cluster, events, CREATED + dt.timedelta(minutes=6)).reconcile(
            "default/tick")
    writes = [(a.verb, a.name) for a in cluster.writes(resource="jobs")]
    assert writes[0] == ("delete", "tick-old") and writes[1][0] == "create"
    assert cluster.writes(resource="jobs")[0].body["propagationPolicy"] == "Background"
    active = cluster.get("cronjobs", "tick")["status"]["active"]
    assert [r["name"] for r in active] == [writes[1][1]]


async def test_missed_runs_start_only_the_latest(cluster: FakeCluster, events: Events) -> None:
    """An hour late (12 runs missed): one Job, for the most recent due time (13:00)."""
    cluster.seed(CRON_JOBS, cron_job())
    now = CREATED + dt.timedelta(hours=1, seconds=20)
    with pytest.raises(Requeue):
        await controller_at(cluster, events, now).reconcile("default/tick")
    [made] = job_creates(cluster)
    assert made["metadata"]["annotations"][
        "batch.kubernetes.io/cronjob-scheduled-timestamp"] == "2026-12-04T13:00:00Z"


async def test_a_run_past_the_starting_deadline_is_skipped(cluster: FakeCluster,
                                                           events: Events) -> None:
    """startingDeadlineSeconds 60 and the last due time (12:05) 2 min ago: no Job."""
    cluster.seed(CRON_JOBS, cron_job(startingDeadlineSeconds=60))
    with pytest.raises(Requeue):
        await controller_at(cluster, events, CREATED + dt.timedelta(minutes=7)).reconcile(
            "default/tick")
    assert job_creates(cluster) == []


async def test_more_than_a_hundred_missed_runs_warn(cluster: FakeCluster,
                                                    events: Events) -> None:
    """Every minute, a day late: TooManyMissedTimes, and the latest run still starts."""
    cluster.seed(CRON_JOBS, cron_job(schedule="* * * * *"))
    with pytest.raises(Requeue):
        await controller_at(cluster, events, CREATED + dt.timedelta(days=1)).reconcile(
            "default/tick")
    assert events.reasons()[0] == "TooManyMissedTimes"
    assert "1440" in events.seen[0][2]
    [made] = job_creates(cluster)
    assert made["metadata"]["annotations"][
        "batch.kubernetes.io/cronjob-scheduled-timestamp"] == "2026-12-05T12:00:00Z"


async def test_history_limits_delete_the_oldest_finished_jobs(cluster: FakeCluster,
                                                             events: Events) -> None:
    """Limits 1 successful and 1 failed, three complete and two failed Jobs: the two oldest
    complete and the older failed one are deleted; lastSuccessfulTime is the newest
    completion; a finished Job leaves status.active."""
    owner = cron_job(successfulJobsHistoryLimit=1, failedJobsHistoryLimit=1, suspend=True)
    jobs = [owned_job(f"ok-{i}", owner, "Complete", started=CREATED + dt.timedelta(minutes=i))
            for i in range(3)]
    jobs += [owned_job(f"bad-{i}", owner, "Failed", started=CREATED + dt.timedelta(minutes=i))
             for i in range(2)]
    owner["status"] = {"active": [active_ref(jobs[2])]}
    cluster.seed(CRON_JOBS, owner)
    cluster.seed(JOBS, *jobs)
    await controller_at(cluster, events, CREATED + dt.timedelta(hours=1)).reconcile(
        "default/tick")
    deleted = sorted(a.name for a in cluster.writes(resource="jobs") if a.verb == "delete")
    assert deleted == ["bad-0", "ok-0", "ok-1"]
    status = cluster.get("cronjobs", "tick")["status"]
    assert "active" not in status
    assert status["lastSuccessfulTime"] == stamp(CREATED + dt.timedelta(minutes=2, seconds=30))
    assert "SawCompletedJob" in events.reasons()


async def test_a_running_job_changing_writes_nothing(cluster: FakeCluster,
                                                    events: Events) -> None:
    """An active Job's own status writes leave the CronJob's status.active as recorded: a
    reconcile then writes nothing."""
    owner = cron_job(suspend=True)
    [running] = cluster.seed(JOBS, owned_job("tick-old", owner))
    owner["status"] = {"active": [active_ref(running)]}
    cluster.seed(CRON_JOBS, owner)
    await controller_at(cluster, events, CREATED + dt.timedelta(minutes=1)).reconcile(
        "default/tick")
    assert cluster.writes() == []


async def test_active_refs_survive_a_job_cache_behind_and_strangers_are_reported(
        cluster: FakeCluster, events: Events) -> None:
    """status.active lists a Job the cache has not seen (it exists: kept) and one that is gone
    (dropped, MissingJob); a running Job it did not create is reported (UnexpectedJob) and
    not listed."""
    owner = cron_job(suspend=True)
    behind = cluster.put("jobs", owned_job("tick-new", owner))  # in the store, not the cache
    gone = owned_job("tick-gone", owner)
    owner["status"] = {"active": [active_ref(behind), active_ref(gone)]}
    cluster.seed(CRON_JOBS, owner)
    cluster.seed(JOBS, owned_job("manual", owner))
    await controller_at(cluster, events, CREATED).reconcile("default/tick")
    active = cluster.get("cronjobs", "tick")["status"]["active"]
    assert [r["name"] for r in active] == ["tick-new"]
    assert ("Normal", "MissingJob", "Active job went missing: tick-gone") in events.seen
    assert ("Warning", "UnexpectedJob", "Saw a job that the controller did not create or "
            "forgot: manual") in events.seen


async def test_the_time_zone_field_schedules_in_local_time(cluster: FakeCluster,
                                                          events: Events) -> None:
    """timeZone Europe/Berlin, ``5 13 * * *``: due at 12:05 UTC; the annotation is written in
    the zone's offset."""
    cluster.seed(CRON_JOBS, cron_job(schedule="5 13 * * *", timeZone="Europe/Berlin"))
    with pytest.raises(Requeue):
        await controller_at(cluster, events, CREATED + dt.timedelta(minutes=6)).reconcile(
            "default/tick")
    [made] = job_creates(cluster)
    assert made["metadata"]["annotations"][
        "batch.kubernetes.io/cronjob-scheduled-timestamp"] == "2026-12-04T13:05:00+01:00"
