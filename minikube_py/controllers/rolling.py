"""The two rollout strategies of a Deployment (Kubernetes' ``pkg/controller/deployment/
rolling.go`` and ``recreate.go``), written against the :class:`Syncer` of
``deployment_sync.py``.

RollingUpdate: each sync either scales the new ReplicaSet up (never past ``replicas +
maxSurge`` pods in all), or else scales old ones down (never below ``replicas -
maxUnavailable`` available pods; unhealthy old pods go first). Recreate: old ReplicaSets to
0, wait until none of their pods is left, then the new one to ``replicas``. Both return the
delay after which to look again for the progress deadline, or None.
"""

from __future__ import annotations

from typing import Any

from minikube_py.controllers import deployment_util as du
from minikube_py.controllers.deployment_sync import Syncer

Object = dict[str, Any]


async def rollout_rolling(s: Syncer, d: Object, rss: list[Object]) -> float | None:
    new, olds = await s.get_all_replica_sets(d, rss, create=True)
    assert new is not None
    all_rss: list[Object | None] = [*olds, new]
    scaled, new = await reconcile_new_replica_set(s, [*olds, new], new, d)
    if scaled:
        return await s.sync_rollout_status([*olds, new], new, d)
    if await reconcile_old_replica_sets(s, [*olds, new], du.active(olds), new, d):
        return await s.sync_rollout_status(all_rss, new, d)
    if du.deployment_complete(d, du.status(d)):
        await s.cleanup(olds, d)
    return await s.sync_rollout_status(all_rss, new, d)


async def reconcile_new_replica_set(s: Syncer, all_rss: list[Object], new: Object,
                                    d: Object) -> tuple[bool, Object]:
    want = du.replicas(d)
    if du.replicas(new) == want:
        return False, new
    if du.replicas(new) > want:
        return await s.scale_replica_set_and_record_event(new, want, d)
    count = du.new_rs_new_replicas(d, all_rss, new)
    return await s.scale_replica_set_and_record_event(new, count, d)


async def reconcile_old_replica_sets(s: Syncer, all_rss: list[Object], olds: list[Object],
                                     new: Object, d: Object) -> bool:
    if du.spec_replicas(olds) == 0:
        return False
    min_available = du.replicas(d) - du.max_unavailable(d)
    new_unavailable = du.replicas(new) - int(du.status(new).get("availableReplicas") or 0)
    max_scaled_down = du.spec_replicas(all_rss) - min_available - new_unavailable
    if max_scaled_down <= 0:
        return False
    olds, cleaned = await cleanup_unhealthy_replicas(s, olds, d, max_scaled_down)
    scaled_down = await scale_down_old_for_rolling_update(s, [*olds, new], olds, d)
    return cleaned + scaled_down > 0


async def cleanup_unhealthy_replicas(s: Syncer, olds: list[Object], d: Object,
                                     max_cleanup: int) -> tuple[list[Object], int]:
    """Scale down the old pods that are not available first, oldest sets first."""
    olds = du.by_creation(olds)
    total = 0
    for i, rs in enumerate(olds):
        if total >= max_cleanup:
            break
        unhealthy = du.replicas(rs) - int(du.status(rs).get("availableReplicas") or 0)
        if du.replicas(rs) == 0 or unhealthy <= 0:
            continue
        count = min(max_cleanup - total, unhealthy)
        _, olds[i] = await s.scale_replica_set_and_record_event(rs, du.replicas(rs) - count, d)
        total += count
    return olds, total


async def scale_down_old_for_rolling_update(s: Syncer, all_rss: list[Object],
                                            olds: list[Object], d: Object) -> int:
    """Scale old sets down, oldest first, as far as availability allows."""
    min_available = du.replicas(d) - du.max_unavailable(d)
    # Kubernetes sums status.availableReplicas; a set whose status still counts pods it is
    # deleting would let the availability bound slip, so count at most its spec.
    available = du.available_within_spec(all_rss)
    if available <= min_available:
        return 0
    wanted = available - min_available
    total = 0
    for rs in du.by_creation(olds):
        if total >= wanted:
            break
        if du.replicas(rs) == 0:
            continue
        count = min(du.replicas(rs), wanted - total)
        await s.scale_replica_set_and_record_event(rs, du.replicas(rs) - count, d)
        total += count
    return total


async def rollout_recreate(s: Syncer, d: Object, rss: list[Object],
                           pods_by_rs: dict[str, list[Object]]) -> float | None:
    new, olds = await s.get_all_replica_sets(d, rss, create=False)
    scaled = False
    for rs in du.active(olds):
        changed, _ = await s.scale_replica_set_and_record_event(rs, 0, d)
        scaled = scaled or changed
    if scaled:
        return await s.sync_rollout_status([*olds, new], new, d)
    if old_pods_running(new, olds, pods_by_rs):
        return await s.sync_rollout_status([*olds, new], new, d)
    if new is None:
        new, olds = await s.get_all_replica_sets(d, rss, create=True)
        assert new is not None
    _, new = await s.scale_replica_set_and_record_event(new, du.replicas(d), d)
    if du.deployment_complete(d, du.status(d)):
        await s.cleanup(olds, d)
    return await s.sync_rollout_status([*olds, new], new, d)


def old_pods_running(new: Object | None, olds: list[Object],
                     pods_by_rs: dict[str, list[Object]]) -> bool:
    """Whether any pod of an old ReplicaSet is still there and not finished."""
    if du.actual_replicas(olds) > 0:
        return True
    new_uid = new["metadata"]["uid"] if new is not None else None
    for uid, pods in pods_by_rs.items():
        if uid == new_uid:
            continue
        if any((p.get("status") or {}).get("phase") not in ("Failed", "Succeeded")
               for p in pods):
            return True
    return False
