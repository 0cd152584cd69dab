"""What the Job controller (``job.py``) and its neighbours (the TTL-after-finished and CronJob
controllers) read off a Job and its pods (Kubernetes' ``pkg/controller/job/utils.go``,
``indexed_job_utils.go`` and ``pkg/controller/job/backoff_utils.go``): finished conditions,
completion indexes, the pod made for an index, and the back-off before a failed pod is
replaced. Pure functions; no I/O.
"""

from __future__ import annotations

import copy
from typing import Any

from minikube_py.util.clock import parse_rfc3339

Object = dict[str, Any]

COMPLETE = "Complete"
FAILED = "Failed"
SUSPENDED = "Suspended"
SUCCESS_CRITERIA_MET = "SuccessCriteriaMet"
FAILURE_TARGET = "FailureTarget"

COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
INDEXED = "Indexed"

DEFAULT_BACKOFF = 10.0  # DefaultJobPodFailureBackOff
MAX_BACKOFF = 600.0  # MaxJobPodFailureBackOff


def condition(job: Object, kind: str) -> Object | None:
    for cond in (job.get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == kind:
            return cond
    return None


def finished_condition(job: Object) -> Object | None:
    """The Complete or Failed condition that is True, if the Job has finished."""
    for kind in (COMPLETE, FAILED):
        cond = condition(job, kind)
        if cond is not None and cond.get("status") == "True":
            return cond
    return None


def is_finished(job: Object) -> bool:
    return finished_condition(job) is not None


def set_condition(status: Object, kind: str, state: str, reason: str, message: str,
                  now: str) -> bool:
    """Set a condition (``lastTransitionTime`` moves only when the status flips); True if
    anything changed."""
    conditions = status.setdefault("conditions", [])
    for cond in conditions:
        if cond.get("type") != kind:
            continue
        if (cond.get("status"), cond.get("reason"), cond.get("message")) == (
                state, reason, message):
            return False
        if cond.get("status") != state:
            cond["lastTransitionTime"] = now
        cond.update(status=state, reason=reason, message=message, lastProbeTime=now)
        return True
    conditions.append({"type": kind, "status": state, "reason": reason, "message": message,
                       "lastProbeTime": now, "lastTransitionTime": now})
    return True


# --- indexes --------------------------------------------------------------------------------


def completion_index(pod: Object) -> int | None:
    """The pod's completion index (annotation, else label), None when absent or invalid."""
    meta = pod.get("metadata") or {}
    text = (meta.get("annotations") or {}).get(COMPLETION_INDEX)
    if text is None:
        text = (meta.get("labels") or {}).get(COMPLETION_INDEX)
    try:
        index = int(text) if text is not None else -1
    except ValueError:
        return None
    return index if index >= 0 else None


def format_indexes(indexes: set[int]) -> str:
    """``1,3-5,7``: the form of ``status.completedIndexes``."""
    parts: list[str] = []
    ordered = sorted(indexes)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def parse_indexes(text: str | None, completions: int) -> set[int]:
    """The indexes a ``completedIndexes`` string lists (those below ``completions``)."""
    found: set[int] = set()
    for part in (text or "").split(","):
        low, _, high = part.partition("-")
        try:
            start, end = int(low), int(high or low)
        except ValueError:
            continue
        found.update(i for i in range(start, end + 1) if 0 <= i < completions)
    return found


def add_index(pod: Object, job_name: str, index: int) -> None:
    """Make a pod from the template that of completion ``index`` (``addCompletionIndex...``):
    annotation and label, hostname ``<job>-<index>``, env ``JOB_COMPLETION_INDEX``."""
    meta = pod["metadata"]
    meta["generateName"] = f"{job_name}-{index}-"
    meta.setdefault("annotations", {})[COMPLETION_INDEX] = str(index)
    meta.setdefault("labels", {})[COMPLETION_INDEX] = str(index)
    spec = pod["spec"]
    spec.setdefault("hostname", f"{job_name}-{index}")
    env_var = {"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
        "fieldPath": f"metadata.annotations['{COMPLETION_INDEX}']"}}}
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            env = container.setdefault("env", [])
            if not any(e.get("name") == "JOB_COMPLETION_INDEX" for e in env):
                env.append(copy.deepcopy(env_var))


# --- failures and back-off ------------------------------------------------------------------


def finished_at(pod: Object) -> float | None:
    """When the pod's last container ended (the latest ``terminated.finishedAt``)."""
    latest: float | None = None
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        text = ((status.get("state") or {}).get("terminated") or {}).get("finishedAt")
        if not text:
            continue
        try:
            when = parse_rfc3339(text).timestamp()
        except ValueError:
            continue
        latest = when if latest is None else max(latest, when)
    return latest


def restarts(pod: Object) -> int:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return sum(int(s.get("restartCount") or 0) for s in statuses if isinstance(s, dict))


def backoff_remaining(failed_pods: list[Object], failed: int, now: float, *,
                      base: float = DEFAULT_BACKOFF, cap: float = MAX_BACKOFF) -> float:
    """Seconds to wait before replacing a failed pod: ``base * 2^(failures-1)`` (capped)
    after the last failure ended; 0 when there is nothing to wait for."""
    if failed <= 0 or base <= 0:
        return 0.0
    ends = [t for t in (finished_at(p) for p in failed_pods) if t is not None]
    if not ends:
        return 0.0
    delay = min(base * float(2 ** min(failed - 1, 30)), cap)
    return max(0.0, max(ends) + delay - now)
