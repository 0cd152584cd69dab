"""When an applied object is ready, as ``kubectl rollout status`` and ``kubectl wait`` judge
it (kubectl's status viewers, per kind): a Deployment rolled out, a workload's replicas ready,
a Pod Ready (or done), a Job complete. Kinds without a notion of readiness are ready when
they exist. Client-side, read from the object's status; used by ``apply --wait``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]


class NotReadyForGood(Exception):
    """The object will not become ready by waiting (a deadline passed, a Job failed)."""


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _generation_seen(obj: Obj) -> bool:
    meta, status = obj.get("metadata") or {}, obj.get("status") or {}
    return _int(status.get("observedGeneration")) >= _int(meta.get("generation"))


def _condition(obj: Obj, kind: str) -> Obj | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == kind:
            return cond
    return None


def deployment(obj: Obj) -> tuple[bool, str]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if not _generation_seen(obj):
        return False, "waiting for the rollout to be observed"
    progressing = _condition(obj, "Progressing")
    if progressing and progressing.get("reason") == "ProgressDeadlineExceeded":
        raise NotReadyForGood("its progress deadline passed (ProgressDeadlineExceeded)")
    want = _int(spec.get("replicas", 1))
    updated, total = _int(status.get("updatedReplicas")), _int(status.get("replicas"))
    available = _int(status.get("availableReplicas"))
    if updated < want:
        return False, f"{updated} out of {want} new replicas have been updated"
    if total > updated:
        return False, f"{total - updated} old replicas are pending termination"
    if available < updated:
        return False, f"{available} of {updated} updated replicas are available"
    return True, "successfully rolled out"


def replicas(obj: Obj) -> tuple[bool, str]:
    want = _int((obj.get("spec") or {}).get("replicas", 1))
    ready = _int((obj.get("status") or {}).get("readyReplicas"))
    if not _generation_seen(obj) or ready < want:
        return False, f"{ready} of {want} replicas ready"
    return True, f"{ready} of {want} replicas ready"


def daemonset(obj: Obj) -> tuple[bool, str]:
    status = obj.get("status") or {}
    want = _int(status.get("desiredNumberScheduled"))
    available = _int(status.get("numberAvailable"))
    if not _generation_seen(obj) or _int(status.get("updatedNumberScheduled")) < want \
            or available < want:
        return False, f"{available} of {want} updated pods are available"
    return True, f"{available} of {want} pods available"


def pod(obj: Obj) -> tuple[bool, str]:
    phase = (obj.get("status") or {}).get("phase") or "Pending"
    if phase == "Succeeded":
        return True, "completed"
    if phase == "Failed":
        raise NotReadyForGood("the pod failed")
    ready = _condition(obj, "Ready")
    if ready and ready.get("status") == "True":
        return True, "ready"
    return False, phase


def job(obj: Obj) -> tuple[bool, str]:
    failed = _condition(obj, "Failed")
    if failed and failed.get("status") == "True":
        raise NotReadyForGood(f"the job failed ({failed.get('reason', '')})")
    complete = _condition(obj, "Complete")
    if complete and complete.get("status") == "True":
        return True, "complete"
    return False, f"{_int((obj.get('status') or {}).get('succeeded'))} succeeded"


VIEWERS: dict[tuple[str, str], Callable[[Obj], tuple[bool, str]]] = {
    ("apps", "Deployment"): deployment,
    ("apps", "ReplicaSet"): replicas,
    ("apps", "StatefulSet"): replicas,
    ("", "ReplicationController"): replicas,
    ("apps", "DaemonSet"): daemonset,
    ("", "Pod"): pod,
    ("batch", "Job"): job,
}


def is_ready(group: str, kind: str, obj: Obj) -> tuple[bool, str]:
    """(ready, how far it is); raises :class:`NotReadyForGood` when waiting cannot help."""
    viewer = VIEWERS.get((group, kind))
    return viewer(obj) if viewer is not None else (True, "exists")
