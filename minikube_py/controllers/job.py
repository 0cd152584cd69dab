"""The Job controller (Kubernetes' ``pkg/controller/job``): pods that run to completion.

``reconcile(key)`` claims the Job's pods (the generated ``batch.kubernetes.io/controller-uid``
selector, ``controllerref.py``), counts the finished ones and keeps
``min(parallelism, completions - succeeded)`` pods running until ``completions`` pods have
succeeded (``Complete``, reason ``CompletionsReached``). In ``Indexed`` completion mode every
index in ``[0, completions)`` gets one pod (``job_util.add_index``) until each has succeeded;
``status.completedIndexes`` lists them. A Job fails (``FailureTarget`` and ``Failed``) when more
pods failed than ``backoffLimit`` allows (``BackoffLimitExceeded``) or it was active longer
than ``activeDeadlineSeconds`` (``DeadlineExceeded``; the reconcile is requeued for the
moment the deadline passes); its active pods are deleted then. A suspended Job has no active
pods; resuming restarts its deadline. A failed pod is replaced after an exponential back-off.
Pods are created in slow-start batches (1, 2, 4, ...) as the ReplicaSet controller does, so a
template the apiserver refuses costs one request (a ``FailedCreate`` event and a retry).
The pods of a finished Job are left alone (the garbage collector removes them with the Job;
``ttlafterfinished.py`` removes the Job).

Succeeded and failed counts only grow: pods are counted while they exist and the status keeps
the highest count seen (Kubernetes tracks them with a pod finalizer instead; a finished pod
deleted by hand and replaced by a new failure can be counted once too few here).
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import logging
import time
from typing import Any

from minikube_py.api.errors import NotFound, StatusError
from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.events import NORMAL, WARNING, EventRecorder
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.store import DeletedFinalStateUnknown, meta_namespace_key
from minikube_py.controllers import job_util as ju
from minikube_py.controllers.base import Controller, Requeue
from minikube_py.controllers.controller_utils import (
    BURST_REPLICAS,
    CONTROLLER_UID_INDEX,
    SLOW_START_INITIAL_BATCH_SIZE,
    Clock,
    ControllerExpectations,
    claim_candidates,
    controller_ref,
    controller_uid_index_func,
    is_pod_active,
    is_pod_ready,
    new_controller_ref,
    pod_from_template,
    pods_to_delete,
    set_counts,
    slow_start_batch,
)
from minikube_py.controllers.controllerref import ControllerRefManager
from minikube_py.util.clock import parse_rfc3339, rfc3339

log = logging.getLogger(__name__)

Object = dict[str, Any]

PODS = REGISTRY.require("", "v1", "pods")
JOBS = REGISTRY.require("batch", "v1", "jobs")

BACKOFF_MESSAGE = "Job has reached the specified backoff limit"
DEADLINE_MESSAGE = "Job was active longer than specified deadline"
COMPLETE_MESSAGE = "Reached expected number of succeeded pods"


def _int(value: Any, default: int) -> int:
    return default if value is None else int(value)


class JobController(Controller):
    """Runs every Job's pods to completion (or failure)."""

    name = "job"
    workers = 5  # ConcurrentJobSyncs

    def __init__(self, client: Client, informers: SharedInformerFactory, *,
                 recorder: EventRecorder | None = None, owns_recorder: bool = False,
                 clock: Clock = time.time, pod_failure_backoff: float = ju.DEFAULT_BACKOFF,
                 burst: int = BURST_REPLICAS) -> None:
        super().__init__(client, informers, recorder=recorder, owns_recorder=owns_recorder)
        self.clock = clock
        self.backoff = pod_failure_backoff
        self.burst = burst
        self.expectations = ControllerExpectations()
        self.jobs = self.watch(JOBS, on_change=self._job_changed).lister
        pods = self.informer(PODS)
        pods.add_indexers({CONTROLLER_UID_INDEX: controller_uid_index_func})
        self.pods = pods.indexer
        pods.add_event_handler(on_add=self._pod_added, on_update=self._pod_updated,
                               on_delete=self._pod_deleted)

    # -- event handlers ------------------------------------------------------------------------

    def _job_changed(self, old: Object | None, new: Object) -> None:
        if not new and old:
            self.expectations.delete(meta_namespace_key(old))

    def _owner_key(self, pod: Object) -> str | None:
        ref = controller_ref(pod)
        if ref is None or ref.get("kind") != "Job" or not str(
                ref.get("apiVersion") or "").startswith("batch/"):
            return None
        namespace = pod["metadata"].get("namespace") or ""
        job = self.jobs.get(str(ref.get("name") or ""), namespace)
        if job is None or job["metadata"].get("uid") != ref.get("uid"):
            return None
        return f"{namespace}/{ref['name']}"

    def _pod_added(self, pod: Object) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            self._pod_deleted(pod)
            return
        key = self._owner_key(pod)
        if key is not None:
            self.expectations.creation_observed(key)
            self.enqueue(key)

    def _pod_updated(self, old: Object, new: Object) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        for pod in (old, new):
            key = self._owner_key(pod)
            if key is not None:
                self.enqueue(key)

    def _pod_deleted(self, obj: Object | DeletedFinalStateUnknown) -> None:
        pod = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        key = self._owner_key(pod)
        if key is not None:
            self.expectations.deletion_observed(key, meta_namespace_key(pod))
            self.enqueue(key)

    def _event(self, job: Object, kind: str, reason: str, message: str) -> None:
        if self.recorder is not None:
            self.recorder.event(job, kind, reason, message, resource_type=JOBS)

    # -- reconcile -----------------------------------------------------------------------------

    async def reconcile(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        cached = self.jobs.get(name, namespace)
        if cached is None:
            self.expectations.delete(key)
            return
        if ju.is_finished(cached) or cached["metadata"].get("deletionTimestamp"):
            return  # a finished Job's pods are left alone
        job = copy.deepcopy(cached)
        needs_sync = self.expectations.satisfied(key)
        spec = job.get("spec") or {}
        manager = ControllerRefManager(self.client, owner=job, owner_rt=JOBS, child_rt=PODS,
                                       selector=LabelSelector.from_dict(spec.get("selector")))
        pods = await manager.claim(claim_candidates(self.pods, job))
        now = self.clock()
        stamp = rfc3339(dt.datetime.fromtimestamp(now, dt.UTC))
        status = copy.deepcopy(job.get("status") or {})
        active = [p for p in pods if is_pod_active(p)]
        failed_pods = [p for p in pods if (p.get("status") or {}).get("phase") == "Failed"]
        failed = max(_int(status.get("failed"), 0), len(failed_pods))
        succeeded, done_indexes = self._succeeded(spec, status, pods)
        requeue: float | None = None

        if not spec.get("suspend") and not status.get("startTime"):
            status["startTime"] = stamp
        failure = self._failure(spec, status, active, failed, now)
        if failure is not None:
            reason, message = failure
            await self._delete(key, job, active)
            active = []
            ju.set_condition(status, ju.FAILURE_TARGET, "True", reason, message, stamp)
            ju.set_condition(status, ju.FAILED, "True", reason, message, stamp)
            self._event(job, WARNING, reason, message)
        elif spec.get("suspend"):
            if active:
                await self._delete(key, job, active)
                active = []
            if ju.set_condition(status, ju.SUSPENDED, "True", "JobSuspended", "Job suspended",
                                stamp):
                self._event(job, NORMAL, "Suspended", "Job suspended")
        else:
            suspended = ju.condition(job, ju.SUSPENDED)
            if suspended is not None and suspended.get("status") == "True":
                ju.set_condition(status, ju.SUSPENDED, "False", "JobResumed", "Job resumed",
                                 stamp)
                status["startTime"] = stamp  # the deadline counts from the resume
                self._event(job, NORMAL, "Resumed", "Job resumed")
            if self._complete(spec, succeeded, active):
                await self._delete(key, job, active)
                active = []
                for kind in (ju.SUCCESS_CRITERIA_MET, ju.COMPLETE):
                    ju.set_condition(status, kind, "True", "CompletionsReached",
                                     COMPLETE_MESSAGE, stamp)
                status["completionTime"] = stamp
                self._event(job, NORMAL, "Completed", "Job completed")
            else:
                if needs_sync:
                    active, requeue = await self._manage(key, job, pods, active, succeeded,
                                                         done_indexes, failed_pods, failed, now)
                requeue = _soonest(requeue, self._deadline_left(spec, status, now))

        self._count(status, active, pods, succeeded, failed, done_indexes)
        await self._update_status(job, status)
        if requeue is not None:
            raise Requeue(requeue)

    def _succeeded(self, spec: Object, status: Object,
                   pods: list[Object]) -> tuple[int, set[int] | None]:
        """Succeeded count, and for an Indexed Job the indexes that have succeeded."""
        ok = [p for p in pods if (p.get("status") or {}).get("phase") == "Succeeded"]
        if spec.get("completionMode") != ju.INDEXED:
            return max(_int(status.get("succeeded"), 0), len(ok)), None
        completions = _int(spec.get("completions"), 0)
        indexes = ju.parse_indexes(status.get("completedIndexes"), completions)
        for pod in ok:
            index = ju.completion_index(pod)
            if index is not None and index < completions:
                indexes.add(index)
        return len(indexes), indexes

    def _failure(self, spec: Object, status: Object, active: list[Object], failed: int,
                 now: float) -> tuple[str, str] | None:
        """(reason, message) when the Job has failed: too many failures, or past its deadline."""
        limit = _int(spec.get("backoffLimit"), 6)
        if failed > limit:
            return "BackoffLimitExceeded", BACKOFF_MESSAGE
        template_spec = (spec.get("template") or {}).get("spec") or {}
        if template_spec.get("restartPolicy") == "OnFailure":
            restarted = sum(ju.restarts(p) for p in active)
            if (restarted > 0) if limit == 0 else (restarted >= limit):
                return "BackoffLimitExceeded", BACKOFF_MESSAGE
        left = self._deadline_left(spec, status, now)
        if left is not None and left <= 0:
            return "DeadlineExceeded", DEADLINE_MESSAGE
        return None

    @staticmethod
    def _deadline_left(spec: Object, status: Object, now: float) -> float | None:
        deadline, start = spec.get("activeDeadlineSeconds"), status.get("startTime")
        if deadline is None or not start or spec.get("suspend"):
            return None
        return parse_rfc3339(start).timestamp() + int(deadline) - now

    @staticmethod
    def _complete(spec: Object, succeeded: int, active: list[Object]) -> bool:
        completions = spec.get("completions")
        if completions is None:  # a work queue: done when one succeeded and the rest ended
            return succeeded > 0 and not active
        return succeeded >= int(completions)

    async def _manage(self, key: str, job: Object, pods: list[Object], active: list[Object],
                      succeeded: int, done_indexes: set[int] | None, failed_pods: list[Object],
                      failed: int, now: float) -> tuple[list[Object], float | None]:
        """Create or delete pods toward the wanted number of active ones (``manageJob``);
        the active pods afterwards, and a delay to reconcile again after, if any."""
        spec = job.get("spec") or {}
        parallelism = _int(spec.get("parallelism"), 1)
        completions = spec.get("completions")
        if completions is None:
            want = len(active) if succeeded > 0 else parallelism
        else:
            want = min(parallelism, int(completions) - succeeded)
        busy = len(active)
        if spec.get("podReplacementPolicy") == "Failed":  # wait for terminating pods
            busy += sum(1 for p in pods if p["metadata"].get("deletionTimestamp")
                        and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed"))
        if busy > want:
            extra = pods_to_delete(active, min(len(active), busy - want))
            await self._delete(key, job, extra)
            gone = {id(p) for p in extra}
            return [p for p in active if id(p) not in gone], None
        if busy == want:
            return active, None
        wait = ju.backoff_remaining(failed_pods, failed, now, base=self.backoff)
        if wait > 0:
            return active, wait
        indexes: list[int | None] = [None] * min(want - busy, self.burst)
        if done_indexes is not None:
            taken = done_indexes | {i for i in map(ju.completion_index, active) if i is not None}
            free = [i for i in range(int(completions or 0)) if i not in taken]
            indexes = list(free[:min(want - busy, self.burst)])
        await self._create(key, job, indexes)
        return active, None

    async def _create(self, key: str, job: Object, indexes: list[int | None]) -> None:
        if not indexes:
            return
        self.expectations.expect_creations(key, len(indexes))
        template = (job.get("spec") or {}).get("template") or {}
        ref = new_controller_ref(job, JOBS)
        meta = job["metadata"]

        async def create_one(index: int | None) -> None:
            pod = pod_from_template(template, job, ref)
            if index is not None:
                ju.add_index(pod, meta["name"], index)
            try:
                created = await self.client.create(PODS, pod, meta["namespace"])
            except StatusError as err:
                self.expectations.creation_observed(key)
                self._event(job, WARNING, "FailedCreate", f"Error creating: {err.message}")
                raise
            self._event(job, NORMAL, "SuccessfulCreate",
                        f"Created pod: {created['metadata']['name']}")

        pending = iter(indexes)
        attempted = 0

        async def create_next() -> None:
            nonlocal attempted
            attempted += 1
            await create_one(next(pending))

        _, err = await slow_start_batch(len(indexes), SLOW_START_INITIAL_BATCH_SIZE,
                                        create_next)
        for _ in range(len(indexes) - attempted):  # creates never made are not waited for
            self.expectations.creation_observed(key)
        if err is not None:
            raise err

    async def _delete(self, key: str, job: Object, victims: list[Object]) -> None:
        if not victims:
            return
        self.expectations.expect_deletions(key, [meta_namespace_key(p) for p in victims])

        async def delete_one(pod: Object) -> None:
            meta = pod["metadata"]
            try:
                await self.client.delete(PODS, meta["name"], meta["namespace"])
            except NotFound:
                self.expectations.deletion_observed(key, meta_namespace_key(pod))
                return
            except StatusError as err:
                self.expectations.deletion_observed(key, meta_namespace_key(pod))
                self._event(job, WARNING, "FailedDelete", f"Error deleting: {err.message}")
                raise
            self._event(job, NORMAL, "SuccessfulDelete", f"Deleted pod: {meta['name']}")

        await asyncio.gather(*(delete_one(p) for p in victims))

    # -- status --------------------------------------------------------------------------------

    @staticmethod
    def _count(status: Object, active: list[Object], pods: list[Object],
               succeeded: int, failed: int, done_indexes: set[int] | None) -> None:
        """The counters as Kubernetes writes them (``active``, ``succeeded``, ``failed`` omit
        a zero; ``ready`` and ``terminating`` are pointers, so a zero shows)."""
        set_counts(status, active=len(active), succeeded=succeeded, failed=failed)
        status["ready"] = sum(1 for p in active if is_pod_ready(p))
        status["terminating"] = sum(
            1 for p in pods if p["metadata"].get("deletionTimestamp")
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed"))
        status.setdefault("uncountedTerminatedPods", {})
        if done_indexes is not None:
            if done_indexes:
                status["completedIndexes"] = ju.format_indexes(done_indexes)
            else:
                status.pop("completedIndexes", None)
        if not status.get("conditions"):
            status.pop("conditions", None)

    async def _update_status(self, job: Object, status: Object) -> None:
        if job.get("status") == status:
            return
        job["status"] = status
        await self.client.update_status(JOBS, job)


def _soonest(a: float | None, b: float | None) -> float | None:
    values = [v for v in (a, b) if v is not None]
    return max(min(values), 0.05) if values else None
