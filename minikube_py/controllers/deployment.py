"""The Deployment controller (Kubernetes' ``pkg/controller/deployment/
deployment_controller.go``): one ReplicaSet per pod template, rolled over by the
Deployment's strategy.

``reconcile(key)`` claims the ReplicaSets of the Deployment (``controllerref.py``), then, as
Kubernetes' ``syncDeployment``: a Deployment being deleted only gets its status; the paused
condition follows ``spec.paused``; a paused Deployment, or one whose ``spec.replicas`` no
longer matches its sets' desired-replicas annotation, is scaled (proportionally mid-rollout)
without rolling; anything else rolls out with Recreate or RollingUpdate (``rolling.py``).
The writes themselves, the revisions and the status are in ``deployment_sync.py``; the
arithmetic in ``deployment_util.py``.

A rollback (``kubectl rollout undo``) is only a template change: the template equals an old
ReplicaSet's (ignoring pod-template-hash), which becomes the new set again with the next
revision.
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any

from minikube_py.api.errors import StatusError
from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.events import WARNING, EventRecorder
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.store import (
    OWNER_UID_INDEX,
    DeletedFinalStateUnknown,
    meta_namespace_key,
    owner_uid_index_func,
)
from minikube_py.controllers import deployment_util as du
from minikube_py.controllers.base import Controller, Requeue
from minikube_py.controllers.controller_utils import (
    CONTROLLER_UID_INDEX,
    Clock,
    claim_candidates,
    controller_ref,
    controller_uid_index_func,
)
from minikube_py.controllers.controllerref import ControllerRefManager
from minikube_py.controllers.deployment_sync import DEPLOYMENTS, REPLICA_SETS, Syncer
from minikube_py.controllers.rolling import rollout_recreate, rollout_rolling

log = logging.getLogger(__name__)

Object = dict[str, Any]


PODS = REGISTRY.require("", "v1", "pods")


class DeploymentController(Controller):
    name = "deployment"
    workers = 5  # ConcurrentDeploymentSyncs

    def __init__(self, client: Client, informers: SharedInformerFactory, *,
                 recorder: EventRecorder | None = None, owns_recorder: bool = False,
                 clock: Clock = time.time) -> None:
        super().__init__(client, informers, recorder=recorder, owns_recorder=owns_recorder)
        self.deployments = self.watch(DEPLOYMENTS).lister
        rs_informer = self.informer(REPLICA_SETS)
        rs_informer.add_indexers({CONTROLLER_UID_INDEX: controller_uid_index_func})
        self.replica_sets = rs_informer.lister
        rs_informer.add_event_handler(on_add=self._rs_added, on_update=self._rs_updated,
                                      on_delete=self._rs_deleted)
        pod_informer = self.informer(PODS)
        pod_informer.add_indexers({OWNER_UID_INDEX: owner_uid_index_func})
        self.pods = pod_informer.indexer
        pod_informer.add_event_handler(on_delete=self._pod_deleted)
        self.syncer = Syncer(client, self.replica_sets, recorder=recorder, clock=clock)

    # -- event handlers ------------------------------------------------------------------------

    def _resolve(self, namespace: str, ref: Object | None) -> str | None:
        if ref is None or ref.get("kind") != DEPLOYMENTS.kind or \
                not str(ref.get("apiVersion") or "").startswith("apps/"):
            return None
        d = self.deployments.get(str(ref.get("name") or ""), namespace)
        if d is None or d["metadata"].get("uid") != ref.get("uid"):
            return None
        return meta_namespace_key(d)

    def _matching_deployments(self, rs: Object) -> list[str]:
        meta = rs["metadata"]
        keys = []
        for d in self.deployments.namespaced(meta.get("namespace") or "").list():
            try:
                selector = LabelSelector.from_dict(du.spec(d).get("selector"))
            except StatusError:  # an invalid selector selects nothing
                continue
            if not selector.empty() and selector.matches(meta.get("labels")):
                keys.append(meta_namespace_key(d))
        return keys

    def _rs_added(self, rs: Object) -> None:
        namespace = rs["metadata"].get("namespace") or ""
        ref = controller_ref(rs)
        if ref is not None:
            key = self._resolve(namespace, ref)
            if key is not None:
                self.enqueue(key)
            return
        for key in self._matching_deployments(rs):
            self.enqueue(key)

    def _rs_updated(self, old: Object, new: Object) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        namespace = new["metadata"].get("namespace") or ""
        old_ref, new_ref = controller_ref(old), controller_ref(new)
        if old_ref != new_ref and old_ref is not None:
            key = self._resolve(namespace, old_ref)
            if key is not None:
                self.enqueue(key)
        if new_ref is not None:
            key = self._resolve(namespace, new_ref)
            if key is not None:
                self.enqueue(key)
            return
        if old["metadata"].get("labels") != new["metadata"].get("labels") or old_ref != new_ref:
            for key in self._matching_deployments(new):
                self.enqueue(key)

    def _rs_deleted(self, obj: Object | DeletedFinalStateUnknown) -> None:
        rs = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        key = self._resolve(rs["metadata"].get("namespace") or "", controller_ref(rs))
        if key is not None:
            self.enqueue(key)

    def _pod_deleted(self, obj: Object | DeletedFinalStateUnknown) -> None:
        """A Recreate rollout waits for the old pods to be gone."""
        pod = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        namespace = pod["metadata"].get("namespace") or ""
        ref = controller_ref(pod)
        if ref is None or ref.get("kind") != REPLICA_SETS.kind:
            return
        rs = self.replica_sets.get(str(ref.get("name") or ""), namespace)
        if rs is None:
            return
        key = self._resolve(namespace, controller_ref(rs))
        if key is None:
            return
        d = self.deployments.get(key.partition("/")[2], namespace)
        if d is not None and not du.is_rolling_update(d):
            self.enqueue(key)

    # -- reconcile -----------------------------------------------------------------------------

    async def reconcile(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        cached = self.deployments.get(name, namespace)
        if cached is None:
            return
        d = copy.deepcopy(cached)
        selector = LabelSelector.from_dict(du.spec(d).get("selector"))
        if selector.empty():
            if self.recorder is not None:
                self.recorder.event(d, WARNING, "SelectingAll",
                                    "This deployment is selecting all pods. A non-empty "
                                    "selector is required.", resource_type=DEPLOYMENTS)
            if du.status(d).get("observedGeneration") != d["metadata"].get("generation"):
                d.setdefault("status", {})["observedGeneration"] = d["metadata"]["generation"]
                await self.syncer.update_status(d)
            return
        rss = await self.claim_replica_sets(d, selector)
        delay = await self.sync_deployment(d, rss, selector)
        if delay is not None:
            raise Requeue(delay)

    async def claim_replica_sets(self, d: Object, selector: LabelSelector) -> list[Object]:
        manager = ControllerRefManager(self.client, owner=d, owner_rt=DEPLOYMENTS,
                                       child_rt=REPLICA_SETS, selector=selector)
        candidates = claim_candidates(self.replica_sets.indexer, d)
        return await manager.claim(candidates)

    async def sync_deployment(self, d: Object, rss: list[Object],
                              selector: LabelSelector) -> float | None:
        s = self.syncer
        if d["metadata"].get("deletionTimestamp"):
            new, olds = await s.get_all_replica_sets(d, rss, create=False)
            await s.sync_status([*olds, new], new, d)
            return None
        await s.check_paused_conditions(d)
        if du.spec(d).get("paused"):
            await s.sync(d, rss)
            return None
        if await self.is_scaling_event(d, rss):
            await s.sync(d, rss)
            return None
        if du.is_rolling_update(d):
            return await rollout_rolling(s, d, rss)
        return await rollout_recreate(s, d, rss, self.pods_by_replica_set(d, rss, selector))

    async def is_scaling_event(self, d: Object, rss: list[Object]) -> bool:
        """Whether an active set was sized for another ``spec.replicas``."""
        new, olds = await self.syncer.get_all_replica_sets(d, rss, create=False)
        want = du.replicas(d)
        for rs in du.active([*olds, new]):
            desired = du.desired_replicas_annotation(rs)
            if desired is not None and desired != want:
                return True
        return False

    def pods_by_replica_set(self, d: Object, rss: list[Object],
                            selector: LabelSelector) -> dict[str, list[Object]]:
        """The Deployment's pods by the uid of their ReplicaSet (``getPodMapForDeployment``),
        from the pod informer's owner-uid index."""
        out: dict[str, list[Object]] = {}
        for rs in rss:
            uid = str(rs["metadata"]["uid"])
            out[uid] = [p for p in self.pods.by_index(OWNER_UID_INDEX, uid)
                        if (controller_ref(p) or {}).get("uid") == uid
                        and selector.matches(p["metadata"].get("labels"))]
        return out
