"""The TTL-after-finished controller (Kubernetes' ``pkg/controller/ttlafterfinished``):
deletes a finished Job ``spec.ttlSecondsAfterFinished`` seconds after it finished.

``reconcile(key)`` reads the Job from the cache; one that has not finished or has no TTL is
done with. Before the TTL has passed it requeues itself for the moment it will; after, it reads
the Job afresh from the API (the TTL may have been changed meanwhile) and deletes it with
``propagationPolicy: Background`` and a uid precondition, so the garbage collector removes its
pods and a new Job of the same name is never hit.
"""

from __future__ import annotations

import time
from typing import Any

from minikube_py.api.errors import Conflict, NotFound
from minikube_py.client.base import Client
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.controllers.base import Controller, Requeue
from minikube_py.controllers.controller_utils import Clock
from minikube_py.controllers.job import JOBS
from minikube_py.controllers.job_util import finished_condition
from minikube_py.util.clock import parse_rfc3339

Object = dict[str, Any]


def expires_in(job: Object, now: float) -> float | None:
    """Seconds until a finished Job's TTL runs out (<= 0: it has), None if it never does."""
    ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
    cond = finished_condition(job)
    if ttl is None or cond is None or job["metadata"].get("deletionTimestamp"):
        return None
    text = cond.get("lastTransitionTime") or (job.get("status") or {}).get("completionTime")
    if not text:
        return None
    return parse_rfc3339(str(text)).timestamp() + int(ttl) - now


class TTLAfterFinishedController(Controller):
    """Deletes finished Jobs whose time to live has run out."""

    name = "ttl-after-finished"
    workers = 5

    def __init__(self, client: Client, informers: SharedInformerFactory, *,
                 clock: Clock = time.time) -> None:
        super().__init__(client, informers)
        self.clock = clock
        self.jobs = self.watch(JOBS).lister

    async def reconcile(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        cached = self.jobs.get(name, namespace)
        if cached is None:
            return
        left = expires_in(cached, self.clock())
        if left is None:
            return
        if left > 0:
            raise Requeue(left)
        try:  # the cache may be stale: the TTL counts as the API has it now
            fresh = await self.client.get(JOBS, name, namespace)
        except NotFound:
            return
        left = expires_in(fresh, self.clock())
        if left is None:
            return
        if left > 0:
            raise Requeue(left)
        try:
            await self.client.delete(JOBS, name, namespace, propagation_policy="Background",
                                     preconditions={"uid": fresh["metadata"]["uid"]})
        except (NotFound, Conflict):
            return
