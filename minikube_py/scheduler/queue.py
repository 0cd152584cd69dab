"""The scheduling queue: which pod the scheduler looks at next (kube-scheduler's
``backend/queue/scheduling_queue.go``, PriorityQueue).

Three places a pending pod can be:

- **activeQ**, a heap ordered by priority (higher first), then by the time the pod entered
  the queue (older first): the pods to try now. :meth:`SchedulingQueue.pop` takes from it.
- **backoffQ**, a heap by back-off expiry: pods that failed recently. A pod's back-off is 1 s
  after its first failed attempt, doubling with each attempt up to 10 s. Expired pods move
  to activeQ when ``pop`` looks (no polling timer: ``pop`` sleeps until the next expiry).
- **unschedulable**, a map: pods no node fits. They stay until a cluster event that one of
  the plugins which rejected them registered for (a node added, a pod deleted, ...) moves
  them back (to backoffQ if still backing off, else activeQ), or until they have waited
  five minutes (:meth:`flush_unschedulable_left_over`, called periodically).

A pod being scheduled is **in flight**; events that arrive meanwhile are remembered, so that
a pod which then fails for a reason such an event may have cured goes to backoffQ, not to the
unschedulable map where it could wait for an event that already happened.

The queue is also the **nominator** (kube-scheduler's PodNominator): pods that preempted
others are remembered on the node they nominated, so that while the victims go, filtering
counts them there for pods of lower or equal priority, which cannot take the freed room.

Invariant: a pod key is in at most one of activeQ, backoffQ, unschedulable and in-flight.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from minikube_py.scheduler.clusterevents import (
    FORCE_ACTIVATE,
    UNSCHEDULABLE_TIMEOUT,
    ClusterEvent,
    Registration,
)
from minikube_py.scheduler.types import PodInfo

INITIAL_BACKOFF = 1.0
MAX_BACKOFF = 10.0
MAX_UNSCHEDULABLE_DURATION = 300.0


@dataclass(eq=False)
class QueuedPodInfo:
    pod: PodInfo
    timestamp: float  # when it last entered the queue (the age ordering and the back-off)
    initial_attempt: float | None = None
    attempts: int = 0
    unschedulable_plugins: set[str] = field(default_factory=set)
    seq: int = 0  # which heap entry is current (entries of older versions are skipped)

    @property
    def key(self) -> str:
        return self.pod.key


class SchedulingQueue:
    def __init__(self, registrations: Mapping[str, list[Registration]] | None = None, *,
                 now: Callable[[], float] = time.monotonic,
                 initial_backoff: float = INITIAL_BACKOFF, max_backoff: float = MAX_BACKOFF,
                 max_unschedulable: float = MAX_UNSCHEDULABLE_DURATION) -> None:
        self.registrations = dict(registrations or {})  # plugin name -> events it waits for
        self.now = now
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.max_unschedulable = max_unschedulable
        self._active: list[tuple[int, float, int, str]] = []
        self._backoff: list[tuple[float, int, str]] = []
        self.active: dict[str, QueuedPodInfo] = {}
        self.backoff: dict[str, QueuedPodInfo] = {}
        self.unschedulable: dict[str, QueuedPodInfo] = {}
        self.in_flight: dict[str, QueuedPodInfo] = {}
        self._in_flight_events: list[tuple[ClusterEvent, Any, Any]] = []
        self._seq = itertools.count(1)
        self._wakeup = asyncio.Event()
        self.scheduling_cycle = 0
        self.closed = False
        self.nominated: dict[str, dict[str, PodInfo]] = {}  # node -> pod key -> pod
        self._nominated_node: dict[str, str] = {}  # pod key -> node

    def __len__(self) -> int:
        return len(self.active) + len(self.backoff) + len(self.unschedulable)

    def __contains__(self, key: str) -> bool:
        return key in self.active or key in self.backoff or key in self.unschedulable or \
            key in self.in_flight

    # -- entering ---------------------------------------------------------------------------

    def add(self, pod: PodInfo) -> None:
        """A new pending pod (or one seen again): into activeQ."""
        if pod.key in self:
            self.update(pod)
            return
        self._push_active(QueuedPodInfo(pod, self.now()))

    def update(self, pod: PodInfo) -> None:
        """The pod changed: refresh it where it waits; an unschedulable pod whose spec or
        labels changed may fit now, so it moves back."""
        key = pod.key
        for where in (self.active, self.backoff, self.in_flight):
            if key in where:
                where[key].pod = pod
                return
        qpi = self.unschedulable.get(key)
        if qpi is None:
            self._push_active(QueuedPodInfo(pod, self.now()))
            return
        old = qpi.pod
        qpi.pod = pod
        if _scheduling_relevant(old.pod) != _scheduling_relevant(pod.pod):
            del self.unschedulable[key]
            self._requeue(qpi)

    def delete(self, key: str) -> None:
        self.delete_nominated_pod(key)
        self.active.pop(key, None)
        self.backoff.pop(key, None)
        self.unschedulable.pop(key, None)
        self.in_flight.pop(key, None)

    def activate(self, key: str) -> None:
        """Move a waiting pod to activeQ at once (``ForceActivate``)."""
        qpi = self.unschedulable.pop(key, None) or self.backoff.pop(key, None)
        if qpi is not None:
            self._push_active(qpi, FORCE_ACTIVATE)

    # -- the scheduler's side ---------------------------------------------------------------

    async def pop(self) -> QueuedPodInfo | None:
        """The next pod to schedule; waits for one. None once the queue is closed."""
        while not self.closed:
            self.flush_backoff_completed()
            qpi = self._pop_active()
            if qpi is not None:
                self.scheduling_cycle += 1
                qpi.attempts += 1
                if qpi.initial_attempt is None:
                    qpi.initial_attempt = self.now()
                self.in_flight[qpi.key] = qpi
                return qpi
            self._wakeup.clear()
            timeout = None
            if self._backoff:
                timeout = max(0.0, self._backoff[0][0] - self.now())
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout)
            except TimeoutError:
                pass
        return None

    def done(self, key: str) -> None:
        """The pod's cycle ended in a binding attempt (or it was deleted)."""
        self.in_flight.pop(key, None)
        self._trim_in_flight_events()

    def add_unschedulable_if_not_present(self, qpi: QueuedPodInfo, *,
                                         rejected_by: set[str] | None = None) -> None:
        """After a failed attempt: to backoffQ when the failure was an error or an event
        during the attempt may have cured it, else to the unschedulable map."""
        key = qpi.key
        if self.in_flight.pop(key, None) is None and key in self:
            return  # deleted, or re-added while in flight
        qpi.unschedulable_plugins = set(rejected_by or ())
        qpi.timestamp = self.now()
        qpi.seq = next(self._seq)
        if not qpi.unschedulable_plugins or self._cured_in_flight(qpi):
            self.backoff[key] = qpi
            heapq.heappush(self._backoff, (self.backoff_expiry(qpi), qpi.seq, key))
            self._wakeup.set()
        else:
            self.unschedulable[key] = qpi
        self._trim_in_flight_events()

    def backoff_duration(self, qpi: QueuedPodInfo) -> float:
        duration = self.initial_backoff
        for _ in range(1, qpi.attempts):
            duration *= 2
            if duration >= self.max_backoff:
                return self.max_backoff
        return duration

    def backoff_expiry(self, qpi: QueuedPodInfo) -> float:
        return qpi.timestamp + self.backoff_duration(qpi)

    # -- cluster events ---------------------------------------------------------------------

    def move_all_to_active_or_backoff(self, event: ClusterEvent,
                                      old: Any = None, new: Any = None) -> int:
        """A cluster event: move back the unschedulable pods it may help; returns how many."""
        if self.in_flight:
            self._in_flight_events.append((event, old, new))
        moved = 0
        for key, qpi in list(self.unschedulable.items()):
            if self._helps(event, qpi, old, new):
                del self.unschedulable[key]
                self._requeue(qpi, event)
                moved += 1
        return moved

    def flush_unschedulable_left_over(self) -> int:
        """Pods unschedulable for longer than five minutes get another try."""
        now = self.now()
        stale = [k for k, q in self.unschedulable.items()
                 if now - q.timestamp > self.max_unschedulable]
        for key in stale:
            self._requeue(self.unschedulable.pop(key), UNSCHEDULABLE_TIMEOUT)
        return len(stale)

    def flush_backoff_completed(self) -> None:
        now = self.now()
        while self._backoff and self._backoff[0][0] <= now:
            _, seq, key = heapq.heappop(self._backoff)
            qpi = self.backoff.get(key)
            if qpi is not None and qpi.seq == seq:
                del self.backoff[key]
                self._push_active(qpi)

    def close(self) -> None:
        self.closed = True
        self._wakeup.set()

    # -- the nominator ----------------------------------------------------------------------

    def add_nominated_pod(self, pod: PodInfo, node: str) -> None:
        self.delete_nominated_pod(pod.key)
        self.nominated.setdefault(node, {})[pod.key] = pod
        self._nominated_node[pod.key] = node

    def delete_nominated_pod(self, key: str) -> None:
        node = self._nominated_node.pop(key, None)
        if node is not None:
            pods = self.nominated.get(node, {})
            pods.pop(key, None)
            if not pods:
                self.nominated.pop(node, None)

    def nominated_for(self, pod: PodInfo) -> dict[str, list[PodInfo]]:
        """Per node, the nominated pods ``pod`` must leave room for (priority >= its own)."""
        out: dict[str, list[PodInfo]] = {}
        for node, pods in self.nominated.items():
            others = [p for p in pods.values() if p.key != pod.key and p.priority >= pod.priority]
            if others:
                out[node] = others
        return out

    def pending(self) -> dict[str, list[str]]:
        """Keys per place, for debugging and tests."""
        return {"active": sorted(self.active), "backoff": sorted(self.backoff),
                "unschedulable": sorted(self.unschedulable)}

    # -- inside -----------------------------------------------------------------------------

    def _helps(self, event: ClusterEvent, qpi: QueuedPodInfo, old: Any, new: Any) -> bool:
        if event.resource == "*":
            return True
        for plugin in qpi.unschedulable_plugins:
            for registration in self.registrations.get(plugin, ()):
                if registration.event.matches(event) and (
                        registration.hint is None or registration.hint(qpi.pod, old, new)):
                    return True
        return False

    def _cured_in_flight(self, qpi: QueuedPodInfo) -> bool:
        return any(self._helps(event, qpi, old, new)
                   for event, old, new in self._in_flight_events)

    def _trim_in_flight_events(self) -> None:
        if not self.in_flight:
            self._in_flight_events.clear()

    def _requeue(self, qpi: QueuedPodInfo, event: ClusterEvent | None = None) -> None:
        qpi.seq = next(self._seq)
        expiry = self.backoff_expiry(qpi)
        if expiry > self.now():
            self.backoff[qpi.key] = qpi
            heapq.heappush(self._backoff, (expiry, qpi.seq, qpi.key))
            self._wakeup.set()
        else:
            self._push_active(qpi, event)

    def _push_active(self, qpi: QueuedPodInfo, event: ClusterEvent | None = None) -> None:
        qpi.seq = next(self._seq)
        self.active[qpi.key] = qpi
        heapq.heappush(self._active, (-qpi.pod.priority, qpi.timestamp, qpi.seq, qpi.key))
        self._wakeup.set()

    def _pop_active(self) -> QueuedPodInfo | None:
        while self._active:
            _, _, seq, key = heapq.heappop(self._active)
            qpi = self.active.get(key)
            if qpi is not None and qpi.seq == seq:
                del self.active[key]
                return qpi
        return None


def _scheduling_relevant(pod: Mapping[str, Any]) -> tuple[Any, Any]:
    """What of a pod an update must change to be worth a new attempt (Kubernetes'
    isPodUpdated ignores resourceVersion, generation, managedFields and status)."""
    meta = pod.get("metadata") or {}
    return meta.get("labels"), pod.get("spec")
