"""What the workload controllers share about pods (Kubernetes' ``pkg/controller/
controller_utils.go`` and ``pkg/api/v1/pod`` helpers): expectations, the scale-down order of
pods, readiness and availability, the pod made from a template, and slow-start batches.

The ReplicaSet controller (``replicaset.py``) uses all of it; the Deployment controller
(``deployment.py``) the readiness helpers and :func:`controller_ref`.

Expectations: a controller that has just asked for ``n`` creates must not look at its pods
again before its informer has seen them, or it would create them twice. It records what it
expects (``expect_creations``/``expect_deletions``), the pod handlers lower the counts as the
events arrive (``creation_observed``/``deletion_observed``), and the controller manages
replicas only when the expectations are satisfied or older than :data:`EXPECTATIONS_TTL`.
"""

from __future__ import annotations

import asyncio
import copy
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from minikube_py.api.registry import ResourceType
from minikube_py.client.store import Indexer
from minikube_py.util.clock import parse_rfc3339

Object = dict[str, Any]
Clock = Callable[[], float]

EXPECTATIONS_TTL = 5 * 60.0  # seconds (ExpectationsTimeout)
SLOW_START_INITIAL_BATCH_SIZE = 1
BURST_REPLICAS = 500

POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
POD_PHASE_ORDER = {"Pending": 0, "Unknown": 1, "Running": 2}  # podPhaseToOrdinal


# --- expectations ---------------------------------------------------------------------------


@dataclass
class _Expectation:
    add: int = 0
    deletes: set[str] = field(default_factory=set)  # keys of pods whose delete is expected
    timestamp: float = 0.0

    def fulfilled(self) -> bool:
        return self.add <= 0 and not self.deletes


class ControllerExpectations:
    """Pending creates (a count) and deletes (pod keys) per controller key (Kubernetes'
    ``UIDTrackingControllerExpectations``: a delete counts once however often it is seen)."""

    def __init__(self, *, ttl: float = EXPECTATIONS_TTL, clock: Clock = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._store: dict[str, _Expectation] = {}

    def satisfied(self, key: str) -> bool:
        """True when nothing is pending for ``key``, or what is pending has expired."""
        exp = self._store.get(key)
        if exp is None:
            return True
        return exp.fulfilled() or self.clock() - exp.timestamp > self.ttl

    def expect_creations(self, key: str, adds: int) -> None:
        self._store[key] = _Expectation(add=adds, timestamp=self.clock())

    def expect_deletions(self, key: str, pod_keys: list[str]) -> None:
        self._store[key] = _Expectation(deletes=set(pod_keys), timestamp=self.clock())

    def expect(self, key: str, *, adds: int, deletes: list[str]) -> None:
        """Creates and deletes at once (``SetExpectations`` of a pass that does both)."""
        self._store[key] = _Expectation(add=adds, deletes=set(deletes), timestamp=self.clock())

    def creation_observed(self, key: str) -> None:
        exp = self._store.get(key)
        if exp is not None:
            exp.add -= 1

    def deletion_observed(self, key: str, pod_key: str) -> None:
        exp = self._store.get(key)
        if exp is not None:
            exp.deletes.discard(pod_key)

    def expects_deletion(self, key: str, pod_key: str) -> bool:
        exp = self._store.get(key)
        return exp is not None and pod_key in exp.deletes

    def delete(self, key: str) -> None:
        self._store.pop(key, None)

    def pending(self, key: str) -> tuple[int, int]:
        """(creates, deletes) still expected for ``key``."""
        exp = self._store.get(key)
        return (0, 0) if exp is None else (max(exp.add, 0), len(exp.deletes))


def set_counts(status: Object, **counts: int) -> None:
    """Set status counters as Go's ``omitempty`` serialises them: a zero is left out (what
    ``kubectl get -o yaml`` and a jsonpath show on a real cluster)."""
    for name, value in counts.items():
        if value:
            status[name] = value
        else:
            status.pop(name, None)


# --- owner references -----------------------------------------------------------------------


def controller_ref(obj: Object) -> Object | None:
    """The ownerReference with ``controller: true``, if any (``metav1.GetControllerOf``)."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller"):
            return ref
    return None


CONTROLLER_UID_INDEX = "controllerUID"
ORPHAN = ""  # the controllerUID index value of objects without a controller


def controller_uid_index_func(obj: Object) -> list[str]:
    """Index by the uid of the controller ownerReference; orphans under :data:`ORPHAN`. A
    controller claims from its own children and the orphans, not the whole namespace."""
    ref = controller_ref(obj)
    return [str(ref.get("uid") or ORPHAN)] if ref is not None else [ORPHAN]


def claim_candidates(indexer: Indexer, owner: Object) -> list[Object]:
    """What a claim looks at: the owner's children and the orphans in its namespace (the
    objects other controllers control it would leave alone anyway)."""
    namespace = owner["metadata"].get("namespace")
    own = indexer.by_index(CONTROLLER_UID_INDEX, str(owner["metadata"].get("uid") or ""))
    orphans = indexer.by_index(CONTROLLER_UID_INDEX, ORPHAN)
    return [o for o in own + orphans if o["metadata"].get("namespace") == namespace]


def new_controller_ref(owner: Object, rt: ResourceType) -> Object:
    """A controller ownerReference to ``owner`` (``metav1.NewControllerRef``)."""
    meta = owner["metadata"]
    return {"apiVersion": rt.api_version, "kind": rt.kind, "name": meta["name"],
            "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}


def is_controlled_by(obj: Object, owner: Object) -> bool:
    ref = controller_ref(obj)
    return ref is not None and ref.get("uid") == owner["metadata"].get("uid")


# --- pods -----------------------------------------------------------------------------------


def _condition(pod: Object, kind: str) -> Object | None:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == kind:
            return cond
    return None


def is_pod_active(pod: Object) -> bool:
    """Not finished and not being deleted (``controller.IsPodActive``)."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp")


def is_pod_ready(pod: Object) -> bool:
    cond = _condition(pod, "Ready")
    return cond is not None and cond.get("status") == "True"


def _timestamp(text: Any) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return parse_rfc3339(text).timestamp()
    except ValueError:
        return None


def ready_since(pod: Object) -> float | None:
    """When the pod last became Ready (the Ready condition's lastTransitionTime)."""
    cond = _condition(pod, "Ready")
    return _timestamp(cond.get("lastTransitionTime")) if cond else None


def is_pod_available(pod: Object, min_ready_seconds: int, now: float) -> bool:
    """Ready for at least ``min_ready_seconds`` (``podutil.IsPodAvailable``)."""
    if not is_pod_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    since = ready_since(pod)
    return since is not None and since + min_ready_seconds <= now


def _max_restarts(pod: Object) -> int:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return max((int(s.get("restartCount") or 0) for s in statuses if isinstance(s, dict)),
               default=0)


def deletion_cost(pod: Object) -> int:
    """The ``controller.kubernetes.io/pod-deletion-cost`` annotation (0 when absent or not
    an int32)."""
    value = ((pod["metadata"].get("annotations") or {}).get(POD_DELETION_COST) or "0")
    try:
        cost = int(value)
    except ValueError:
        return 0
    return cost if -(2**31) <= cost < 2**31 else 0


def active_pods_order(pod: Object) -> tuple[Any, ...]:
    """The sort key of Kubernetes' ``ActivePods``: the pods to delete first sort first
    (unassigned < assigned; Pending < Unknown < Running; not ready < ready; lower
    pod-deletion-cost first; ready for a shorter time first; more restarts first; newer
    first, no creation time before all)."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ready = is_pod_ready(pod)
    since = ready_since(pod) if ready else None
    created = _timestamp(pod["metadata"].get("creationTimestamp"))
    return (1 if spec.get("nodeName") else 0,
            POD_PHASE_ORDER.get(str(status.get("phase") or ""), 0),
            1 if ready else 0,
            deletion_cost(pod),
            -(since if since is not None else math.inf) if ready else 0.0,
            -_max_restarts(pod),
            -(created if created is not None else math.inf))


def pods_to_delete(pods: list[Object], diff: int) -> list[Object]:
    """The ``diff`` pods a scale-down removes, in ``ActivePods`` order."""
    if diff >= len(pods):
        return list(pods)
    return sorted(pods, key=active_pods_order)[:diff]


def pod_from_template(template: Object, owner: Object, ref: Object) -> Object:
    """The pod a controller creates from its template (``GetPodFromTemplate``)."""
    tmeta = template.get("metadata") or {}
    meta: Object = {"generateName": f"{owner['metadata']['name']}-",
                    "namespace": owner["metadata"].get("namespace"),
                    "ownerReferences": [ref]}
    for name in ("labels", "annotations", "finalizers"):
        if tmeta.get(name):
            meta[name] = copy.deepcopy(tmeta[name])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": copy.deepcopy(template.get("spec") or {})}


async def slow_start_batch(count: int, initial: int,
                           fn: Callable[[], Awaitable[None]]) -> tuple[int, Exception | None]:
    """Call ``fn`` ``count`` times in batches of 1, 2, 4, ... (each batch concurrently); stop
    after the first batch with a failure. Returns (successes, first error)."""
    remaining, successes = count, 0
    batch = min(remaining, initial)
    while batch > 0:
        results = await asyncio.gather(*(fn() for _ in range(batch)), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        successes += batch - len(errors)
        if errors:
            first = errors[0]
            if not isinstance(first, Exception):
                raise first
            return successes, first
        remaining -= batch
        batch = min(2 * batch, remaining)
    return successes, None
