"""The StatefulSet controller (Kubernetes' ``pkg/controller/statefulset``): pods with stable
names ``<set>-<ordinal>``, each with its own PersistentVolumeClaims, made and removed in
order.

``reconcile(key)`` claims the set's ControllerRevisions and pods (``controllerref.py``),
finds or makes the revision of the current template (``<set>-<hash>``), then, as
``updateStatefulSet`` in ``stateful_set_control.go``:

- every ordinal of ``[start, start+replicas)`` without a pod gets one, its claims
  (``<template>-<pod>``) created first; a finished pod is deleted and made again later under
  the same name. With OrderedReady (the default) a pass stops at the first pod it creates
  or that is not Running and Ready, so ordinal i starts only after 0..i-1 are ready;
  Parallel goes on;
- pods beyond the range are deleted from the highest ordinal, one at a time under
  OrderedReady and only while the others are healthy; their claims stay (``whenScaled:
  Delete`` gives a claim to its pod, so the garbage collector takes it with the pod;
  ``whenDeleted: Delete`` gives the claims to the set);
- RollingUpdate deletes, from the highest ordinal down to ``partition``, one pod whose
  ``controller-revision-hash`` is not the update revision, waiting for the replacement to be
  healthy; OnDelete leaves that to the user;
- ``/status`` gets the counts and revisions; history beyond ``revisionHistoryLimit`` that no
  pod uses is deleted.

The pure parts are in ``statefulset_util.py``. Events are Kubernetes' ("create Pod web-0 in
StatefulSet web successful").
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any

from minikube_py.api.errors import AlreadyExists, NotFound, StatusError
from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.events import NORMAL, WARNING, EventRecorder
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.store import DeletedFinalStateUnknown, meta_namespace_key
from minikube_py.controllers import statefulset_util as su
from minikube_py.controllers.base import Controller, Requeue, owner_keys
from minikube_py.controllers.controller_utils import (
    CONTROLLER_UID_INDEX,
    Clock,
    claim_candidates,
    controller_ref,
    controller_uid_index_func,
    new_controller_ref,
)
from minikube_py.controllers.controllerref import ControllerRefManager

log = logging.getLogger(__name__)

Object = dict[str, Any]

PODS = REGISTRY.require("", "v1", "pods")
CLAIMS = REGISTRY.require("", "v1", "persistentvolumeclaims")
STATEFUL_SETS = REGISTRY.require("apps", "v1", "statefulsets")
REVISIONS = REGISTRY.require("apps", "v1", "controllerrevisions")

MAX_COLLISIONS = 5  # revision names tried before giving up for this reconcile
CLAIM_DELETING_RETRY = 2.0  # seconds: a claim still being deleted blocks its pod


class StatefulSetController(Controller):
    """Keeps ``spec.replicas`` ordered pods with stable names and storage per StatefulSet."""

    name = "statefulset"
    workers = 5  # ConcurrentStatefulSetSyncs

    def __init__(self, client: Client, informers: SharedInformerFactory, *,
                 recorder: EventRecorder | None = None, owns_recorder: bool = False,
                 clock: Clock = time.time) -> None:
        super().__init__(client, informers, recorder=recorder, owns_recorder=owns_recorder)
        self.clock = clock
        self.sets = self.watch(STATEFUL_SETS).lister
        pods = self.informer(PODS)
        pods.add_indexers({CONTROLLER_UID_INDEX: controller_uid_index_func})
        self.pods = pods.indexer
        pods.add_event_handler(on_add=self._pod_changed, on_update=self._pod_updated,
                               on_delete=self._pod_deleted)
        revisions = self.watch(REVISIONS, keys=owner_keys(STATEFUL_SETS.kind))
        revisions.add_indexers({CONTROLLER_UID_INDEX: controller_uid_index_func})
        self.revisions = revisions.indexer
        self.claims = self.informer(CLAIMS).lister

    # -- event handlers ------------------------------------------------------------------------

    def _keys_for(self, pod: Object) -> list[str]:
        """The set controlling ``pod``, or for an orphan the sets whose selector matches."""
        meta = pod["metadata"]
        namespace = meta.get("namespace") or ""
        ref = controller_ref(pod)
        if ref is not None:
            if ref.get("kind") != STATEFUL_SETS.kind or \
                    not str(ref.get("apiVersion") or "").startswith("apps/"):
                return []
            owner = self.sets.get(str(ref.get("name") or ""), namespace)
            if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
                return []
            return [meta_namespace_key(owner)]
        keys = []
        for owner in self.sets.namespaced(namespace).list():
            try:
                selector = LabelSelector.from_dict(su.spec(owner).get("selector"))
            except StatusError:
                continue
            if not selector.empty() and selector.matches(meta.get("labels")):
                keys.append(meta_namespace_key(owner))
        return keys

    def _pod_changed(self, pod: Object) -> None:
        for key in self._keys_for(pod):
            self.enqueue(key)

    def _pod_updated(self, old: Object, new: Object) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return  # a resync
        keys = self._keys_for(new)
        for key in keys + [k for k in self._keys_for(old) if k not in keys]:
            self.enqueue(key)
        for key in keys:
            owner = self.sets.get(key.partition("/")[2], new["metadata"].get("namespace"))
            min_ready = su.min_ready_seconds(owner or {})
            if min_ready > 0 and not su.is_running_and_ready(old) \
                    and su.is_running_and_ready(new):
                self.enqueue(key, after=min_ready + 1)

    def _pod_deleted(self, obj: Object | DeletedFinalStateUnknown) -> None:
        pod = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        if isinstance(pod, dict):
            self._pod_changed(pod)

    # -- reconcile -----------------------------------------------------------------------------

    async def reconcile(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        cached = self.sets.get(name, namespace)
        if cached is None:
            return
        sts = copy.deepcopy(cached)
        try:
            selector = LabelSelector.from_dict(su.spec(sts).get("selector"))
        except StatusError as err:
            self._event(sts, WARNING, "InvalidSelector", f"Invalid selector: {err.message}")
            return
        if selector.empty():
            self._event(sts, WARNING, "InvalidSelector", "Invalid selector: empty selector "
                        "is invalid for statefulset")
            return
        revisions = await ControllerRefManager(
            self.client, owner=sts, owner_rt=STATEFUL_SETS, child_rt=REVISIONS,
            selector=selector).claim(claim_candidates(self.revisions, sts))
        claimed = await ControllerRefManager(
            self.client, owner=sts, owner_rt=STATEFUL_SETS, child_rt=PODS,
            selector=selector).claim(claim_candidates(self.pods, sts))
        pods = [p for p in claimed if su.is_member_of(sts, p)]
        current, update, collisions, revisions = await self._sync_revisions(sts, revisions)
        await self._update_set(sts, current, update, pods)
        now = self.clock()
        min_ready = su.min_ready_seconds(sts)
        status = su.compute_status(sts, pods, current=current["metadata"]["name"],
                                   update=update["metadata"]["name"],
                                   collision_count=collisions, min_ready=min_ready, now=now)
        await self._update_status(sts, status)
        await self._truncate_history(sts, pods, revisions, current, update)
        if min_ready > 0 and status.get("readyReplicas", 0) != status["availableReplicas"]:
            raise Requeue(float(min_ready))

    # -- revisions -----------------------------------------------------------------------------

    async def _sync_revisions(self, sts: Object, revisions: list[Object]
                              ) -> tuple[Object, Object, int, list[Object]]:
        """(current, update, collisionCount, all revisions) as ``getStatefulSetRevisions``:
        the update revision is an existing one with the same data (renumbered to the latest
        when it is not), or a new one."""
        revisions = su.sorted_revisions(revisions)
        collisions = int((sts.get("status") or {}).get("collisionCount") or 0)
        number = su.revision_number(revisions[-1]) + 1 if revisions else 1
        ref = new_controller_ref(sts, STATEFUL_SETS)
        wanted = su.new_revision(sts, number, collisions, ref)
        equal = [r for r in revisions if su.equal_revision(r, wanted)]
        if equal and equal[-1] is revisions[-1]:
            update = equal[-1]
        elif equal:
            meta = equal[-1]["metadata"]
            update = await self.client.patch(REVISIONS, meta["name"], {"revision": number},
                                             meta["namespace"])
            revisions = [r for r in revisions if r is not equal[-1]] + [update]
        else:
            update, collisions = await self._create_revision(sts, number, collisions, ref)
            revisions = [*revisions, update]
        name = (sts.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if r["metadata"]["name"] == name), update)
        return current, update, collisions, revisions

    async def _create_revision(self, sts: Object, number: int, collisions: int,
                               ref: Object) -> tuple[Object, int]:
        """Create the revision; a name taken by other data is a hash collision: count it and
        try the next name (``createControllerRevision``)."""
        namespace = sts["metadata"]["namespace"]
        for _ in range(MAX_COLLISIONS):
            revision = su.new_revision(sts, number, collisions, ref)
            try:
                return await self.client.create(REVISIONS, revision, namespace), collisions
            except AlreadyExists:
                existing = await self.client.get(REVISIONS, revision["metadata"]["name"],
                                                 namespace)
                if su.equal_revision(existing, revision):
                    return existing, collisions
                collisions += 1
        raise Requeue(1.0)

    async def _truncate_history(self, sts: Object, pods: list[Object], revisions: list[Object],
                                current: Object, update: Object) -> None:
        """Delete the oldest revisions past ``revisionHistoryLimit`` that no pod uses."""
        live = {su.revision_of(p) for p in pods} | {current["metadata"]["name"],
                                                     update["metadata"]["name"]}
        history = [r for r in su.sorted_revisions(revisions) if r["metadata"]["name"] not in live]
        limit = su.spec(sts).get("revisionHistoryLimit")
        excess = len(history) - (10 if limit is None else int(limit))
        for revision in history[:max(excess, 0)]:
            try:
                await self.client.delete(REVISIONS, revision["metadata"]["name"],
                                         revision["metadata"]["namespace"])
            except NotFound:
                pass

    # -- pods ----------------------------------------------------------------------------------

    async def _update_set(self, sts: Object, current: Object, update: Object,
                          pods: list[Object]) -> None:
        """Create, delete and roll the pods (``updateStatefulSet``)."""
        current_set = su.apply_revision(sts, current)
        update_set = su.apply_revision(sts, update)
        start, count = su.start_ordinal(sts), su.replicas(sts)
        slots: list[Object | None] = [None] * count
        condemned: list[Object] = []
        for pod in pods:
            ordinal = su.ordinal_of(pod)
            if start <= ordinal < start + count:
                slots[ordinal - start] = pod
            elif ordinal >= 0:
                condemned.append(pod)
        condemned.sort(key=su.ordinal_of, reverse=True)
        min_ready, now = su.min_ready_seconds(sts), self.clock()
        first_unhealthy = next((p for p in [*slots, *condemned] if p is not None
                                and not su.is_healthy(p, min_ready, now)), None)
        if sts["metadata"].get("deletionTimestamp"):
            return
        mono = su.monotonic(sts)
        replicas: list[Object] = []
        for i, slot in enumerate(slots):
            if slot is None:
                pod = self._versioned_pod(current_set, update_set, current, update, start + i)
                replicas.append(pod)
                await self._create_pod(sts, pod)
                if mono:
                    return
                continue
            replicas.append(slot)
            if await self._process_replica(sts, slot, min_ready, now) and mono:
                return
        for pod in condemned:
            if su.is_terminating(pod):
                if mono:
                    return
                continue
            if mono and pod is not first_unhealthy and \
                    not su.is_running_and_available(pod, min_ready, now):
                return
            await self._delete_pod(sts, pod, condemned=True)
            if mono:
                return
        if su.strategy_type(sts) == su.ON_DELETE:
            return
        await self._roll(sts, replicas, update["metadata"]["name"], min_ready, now)

    def _versioned_pod(self, current_set: Object, update_set: Object, current: Object,
                       update: Object, ordinal: int) -> Object:
        """Below the partition a new pod is of the current revision, else of the update one
        (``newVersionedStatefulSetPod``)."""
        ref = new_controller_ref(current_set, STATEFUL_SETS)
        if su.strategy_type(current_set) == su.ROLLING_UPDATE and \
                ordinal < su.start_ordinal(current_set) + su.partition(current_set):
            return su.new_pod(current_set, ordinal, current["metadata"]["name"], ref)
        return su.new_pod(update_set, ordinal, update["metadata"]["name"], ref)

    async def _process_replica(self, sts: Object, pod: Object, min_ready: int,
                               now: float) -> bool:
        """Handle one existing pod of the range; True when an OrderedReady pass must stop."""
        if su.is_finished(pod):
            if not su.is_terminating(pod):
                await self._delete_pod(sts, pod)
            return True  # made again once it is gone
        if (pod.get("status") or {}).get("phase") in (None, "Pending"):
            await self._create_claims(sts, pod)
        if su.is_terminating(pod) or not su.is_running_and_available(pod, min_ready, now):
            return True
        if not su.identity_matches(sts, pod) or not su.storage_matches(sts, pod):
            await self._create_claims(sts, pod)
            await self._fix_identity(sts, pod)
        return False

    async def _roll(self, sts: Object, replicas: list[Object], update: str, min_ready: int,
                    now: float) -> None:
        """RollingUpdate: from the highest ordinal down to the partition, delete one pod of
        an old revision, then wait for it to come back healthy."""
        for target in range(len(replicas) - 1, su.partition(sts) - 1, -1):
            pod = replicas[target]
            if su.revision_of(pod) != update and not su.is_terminating(pod):
                await self._delete_pod(sts, pod)
                return
            if not su.is_healthy(pod, min_ready, now):
                return

    async def _create_claims(self, sts: Object, pod: Object) -> None:
        """The pod's missing claims (``createPersistentVolumeClaims``)."""
        namespace, name = sts["metadata"]["namespace"], pod["metadata"]["name"]
        when_deleted, _ = su.retention(sts)
        for claim in su.claims_of(sts, name).values():
            claim_name = claim["metadata"]["name"]
            existing = self.claims.get(claim_name, namespace)
            if existing is not None:
                if existing["metadata"].get("deletionTimestamp"):
                    log.info("statefulset %s: claim %s of %s is being deleted", key_of(sts),
                             claim_name, name)
                    raise Requeue(CLAIM_DELETING_RETRY)
                continue
            if when_deleted == su.DELETE:
                claim["metadata"]["ownerReferences"] = [{
                    **new_controller_ref(sts, STATEFUL_SETS), "controller": False}]
            try:
                await self.client.create(CLAIMS, claim, namespace)
            except AlreadyExists:
                continue
            except StatusError as err:
                self._event(sts, WARNING, "FailedCreate", f"create Claim {claim_name} for Pod "
                            f"{name} in StatefulSet {sts['metadata']['name']} failed error: "
                            f"{err.message}")
                raise
            self._event(sts, NORMAL, "SuccessfulCreate", f"create Claim {claim_name} Pod "
                        f"{name} in StatefulSet {sts['metadata']['name']} success")

    async def _create_pod(self, sts: Object, pod: Object) -> None:
        """Claims first, then the pod (``CreateStatefulPod``); a pod that already exists is
        one the cache has not seen yet. A claim still owned by an earlier pod of the name
        (``whenScaled: Delete``) is about to go: wait for it (``PodClaimIsStale``)."""
        namespace = sts["metadata"]["namespace"]
        for claim in su.claims_of(sts, pod["metadata"]["name"]).values():
            existing = self.claims.get(claim["metadata"]["name"], namespace)
            if existing is not None and any(
                    r.get("kind") == "Pod" for r in existing["metadata"].get("ownerReferences")
                    or []):
                log.info("statefulset %s: claim %s is stale, waiting", key_of(sts),
                         claim["metadata"]["name"])
                raise Requeue(CLAIM_DELETING_RETRY)
        await self._create_claims(sts, pod)
        try:
            await self.client.create(PODS, pod, sts["metadata"]["namespace"])
        except AlreadyExists:
            return
        except StatusError as err:
            self._pod_event(sts, pod, "create", err)
            raise
        self._pod_event(sts, pod, "create")

    async def _delete_pod(self, sts: Object, pod: Object, *, condemned: bool = False) -> None:
        if condemned and su.retention(sts)[1] == su.DELETE:
            await self._give_claims_to(sts, pod)
        meta = pod["metadata"]
        try:
            await self.client.delete(PODS, meta["name"], meta["namespace"],
                                     preconditions={"uid": meta["uid"]} if meta.get("uid")
                                     else None)
        except NotFound:
            return
        except StatusError as err:
            self._pod_event(sts, pod, "delete", err)
            raise
        self._pod_event(sts, pod, "delete")

    async def _give_claims_to(self, sts: Object, pod: Object) -> None:
        """``whenScaled: Delete``: the pod owns its claims, so they go with it."""
        ref = {"apiVersion": "v1", "kind": "Pod", "name": pod["metadata"]["name"],
               "uid": pod["metadata"]["uid"]}
        namespace = sts["metadata"]["namespace"]
        for claim in su.claims_of(sts, pod["metadata"]["name"]).values():
            existing = self.claims.get(claim["metadata"]["name"], namespace)
            if existing is None:
                continue
            refs = list(existing["metadata"].get("ownerReferences") or [])
            if any(r.get("uid") == ref["uid"] for r in refs):
                continue
            try:
                await self.client.patch(CLAIMS, claim["metadata"]["name"], {"metadata": {
                    "ownerReferences": [*refs, ref],
                    "resourceVersion": existing["metadata"].get("resourceVersion")}}, namespace)
            except NotFound:
                continue

    async def _fix_identity(self, sts: Object, pod: Object) -> None:
        """Labels back to the pod's identity (``UpdateStatefulPod``; its hostname and
        volumes a pod cannot change)."""
        fixed = su.fix_identity(sts, pod)
        labels = fixed["metadata"].get("labels")
        if labels == pod["metadata"].get("labels"):
            return
        meta = pod["metadata"]
        try:
            await self.client.patch(PODS, meta["name"], {"metadata": {
                "labels": labels, "resourceVersion": meta.get("resourceVersion")}},
                meta["namespace"])
        except StatusError as err:
            self._pod_event(sts, pod, "update", err)
            raise
        self._pod_event(sts, pod, "update")

    # -- status and events ---------------------------------------------------------------------

    async def _update_status(self, sts: Object, status: Object) -> None:
        if sts.get("status") == status:
            return
        sts["status"] = status
        updated = await self.client.update_status(STATEFUL_SETS, sts)
        sts["metadata"] = updated["metadata"]

    def _pod_event(self, sts: Object, pod: Object, verb: str,
                   err: StatusError | None = None) -> None:
        """``recordPodEvent``: reason Successful<Verb> or Failed<Verb>."""
        what = f"{verb} Pod {pod['metadata']['name']} in StatefulSet {sts['metadata']['name']}"
        if err is None:
            self._event(sts, NORMAL, f"Successful{verb.capitalize()}", f"{what} successful")
        else:
            self._event(sts, WARNING, f"Failed{verb.capitalize()}",
                        f"{what} failed error: {err.message}")

    def _event(self, sts: Object, kind: str, reason: str, message: str) -> None:
        if self.recorder is not None:
            self.recorder.event(sts, kind, reason, message, resource_type=STATEFUL_SETS)


def key_of(obj: Object) -> str:
    return meta_namespace_key(obj)
