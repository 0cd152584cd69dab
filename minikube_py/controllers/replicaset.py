"""The ReplicaSet controller, which is also the ReplicationController controller (Kubernetes'
``pkg/controller/replicaset``, and ``pkg/controller/replication`` that wraps it).

One class, parameterised by the :class:`ResourceType` it runs for: apps/v1 ReplicaSets (a
``metav1.LabelSelector``) or v1 ReplicationControllers (a plain label map). ``reconcile(key)``
claims the pods of the set (``controllerref.py``), creates or deletes pods until exactly
``spec.replicas`` active ones exist, and writes ``status`` through the status subresource.

Pods are created in slow-start batches (1, 2, 4, ...) of at most :data:`BURST_REPLICAS` per
reconcile, so that a template the apiserver refuses costs one request, not hundreds; the
refusal is a ``FailedCreate`` event and the ReplicaFailure condition. Scale-down deletes in
``ActivePods`` order. Expectations (``controller_utils.py``) keep a reconcile from acting on a
cache that has not yet seen its own previous writes; the pod handlers settle them.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from typing import Any

from minikube_py.api.errors import NotFound, StatusError
from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.client.base import Client
from minikube_py.client.events import NORMAL, WARNING, EventRecorder
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.store import DeletedFinalStateUnknown, meta_namespace_key
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
    is_pod_available,
    is_pod_ready,
    new_controller_ref,
    pod_from_template,
    pods_to_delete,
    set_counts,
    slow_start_batch,
)
from minikube_py.controllers.controllerref import ControllerRefManager
from minikube_py.util.clock import rfc3339

log = logging.getLogger(__name__)

Object = dict[str, Any]

REPLICA_FAILURE = "ReplicaFailure"


PODS = REGISTRY.require("", "v1", "pods")
REPLICA_SETS = REGISTRY.require("apps", "v1", "replicasets")
REPLICATION_CONTROLLERS = REGISTRY.require("", "v1", "replicationcontrollers")


def selector_of(obj: Object, rt: ResourceType) -> LabelSelector:
    """The set's selector: a LabelSelector (ReplicaSet) or a label map (RC)."""
    selector = (obj.get("spec") or {}).get("selector")
    if rt.group == "" and rt.kind == REPLICATION_CONTROLLERS.kind:
        return LabelSelector.from_set(selector) if selector else LabelSelector.nothing()
    return LabelSelector.from_dict(selector)


def replicas_of(obj: Object) -> int:
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


class ReplicaSetController(Controller):
    """Keeps ``spec.replicas`` pods for every ReplicaSet (or ReplicationController)."""

    workers = 5  # ConcurrentRSSyncs

    def __init__(self, client: Client, informers: SharedInformerFactory, *,
                 resource: ResourceType = REPLICA_SETS, recorder: EventRecorder | None = None,
                 owns_recorder: bool = False, burst_replicas: int = BURST_REPLICAS,
                 clock: Clock = time.time) -> None:
        self.name = "replicaset" if resource is REPLICA_SETS else "replicationcontroller"
        super().__init__(client, informers, recorder=recorder, owns_recorder=owns_recorder)
        self.rt = resource
        self.burst_replicas = burst_replicas
        self.clock = clock
        self.expectations = ControllerExpectations()
        owners = self.watch(resource, on_change=self._owner_changed)
        self.sets = owners.lister
        pods = self.informer(PODS)
        pods.add_indexers({CONTROLLER_UID_INDEX: controller_uid_index_func})
        self.pods = pods.indexer
        pods.add_event_handler(on_add=self._pod_added, on_update=self._pod_updated,
                               on_delete=self._pod_deleted)

    # -- event handlers: keys and expectations -------------------------------------------------

    def _owner_changed(self, old: Object | None, new: Object) -> None:
        if not new and old:  # deleted
            self.expectations.delete(meta_namespace_key(old))

    def _resolve(self, namespace: str, ref: Object | None) -> str | None:
        """The key of the set a controller ref points to, if it is one of ours and exists."""
        if ref is None or ref.get("kind") != self.rt.kind:
            return None
        group = str(ref.get("apiVersion") or "").rpartition("/")[0]
        if group != self.rt.group:
            return None
        owner = self.sets.get(str(ref.get("name") or ""), namespace)
        if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
            return None
        return f"{namespace}/{ref['name']}"

    def _matching_sets(self, pod: Object) -> list[str]:
        """Keys of the sets whose selector matches an orphan pod (``getPodReplicaSets``)."""
        meta = pod["metadata"]
        namespace = meta.get("namespace") or ""
        keys = []
        for owner in self.sets.namespaced(namespace).list():
            try:
                selector = selector_of(owner, self.rt)
            except StatusError:
                continue
            if not selector.empty() and selector.matches(meta.get("labels")):
                keys.append(meta_namespace_key(owner))
        return keys

    def _pod_added(self, pod: Object) -> None:
        namespace = pod["metadata"].get("namespace") or ""
        if pod["metadata"].get("deletionTimestamp"):
            self._pod_deleted(pod)  # a restarted controller sees pods that are going away
            return
        ref = controller_ref(pod)
        if ref is not None:
            key = self._resolve(namespace, ref)
            if key is not None:
                self.expectations.creation_observed(key)
                self.enqueue(key)
            return
        for key in self._matching_sets(pod):
            self.enqueue(key)

    def _pod_updated(self, old: Object, new: Object) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return  # a resync: nothing changed
        namespace = new["metadata"].get("namespace") or ""
        if new["metadata"].get("deletionTimestamp"):
            self._pod_deleted(new)
            if old["metadata"].get("labels") != new["metadata"].get("labels"):
                self._pod_deleted(old)
            return
        old_ref, new_ref = controller_ref(old), controller_ref(new)
        if old_ref != new_ref and old_ref is not None:
            old_key = self._resolve(namespace, old_ref)
            if old_key is not None:
                self.enqueue(old_key)
        if new_ref is not None:
            key = self._resolve(namespace, new_ref)
            if key is not None:
                self.enqueue(key)
                owner = self.sets.get(key.partition("/")[2], namespace)
                min_ready = int(((owner or {}).get("spec") or {}).get("minReadySeconds") or 0)
                if min_ready > 0 and not is_pod_ready(old) and is_pod_ready(new):
                    self.enqueue(key, after=min_ready + 1)
            return
        if (old["metadata"].get("labels") != new["metadata"].get("labels")
                or old_ref != new_ref):
            for key in self._matching_sets(new):
                self.enqueue(key)

    def _pod_deleted(self, obj: Object | DeletedFinalStateUnknown) -> None:
        pod = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        namespace = pod["metadata"].get("namespace") or ""
        key = self._resolve(namespace, controller_ref(pod))
        if key is None:
            return
        self.expectations.deletion_observed(key, meta_namespace_key(pod))
        self.enqueue(key)

    # -- reconcile -----------------------------------------------------------------------------

    async def reconcile(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        cached = self.sets.get(name, namespace)
        if cached is None:
            self.expectations.delete(key)
            return
        owner = copy.deepcopy(cached)
        needs_sync = self.expectations.satisfied(key)
        selector = selector_of(owner, self.rt)
        active = [p for p in claim_candidates(self.pods, owner) if is_pod_active(p)]
        manager = ControllerRefManager(self.client, owner=owner, owner_rt=self.rt,
                                       child_rt=PODS, selector=selector)
        pods = await manager.claim(active)
        error: tuple[str, StatusError] | None = None
        if needs_sync and not owner["metadata"].get("deletionTimestamp"):
            error = await self.manage_replicas(key, owner, pods)
        # Unlike Kubernetes, the status leaves out the pods just deleted: a Deployment reading
        # it must not count them as available.
        _, deleting = self.expectations.pending(key)
        if deleting:
            pods = [p for p in pods if not self.expectations.expects_deletion(
                key, meta_namespace_key(p))]
        await self._update_status(owner, self.calculate_status(owner, pods, error))
        if error is not None:
            raise error[1]
        spec = owner.get("spec") or {}
        min_ready = int(spec.get("minReadySeconds") or 0)
        status = owner.get("status") or {}
        if (min_ready > 0 and status.get("readyReplicas") == replicas_of(owner)
                and status.get("availableReplicas") != replicas_of(owner)):
            raise Requeue(float(min_ready))

    async def manage_replicas(self, key: str, owner: Object,
                              pods: list[Object]) -> tuple[str, StatusError] | None:
        """Create or delete pods to reach ``spec.replicas``; the failure, if any, as
        (reason, error) for the ReplicaFailure condition."""
        diff = len(pods) - replicas_of(owner)
        if diff < 0:
            return await self._create(key, owner, min(-diff, self.burst_replicas))
        if diff > 0:
            return await self._delete(key, owner, pods, min(diff, self.burst_replicas))
        return None

    async def _create(self, key: str, owner: Object, count: int) -> tuple[str, StatusError] | None:
        self.expectations.expect_creations(key, count)
        template = (owner.get("spec") or {}).get("template") or {}
        ref = new_controller_ref(owner, self.rt)
        namespace = owner["metadata"]["namespace"]

        async def create_one() -> None:
            pod = pod_from_template(template, owner, ref)
            try:
                created = await self.client.create(PODS, pod, namespace)
            except StatusError as err:
                self._event(owner, WARNING, "FailedCreate", f"Error creating: {err.message}")
                raise
            self._event(owner, NORMAL, "SuccessfulCreate",
                        f"Created pod: {created['metadata']['name']}")

        done, err = await slow_start_batch(count, SLOW_START_INITIAL_BATCH_SIZE, create_one)
        for _ in range(count - done):  # creates never made are not waited for
            self.expectations.creation_observed(key)
        if err is None:
            return None
        if not isinstance(err, StatusError):
            raise err
        return ("FailedCreate", err)

    async def _delete(self, key: str, owner: Object, pods: list[Object],
                      count: int) -> tuple[str, StatusError] | None:
        victims = pods_to_delete(pods, count)
        self.expectations.expect_deletions(key, [meta_namespace_key(p) for p in victims])
        errors: list[StatusError] = []

        async def delete_one(pod: Object) -> None:
            meta = pod["metadata"]
            try:
                await self.client.delete(PODS, meta["name"], meta["namespace"])
            except NotFound:
                self.expectations.deletion_observed(key, meta_namespace_key(pod))
                return
            except StatusError as err:
                self.expectations.deletion_observed(key, meta_namespace_key(pod))
                self._event(owner, WARNING, "FailedDelete", f"Error deleting: {err.message}")
                errors.append(err)
                return
            self._event(owner, NORMAL, "SuccessfulDelete", f"Deleted pod: {meta['name']}")

        await asyncio.gather(*(delete_one(p) for p in victims))
        return ("FailedDelete", errors[0]) if errors else None

    def _event(self, owner: Object, kind: str, reason: str, message: str) -> None:
        if self.recorder is not None:
            self.recorder.event(owner, kind, reason, message, resource_type=self.rt)

    # -- status --------------------------------------------------------------------------------

    def calculate_status(self, owner: Object, pods: list[Object],
                         error: tuple[str, StatusError] | None) -> Object:
        """The new status (``calculateStatus``): counts, observedGeneration, ReplicaFailure."""
        spec = owner.get("spec") or {}
        template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        min_ready = int(spec.get("minReadySeconds") or 0)
        now = self.clock()
        status = copy.deepcopy(owner.get("status") or {})
        fully = ready = available = 0
        for pod in pods:
            labels = pod["metadata"].get("labels") or {}
            if all(labels.get(k) == v for k, v in template_labels.items()):
                fully += 1
            if is_pod_ready(pod):
                ready += 1
                if is_pod_available(pod, min_ready, now):
                    available += 1
        status["replicas"] = len(pods)  # the one counter without omitempty
        set_counts(status, fullyLabeledReplicas=fully, readyReplicas=ready,
                   availableReplicas=available,
                   observedGeneration=int(owner["metadata"].get("generation") or 0))
        conditions = [c for c in status.get("conditions") or []
                      if c.get("type") != REPLICA_FAILURE]
        current = next((c for c in status.get("conditions") or []
                        if c.get("type") == REPLICA_FAILURE), None)
        if error is not None:
            reason, err = error
            conditions.append(current if current is not None else {
                "type": REPLICA_FAILURE, "status": "True", "lastTransitionTime": rfc3339(),
                "reason": reason, "message": err.message})
        if conditions:
            status["conditions"] = conditions
        else:
            status.pop("conditions", None)
        return status

    async def _update_status(self, owner: Object, status: Object) -> None:
        if owner.get("status") == status:
            return
        owner["status"] = status
        updated = await self.client.update_status(self.rt, owner)
        owner["metadata"] = updated["metadata"]
        owner["status"] = updated.get("status") or status
