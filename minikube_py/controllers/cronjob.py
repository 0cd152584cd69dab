"""The CronJob controller (Kubernetes' ``pkg/controller/cronjob``, the v2 controller): Jobs on a
schedule.

``reconcile(key)`` first brings ``status.active`` up to date with the CronJob's Jobs (those it
controls, from the shared Job informer): finished Jobs leave it (``SawCompletedJob``; a
complete one moves ``lastSuccessfulTime``), vanished ones too (``MissingJob``), running ones it
did not create are reported (``UnexpectedJob``: ``kubectl create job --from`` makes them), and
finished Jobs beyond ``successfulJobsHistoryLimit``/``failedJobsHistoryLimit`` are deleted,
oldest first. Then, unless it is suspended or being deleted, it finds the most recent due
time it has not handled (from ``lastScheduleTime``, else its creation; no earlier than
``startingDeadlineSeconds`` ago; more than 100 missed times is a ``TooManyMissedTimes``
warning), skips it when it is past the starting deadline (``MissedSchedule``), and otherwise
applies ``concurrencyPolicy`` (Forbid: none while one is active, ``JobAlreadyActive``;
Replace: the active ones are deleted first) and creates the Job ``<cronjob>-<due time in
minutes since the epoch>`` from ``jobTemplate`` with a controller ownerReference and the
``batch.kubernetes.io/cronjob-scheduled-timestamp`` annotation. It always requeues itself for
the next due time, read from an injectable clock, so tests step time without sleeping.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import time
from typing import Any

from minikube_py.api.errors import AlreadyExists, NotFound, StatusError
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.events import NORMAL, WARNING, EventRecorder
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.controllers.base import Controller, Requeue, owner_keys
from minikube_py.controllers.controller_utils import (
    CONTROLLER_UID_INDEX,
    Clock,
    controller_uid_index_func,
    new_controller_ref,
)
from minikube_py.controllers.job import JOBS
from minikube_py.controllers.job_util import COMPLETE, finished_condition
from minikube_py.util import cron
from minikube_py.util.clock import parse_rfc3339, rfc3339

log = logging.getLogger(__name__)

Object = dict[str, Any]

CRON_JOBS = REGISTRY.require("batch", "v1", "cronjobs")
SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp"
MAX_MISSED = 100
NEXT_SLACK = 0.1  # seconds past the due time the requeue lands (nextScheduleDelta)


def job_name(cron_job: Object, scheduled: dt.datetime) -> str:
    """``<cronjob>-<minutes since the epoch>`` (``getJobName``): one name per due time, so a
    second create of the same run is an AlreadyExists."""
    return f"{cron_job['metadata']['name']}-{int(scheduled.timestamp()) // 60}"


def most_recent(schedule: cron.Schedule, cron_job: Object,
                now: dt.datetime) -> tuple[dt.datetime | None, int]:
    """The latest due time not after ``now`` that is after the last scheduled one (or the
    creation, or the starting deadline), and how many were missed (``mostRecentScheduleTime``)."""
    spec, status = cron_job.get("spec") or {}, cron_job.get("status") or {}
    text = status.get("lastScheduleTime") or cron_job["metadata"].get("creationTimestamp")
    earliest = parse_rfc3339(text) if text else now
    deadline = spec.get("startingDeadlineSeconds")
    if deadline is not None:
        earliest = max(earliest, now - dt.timedelta(seconds=int(deadline)))
    found: dt.datetime | None = None
    missed = 0
    t = schedule.next(earliest)
    while t is not None and t <= now:
        found, missed = t, missed + 1
        if missed > 1000:  # far behind: count the rest by the interval, find the last exactly
            following = schedule.next(t)
            interval = (following - t).total_seconds() if following else 60.0
            missed += int((now - t).total_seconds() // max(interval, 1.0))
            t = schedule.next(max(t, now - dt.timedelta(seconds=2 * interval)))
            while t is not None and t <= now:
                found, t = t, schedule.next(t)
            break
        t = schedule.next(t)
    return found, missed


def object_ref(job: Object) -> Object:
    meta = job["metadata"]
    return {"apiVersion": "batch/v1", "kind": "Job", "name": meta["name"],
            "namespace": meta.get("namespace"), "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion")}


class CronJobController(Controller):
    """Creates each CronJob's Jobs when they are due."""

    name = "cronjob"
    workers = 5  # ConcurrentCronJobSyncs

    def __init__(self, client: Client, informers: SharedInformerFactory, *,
                 recorder: EventRecorder | None = None, owns_recorder: bool = False,
                 clock: Clock = time.time) -> None:
        super().__init__(client, informers, recorder=recorder, owns_recorder=owns_recorder)
        self.clock = clock
        self.cron_jobs = self.watch(CRON_JOBS).lister
        jobs = self.watch(JOBS, keys=owner_keys("CronJob"))
        jobs.add_indexers({CONTROLLER_UID_INDEX: controller_uid_index_func})
        self.jobs = jobs.indexer

    def _event(self, cron_job: Object, kind: str, reason: str, message: str) -> None:
        if self.recorder is not None:
            self.recorder.event(cron_job, kind, reason, message, resource_type=CRON_JOBS)

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC)

    async def reconcile(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        cached = self.cron_jobs.get(name, namespace)
        if cached is None:
            return
        cron_job = copy.deepcopy(cached)
        meta, spec = cron_job["metadata"], cron_job.get("spec") or {}
        status = copy.deepcopy(cron_job.get("status") or {})
        jobs = [j for j in self.jobs.by_index(CONTROLLER_UID_INDEX, str(meta.get("uid")))
                if j["metadata"].get("namespace") == namespace]
        await self._sync_active(cron_job, status, jobs)
        await self._cleanup(cron_job, jobs)
        requeue: float | None = None
        if not meta.get("deletionTimestamp") and not spec.get("suspend"):
            requeue = await self._schedule(cron_job, status)
        await self._update_status(cron_job, status)
        if requeue is not None:
            raise Requeue(requeue)

    async def _sync_active(self, cron_job: Object, status: Object, jobs: list[Object]) -> None:
        """``status.active`` as the Jobs are now; ``lastSuccessfulTime`` from complete ones.
        A listed Job the cache lacks is looked up before it is dropped (``MissingJob``), and
        an unlisted running one is only reported (``UnexpectedJob``) unless a fresh read of
        the CronJob lists it: either cache may be behind the other."""
        by_uid = {j["metadata"].get("uid"): j for j in jobs}
        active: list[Object] = []
        for ref in status.get("active") or []:
            job = by_uid.get(ref.get("uid"))
            if job is None:
                if await self._job_exists(ref):
                    active.append(ref)  # the Job cache has not seen it yet
                else:
                    self._event(cron_job, NORMAL, "MissingJob",
                                f"Active job went missing: {ref.get('name')}")
                continue
            cond = finished_condition(job)
            if cond is None:
                active.append(ref)  # as recorded: a Job's status writes do not rewrite it
            else:
                self._event(cron_job, NORMAL, "SawCompletedJob",
                            f"Saw completed job: {job['metadata']['name']}, "
                            f"condition: {cond.get('type')}")
        listed = {ref.get("uid") for ref in active}
        fresh: set[Any] | None = None
        for job in jobs:
            cond = finished_condition(job)
            if cond is None and job["metadata"].get("uid") not in listed:
                if fresh is None:
                    fresh = await self._fresh_active(cron_job)
                if job["metadata"].get("uid") in fresh:
                    active.append(object_ref(job))
                else:
                    self._event(cron_job, WARNING, "UnexpectedJob", "Saw a job that the "
                                f"controller did not create or forgot: {job['metadata']['name']}")
            if cond is not None and cond.get("type") == COMPLETE:
                done = (job.get("status") or {}).get("completionTime")
                last = status.get("lastSuccessfulTime")
                if done and (not last or parse_rfc3339(done) > parse_rfc3339(last)):
                    status["lastSuccessfulTime"] = done
        if active:
            status["active"] = active
        else:
            status.pop("active", None)

    async def _job_exists(self, ref: Object) -> bool:
        try:
            await self.client.get(JOBS, str(ref.get("name")), ref.get("namespace"))
        except NotFound:
            return False
        return True

    async def _fresh_active(self, cron_job: Object) -> set[Any]:
        meta = cron_job["metadata"]
        try:
            fresh = await self.client.get(CRON_JOBS, meta["name"], meta.get("namespace"))
        except NotFound:
            return set()
        return {r.get("uid") for r in (fresh.get("status") or {}).get("active") or []}

    async def _cleanup(self, cron_job: Object, jobs: list[Object]) -> None:
        """Delete the oldest finished Jobs beyond the history limits."""
        spec = cron_job.get("spec") or {}
        succeeded: list[Object] = []
        failed: list[Object] = []
        for job in jobs:
            cond = finished_condition(job)
            if cond is not None and not job["metadata"].get("deletionTimestamp"):
                (succeeded if cond.get("type") == COMPLETE else failed).append(job)
        for group, limit in ((succeeded, spec.get("successfulJobsHistoryLimit")),
                             (failed, spec.get("failedJobsHistoryLimit"))):
            if limit is None or len(group) <= int(limit):
                continue
            group.sort(key=_started)
            for job in group[:len(group) - int(limit)]:
                await self._delete_job(cron_job, job)

    async def _delete_job(self, cron_job: Object, job: Object) -> bool:
        meta = job["metadata"]
        try:
            await self.client.delete(JOBS, meta["name"], meta.get("namespace"),
                                     propagation_policy="Background")
        except NotFound:
            return True
        except StatusError as err:
            self._event(cron_job, WARNING, "FailedDelete",
                        f"Deleted job: {meta['name']}: {err.message}")
            return False
        self._event(cron_job, NORMAL, "SuccessfulDelete", f"Deleted job {meta['name']}")
        return True

    async def _schedule(self, cron_job: Object, status: Object) -> float | None:
        """Start the run that is due, if any; seconds until the next due time."""
        spec = cron_job.get("spec") or {}
        try:
            schedule = cron.parse(str(spec.get("schedule") or ""), time_zone=spec.get("timeZone"))
        except cron.CronError as err:
            self._event(cron_job, WARNING, "UnparseableSchedule",
                        f"unparseable schedule: {spec.get('schedule')!r} : {err}")
            return None
        now = self._now()
        view = {**cron_job, "status": status}
        scheduled, missed = most_recent(schedule, view, now)
        if missed > MAX_MISSED:
            self._event(cron_job, WARNING, "TooManyMissedTimes",
                        f"too many missed start times: {missed}. Set or decrease "
                        ".spec.startingDeadlineSeconds or check clock skew")
        if scheduled is not None:
            await self._start(cron_job, status, schedule, scheduled, now)
        following = schedule.next(now)
        if following is None:
            return None
        return max((following - now).total_seconds(), 0.0) + NEXT_SLACK

    async def _start(self, cron_job: Object, status: Object, schedule: cron.Schedule,
                     scheduled: dt.datetime, now: dt.datetime) -> None:
        spec = cron_job.get("spec") or {}
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None and scheduled + dt.timedelta(seconds=int(deadline)) < now:
            self._event(cron_job, WARNING, "MissedSchedule",
                        f"Missed scheduled time to start a job: {rfc3339(scheduled)}")
            return
        name = job_name(cron_job, scheduled)
        active = status.get("active") or []
        last = status.get("lastScheduleTime")
        if any(r.get("name") == name for r in active) or (
                last and parse_rfc3339(last) == scheduled):
            return  # handled already
        policy = spec.get("concurrencyPolicy") or "Allow"
        if policy == "Forbid" and active:
            self._event(cron_job, NORMAL, "JobAlreadyActive", "Not starting job because prior "
                        "execution is running and concurrency policy is Forbid")
            return
        if policy == "Replace":
            for ref in list(active):
                if await self._delete_job(cron_job, {"metadata": ref}):
                    active.remove(ref)
            if active:
                status["active"] = active
            else:
                status.pop("active", None)
        job = self._job_for(cron_job, scheduled, schedule)
        try:
            created = await self.client.create(JOBS, job, cron_job["metadata"]["namespace"])
        except AlreadyExists:
            log.info("cronjob %s: job %s exists already", cron_job["metadata"]["name"], name)
            return
        except StatusError as err:
            self._event(cron_job, WARNING, "FailedCreate",
                        f"Error creating job: {err.message}")
            raise
        self._event(cron_job, NORMAL, "SuccessfulCreate", f"Created job {name}")
        status["active"] = [*active, object_ref(created)]
        status["lastScheduleTime"] = rfc3339(scheduled)

    @staticmethod
    def _job_for(cron_job: Object, scheduled: dt.datetime, schedule: cron.Schedule) -> Object:
        """The Job of one run (``getJobFromTemplate2``)."""
        template = (cron_job.get("spec") or {}).get("jobTemplate") or {}
        tmeta = template.get("metadata") or {}
        annotations = dict(tmeta.get("annotations") or {})
        annotations[SCHEDULED_TIMESTAMP] = _go_rfc3339(scheduled.astimezone(schedule.zone))
        meta: Object = {"name": job_name(cron_job, scheduled),
                        "namespace": cron_job["metadata"].get("namespace"),
                        "annotations": annotations,
                        "ownerReferences": [new_controller_ref(cron_job, CRON_JOBS)]}
        if tmeta.get("labels"):
            meta["labels"] = dict(tmeta["labels"])
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
                "spec": copy.deepcopy(template.get("spec") or {})}

    async def _update_status(self, cron_job: Object, status: Object) -> None:
        if (cron_job.get("status") or {}) == status:
            return
        cron_job["status"] = status
        await self.client.update_status(CRON_JOBS, cron_job)


def _started(job: Object) -> str:
    return str((job.get("status") or {}).get("startTime")
               or job["metadata"].get("creationTimestamp") or "")


def _go_rfc3339(when: dt.datetime) -> str:
    """Go's ``time.RFC3339`` in the time's own zone (``Z`` for a zero offset)."""
    text = when.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if when.utcoffset() == dt.timedelta(0) else text
