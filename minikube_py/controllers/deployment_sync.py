"""The writes of the Deployment controller (Kubernetes' ``pkg/controller/deployment/sync.go``
and ``progress.go``): finding or creating the new ReplicaSet with its revision, scaling a
ReplicaSet (with the ScalingReplicaSet event), proportional scaling when ``spec.replicas``
changes mid-rollout, cleaning up old ReplicaSets beyond ``revisionHistoryLimit``, and the
Deployment's status with its Progressing and Available conditions.

A :class:`Syncer` serves every reconcile of one controller (``deployment.py``); the rollout
strategies in ``rolling.py`` are written against it. The deployment object passed around is
the reconcile's own copy: its status and revision annotation are updated in place and
written through ``/status`` (which, for Deployments, also takes the annotations).
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any

from minikube_py.api.errors import AlreadyExists, NotFound, StatusError
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.events import NORMAL, EventRecorder
from minikube_py.client.store import Lister
from minikube_py.controllers import deployment_util as du
from minikube_py.controllers.controller_utils import (
    Clock,
    is_controlled_by,
    new_controller_ref,
    set_counts,
)
from minikube_py.util.clock import parse_rfc3339

log = logging.getLogger(__name__)

Object = dict[str, Any]


DEPLOYMENTS = REGISTRY.require("apps", "v1", "deployments")
REPLICA_SETS = REGISTRY.require("apps", "v1", "replicasets")


class Syncer:
    """The API-facing steps of a Deployment's sync."""

    def __init__(self, client: Client, replica_sets: Lister, *,
                 recorder: EventRecorder | None = None, clock: Clock = time.time) -> None:
        self.client = client
        self.replica_sets = replica_sets
        self.recorder = recorder
        self.clock = clock

    def event(self, deployment: Object, reason: str, message: str) -> None:
        if self.recorder is not None:
            self.recorder.event(deployment, NORMAL, reason, message, resource_type=DEPLOYMENTS)

    def condition(self, kind: str, cond_status: str, reason: str, message: str) -> Object:
        return du.new_condition(kind, cond_status, reason, message, at=self.clock())

    async def update_status(self, deployment: Object) -> None:
        """Write status (and the revision annotation) through ``/status``; refresh the copy."""
        updated = await self.client.update_status(DEPLOYMENTS, deployment)
        deployment["metadata"] = updated["metadata"]
        deployment["status"] = updated.get("status") or {}

    # -- the new ReplicaSet ----------------------------------------------------------------

    async def get_all_replica_sets(self, deployment: Object, rss: list[Object], *,
                                   create: bool) -> tuple[Object | None, list[Object]]:
        """(new, old) ReplicaSets, the new one created if asked and missing, and the
        revision annotations brought up to date (``getAllReplicaSetsAndSyncRevision``)."""
        olds = du.find_old_replica_sets(deployment, rss)
        new = await self.get_new_replica_set(deployment, rss, olds, create=create)
        return new, olds

    async def get_new_replica_set(self, deployment: Object, rss: list[Object],
                                  olds: list[Object], *, create: bool) -> Object | None:
        existing = du.find_new_replica_set(deployment, rss)
        new_revision = du.max_revision(olds) + 1
        if existing is not None:
            synced = await self._sync_existing(deployment, existing, new_revision)
            rss[rss.index(existing)] = synced  # later steps of this sync see the write
            return synced
        if not create:
            return None
        return await self._create_new(deployment, olds, new_revision)

    async def _sync_existing(self, deployment: Object, existing: Object,
                             new_revision: int) -> Object:
        """The annotations and minReadySeconds of the new ReplicaSet; the Deployment's
        revision and its FoundNewReplicaSet condition."""
        rs = copy.deepcopy(existing)
        changed = du.set_new_replica_set_annotations(deployment, rs, new_revision, exists=True)
        min_ready = du.spec(deployment).get("minReadySeconds") or 0
        if (du.spec(rs).get("minReadySeconds") or 0) != min_ready:
            rs["spec"]["minReadySeconds"] = min_ready
            changed = True
        if changed:
            rs = await self.client.update(REPLICA_SETS, rs)
        needs_update = du.set_deployment_revision(deployment, du.annotations_of(rs).get(
            du.REVISION, ""))
        st = deployment.setdefault("status", {})
        if du.has_progress_deadline(deployment) and du.get_condition(st, du.PROGRESSING) is None:
            du.set_condition(st, self.condition(
                du.PROGRESSING, "True", du.FOUND_NEW_RS,
                f'Found new replica set "{rs["metadata"]["name"]}"'))
            needs_update = True
        if needs_update:
            await self.update_status(deployment)
        return rs

    def _new_replica_set(self, deployment: Object) -> Object:
        d_spec = du.spec(deployment)
        collisions = du.status(deployment).get("collisionCount")
        template = copy.deepcopy(d_spec.get("template") or {})
        pod_hash = du.compute_hash(template, collisions)
        tmeta = template.setdefault("metadata", {})
        tmeta.pop("creationTimestamp", None)
        tmeta["labels"] = {**(tmeta.get("labels") or {}), du.POD_TEMPLATE_HASH: pod_hash}
        selector = copy.deepcopy(d_spec.get("selector") or {})
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}),
                                   du.POD_TEMPLATE_HASH: pod_hash}
        meta = deployment["metadata"]
        rs_spec: Object = {"replicas": 0, "selector": selector, "template": template}
        if d_spec.get("minReadySeconds"):
            rs_spec["minReadySeconds"] = d_spec["minReadySeconds"]
        return {"apiVersion": REPLICA_SETS.api_version, "kind": REPLICA_SETS.kind,
                "metadata": {"name": f"{meta['name']}-{pod_hash}",
                             "namespace": meta["namespace"],
                             "labels": dict(tmeta["labels"]),
                             "ownerReferences": [new_controller_ref(deployment, DEPLOYMENTS)]},
                "spec": rs_spec}

    async def _create_new(self, deployment: Object, olds: list[Object],
                          new_revision: int) -> Object:
        rs = self._new_replica_set(deployment)
        count = du.new_rs_new_replicas(deployment, [*olds, rs], rs)
        rs["spec"]["replicas"] = count
        du.set_new_replica_set_annotations(deployment, rs, new_revision, exists=False)
        name = rs["metadata"]["name"]
        st = deployment.setdefault("status", {})
        already = False
        try:
            created = await self.client.create(REPLICA_SETS, rs)
        except AlreadyExists:
            created = await self._existing_or_collision(deployment, rs)
            already = True
        except StatusError as err:
            if du.has_progress_deadline(deployment):
                du.set_condition(st, self.condition(
                    du.PROGRESSING, "False", du.FAILED_RS_CREATE,
                    f'Failed to create new replica set "{name}": {err.message}'))
                await self.update_status(deployment)
            raise
        if not already and count > 0:
            self.event(deployment, "ScalingReplicaSet", f"Scaled up replica set {name} to {count}")
        needs_update = du.set_deployment_revision(deployment, str(new_revision))
        if not already and du.has_progress_deadline(deployment):
            du.set_condition(st, self.condition(du.PROGRESSING, "True", du.NEW_RS_CREATED,
                                                f'Created new replica set "{name}"'))
            needs_update = True
        if needs_update:
            await self.update_status(deployment)
        return created

    async def _existing_or_collision(self, deployment: Object, rs: Object) -> Object:
        """A ReplicaSet of that name exists: ours with our template is the new one; anything
        else is a hash collision, counted in status.collisionCount (the next hash differs)."""
        meta = rs["metadata"]
        existing = self.replica_sets.get(meta["name"], meta["namespace"])
        if existing is None:
            existing = await self.client.get(REPLICA_SETS, meta["name"], meta["namespace"])
        if is_controlled_by(existing, deployment) and du.equal_ignore_hash(
                du.spec(existing).get("template"), du.spec(deployment).get("template")):
            return existing
        st = deployment.setdefault("status", {})
        st["collisionCount"] = int(st.get("collisionCount") or 0) + 1
        await self.update_status(deployment)
        raise AlreadyExists(f'replicasets.apps "{meta["name"]}" already exists: hash '
                            f"collision, collisionCount is now {st['collisionCount']}")

    # -- scaling ---------------------------------------------------------------------------

    async def scale_replica_set_and_record_event(self, rs: Object, new_scale: int,
                                                 deployment: Object) -> tuple[bool, Object]:
        if du.replicas(rs) == new_scale:
            return False, rs
        op = "up" if du.replicas(rs) < new_scale else "down"
        return await self.scale_replica_set(rs, new_scale, deployment, op)

    async def scale_replica_set(self, rs: Object, new_scale: int, deployment: Object,
                                op: str) -> tuple[bool, Object]:
        old_scale = du.replicas(rs)
        size_changes = old_scale != new_scale
        desired = du.replicas(deployment)
        max_replicas = desired + du.max_surge(deployment)
        if not size_changes and not du.replicas_annotations_need_update(rs, desired,
                                                                       max_replicas):
            return False, rs
        updated = copy.deepcopy(rs)
        updated["spec"]["replicas"] = new_scale
        du.set_replicas_annotations(updated, desired, max_replicas)
        updated = await self.client.update(REPLICA_SETS, updated)
        if size_changes:
            self.event(deployment, "ScalingReplicaSet",
                       f"Scaled {op} replica set {rs['metadata']['name']} to {new_scale} "
                       f"from {old_scale}")
        return size_changes, updated

    async def scale(self, deployment: Object, new: Object | None, olds: list[Object]) -> None:
        """Scale to ``spec.replicas``: the one active set, or all of them in proportion to
        their size (``scale`` in sync.go)."""
        single = du.find_active_or_latest(new, olds)
        want = du.replicas(deployment)
        if single is not None:
            if du.replicas(single) != want:
                await self.scale_replica_set_and_record_event(single, want, deployment)
            return
        if du.is_saturated(deployment, new):
            for old in du.active(olds):
                await self.scale_replica_set_and_record_event(old, 0, deployment)
            return
        if not du.is_rolling_update(deployment):
            return
        live = du.active([*olds, new])
        allowed = want + du.max_surge(deployment) if want > 0 else 0
        to_add = allowed - du.spec_replicas(live)
        if to_add > 0:  # larger first, then newer (ReplicaSetsBySizeNewer)
            live.sort(key=lambda rs: (-du.replicas(rs), -du.created_at(rs)))
            op = "up"
        elif to_add < 0:  # larger first, then older (ReplicaSetsBySizeOlder)
            live.sort(key=lambda rs: (-du.replicas(rs), du.created_at(rs)))
            op = "down"
        else:
            return
        sizes: dict[str, int] = {}
        added = 0
        for rs in live:
            part = du.proportion(rs, deployment, to_add, added)
            sizes[rs["metadata"]["name"]] = du.replicas(rs) + part
            added += part
        if to_add != added and live:  # the rest goes to the largest
            first = live[0]["metadata"]["name"]
            sizes[first] = max(sizes[first] + to_add - added, 0)
        for rs in live:
            await self.scale_replica_set(rs, sizes[rs["metadata"]["name"]], deployment, op)

    async def cleanup(self, olds: list[Object], deployment: Object) -> None:
        """Delete the oldest revisions beyond ``revisionHistoryLimit`` that are scaled to 0
        and settled (``cleanupDeployment``)."""
        limit = du.spec(deployment).get("revisionHistoryLimit")
        if limit is None:
            return
        cleanable = [rs for rs in olds if not rs["metadata"].get("deletionTimestamp")]
        diff = len(cleanable) - int(limit)
        if diff <= 0:
            return
        cleanable.sort(key=lambda rs: (du.revision(rs), du.created_at(rs)))
        for rs in cleanable[:diff]:
            st = du.status(rs)
            if (int(st.get("replicas") or 0) != 0 or du.replicas(rs) != 0
                    or int(rs["metadata"].get("generation") or 0) > int(
                        st.get("observedGeneration") or 0)):
                continue
            meta = rs["metadata"]
            try:
                await self.client.delete(REPLICA_SETS, meta["name"], meta["namespace"])
            except NotFound:
                pass

    # -- status ----------------------------------------------------------------------------

    def calculate_status(self, all_rss: list[Object | None], new: Object | None,
                         deployment: Object) -> Object:
        """The status the ReplicaSets add up to (``calculateStatus``), with Available."""
        available = du.available_replicas(all_rss)
        unavailable = max(du.spec_replicas(all_rss) - available, 0)
        st = copy.deepcopy(du.status(deployment))
        set_counts(st, observedGeneration=int(deployment["metadata"].get("generation") or 0),
                   replicas=du.actual_replicas(all_rss),
                   updatedReplicas=du.actual_replicas([new]),
                   readyReplicas=du.ready_replicas(all_rss), availableReplicas=available,
                   unavailableReplicas=unavailable)
        if available >= du.replicas(deployment) - du.max_unavailable(deployment):
            cond = self.condition(du.AVAILABLE, "True", du.MIN_AVAILABLE,
                                  "Deployment has minimum availability.")
        else:
            cond = self.condition(du.AVAILABLE, "False", du.MIN_UNAVAILABLE,
                                  "Deployment does not have minimum availability.")
        du.set_condition(st, cond)
        return st

    async def sync_status(self, all_rss: list[Object | None], new: Object | None,
                          deployment: Object) -> None:
        """``syncDeploymentStatus``: counts and Available, no progress."""
        st = self.calculate_status(all_rss, new, deployment)
        if st != du.status(deployment):
            deployment["status"] = st
            await self.update_status(deployment)

    async def sync_rollout_status(self, all_rss: list[Object | None], new: Object | None,
                                  deployment: Object) -> float | None:
        """Status with the Progressing condition (``syncRolloutStatus``); the delay after
        which to look again for the progress deadline, if one is pending."""
        st = self.calculate_status(all_rss, new, deployment)
        if not du.has_progress_deadline(deployment):
            du.remove_condition(st, du.PROGRESSING)
        current = du.get_condition(du.status(deployment), du.PROGRESSING)
        complete = (st.get("replicas") == st.get("updatedReplicas") and current is not None
                    and current.get("reason") == du.NEW_RS_AVAILABLE)
        if du.has_progress_deadline(deployment) and not complete:
            self._progress(deployment, st, new, current)
        failure = next((c for rs in all_rss if rs is not None
                        for c in du.status(rs).get("conditions") or []
                        if c.get("type") == du.REPLICA_FAILURE), None)
        if failure is not None:
            du.set_condition(st, self.condition(du.REPLICA_FAILURE, failure["status"],
                                                failure.get("reason", ""),
                                                failure.get("message", "")))
        else:
            du.remove_condition(st, du.REPLICA_FAILURE)
        if st != du.status(deployment):
            deployment["status"] = st
            await self.update_status(deployment)
            return None
        return self._stuck_delay(deployment, st)

    def _progress(self, deployment: Object, st: Object, new: Object | None,
                  current: Object | None) -> None:
        what = (f'ReplicaSet "{new["metadata"]["name"]}"' if new is not None
                else f'Deployment "{deployment["metadata"]["name"]}"')
        if du.deployment_complete(deployment, st):
            du.set_condition(st, self.condition(du.PROGRESSING, "True", du.NEW_RS_AVAILABLE,
                                                f"{what} has successfully progressed."))
        elif du.deployment_progressing(deployment, st):
            cond = self.condition(du.PROGRESSING, "True", du.RS_UPDATED,
                                  f"{what} is progressing.")
            if current is not None and current.get("status") == "True":
                cond["lastTransitionTime"] = current.get("lastTransitionTime")
            du.remove_condition(st, du.PROGRESSING)
            du.set_condition(st, cond)
        elif du.deployment_timed_out(deployment, st, self.clock()):
            du.set_condition(st, self.condition(du.PROGRESSING, "False", du.TIMED_OUT,
                                                f"{what} has timed out progressing."))

    def _stuck_delay(self, deployment: Object, st: Object) -> float | None:
        """``requeueStuckDeployment``: when the progress deadline would pass."""
        current = du.get_condition(st, du.PROGRESSING)
        if not du.has_progress_deadline(deployment) or current is None:
            return None
        if du.deployment_complete(deployment, st) or current.get("reason") == du.TIMED_OUT:
            return None
        since = current.get("lastUpdateTime")
        if not since:
            return None
        deadline = int(du.spec(deployment)["progressDeadlineSeconds"])
        after = parse_rfc3339(since).timestamp() + deadline - self.clock()
        return max(after, 1.0)

    async def check_paused_conditions(self, deployment: Object) -> None:
        """Progressing Unknown with DeploymentPaused/DeploymentResumed as pause changes."""
        if not du.has_progress_deadline(deployment):
            return
        st = deployment.setdefault("status", {})
        cond = du.get_condition(st, du.PROGRESSING)
        if cond is not None and cond.get("reason") == du.TIMED_OUT:
            return
        paused = bool(du.spec(deployment).get("paused"))
        was_paused = cond is not None and cond.get("reason") == du.PAUSED
        if paused and not was_paused:
            du.set_condition(st, self.condition(du.PROGRESSING, "Unknown", du.PAUSED,
                                                "Deployment is paused"))
        elif not paused and was_paused:
            du.set_condition(st, self.condition(du.PROGRESSING, "Unknown", du.RESUMED,
                                                "Deployment is resumed"))
        else:
            return
        await self.update_status(deployment)

    async def sync(self, deployment: Object, rss: list[Object]) -> None:
        """Scaling and cleanup without a rollout (paused, or a scaling event)."""
        new, olds = await self.get_all_replica_sets(deployment, rss, create=False)
        await self.scale(deployment, new, olds)
        if du.spec(deployment).get("paused"):
            await self.cleanup(olds, deployment)
        await self.sync_status([*olds, new], new, deployment)
