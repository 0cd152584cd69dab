"""The DaemonSet controller (Kubernetes' ``pkg/controller/daemon/daemon_controller.go``): one
pod of a DaemonSet on every node it should run on.

``reconcile(key)`` is ``syncDaemonSet``: it finds the current ControllerRevision of the
template (creating it, ``daemonset_update.py``), claims the DaemonSet's pods
(``controllerref.py``) and groups them by the node they are for, then — when expectations
are satisfied — *manages*: creates a pod for every eligible node without one, deletes the
extras on a node (all but the oldest), pods on nodes no longer eligible or gone, and failed
pods (recreated after a per-node back-off). A RollingUpdate DaemonSet then replaces old pods
within ``maxUnavailable``/``maxSurge`` (``daemonset_update.py``); old revisions beyond
``revisionHistoryLimit`` are deleted; the status is written last.

Which nodes are eligible (node selector, required node affinity, taints against the pod's
tolerations plus the daemon defaults) and how a pod is pinned to its node (a ``matchFields``
node affinity the scheduler honours) are in ``daemonset_util.py``. Node adds, deletes and
changes of labels, taints or ``unschedulable`` re-enqueue the DaemonSets they concern (a
deleted node every DaemonSet: its pods there go too).

Unlike Kubernetes, pods whose node is gone are deleted here even when bound (there is no pod
garbage collector to do it).
"""

from __future__ import annotations

import asyncio
import copy
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
from minikube_py.controllers import daemonset_util as dsu
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
    is_pod_available,
    is_pod_ready,
    new_controller_ref,
    pod_from_template,
    set_counts,
    slow_start_batch,
)
from minikube_py.controllers.controllerref import ControllerRefManager
from minikube_py.controllers.daemonset_update import (
    CONTROLLER_REVISIONS,
    DAEMON_SETS,
    FailedPodsBackoff,
    History,
    Plan,
    pods_by_age,
    rolling_update,
)

log = logging.getLogger(__name__)

Object = dict[str, Any]

PODS = REGISTRY.require("", "v1", "pods")
NODES = REGISTRY.require("", "v1", "nodes")

FAILED_DAEMON_POD = "FailedDaemonPod"


def selector_of(ds: Object) -> LabelSelector:
    return LabelSelector.from_dict((ds.get("spec") or {}).get("selector"))


def min_ready_seconds(ds: Object) -> int:
    return int((ds.get("spec") or {}).get("minReadySeconds") or 0)


class DaemonSetController(Controller):
    """Keeps one pod of every DaemonSet on each node it should run on."""

    name = "daemonset"
    workers = 2  # ConcurrentDaemonSetSyncs

    def __init__(self, client: Client, informers: SharedInformerFactory, *,
                 recorder: EventRecorder | None = None, owns_recorder: bool = False,
                 burst_replicas: int = BURST_REPLICAS, clock: Clock = time.time,
                 backoff: FailedPodsBackoff | None = None) -> None:
        super().__init__(client, informers, recorder=recorder, owns_recorder=owns_recorder)
        self.burst_replicas = burst_replicas
        self.clock = clock
        self.backoff = backoff or FailedPodsBackoff()
        self.expectations = ControllerExpectations()
        self.daemon_sets = self.watch(DAEMON_SETS, on_change=self._ds_changed).lister
        nodes = self.informer(NODES)
        self.nodes = nodes.lister
        nodes.add_event_handler(on_add=self._node_added, on_update=self._node_updated,
                                on_delete=lambda _n: self._enqueue_every())
        pods = self.informer(PODS)
        pods.add_indexers({CONTROLLER_UID_INDEX: controller_uid_index_func})
        self.pods = pods.indexer
        pods.add_event_handler(on_add=self._pod_added, on_update=self._pod_updated,
                               on_delete=self._pod_deleted)
        revisions = self.informer(CONTROLLER_REVISIONS)
        revisions.add_indexers({CONTROLLER_UID_INDEX: controller_uid_index_func})
        revisions.add_event_handler(on_add=self._revision_changed,
                                    on_update=lambda _o, new: self._revision_changed(new),
                                    on_delete=self._revision_changed)
        self.history = History(client, revisions.indexer)

    # -- event handlers ------------------------------------------------------------------------

    def _ds_changed(self, old: Object | None, new: Object) -> None:
        if not new and old:
            self.expectations.delete(meta_namespace_key(old))

    def _enqueue_every(self) -> None:
        for ds in self.daemon_sets.list():
            self.enqueue(meta_namespace_key(ds))

    def _node_added(self, node: Object) -> None:
        """A new node: the DaemonSets that should run on it."""
        for ds in self.daemon_sets.list():
            if dsu.should_run(ds, node)[0]:
                self.enqueue(meta_namespace_key(ds))

    def _node_updated(self, old: Object, new: Object) -> None:
        """A node whose labels, taints or ``unschedulable`` changed: the DaemonSets for
        which that changes whether to run or to keep running there (``updateNode``)."""
        def relevant(node: Object) -> Any:
            spec = node.get("spec") or {}
            return ((node.get("metadata") or {}).get("labels"), spec.get("taints"),
                    spec.get("unschedulable"))
        if relevant(old) == relevant(new):
            return
        for ds in self.daemon_sets.list():
            if dsu.should_run(ds, old) != dsu.should_run(ds, new):
                self.enqueue(meta_namespace_key(ds))

    def _resolve(self, namespace: str, ref: Object | None) -> str | None:
        """The key of the DaemonSet a controller ref names, if it exists with that uid."""
        if ref is None or ref.get("kind") != DAEMON_SETS.kind or \
                not str(ref.get("apiVersion") or "").startswith("apps/"):
            return None
        ds = self.daemon_sets.get(str(ref.get("name") or ""), namespace)
        if ds is None or ds["metadata"].get("uid") != ref.get("uid"):
            return None
        return meta_namespace_key(ds)

    def _matching(self, obj: Object) -> list[str]:
        """Keys of the DaemonSets whose selector matches an orphan."""
        meta = obj["metadata"]
        keys = []
        for ds in self.daemon_sets.namespaced(meta.get("namespace") or "").list():
            try:
                selector = selector_of(ds)
            except StatusError:
                continue
            if not selector.empty() and selector.matches(meta.get("labels")):
                keys.append(meta_namespace_key(ds))
        return keys

    def _pod_added(self, pod: Object) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            self._pod_deleted(pod)
            return
        ref = controller_ref(pod)
        if ref is None:
            for orphan_key in self._matching(pod):
                self.enqueue(orphan_key)
            return
        key = self._resolve(pod["metadata"].get("namespace") or "", ref)
        if key is not None:
            self.expectations.creation_observed(key)
            self.enqueue(key)

    def _pod_updated(self, old: Object, new: Object) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        namespace = new["metadata"].get("namespace") or ""
        old_ref, new_ref = controller_ref(old), controller_ref(new)
        if old_ref != new_ref and old_ref is not None:
            old_key = self._resolve(namespace, old_ref)
            if old_key is not None:
                self.enqueue(old_key)
        if new_ref is None:
            for orphan_key in self._matching(new):
                self.enqueue(orphan_key)
            return
        key = self._resolve(namespace, new_ref)
        if key is None:
            return
        self.enqueue(key)
        ds = self.daemon_sets.get(key.partition("/")[2], namespace)
        wait = min_ready_seconds(ds or {})
        if wait > 0 and not is_pod_ready(old) and is_pod_ready(new):
            self.enqueue(key, after=wait + 1)

    def _pod_deleted(self, obj: Object | DeletedFinalStateUnknown) -> None:
        pod = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        key = self._resolve(pod["metadata"].get("namespace") or "", controller_ref(pod))
        if key is not None:
            self.expectations.deletion_observed(key, meta_namespace_key(pod))
            self.enqueue(key)

    def _revision_changed(self, obj: Object | DeletedFinalStateUnknown) -> None:
        revision = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        ref = controller_ref(revision)
        namespace = revision["metadata"].get("namespace") or ""
        keys = [k] if (k := self._resolve(namespace, ref)) else \
            ([] if ref is not None else self._matching(revision))
        for key in keys:
            self.enqueue(key)

    # -- reconcile -----------------------------------------------------------------------------

    async def reconcile(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        cached = self.daemon_sets.get(name, namespace)
        if cached is None:
            self.expectations.delete(key)
            return
        ds = copy.deepcopy(cached)
        nodes = sorted(self.nodes.list(), key=lambda n: str(n["metadata"].get("name")))
        if ds["metadata"].get("deletionTimestamp"):
            await self._update_status(ds, nodes, await self._pods_by_node(ds), "")
            return
        current, old = await self.history.construct(ds)
        revision_hash = str((current["metadata"].get("labels") or {}).get(dsu.REVISION_HASH)
                            or "")
        # One claim per pass: the cache does not see this pass's own writes anyway.
        by_node = await self._pods_by_node(ds)
        requeue: float | None = None
        if self.expectations.satisfied(key):
            requeue = await self._manage(key, ds, nodes, by_node, revision_hash)
            # As syncDaemonSet: roll only when manage left nothing to wait for.
            if is_rolling_update(ds) and self.expectations.satisfied(key):
                plan = rolling_update(ds, nodes, by_node, revision_hash, self.clock())
                await self._sync_nodes(key, ds, plan, revision_hash)
            await self.history.cleanup(ds, old, self._all_pods(ds))
        await self._update_status(ds, nodes, by_node, revision_hash)
        wait = min_ready_seconds(ds)
        status = ds.get("status") or {}
        if wait > 0 and status.get("numberReady", 0) != status.get("numberAvailable", 0):
            requeue = float(wait) if requeue is None else min(requeue, float(wait))
        if requeue is not None:
            raise Requeue(requeue)

    def _all_pods(self, ds: Object) -> list[Object]:
        return [p for p in claim_candidates(self.pods, ds)
                if (ref := controller_ref(p)) is not None
                and ref.get("uid") == ds["metadata"].get("uid")]

    async def _pods_by_node(self, ds: Object) -> dict[str, list[Object]]:
        """The claimed pods by the node they are for, oldest first (``getNodesToDaemonPods``);
        terminal pods already being deleted are left out."""
        manager = ControllerRefManager(self.client, owner=ds, owner_rt=DAEMON_SETS,
                                       child_rt=PODS, selector=selector_of(ds))
        claimed = await manager.claim(claim_candidates(self.pods, ds))
        by_node: dict[str, list[Object]] = {}
        for pod in claimed:
            phase = (pod.get("status") or {}).get("phase")
            if phase in ("Succeeded", "Failed") and pod["metadata"].get("deletionTimestamp"):
                continue
            node = dsu.target_node(pod)
            if node is not None:
                by_node.setdefault(node, []).append(pod)
        return {node: pods_by_age(pods) for node, pods in by_node.items()}

    async def _manage(self, key: str, ds: Object, nodes: list[Object],
                      by_node: dict[str, list[Object]], revision_hash: str) -> float | None:
        """Create and delete pods so every eligible node has one (``manage``)."""
        plan = Plan()
        for node in nodes:
            self._plan_node(ds, node, by_node.get(node["metadata"]["name"], []), plan,
                            revision_hash)
        names = {n["metadata"]["name"] for n in nodes}
        for node_name, pods in by_node.items():
            if node_name not in names:  # the node is gone
                plan.delete += [p["metadata"]["name"] for p in pods
                                if not p["metadata"].get("deletionTimestamp")]
        await self._sync_nodes(key, ds, plan, revision_hash)
        return plan.requeue

    def _plan_node(self, ds: Object, node: Object, pods: list[Object], plan: Plan,
                   revision_hash: str) -> None:
        """``podsShouldBeOnNode``: what to create or delete on one node."""
        run, keep = dsu.should_run(ds, node)
        node_name = node["metadata"]["name"]
        if run and not pods:
            plan.create.append(node_name)
            return
        if not keep:
            plan.delete += [p["metadata"]["name"] for p in pods
                            if not p["metadata"].get("deletionTimestamp")]
            return
        running = []
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            phase = (pod.get("status") or {}).get("phase")
            if phase == "Failed":
                backoff_key = f"{ds['metadata'].get('uid')}/{node_name}"
                delay = self.backoff.in_backoff(backoff_key)
                if delay is not None:
                    plan.retry_after(delay)
                    continue
                self.backoff.next(backoff_key)
                self._event(ds, WARNING, FAILED_DAEMON_POD,
                            f"Found failed daemon pod {pod['metadata'].get('namespace')}/"
                            f"{pod['metadata']['name']} on node {node_name}, will try to "
                            "kill it")
                plan.delete.append(pod["metadata"]["name"])
            elif phase == "Succeeded":
                plan.delete.append(pod["metadata"]["name"])
            else:
                running.append(pod)
        if len(running) > 1:
            plan.delete += self._extras(ds, running, revision_hash)

    def _extras(self, ds: Object, running: list[Object], revision: str) -> list[str]:
        """Of several live pods on a node, the ones to delete: all but the oldest; with a
        surge, the oldest new and oldest old may both stay while the new one is not yet
        available (``podsShouldBeOnNode``)."""
        if max_surge_configured(ds) == 0:
            return [p["metadata"]["name"] for p in running[1:]]
        oldest_new: Object | None = None
        oldest_old: Object | None = None
        extras = []
        for pod in running:
            labels = pod["metadata"].get("labels") or {}
            if labels.get(dsu.REVISION_HASH) == revision and oldest_new is None:
                oldest_new = pod
            elif labels.get(dsu.REVISION_HASH) != revision and oldest_old is None:
                oldest_old = pod
            else:
                extras.append(pod["metadata"]["name"])
        if oldest_new is not None and oldest_old is not None and (
                not is_pod_ready(oldest_old)
                or is_pod_available(oldest_new, min_ready_seconds(ds), self.clock())):
            extras.append(oldest_old["metadata"]["name"])
        return extras

    # -- writes --------------------------------------------------------------------------------

    async def _sync_nodes(self, key: str, ds: Object, plan: Plan, revision_hash: str) -> None:
        """Create a pod on each of ``plan.create`` and delete ``plan.delete`` (``syncNodes``),
        at most ``burst_replicas`` of each per pass."""
        create = plan.create[:self.burst_replicas]
        delete = list(dict.fromkeys(plan.delete))[:self.burst_replicas]
        if not create and not delete:
            return
        namespace = ds["metadata"]["namespace"]
        self.expectations.expect(key, adds=len(create),
                                 deletes=[f"{namespace}/{n}" for n in delete])
        template = dsu.pod_template(ds, revision_hash)
        ref = new_controller_ref(ds, DAEMON_SETS)
        pending = list(create)

        async def create_one() -> None:
            node = pending.pop(0)
            pod = pod_from_template(template, ds, ref)
            pod["spec"]["affinity"] = dsu.node_name_affinity(pod["spec"].get("affinity"), node)
            try:
                created = await self.client.create(PODS, pod, namespace)
            except StatusError as err:
                self._event(ds, WARNING, "FailedCreate", f"Error creating: {err.message}")
                raise
            self._event(ds, NORMAL, "SuccessfulCreate",
                        f"Created pod: {created['metadata']['name']}")

        errors: list[Exception] = []
        done, err = await slow_start_batch(len(create), SLOW_START_INITIAL_BATCH_SIZE,
                                           create_one)
        for _ in range(len(create) - done):
            self.expectations.creation_observed(key)
        if err is not None:
            errors.append(err)

        async def delete_one(name: str) -> None:
            try:
                await self.client.delete(PODS, name, namespace)
            except NotFound:
                self.expectations.deletion_observed(key, f"{namespace}/{name}")
                return
            except StatusError as failure:
                self.expectations.deletion_observed(key, f"{namespace}/{name}")
                self._event(ds, WARNING, "FailedDelete", f"Error deleting: {failure.message}")
                errors.append(failure)
                return
            self._event(ds, NORMAL, "SuccessfulDelete", f"Deleted pod: {name}")

        await asyncio.gather(*(delete_one(n) for n in delete))
        if errors:
            raise errors[0]

    def _event(self, ds: Object, kind: str, reason: str, message: str) -> None:
        if self.recorder is not None:
            self.recorder.event(ds, kind, reason, message, resource_type=DAEMON_SETS)

    # -- status --------------------------------------------------------------------------------

    def calculate_status(self, ds: Object, nodes: list[Object],
                         by_node: dict[str, list[Object]], revision_hash: str) -> Object:
        """The counts of ``updateDaemonSetStatus``, node by node."""
        desired = current = misscheduled = ready = available = updated = 0
        generation = dsu.template_generation(ds)
        wait, now = min_ready_seconds(ds), self.clock()
        for node in nodes:
            run, _ = dsu.should_run(ds, node)
            pods = by_node.get(node["metadata"]["name"]) or []
            if not run:
                misscheduled += 1 if pods else 0
                continue
            desired += 1
            if not pods:
                continue
            current += 1
            pod = pods[0]
            if is_pod_ready(pod):
                ready += 1
                if is_pod_available(pod, wait, now):
                    available += 1
            if dsu.is_pod_updated(pod, revision_hash, generation):
                updated += 1
        status = copy.deepcopy(ds.get("status") or {})
        # The four counters without omitempty in Go's DaemonSetStatus.
        status.update(currentNumberScheduled=current, numberMisscheduled=misscheduled,
                      desiredNumberScheduled=desired, numberReady=ready)
        set_counts(status, observedGeneration=int(ds["metadata"].get("generation") or 0),
                   updatedNumberScheduled=updated, numberAvailable=available,
                   numberUnavailable=desired - available)
        return status

    async def _update_status(self, ds: Object, nodes: list[Object],
                             by_node: dict[str, list[Object]], revision_hash: str) -> None:
        status = self.calculate_status(ds, nodes, by_node, revision_hash)
        if ds.get("status") == status:
            return
        ds["status"] = status
        updated = await self.client.update_status(DAEMON_SETS, ds)
        ds["metadata"] = updated["metadata"]
        ds["status"] = updated.get("status") or status


def is_rolling_update(ds: Object) -> bool:
    strategy = (ds.get("spec") or {}).get("updateStrategy") or {}
    return (strategy.get("type") or "RollingUpdate") == "RollingUpdate"


def max_surge_configured(ds: Object) -> int | str:
    """The raw maxSurge (0 when not rolling): only whether it is zero matters here."""
    if not is_rolling_update(ds):
        return 0
    rolling = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {}
    value = rolling.get("maxSurge") or 0
    return value if value not in ("0", "0%") else 0
