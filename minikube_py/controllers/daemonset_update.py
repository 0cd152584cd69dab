"""The DaemonSet controller's updates (Kubernetes' ``pkg/controller/daemon/update.go``): the
ControllerRevisions of a DaemonSet's templates, the RollingUpdate step, and the back-off
for failed daemon pods. ``daemonset.py`` calls these from its reconcile.

History: every distinct template has one ControllerRevision named ``<ds>-<hash>``, labelled
``controller-revision-hash``, holding the patch that restores the template (what ``kubectl
rollout history/undo daemonset`` read). The current one has the highest ``revision``; a
template that returns (a rollback) gets its old revision renumbered above the rest.

Rolling update without surge deletes old pods while at most ``maxUnavailable`` daemon pods
are unavailable (the manage pass then creates the new pod on the emptied node); with
``maxSurge`` it first creates the new pod beside the old one on up to ``maxSurge`` nodes and
deletes the old pod once the new one is available.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from minikube_py.api.errors import AlreadyExists, NotFound
from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.store import Indexer
from minikube_py.controllers import daemonset_util as dsu
from minikube_py.controllers import deployment_util as du
from minikube_py.controllers.controller_utils import (
    Clock,
    claim_candidates,
    is_pod_available,
    new_controller_ref,
)
from minikube_py.controllers.controllerref import ControllerRefManager

log = logging.getLogger(__name__)

Object = dict[str, Any]

DAEMON_SETS = REGISTRY.require("apps", "v1", "daemonsets")
CONTROLLER_REVISIONS = REGISTRY.require("apps", "v1", "controllerrevisions")


@dataclass
class Plan:
    """What one pass decided: nodes to create a pod on, pods to delete (names), and the
    earliest back-off after which to look again."""

    create: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    requeue: float | None = None

    def retry_after(self, delay: float) -> None:
        self.requeue = delay if self.requeue is None else min(self.requeue, delay)


def pods_by_age(pods: list[Object]) -> list[Object]:
    """Bound pods first, then oldest first, then by name (``podByCreationTimestampAndPhase``)."""
    return sorted(pods, key=lambda p: (0 if (p.get("spec") or {}).get("nodeName") else 1,
                                       du.created_at(p), p["metadata"].get("name") or ""))


# --- failed pods ----------------------------------------------------------------------------


class FailedPodsBackoff:
    """Per (DaemonSet, node) back-off before a failed daemon pod is deleted again
    (``flowcontrol.Backoff`` of 1 s doubling to 15 min): a kubelet that keeps rejecting the
    pod must not make the controller hot-loop."""

    def __init__(self, *, initial: float = 1.0, maximum: float = 15 * 60.0,
                 clock: Clock = time.monotonic) -> None:
        self.initial, self.maximum, self.clock = initial, maximum, clock
        self._entries: dict[str, tuple[float, float]] = {}  # key -> (delay, last update)

    def in_backoff(self, key: str) -> float | None:
        """The delay left when ``key`` is still backing off since its last update."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        delay, since = entry
        left = since + delay - self.clock()
        return left if left > 0 else None

    def next(self, key: str) -> None:
        now = self.clock()
        entry = self._entries.get(key)
        if entry is None or now - entry[1] > 2 * self.maximum:
            self._entries[key] = (self.initial, now)
        else:
            self._entries[key] = (min(entry[0] * 2, self.maximum), now)


# --- rolling update -------------------------------------------------------------------------


def _rolling(ds: Object) -> Object:
    return (((ds.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {})


def updated_pods_on_node(pods: list[Object], revision_hash: str,
                         generation: int) -> tuple[Object | None, Object | None, bool]:
    """(new pod, old pod, ok) of one node's live pods (``findUpdatedPodsOnNode``); not ok
    when there are two of either kind (the manage pass cleans that up first)."""
    new = old = None
    for pod in pods:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        if dsu.is_pod_updated(pod, revision_hash, generation):
            if new is not None:
                return None, None, False
            new = pod
        else:
            if old is not None:
                return None, None, False
            old = pod
    return new, old, True


def rolling_update(ds: Object, nodes: list[Object], by_node: dict[str, list[Object]],
                   revision_hash: str, now: float) -> Plan:
    """The RollingUpdate step (``rollingUpdate``): which old pods to delete and, with a
    surge, on which nodes to start the new pod first."""
    eligible = [n["metadata"]["name"] for n in nodes if dsu.should_run(ds, n)[0]]
    desired = len(eligible)
    rolling = _rolling(ds)
    max_surge = du.scaled_value(rolling.get("maxSurge") or 0, desired, True)
    max_unavailable = du.scaled_value(rolling.get("maxUnavailable") or 0, desired, True)
    if max_surge == 0 and max_unavailable == 0:
        max_unavailable = 1
    generation = dsu.template_generation(ds)
    wait = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
    plan = Plan()
    if max_surge == 0:
        unavailable = 0
        replace: list[str] = []
        candidates: list[str] = []
        for node in eligible:
            new, old, ok = updated_pods_on_node(by_node.get(node) or [], revision_hash,
                                                generation)
            if not ok or (new is None) == (old is None):
                unavailable += 1  # manage creates or deletes here first
            elif new is not None:
                unavailable += 0 if is_pod_available(new, wait, now) else 1
            elif old is not None and not is_pod_available(old, wait, now):
                replace.append(old["metadata"]["name"])  # unavailable anyway
            elif old is not None and unavailable < max_unavailable:
                candidates.append(old["metadata"]["name"])
        room = min(max(max_unavailable - unavailable, 0), len(candidates))
        plan.delete = replace + candidates[:room]
        return plan
    surging = 0
    wanting: list[str] = []
    candidate_nodes: list[str] = []
    for node in eligible:
        new, old, ok = updated_pods_on_node(by_node.get(node) or [], revision_hash, generation)
        if not ok or old is None:
            continue
        if new is None:
            if not is_pod_available(old, wait, now):
                wanting.append(node)
            elif surging < max_surge:
                candidate_nodes.append(node)
        elif not is_pod_available(new, wait, now):
            surging += 1  # waiting for the new pod to become available
        else:
            plan.delete.append(old["metadata"]["name"])
    room = min(max(max_surge - surging, 0), len(candidate_nodes))
    plan.create = wanting + candidate_nodes[:room]
    return plan


# --- history --------------------------------------------------------------------------------


class History:
    """The ControllerRevisions of DaemonSets (``constructHistory``, ``cleanupHistory``)."""

    def __init__(self, client: Client, revisions: Indexer) -> None:
        self.client = client
        self.revisions = revisions

    async def _claimed(self, ds: Object) -> list[Object]:
        manager = ControllerRefManager(
            self.client, owner=ds, owner_rt=DAEMON_SETS, child_rt=CONTROLLER_REVISIONS,
            selector=LabelSelector.from_dict((ds.get("spec") or {}).get("selector")))
        return await manager.claim(claim_candidates(self.revisions, ds))

    async def construct(self, ds: Object) -> tuple[Object, list[Object]]:
        """(the current revision, the old ones): the current is created when no revision
        holds the template, and renumbered when it is not the newest."""
        revisions = await self._claimed(ds)
        matching = [r for r in revisions if dsu.matches_revision(ds, r)]
        old = [r for r in revisions if r not in matching]
        highest = max((dsu.revision_number(r) for r in revisions), default=0)
        if matching:
            current = max(matching, key=dsu.revision_number)
            old += [r for r in matching if r is not current]
            if dsu.revision_number(current) < highest:
                current = dict(current, revision=highest + 1)
                current = await self.client.update(CONTROLLER_REVISIONS, current)
            return current, old
        return await self._create(ds, highest + 1), old

    async def _create(self, ds: Object, number: int) -> Object:
        meta = ds["metadata"]
        revision_hash = dsu.revision_hash(ds)
        template_labels = (((ds.get("spec") or {}).get("template") or {}).get("metadata")
                           or {}).get("labels") or {}
        revision: Object = {
            "apiVersion": "apps/v1", "kind": "ControllerRevision",
            "metadata": {"name": f"{meta['name']}-{revision_hash}",
                         "namespace": meta["namespace"],
                         "labels": {**template_labels, dsu.REVISION_HASH: revision_hash},
                         "ownerReferences": [new_controller_ref(ds, DAEMON_SETS)]},
            "data": dsu.revision_data(ds), "revision": number}
        if meta.get("annotations"):
            revision["metadata"]["annotations"] = dict(meta["annotations"])
        try:
            return await self.client.create(CONTROLLER_REVISIONS, revision, meta["namespace"])
        except AlreadyExists:
            existing = await self.client.get(CONTROLLER_REVISIONS,
                                             revision["metadata"]["name"], meta["namespace"])
            ref = next((r for r in existing["metadata"].get("ownerReferences") or []
                        if r.get("controller")), None)
            if ref is not None and ref.get("uid") == meta["uid"] and \
                    dsu.matches_revision(ds, existing):
                return existing
            # A hash collision: count it, so the next attempt hashes differently.
            ds.setdefault("status", {})["collisionCount"] = int(
                (ds.get("status") or {}).get("collisionCount") or 0) + 1
            updated = await self.client.update_status(DAEMON_SETS, ds)
            ds["metadata"], ds["status"] = updated["metadata"], updated.get("status") or {}
            raise

    async def cleanup(self, ds: Object, old: list[Object], pods: list[Object]) -> None:
        """Delete the oldest revisions beyond ``revisionHistoryLimit`` no live pod uses."""
        limit = int((ds.get("spec") or {}).get("revisionHistoryLimit", 10) or 0)
        excess = len(old) - limit
        if excess <= 0:
            return
        live = {str((p["metadata"].get("labels") or {}).get(dsu.REVISION_HASH) or "")
                for p in pods}
        for revision in sorted(old, key=dsu.revision_number):
            if excess <= 0:
                break
            if (revision["metadata"].get("labels") or {}).get(dsu.REVISION_HASH) in live:
                continue
            try:
                await self.client.delete(CONTROLLER_REVISIONS, revision["metadata"]["name"],
                                         revision["metadata"]["namespace"])
            except NotFound:
                pass
            excess -= 1
