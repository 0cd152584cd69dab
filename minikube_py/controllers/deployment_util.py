"""The pure parts of the Deployment controller (Kubernetes' ``pkg/controller/deployment/
util/deployment_util.go``): pod-template hashes, template equality, revisions and the
annotations a Deployment writes on its ReplicaSets, maxSurge/maxUnavailable arithmetic,
replica counts over sets of ReplicaSets, and the Deployment's conditions.

Nothing here talks to the API; ``deployment.py``, ``rolling.py`` and ``deployment_sync.py``
call these functions on the objects they read from the informers.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable
from typing import Any

from minikube_py.util.clock import parse_rfc3339, rfc3339

Object = dict[str, Any]

POD_TEMPLATE_HASH = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
CHANGE_CAUSE = "kubernetes.io/change-cause"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
ROLLBACK_TO = "deprecated.deployment.rollback.to"
MAX_REV_HISTORY_CHARS = 2000
MAX_INT32 = 2**31 - 1

# Annotations of a Deployment that are not copied to its ReplicaSets (skipCopyAnnotation).
SKIP_COPY = frozenset({LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS,
                       MAX_REPLICAS, ROLLBACK_TO})

# Condition types and reasons (deployment_util.go).
PROGRESSING, AVAILABLE, REPLICA_FAILURE = "Progressing", "Available", "ReplicaFailure"
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
RS_UPDATED = "ReplicaSetUpdated"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
FAILED_RS_CREATE = "ReplicaSetCreateError"
PAUSED, RESUMED = "DeploymentPaused", "DeploymentResumed"
MIN_AVAILABLE, MIN_UNAVAILABLE = "MinimumReplicasAvailable", "MinimumReplicasUnavailable"

SAFE_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"  # rand.SafeEncodeString's alphabet


# --- objects --------------------------------------------------------------------------------


def spec(obj: Object | None) -> Object:
    return (obj or {}).get("spec") or {}


def status(obj: Object | None) -> Object:
    return (obj or {}).get("status") or {}


def replicas(obj: Object | None) -> int:
    """``spec.replicas`` (a missing value is 1 in a Deployment, as defaulting makes it)."""
    value = spec(obj).get("replicas")
    return 1 if value is None else int(value)


def annotations_of(obj: Object) -> dict[str, str]:
    return obj.get("metadata", {}).get("annotations") or {}


def created_at(obj: Object) -> float:
    text = obj["metadata"].get("creationTimestamp")
    return parse_rfc3339(text).timestamp() if text else 0.0


def by_creation(rss: Iterable[Object]) -> list[Object]:
    """Oldest first, ties by name (``ReplicaSetsByCreationTimestamp``)."""
    return sorted(rss, key=lambda rs: (created_at(rs), rs["metadata"]["name"]))


# --- templates and hashes -------------------------------------------------------------------


def normalized(value: Any) -> Any:
    """``value`` without nulls and empty maps/lists, recursively: what Kubernetes' semantic
    equality and its typed decoding make of ``creationTimestamp: null`` or ``resources: {}``."""
    if isinstance(value, dict):
        out = {k: normalized(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    return value


def _without_hash(template: Object | None) -> Any:
    t = normalized(template or {})  # a new tree: changing it leaves the template alone
    meta = t.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    if isinstance(labels, dict) and POD_TEMPLATE_HASH in labels:
        del labels[POD_TEMPLATE_HASH]
        if not labels:
            del meta["labels"]
            if not meta:
                del t["metadata"]
    return t


def equal_ignore_hash(a: Object | None, b: Object | None) -> bool:
    """Two pod templates are the same ignoring the pod-template-hash label
    (``EqualIgnoreHash``), after normalising empty values."""
    return bool(_without_hash(a) == _without_hash(b))


def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def compute_hash(template: Object | None, collision_count: int | None) -> str:
    """The pod-template-hash (``controller.ComputeHash``): fnv32a over the normalised
    template (canonical JSON) and the collision count, safe-encoded."""
    data = json.dumps(normalized(template or {}), sort_keys=True, separators=(",", ":"))
    blob = data.encode()
    if collision_count:
        blob += int(collision_count).to_bytes(4, "little")
    return "".join(SAFE_ALPHANUMS[ord(c) % len(SAFE_ALPHANUMS)] for c in str(fnv32a(blob)))


def find_new_replica_set(deployment: Object, rss: list[Object]) -> Object | None:
    """The oldest ReplicaSet whose template is the Deployment's (``FindNewReplicaSet``)."""
    wanted = _without_hash(spec(deployment).get("template"))
    for rs in by_creation(rss):
        if _without_hash(spec(rs).get("template")) == wanted:
            return rs
    return None


def find_old_replica_sets(deployment: Object, rss: list[Object]) -> list[Object]:
    """Every ReplicaSet but the new one (``FindOldReplicaSets``' allOldRSs)."""
    new = find_new_replica_set(deployment, rss)
    return [rs for rs in rss if new is None or rs["metadata"]["uid"] != new["metadata"]["uid"]]


# --- revisions and annotations --------------------------------------------------------------


def revision(obj: Object) -> int:
    try:
        return int(annotations_of(obj).get(REVISION) or 0)
    except ValueError:
        return 0


def max_revision(rss: Iterable[Object]) -> int:
    return max((revision(rs) for rs in rss), default=0)


def _set_annotation(obj: Object, key: str, value: str) -> bool:
    anns = obj["metadata"].setdefault("annotations", {})
    if anns is None:
        anns = obj["metadata"]["annotations"] = {}
    if anns.get(key) == value:
        return False
    anns[key] = value
    return True


def set_deployment_revision(deployment: Object, rev: str) -> bool:
    return _set_annotation(deployment, REVISION, rev)


def copy_annotations(deployment: Object, rs: Object) -> bool:
    """Copy the Deployment's own annotations (change-cause and the like) to ``rs``."""
    changed = False
    for key, value in annotations_of(deployment).items():
        if key not in SKIP_COPY:
            changed = _set_annotation(rs, key, value) or changed
    return changed


def set_replicas_annotations(rs: Object, desired: int, max_replicas: int) -> bool:
    changed = _set_annotation(rs, DESIRED_REPLICAS, str(desired))
    return _set_annotation(rs, MAX_REPLICAS, str(max_replicas)) or changed


def replicas_annotations_need_update(rs: Object, desired: int, max_replicas: int) -> bool:
    anns = annotations_of(rs)
    return anns.get(DESIRED_REPLICAS) != str(desired) or anns.get(MAX_REPLICAS) != str(
        max_replicas)


def set_new_replica_set_annotations(deployment: Object, rs: Object, new_revision: int,
                                    exists: bool) -> bool:
    """Annotations of the new ReplicaSet (``SetNewReplicaSetAnnotations``): the Deployment's
    own, the revision (the old one moves to revision-history), and for a new set the
    desired/max replica counts."""
    changed = copy_annotations(deployment, rs)
    old = annotations_of(rs).get(REVISION) or ""
    old_int = revision(rs)
    if old_int < new_revision:
        _set_annotation(rs, REVISION, str(new_revision))
        changed = True
        if old:
            history = annotations_of(rs).get(REVISION_HISTORY) or ""
            entries = [e for e in history.split(",") if e] + [old]
            while len(",".join(entries)) > MAX_REV_HISTORY_CHARS and len(entries) > 1:
                entries.pop(0)
            _set_annotation(rs, REVISION_HISTORY, ",".join(entries))
    if not exists:
        d_replicas = replicas(deployment)
        changed = set_replicas_annotations(rs, d_replicas, d_replicas + max_surge(deployment)
                                           ) or changed
    return changed


def desired_replicas_annotation(rs: Object) -> int | None:
    try:
        return int(annotations_of(rs)[DESIRED_REPLICAS])
    except (KeyError, ValueError):
        return None


def max_replicas_annotation(rs: Object) -> int | None:
    try:
        return int(annotations_of(rs)[MAX_REPLICAS])
    except (KeyError, ValueError):
        return None


# --- maxSurge / maxUnavailable --------------------------------------------------------------


def scaled_value(value: int | str | None, total: int, round_up: bool) -> int:
    """``intstr.GetScaledValueFromIntOrPercent``: an int, or a percentage of ``total``."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    if not value.endswith("%"):
        raise ValueError(f"invalid value for IntOrString: invalid type: string is not a "
                         f"percentage: {value!r}")
    percent = int(value[:-1])
    exact = percent * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def is_rolling_update(deployment: Object) -> bool:
    kind = (spec(deployment).get("strategy") or {}).get("type", "RollingUpdate")
    return bool(kind == "RollingUpdate")


def resolve_fenceposts(deployment: Object) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as numbers of pods; both 0 makes maxUnavailable 1."""
    rolling = (spec(deployment).get("strategy") or {}).get("rollingUpdate") or {}
    desired = replicas(deployment)
    surge = scaled_value(rolling.get("maxSurge", "25%"), desired, True)
    unavailable = scaled_value(rolling.get("maxUnavailable", "25%"), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(deployment: Object) -> int:
    return resolve_fenceposts(deployment)[0] if is_rolling_update(deployment) else 0


def max_unavailable(deployment: Object) -> int:
    if not is_rolling_update(deployment) or replicas(deployment) == 0:
        return 0
    return min(resolve_fenceposts(deployment)[1], replicas(deployment))


# --- counts over ReplicaSets ----------------------------------------------------------------


def _present(rss: Iterable[Object | None]) -> list[Object]:
    return [rs for rs in rss if rs is not None]


def spec_replicas(rss: Iterable[Object | None]) -> int:
    """``GetReplicaCountForReplicaSets``."""
    return sum(replicas(rs) for rs in _present(rss))


def actual_replicas(rss: Iterable[Object | None]) -> int:
    """``GetActualReplicaCountForReplicaSets``: status.replicas."""
    return sum(int(status(rs).get("replicas") or 0) for rs in _present(rss))


def ready_replicas(rss: Iterable[Object | None]) -> int:
    return sum(int(status(rs).get("readyReplicas") or 0) for rs in _present(rss))


def available_replicas(rss: Iterable[Object | None]) -> int:
    return sum(int(status(rs).get("availableReplicas") or 0) for rs in _present(rss))


def pods_at_most(rss: Iterable[Object | None]) -> int:
    """Pods the sets may have right now: a set scaled down keeps its pods until its
    controller has deleted them (status.replicas), one scaled up has not made them yet."""
    return sum(max(replicas(rs), int(status(rs).get("replicas") or 0)) for rs in _present(rss))


def available_within_spec(rss: Iterable[Object | None]) -> int:
    """Available pods that will stay: a set scaled down is about to delete the rest."""
    return sum(min(int(status(rs).get("availableReplicas") or 0), replicas(rs))
               for rs in _present(rss))


def active(rss: Iterable[Object | None]) -> list[Object]:
    """``FilterActiveReplicaSets``: the sets with replicas wanted."""
    return [rs for rs in _present(rss) if replicas(rs) > 0]


def new_rs_new_replicas(deployment: Object, all_rss: list[Object], new_rs: Object) -> int:
    """How many replicas the new ReplicaSet may have now (``NewRSNewReplicas``)."""
    if not is_rolling_update(deployment):
        return replicas(deployment)
    # Kubernetes counts spec.replicas; counting the pods an old set has not yet deleted
    # keeps the surge bound true for the pods themselves, not only for the specs.
    current = pods_at_most(all_rss)
    max_total = replicas(deployment) + max_surge(deployment)
    if current >= max_total:
        return replicas(new_rs)
    scale_up = min(max_total - current, replicas(deployment) - replicas(new_rs))
    return replicas(new_rs) + scale_up


def is_saturated(deployment: Object, rs: Object | None) -> bool:
    if rs is None:
        return False
    want = replicas(deployment)
    return (replicas(rs) == want and desired_replicas_annotation(rs) == want
            and int(status(rs).get("availableReplicas") or 0) == want)


def find_active_or_latest(new_rs: Object | None, old_rss: list[Object]) -> Object | None:
    """The one set with replicas, or the latest if none has any (``FindActiveOrLatest``);
    None when several have replicas."""
    if new_rs is None and not old_rss:
        return None
    newest_first = list(reversed(by_creation(old_rss)))
    live = active([*newest_first, new_rs])
    if not live:
        return new_rs if new_rs is not None else newest_first[0]
    return live[0] if len(live) == 1 else None


def round_half_away(x: float) -> int:
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def replica_set_fraction(rs: Object, deployment: Object) -> int:
    """The change of ``rs`` in a proportional scale (``getReplicaSetFraction``)."""
    if replicas(deployment) == 0:
        return -replicas(rs)
    deployment_replicas = replicas(deployment) + max_surge(deployment)
    annotated = max_replicas_annotation(rs)
    if annotated is None:
        annotated = int(status(deployment).get("replicas") or 0)
    if annotated == 0:
        return 0
    return round_half_away(replicas(rs) * deployment_replicas / annotated) - replicas(rs)


def proportion(rs: Object, deployment: Object, to_add: int, added: int) -> int:
    """``getProportion``: the part of ``to_add`` that ``rs`` takes."""
    if replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = replica_set_fraction(rs, deployment)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


# --- conditions -----------------------------------------------------------------------------


def has_progress_deadline(deployment: Object) -> bool:
    deadline = spec(deployment).get("progressDeadlineSeconds")
    return deadline is not None and int(deadline) != MAX_INT32


def get_condition(st: Object, kind: str) -> Object | None:
    return next((c for c in st.get("conditions") or [] if c.get("type") == kind), None)


def new_condition(kind: str, cond_status: str, reason: str, message: str, *,
                  at: float | None = None) -> Object:
    now = rfc3339(None if at is None else dt.datetime.fromtimestamp(at, dt.UTC))
    return {"type": kind, "status": cond_status, "lastUpdateTime": now,
            "lastTransitionTime": now, "reason": reason, "message": message}


def set_condition(st: Object, cond: Object) -> None:
    """``SetDeploymentCondition``: same status and reason is no change; same status keeps
    the transition time."""
    current = get_condition(st, cond["type"])
    if current is not None and current.get("status") == cond["status"] and \
            current.get("reason") == cond["reason"]:
        return
    if current is not None and current.get("status") == cond["status"]:
        cond["lastTransitionTime"] = current.get("lastTransitionTime")
    st["conditions"] = [c for c in st.get("conditions") or [] if c.get("type") != cond["type"]]
    st["conditions"].append(cond)


def remove_condition(st: Object, kind: str) -> None:
    conditions = [c for c in st.get("conditions") or [] if c.get("type") != kind]
    if conditions:
        st["conditions"] = conditions
    else:
        st.pop("conditions", None)


def deployment_complete(deployment: Object, st: Object) -> bool:
    want = replicas(deployment)
    return (int(st.get("updatedReplicas") or 0) == want and int(st.get("replicas") or 0) == want
            and int(st.get("availableReplicas") or 0) == want
            and int(st.get("observedGeneration") or 0) >= int(
                deployment["metadata"].get("generation") or 0))


def deployment_progressing(deployment: Object, st: Object) -> bool:
    old = status(deployment)

    def count(s: Object, name: str) -> int:
        return int(s.get(name) or 0)

    old_old = count(old, "replicas") - count(old, "updatedReplicas")
    new_old = count(st, "replicas") - count(st, "updatedReplicas")
    return (count(st, "updatedReplicas") > count(old, "updatedReplicas") or new_old < old_old
            or count(st, "readyReplicas") > count(old, "readyReplicas")
            or count(st, "availableReplicas") > count(old, "availableReplicas"))


def deployment_timed_out(deployment: Object, st: Object, now: float) -> bool:
    if not has_progress_deadline(deployment):
        return False
    cond = get_condition(st, PROGRESSING)
    if cond is None or cond.get("reason") == NEW_RS_AVAILABLE:
        return False
    if cond.get("reason") == TIMED_OUT:
        return True
    since = cond.get("lastUpdateTime")
    if not since:
        return False
    deadline = int(spec(deployment)["progressDeadlineSeconds"])
    return parse_rfc3339(since).timestamp() + deadline < now
