"""The disruption controller (Kubernetes' ``pkg/controller/disruption``): keeps the status of
every PodDisruptionBudget true to the pods it selects, so that the eviction handler
(``apiserver/eviction.py``) can spend ``status.disruptionsAllowed`` without counting pods.

``reconcile(key)`` of a budget reads its pods from the shared pod informer and computes:

- ``expectedPods``: with ``maxUnavailable`` or a percentage ``minAvailable``, the sum of the
  scales of the pods' controllers (``getExpectedScale``: a pod's controller owner, a ReplicaSet,
  the Deployment over it, a ReplicationController or a StatefulSet, read from their
  informers); with a number ``minAvailable``, the number of pods;
- ``desiredHealthy`` from that; ``currentHealthy``: Ready pods not terminating and not in
  ``disruptedPods`` (entries the eviction handler wrote that are younger than two minutes;
  older ones are dropped, and the budget is looked at again when the youngest expires);
- ``disruptionsAllowed = currentHealthy - desiredHealthy`` (0 when negative or no pod is
  expected) and the ``DisruptionAllowed`` condition (SufficientPods / InsufficientPods).

A budget whose expected count cannot be computed (a pod without a known controller while a
percentage needs the scale) is written in its fail-safe state: no disruptions allowed,
condition reason ``SyncFailed``, with a Warning event. Pod adds, updates and deletes enqueue
the budgets whose selector matches the pod; budget changes enqueue the budget.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from minikube_py.api import disruptionbudgets as budgets
from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.client.base import Client
from minikube_py.client.events import NORMAL, WARNING, EventRecorder
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.store import DeletedFinalStateUnknown, Lister, meta_namespace_key
from minikube_py.controllers.base import Controller
from minikube_py.controllers.controller_utils import controller_ref
from minikube_py.util.clock import parse_rfc3339

log = logging.getLogger(__name__)

Object = dict[str, Any]
Now = Callable[[], dt.datetime]

PDBS = REGISTRY.require("policy", "v1", "poddisruptionbudgets")
PODS = REGISTRY.require("", "v1", "pods")
REPLICA_SETS = REGISTRY.require("apps", "v1", "replicasets")
DEPLOYMENTS = REGISTRY.require("apps", "v1", "deployments")
STATEFUL_SETS = REGISTRY.require("apps", "v1", "statefulsets")
REPLICATION_CONTROLLERS = REGISTRY.require("", "v1", "replicationcontrollers")


class SyncFailed(Exception):
    """The budget's expected pod count cannot be computed (``failSafe`` follows)."""


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _replicas(obj: Object) -> int:
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


class DisruptionController(Controller):
    name = "disruption"

    def __init__(self, client: Client, informers: SharedInformerFactory, *,
                 recorder: EventRecorder | None = None, owns_recorder: bool = False,
                 now: Now = _utcnow) -> None:
        super().__init__(client, informers, recorder=recorder, owns_recorder=owns_recorder)
        self.now = now
        self.pdbs = self.watch(PDBS).lister
        pods = self.informer(PODS)
        self.pods = pods.lister
        pods.add_event_handler(on_add=self._pod_changed, on_delete=self._pod_deleted,
                               on_update=self._pod_updated)
        # Scale sources: listers only, as Kubernetes' (their changes reach the budget
        # through the pods they create and delete).
        self.scale_sources: dict[str, Lister] = {
            rt.kind: self.informer(rt).lister
            for rt in (REPLICA_SETS, DEPLOYMENTS, STATEFUL_SETS, REPLICATION_CONTROLLERS)}

    # -- event handlers ----------------------------------------------------------------------

    def _budgets_of(self, pod: Object) -> list[str]:
        namespace = (pod.get("metadata") or {}).get("namespace") or ""
        return [meta_namespace_key(pdb) for pdb in self.pdbs.namespaced(namespace).list()
                if budgets.selects(pdb, pod)]

    def _pod_changed(self, pod: Object) -> None:
        self._enqueue_all(self._budgets_of(pod))

    def _pod_updated(self, old: Object, new: Object) -> None:
        keys = self._budgets_of(new)
        if (old.get("metadata") or {}).get("labels") != (new.get("metadata") or {}).get("labels"):
            keys += [k for k in self._budgets_of(old) if k not in keys]
        self._enqueue_all(keys)

    def _pod_deleted(self, obj: Object | DeletedFinalStateUnknown) -> None:
        last = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        if isinstance(last, dict):
            self._pod_changed(last)

    # -- reconcile ---------------------------------------------------------------------------

    async def reconcile(self, key: str) -> None:
        namespace, _, name = key.rpartition("/")
        pdb = self.pdbs.get(name, namespace)
        if pdb is None:
            return
        try:
            await self._try_sync(pdb)
        except SyncFailed as err:
            log.info("disruption: %s: %s", key, err)
            await self._fail_safe(pdb, str(err))

    async def _try_sync(self, pdb: Object) -> None:
        namespace = pdb["metadata"].get("namespace") or ""
        selector = budgets.selector_of(pdb)
        pods = [p for p in self.pods.namespaced(namespace).list()
                if selector.matches((p.get("metadata") or {}).get("labels") or {})]
        if not pods:
            self._event(pdb, NORMAL, "NoPods", "No matching pods found")
        expected, desired, unmanaged = self.expected_pod_count(pdb, pods)
        if unmanaged:
            self._event(pdb, WARNING, "UnmanagedPods",
                        "Pods selected by this PodDisruptionBudget (selector: "
                        f"{(pdb.get('spec') or {}).get('selector')}) were found to be unmanaged. "
                        "As a result, the status of the PDB cannot be calculated correctly, "
                        "which may result in undefined behavior. To account for these pods "
                        'please set ".spec.minAvailable" field of the PDB to an integer value.')
        now = self.now()
        disrupted, recheck = self._disrupted_pods(pdb, pods, now)
        healthy = _count_healthy(pods, disrupted, now)
        await self._update_status(pdb, current=healthy, desired=desired, expected=expected,
                                  disrupted=disrupted)
        if recheck is not None:
            self.enqueue(meta_namespace_key(pdb), after=max(0.0, (recheck - now).total_seconds()))

    def expected_pod_count(self, pdb: Object, pods: list[Object]) -> tuple[int, int, list[str]]:
        """(expectedPods, desiredHealthy, unmanaged pod names): ``getExpectedPodCount``."""
        spec = pdb.get("spec") or {}
        maximum, minimum = spec.get("maxUnavailable"), spec.get("minAvailable")
        try:
            if maximum is not None:
                expected, unmanaged = self.expected_scale(pods)
                unavailable = budgets.scaled_value(maximum, expected, round_up=True)
                return expected, max(0, expected - unavailable), unmanaged
            if minimum is not None and not budgets.is_percent(minimum):
                return len(pods), int(minimum), []
            if minimum is not None:
                expected, unmanaged = self.expected_scale(pods)
                return expected, budgets.scaled_value(minimum, expected, round_up=True), unmanaged
        except ValueError as err:
            raise SyncFailed(str(err)) from err
        return 0, 0, []

    def expected_scale(self, pods: list[Object]) -> tuple[int, list[str]]:
        """The sum of the scales of the pods' controllers (``getExpectedScale``), and the
        pods that have no controller."""
        scales: dict[str, int] = {}
        unmanaged: list[str] = []
        for pod in pods:
            ref = controller_ref(pod)
            if ref is None:
                unmanaged.append(pod["metadata"]["name"])
                continue
            if ref.get("uid") in scales:
                continue
            found = self._scale_of(ref, pod["metadata"].get("namespace") or "")
            if found is None:
                raise SyncFailed(f'found no controllers for pod "{pod["metadata"]["name"]}"')
            scales[found[0]] = found[1]
        return sum(scales.values()), unmanaged

    def _owner(self, ref: Object, kind: str, group: str, namespace: str) -> Object | None:
        if ref.get("kind") != kind or str(ref.get("apiVersion") or "").rpartition("/")[0] != group:
            return None
        owner = self.scale_sources[kind].get(str(ref.get("name") or ""), namespace)
        if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
            return None
        return owner

    def _scale_of(self, ref: Object, namespace: str) -> tuple[str, int] | None:
        """(controller uid, its scale) by the finders' order: a ReplicaSet not under a
        Deployment, the Deployment over a ReplicaSet, a ReplicationController, a StatefulSet."""
        rs = self._owner(ref, "ReplicaSet", "apps", namespace)
        if rs is not None:
            rs_ref = controller_ref(rs)
            if rs_ref is None or rs_ref.get("kind") != "Deployment":
                return str(rs["metadata"]["uid"]), _replicas(rs)
            deployment = self._owner(rs_ref, "Deployment", "apps", namespace)
            if deployment is None:
                return None
            return str(deployment["metadata"]["uid"]), _replicas(deployment)
        for kind, group in (("ReplicationController", ""), ("StatefulSet", "apps")):
            owner = self._owner(ref, kind, group, namespace)
            if owner is not None:
                return str(owner["metadata"]["uid"]), _replicas(owner)
        return None

    def _disrupted_pods(self, pdb: Object, pods: list[Object],
                        now: dt.datetime) -> tuple[dict[str, str], dt.datetime | None]:
        """``buildDisruptedPodMap``: the entries still pending (pod there, not yet being
        deleted, younger than the timeout) and when the youngest of them expires."""
        recorded = (pdb.get("status") or {}).get("disruptedPods") or {}
        kept: dict[str, str] = {}
        recheck: dt.datetime | None = None
        for pod in pods:
            meta = pod["metadata"]
            if meta.get("deletionTimestamp") or meta["name"] not in recorded:
                continue
            since = _parse(recorded[meta["name"]])
            expires = (since or now) + budgets.DELETION_TIMEOUT
            if since is None or expires < now:
                self._event(pod, WARNING, "NotDeleted", "Pod was expected by PDB "
                            f"{pdb['metadata'].get('namespace')}/{pdb['metadata']['name']} to "
                            "be deleted but it wasn't", resource_type=PODS)
                continue
            kept[meta["name"]] = recorded[meta["name"]]
            if recheck is None or expires < recheck:
                recheck = expires
        return kept, recheck

    async def _update_status(self, pdb: Object, *, current: int, desired: int, expected: int,
                             disrupted: dict[str, str]) -> None:
        allowed = current - desired
        if expected <= 0 or allowed <= 0:
            allowed = 0
        status = pdb.get("status") or {}
        generation = int(pdb["metadata"].get("generation") or 0)
        wanted = {"currentHealthy": current, "desiredHealthy": desired, "expectedPods": expected,
                  "disruptionsAllowed": allowed, "observedGeneration": generation}
        if (all(int(status.get(k) or 0) == v for k, v in wanted.items())
                and (status.get("disruptedPods") or {}) == disrupted
                and budgets.conditions_up_to_date(status)):
            return
        new = copy.deepcopy(pdb)
        new_status: Object = {**wanted, "conditions": copy.deepcopy(status.get("conditions") or [])}
        if disrupted:
            new_status["disruptedPods"] = disrupted
        budgets.update_disruption_allowed_condition(new_status, self.now())
        new["status"] = new_status
        await self.client.update_status(PDBS, new)

    async def _fail_safe(self, pdb: Object, message: str) -> None:
        """``failSafe``: no disruptions while the budget cannot be computed."""
        self._event(pdb, WARNING, "CalculateExpectedPodCountFailed",
                    f"Failed to calculate the number of expected pods: {message}")
        new = copy.deepcopy(pdb)
        status = new.setdefault("status", {})
        status["disruptionsAllowed"] = 0
        budgets.set_condition(status, allowed=False, reason=budgets.SYNC_FAILED,
                              message=message, now=self.now())
        if status != (pdb.get("status") or {}):
            await self.client.update_status(PDBS, new)

    def _event(self, obj: Object, kind: str, reason: str, message: str, *,
               resource_type: ResourceType = PDBS) -> None:
        if self.recorder is not None:
            self.recorder.event(obj, kind, reason, message, resource_type=resource_type)


def _parse(text: Any) -> dt.datetime | None:
    try:
        return parse_rfc3339(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _count_healthy(pods: list[Object], disrupted: dict[str, str], now: dt.datetime) -> int:
    """``countHealthyPods``: Ready, not being deleted, not about to be."""
    healthy = 0
    for pod in pods:
        meta = pod["metadata"]
        if meta.get("deletionTimestamp"):
            continue
        since = _parse(disrupted.get(meta["name"]))
        if since is not None and since + budgets.DELETION_TIMEOUT > now:
            continue
        if budgets.is_pod_ready(pod):
            healthy += 1
    return healthy

