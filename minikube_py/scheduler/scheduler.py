"""The scheduler, a Component (kube-scheduler's ``scheduler.go`` and ``schedule_one.go``):
shared informers feed the cache and the queue; one loop takes a pod at a time through its
profile's framework; binder workers write the bindings.

The **scheduling cycle** (:meth:`Scheduler.schedule_one`) runs without awaiting, except for
extenders and preemption: pre-filter, filter (stopping once enough nodes fit), score, pick
the best (ties at random), reserve, permit, **assume** the pod on the node in the cache, and
hand it to a binder. The **binding cycle** (a binder worker) calls the bind plugins (the
``pods/binding`` subresource) and records ``Scheduled``; on failure it forgets the
assumption, unreserves and requeues the pod.

A pod that fits nowhere gets the post-filter (preemption), a ``FailedScheduling`` event with
kube-scheduler's message ("0/3 nodes are available: ...") and the condition
``PodScheduled=False`` (reason ``Unschedulable``) through ``pods/status``; it waits in the
queue until a cluster event may help it.

In the daemon it runs on the in-process client; ``minikube-py scheduler --kubeconfig FILE``
runs it alone; with ``--leader-elect`` only the holder of the Lease
``kube-system/kube-scheduler`` schedules.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from typing import Any

from minikube_py import __version__
from minikube_py.api.errors import Conflict, NotFound, StatusError
from minikube_py.api.machinery.patch import STRATEGIC
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.events import NORMAL, WARNING, EventRecorder
from minikube_py.client.informer import SharedInformer, SharedInformerFactory, strip_managed_fields
from minikube_py.client.leaderelection import Campaign
from minikube_py.client.store import DeletedFinalStateUnknown, Lister
from minikube_py.scheduler import clusterevents as ce
from minikube_py.scheduler.batching import Batcher
from minikube_py.scheduler.cache import Cache
from minikube_py.scheduler.config import SchedulerConfig, build_profiles
from minikube_py.scheduler.extender import ExtenderError, HTTPExtender
from minikube_py.scheduler.framework import (
    Code,
    CycleState,
    Diagnosis,
    FitError,
    Framework,
    Status,
    error,
)
from minikube_py.scheduler.queue import QueuedPodInfo, SchedulingQueue
from minikube_py.scheduler.types import NodeInfo, PodInfo
from minikube_py.util.clock import rfc3339
from minikube_py.util.tasks import TaskGroup

log = logging.getLogger(__name__)

COMPONENT = "scheduler"
LEASE_NAMESPACE, LEASE_NAME = "kube-system", "kube-scheduler"
BINDERS = 16
NO_NODES = "no nodes available to schedule pods"
GATED = "Scheduling is blocked due to non-empty scheduling gates"
WATCHED = ("pods", "nodes", "services", "replicationcontrollers", "replicasets",
           "statefulsets", "persistentvolumeclaims", "persistentvolumes", "storageclasses",
           "poddisruptionbudgets")
_PODS = REGISTRY.by_path("", "v1", "pods")
_EVENT_RESOURCE = {"persistentvolumeclaims": ce.PVC, "persistentvolumes": ce.PV,
                   "storageclasses": ce.STORAGE_CLASS}


@dataclasses.dataclass
class _Binding:
    framework: Framework
    state: CycleState
    qpi: QueuedPodInfo
    assumed: PodInfo
    node: str


def user_agent(component: str) -> str:
    """``minikube-py/<version> (scheduler)``, as the controller manager names itself."""
    return f"minikube-py/{__version__} ({component})"


def default_identity() -> str:
    return f"{socket.gethostname()}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def _obj(item: Any) -> dict[str, Any]:
    return item.obj if isinstance(item, DeletedFinalStateUnknown) else item


def _gated(pod: dict[str, Any]) -> bool:
    """Waiting on ``spec.schedulingGates`` (kube-scheduler's SchedulingGates PreEnqueue)."""
    return bool((pod.get("spec") or {}).get("schedulingGates"))


def _terminal(pod: dict[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


class Scheduler:
    """A :class:`~minikube_py.util.component.Component` that assigns pods to nodes."""

    name = COMPONENT

    def __init__(self, client: Client, *, config: SchedulerConfig | None = None,
                 leader_elect: bool = False, identity: str = "",
                 lease_duration: float = 15.0, renew_deadline: float = 10.0,
                 retry_period: float = 2.0, binders: int = BINDERS) -> None:
        self.client = client.with_user_agent(user_agent(COMPONENT))
        self.config = config or SchedulerConfig()
        self.leader_elect = leader_elect
        self.identity = identity or default_identity()
        self.events = EventRecorder(self.client, "default-scheduler", self.identity)
        self.binders = binders
        self.cache = Cache()
        self.profiles: dict[str, Framework] = {}
        self.extenders = [HTTPExtender(e) for e in self.config.extenders]
        self.queue = SchedulingQueue()
        self.batcher = Batcher()
        self._informers: SharedInformerFactory | None = None
        self._listers: dict[str, Lister] = {}
        self._bindings: asyncio.Queue[_Binding] = asyncio.Queue()
        self._tasks = TaskGroup(COMPONENT)
        self._run_tasks = TaskGroup(f"{COMPONENT}/run")
        self._campaign = Campaign(
            self.client, namespace=LEASE_NAMESPACE, name=LEASE_NAME, identity=self.identity,
            events=self.events, start=self._start_scheduling, stop=self._stop_scheduling,
            lease_duration=lease_duration, renew_deadline=renew_deadline,
            retry_period=retry_period) if leader_elect else None
        self._current: Framework | None = None
        self.scheduled = 0  # pods bound, for benchmarks and tests

    # -- Handle (what plugins may use) ------------------------------------------------------

    def node_infos(self) -> Sequence[NodeInfo]:
        return self.cache.node_list()

    def node_info(self, name: str) -> NodeInfo | None:
        return self.cache.nodes.get(name)

    def lister(self, plural: str) -> Lister | None:
        return self._listers.get(plural)

    def framework(self) -> Framework:
        assert self._current is not None
        return self._current

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._campaign is not None:
            self._tasks.spawn(self._campaign.run(), name="leader-election")
        else:
            await self._start_scheduling()

    async def _start_scheduling(self) -> None:
        self.profiles = build_profiles(self.config, self)
        self.queue = SchedulingQueue(self._registrations())
        self.cache = Cache()
        informers = SharedInformerFactory(self.client, transform=strip_managed_fields,
                                          name=f"{COMPONENT}/informers")
        self._informers = informers
        for plural in WATCHED:
            rt = REGISTRY.resolve(plural)
            if rt is None or rt.plural != plural:
                continue  # a kind this cluster does not serve (yet)
            informer = informers.informer_for(rt)
            self._listers[plural] = informer.lister
            self._watch(plural, informer)
        informers.start()
        await informers.wait_for_cache_sync()
        self._run_tasks.spawn(self._scheduling_loop(), name="scheduling-loop")
        for i in range(self.binders):
            self._run_tasks.spawn(self._binder(), name=f"binder-{i}")
        self._run_tasks.spawn(self._housekeeping(), name="housekeeping")
        log.info("%s: scheduling with profiles %s", self.identity, ", ".join(self.profiles))

    async def _stop_scheduling(self) -> None:
        self.queue.close()
        await self._run_tasks.stop()
        if self._informers is not None:
            await self._informers.shutdown()
            self._informers = None
        self._listers = {}

    async def stop(self) -> None:
        if self._campaign is not None:
            self._campaign.stop()
        await self._tasks.stop()
        await self._stop_scheduling()
        for extender in self.extenders:
            await extender.close()
        await self.events.shutdown()

    def health(self) -> str | None:
        failed = self._tasks.failed + self._run_tasks.failed
        return "; ".join(f"{name}: {exc!r}" for name, exc in failed) or None

    @property
    def is_leader(self) -> bool:
        return self._campaign is None or self._campaign.is_leader

    def _registrations(self) -> dict[str, list[ce.Registration]]:
        out: dict[str, list[ce.Registration]] = {}
        for framework in self.profiles.values():
            for point in framework.points.values():
                for plugin in point:
                    register = getattr(plugin, "events_to_register", None)
                    if register is not None and plugin.name not in out:
                        out[plugin.name] = register()
        out["Extender"] = [ce.Registration(ce.ClusterEvent(ce.NODE, ce.ActionType.ALL))]
        return out

    # -- informer events --------------------------------------------------------------------

    def _watch(self, plural: str, informer: SharedInformer) -> None:
        if plural == "pods":
            informer.add_event_handler(on_add=self._pod_added, on_update=self._pod_updated,
                                       on_delete=self._pod_deleted)
        elif plural == "nodes":
            informer.add_event_handler(on_add=self._node_added, on_update=self._node_updated,
                                       on_delete=self._node_deleted)
        elif plural in _EVENT_RESOURCE:
            resource = _EVENT_RESOURCE[plural]

            def added(obj: dict[str, Any]) -> None:
                self.batcher.cluster_generation += 1
                self.queue.move_all_to_active_or_backoff(
                    ce.ClusterEvent(resource, ce.ActionType.ADD), None, obj)

            def updated(old: dict[str, Any], new: dict[str, Any]) -> None:
                if old is not new:
                    self.batcher.cluster_generation += 1
                    self.queue.move_all_to_active_or_backoff(
                        ce.ClusterEvent(resource, ce.ActionType.UPDATE_OTHER), old, new)

            informer.add_event_handler(on_add=added, on_update=updated)
        else:  # what default spreading selects by (services, controllers): ends a batch
            def changed(*_: Any) -> None:
                self.batcher.cluster_generation += 1

            informer.add_event_handler(on_add=changed, on_update=changed, on_delete=changed)

    def _responsible(self, pod: dict[str, Any]) -> bool:
        return str((pod.get("spec") or {}).get("schedulerName") or
                   "default-scheduler") in self.profiles

    def _pod_added(self, pod: dict[str, Any]) -> None:
        if (pod.get("spec") or {}).get("nodeName"):
            if not _terminal(pod):
                self.cache.add_pod(PodInfo.of(pod))
                self.queue.move_all_to_active_or_backoff(
                    ce.ClusterEvent(ce.ASSIGNED_POD, ce.ActionType.ADD), None, pod)
        elif self._responsible(pod) and not (pod.get("metadata") or {}).get(
                "deletionTimestamp"):
            info = PodInfo.of(pod)
            if _gated(pod):
                self._tasks.spawn(self._update_status(info, "SchedulingGated", GATED, None),
                                  name=f"gated/{info.key}")
                return
            self.queue.add(info)
            nominated = (pod.get("status") or {}).get("nominatedNodeName")
            if nominated:  # nominated before a restart or by another scheduler instance
                self.queue.add_nominated_pod(info, str(nominated))

    def _pod_updated(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        if old is new:
            return
        info = PodInfo.of(new)
        if info.node_name:
            self.queue.delete(info.key)  # (and its nomination: it is bound)
            if _terminal(new):
                self._assigned_pod_gone(info.key, new)
                return
            self.cache.update_pod(info)
            if (old.get("spec") or {}).get("nodeName"):
                event = ce.assigned_pod_update_event(old, new)
                if event is not None:
                    self.queue.move_all_to_active_or_backoff(event, old, new)
            return
        if not self._responsible(new):
            return
        if (new.get("metadata") or {}).get("deletionTimestamp"):
            self.queue.delete(info.key)
        elif not _gated(new):  # gates are only ever removed: the last one gone queues it
            self.queue.update(info)

    def _pod_deleted(self, item: dict[str, Any] | DeletedFinalStateUnknown) -> None:
        pod = _obj(item)
        info = PodInfo.of(pod)
        self.queue.delete(info.key)
        if self.cache.pod_node(info.key) is not None:
            self._assigned_pod_gone(info.key, pod)

    def _assigned_pod_gone(self, key: str, pod: dict[str, Any]) -> None:
        self.cache.remove_pod(key)
        self.queue.move_all_to_active_or_backoff(ce.ASSIGNED_POD_DELETE, pod, None)

    def _node_added(self, node: dict[str, Any]) -> None:
        self.cache.add_node(node)
        self.queue.move_all_to_active_or_backoff(ce.NODE_ADD, None, node)

    def _node_updated(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        if old is new:
            return
        self.cache.update_node(new)
        event = ce.node_update_event(old, new)
        if event is not None:
            self.queue.move_all_to_active_or_backoff(event, old, new)

    def _node_deleted(self, item: dict[str, Any] | DeletedFinalStateUnknown) -> None:
        node = _obj(item)
        self.cache.remove_node(str((node.get("metadata") or {}).get("name") or ""))

    # -- the scheduling cycle ---------------------------------------------------------------

    async def _scheduling_loop(self) -> None:
        while True:
            qpi = await self.queue.pop()
            if qpi is None:
                return
            try:
                await self.schedule_one(qpi)
            except Exception as exc:  # one pod's bug must not stop scheduling
                log.exception("scheduling %s failed", qpi.key)
                await self._failure(qpi, error(repr(exc)), None)
            await asyncio.sleep(0)  # let informers and binders run between pods

    def _skip(self, qpi: QueuedPodInfo) -> bool:
        """A pod deleted, or bound, since it was queued (kube-scheduler's skipPodSchedule)."""
        pods = self._listers.get("pods")
        current = pods.get(qpi.pod.name, qpi.pod.namespace) if pods is not None else None
        if current is None or (current.get("spec") or {}).get("nodeName") or \
                (current.get("metadata") or {}).get("deletionTimestamp"):
            return True
        return self.cache.pod_node(qpi.key) is not None

    async def schedule_one(self, qpi: QueuedPodInfo) -> None:
        if self._skip(qpi):
            self.queue.done(qpi.key)
            return
        pod = qpi.pod
        framework = self.profiles.get(str(pod.spec.get("schedulerName") or
                                          "default-scheduler"))
        if framework is None:
            self.queue.done(qpi.key)
            return
        self._current = framework
        state = CycleState()
        nodes = self.cache.node_list()
        diagnosis = Diagnosis()
        if not nodes:
            # kube-scheduler's ErrNoNodesAvailable is an error: retried after back-off.
            await self._failure(qpi, error(NO_NODES), None)
            return
        if not self.extenders and not self.queue.nominated:
            reuse = self.batcher.candidates(pod, framework, nodes)
            if reuse is not None:
                host = framework.select_host(*reuse)
                self._assume_and_bind(framework, CycleState(), qpi, host.name)
                return
        feasible = await self._find_nodes(framework, state, qpi, nodes, diagnosis)
        if feasible is None:
            return  # an extender error was handled
        if not feasible:
            self.batcher.invalidate()
            result = await framework.run_post_filter(state, pod, diagnosis)
            nominated = result.nominated_node if result is not None else None
            if nominated:
                self.queue.add_nominated_pod(pod, nominated)
            await self._failure(qpi, FitError(pod, len(nodes), diagnosis), nominated)
            return
        if len(feasible) == 1:
            self.batcher.invalidate()
            host = feasible[0]
        else:
            host, scores = await self._prioritize(framework, state, pod, feasible)
            if not self.extenders:
                self.batcher.remember(pod, framework, state, nodes, feasible, scores)
        self._assume_and_bind(framework, state, qpi, host.name)

    async def _find_nodes(self, framework: Framework, state: CycleState, qpi: QueuedPodInfo,
                          nodes: Sequence[NodeInfo],
                          diagnosis: Diagnosis) -> list[NodeInfo] | None:
        pod = qpi.pod
        status = framework.run_pre_filter(state, pod, nodes)
        if status is not None:
            if status.code == Code.ERROR:
                await self._failure(qpi, status, None)
                return None
            diagnosis.pre_filter_message = status.message
            diagnosis.unschedulable_plugins.add(status.plugin)
            for node in nodes:
                diagnosis.statuses[node.name] = status
            return []
        feasible = framework.find_nodes_that_fit(state, pod, nodes, diagnosis,
                                                 self.queue.nominated_for(pod))
        for extender in self.extenders:
            if not feasible or not extender.filter_verb or not extender.interested(pod):
                continue
            try:
                feasible, failed, unresolvable = await extender.filter(pod, feasible)
            except ExtenderError as exc:
                if extender.ignorable:
                    continue
                await self._failure(qpi, error(str(exc)), None)
                return None
            for name, reason in failed.items():
                diagnosis.statuses[name] = Status(Code.UNSCHEDULABLE, (reason,), "Extender")
            for name, reason in unresolvable.items():
                diagnosis.statuses[name] = Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE,
                                                  (reason,), "Extender")
            if failed or unresolvable:
                diagnosis.unschedulable_plugins.add("Extender")
        return feasible

    async def _prioritize(self, framework: Framework, state: CycleState, pod: PodInfo,
                          feasible: list[NodeInfo]) -> tuple[NodeInfo, list[int]]:
        framework.run_pre_score(state, pod, feasible)
        scores = framework.run_score(state, pod, feasible)
        for extender in self.extenders:
            if not extender.prioritize_verb or not extender.interested(pod):
                continue
            try:
                extra = await extender.prioritize(pod, feasible)
            except ExtenderError as exc:
                log.warning("%s (ignored for scoring)", exc)
                continue
            scores = [s + extra.get(n.name, 0) for s, n in zip(scores, feasible, strict=True)]
        return framework.select_host(feasible, scores), scores

    def _assume_and_bind(self, framework: Framework, state: CycleState, qpi: QueuedPodInfo,
                         node: str) -> None:
        assumed = dataclasses.replace(qpi.pod, node_name=node)
        self.cache.assume_pod(assumed, node)
        status = framework.run_reserve(state, assumed, node)
        if status is None:
            status = framework.run_permit(state, assumed, node)
            if status is not None:
                framework.run_unreserve(state, assumed, node)
        if status is not None:
            self.cache.forget_pod(assumed.key)
            self._tasks.spawn(self._failure(qpi, status, None), name=f"failure/{qpi.key}")
            return
        self._bindings.put_nowait(_Binding(framework, state, qpi, assumed, node))

    # -- the binding cycle ------------------------------------------------------------------

    async def _binder(self) -> None:
        while True:
            binding = await self._bindings.get()
            try:
                await self._bind(binding)
            except Exception as exc:
                log.exception("binding %s failed", binding.qpi.key)
                self._bind_failed(binding)
                await self._failure(binding.qpi, error(repr(exc)), None)

    async def _bind(self, b: _Binding) -> None:
        pod = b.assumed
        status: Status | None
        extender = next((e for e in self.extenders if e.bind_verb and e.interested(pod)), None)
        if extender is not None:
            try:
                await extender.bind(pod, b.node)
                status = None
            except ExtenderError as exc:
                status = error(str(exc))
        else:
            status = await b.framework.run_bind(b.state, pod, b.node)
        if status is None:
            self.cache.finish_binding(pod.key)
            self.queue.done(pod.key)
            self.scheduled += 1
            assert _PODS is not None
            self.events.event(pod.pod, NORMAL, "Scheduled",
                              f"Successfully assigned {pod.namespace}/{pod.name} to {b.node}",
                              resource_type=_PODS)
            return
        self._bind_failed(b)
        if self._skip(b.qpi):
            self.queue.done(pod.key)  # bound elsewhere or deleted meanwhile: nothing to retry
            return
        await self._failure(b.qpi, status, None)

    def _bind_failed(self, b: _Binding) -> None:
        self.cache.forget_pod(b.assumed.key)
        b.framework.run_unreserve(b.state, b.assumed, b.node)
        self.queue.move_all_to_active_or_backoff(ce.ASSIGNED_POD_DELETE, b.assumed.pod, None)

    # -- failures ---------------------------------------------------------------------------

    async def _failure(self, qpi: QueuedPodInfo, why: FitError | Status,
                       nominated: str | None) -> None:
        """Requeue, tell (FailedScheduling event) and record (PodScheduled=False)."""
        if isinstance(why, FitError):
            message = str(why)
            rejected: set[str] = why.diagnosis.unschedulable_plugins
            reason = "Unschedulable"
        else:
            message = why.message
            rejected = {why.plugin or "Scheduler"} if why.rejected else set()
            reason = "Unschedulable" if why.rejected else "SchedulerError"
        self.queue.add_unschedulable_if_not_present(qpi, rejected_by=rejected)
        assert _PODS is not None
        self.events.event(qpi.pod.pod, WARNING, "FailedScheduling", message,
                          resource_type=_PODS)
        log.debug("%s: %s", qpi.key, message)
        await self._update_status(qpi.pod, reason, message, nominated)

    async def _update_status(self, pod: PodInfo, reason: str, message: str,
                             nominated: str | None) -> None:
        assert _PODS is not None
        pods = self._listers.get("pods")
        current = pods.get(pod.name, pod.namespace) if pods is not None else pod.pod
        if current is None or (current.get("spec") or {}).get("nodeName"):
            return
        status = current.get("status") or {}
        old = next((c for c in status.get("conditions") or ()
                    if c.get("type") == "PodScheduled"), None)
        same = old is not None and old.get("status") == "False" and \
            old.get("reason") == reason and old.get("message") == message
        if same and (nominated is None or status.get("nominatedNodeName") == nominated):
            return
        patch: dict[str, Any] = {"status": {"conditions": [{
            "type": "PodScheduled", "status": "False", "reason": reason, "message": message,
            "lastProbeTime": None, "lastTransitionTime": rfc3339()}]}}
        if nominated is not None:
            patch["status"]["nominatedNodeName"] = nominated
        try:
            await self.client.patch(_PODS, pod.name, patch, pod.namespace,
                                    patch_type=STRATEGIC, subresource="status")
        except (NotFound, Conflict):
            pass
        except StatusError as exc:
            log.warning("could not update the status of %s: %s", pod.key, exc)

    async def _housekeeping(self) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(1.0)
            ticks += 1
            for key in self.cache.cleanup_assumed_pods():
                log.warning("assumed pod %s expired: its binding never showed", key)
            if ticks % 30 == 0:
                self.queue.flush_unschedulable_left_over()
