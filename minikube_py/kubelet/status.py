"""Pod status in Kubernetes' exact shape, from what the runtime reports (kubelet_pods.go's
generateAPIPodStatus and getPhase, status_manager's condition bookkeeping).

:func:`container_status` renders one container (state waiting/running/terminated, lastState,
ready, started, restartCount, image, imageID, containerID); :func:`pod_phase` is getPhase;
:func:`pod_status` assembles phase, conditions (transition times kept while a condition's
status holds), podIP(s), hostIP(s), startTime and qosClass. Pure functions: the kubelet passes
in the runtime's view and what it decided (waiting reasons, readiness).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from minikube_py.api.kinds.core.pod import qos_class
from minikube_py.util.clock import rfc3339

from .runtime.base import ContainerState, ContainerStatus

Object = dict[str, Any]


@dataclass(frozen=True)
class Observed:
    """The runtime's view of one container name: newest attempt and the one before."""

    latest: ContainerStatus | None
    previous: ContainerStatus | None
    ready: bool
    started: bool
    waiting: tuple[str, str] | None  # (reason, message) the kubelet decided, if any


def _terminated(c: ContainerStatus, prefix: str) -> Object:
    out: Object = {"exitCode": c.exit_code if c.exit_code is not None else 0,
                   "reason": c.reason or ("Completed" if c.exit_code == 0 else "Error"),
                   "containerID": f"{prefix}://{c.id}"}
    if c.message:
        out["message"] = c.message
    if c.started_at:
        out["startedAt"] = rfc3339(c.started_at)
    if c.finished_at:
        out["finishedAt"] = rfc3339(c.finished_at)
    return out


def container_status(spec: Object, seen: Observed, prefix: str, *,
                     default_waiting: str) -> Object:
    latest = seen.latest
    out: Object = {"name": spec["name"], "image": spec.get("image", ""), "imageID": "",
                   "ready": False, "restartCount": latest.attempt if latest else 0,
                   "started": False, "lastState": {}}
    if latest is not None:
        out["imageID"] = latest.image_id
        out["containerID"] = f"{prefix}://{latest.id}"
    if seen.waiting is not None:
        reason, message = seen.waiting
        waiting: Object = {"reason": reason}
        if message:
            waiting["message"] = message
        out["state"] = {"waiting": waiting}
        if latest is not None and latest.state is ContainerState.EXITED:
            out["lastState"] = {"terminated": _terminated(latest, prefix)}
        elif seen.previous is not None:
            out["lastState"] = {"terminated": _terminated(seen.previous, prefix)}
        return out
    if latest is None or latest.state is ContainerState.CREATED:
        out["state"] = {"waiting": {"reason": default_waiting}}
    elif latest.state is ContainerState.RUNNING:
        started = rfc3339(latest.started_at) if latest.started_at else rfc3339()
        out["state"] = {"running": {"startedAt": started}}
        out["ready"] = seen.ready
        out["started"] = seen.started
    else:
        out["state"] = {"terminated": _terminated(latest, prefix)}
    if seen.previous is not None:
        out["lastState"] = {"terminated": _terminated(seen.previous, prefix)}
    return out


def pod_phase(spec: Object, init_statuses: list[Object], statuses: list[Object]) -> str:
    policy = spec.get("restartPolicy") or "Always"
    for status in init_statuses:
        term = status["state"].get("terminated")
        if term and term.get("exitCode") == 0:
            continue
        failed = term or status.get("lastState", {}).get("terminated")
        if failed and policy == "Never" and not status["state"].get("running"):
            return "Failed"
        return "Pending"
    waiting = running = stopped = succeeded = 0
    for status in statuses:
        state = status["state"]
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            if state["terminated"].get("exitCode") == 0:
                succeeded += 1
        elif status.get("lastState", {}).get("terminated"):
            stopped += 1
        else:
            waiting += 1
    if waiting > 0:
        return "Pending"
    if running > 0:
        return "Running"
    if stopped > 0:
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"  # OnFailure: a failed container is restarted
    return "Pending"


def _condition(kind: str, ok: bool, old: Mapping[str, Object], reason: str = "",
               message: str = "") -> Object:
    status = "True" if ok else "False"
    prev = old.get(kind)
    cond: Object = {"type": kind, "status": status, "lastProbeTime": None,
                    "lastTransitionTime": prev.get("lastTransitionTime") if prev and
                    prev.get("status") == status else rfc3339()}
    if not ok and reason:
        cond["reason"] = reason
        if message:
            cond["message"] = message
    return cond


def pod_status(pod: Object, *, init_statuses: list[Object], statuses: list[Object],
               pod_ip: str | None, host_ip: str) -> Object:
    spec = pod.get("spec") or {}
    current = pod.get("status") or {}
    old = {c.get("type"): c for c in current.get("conditions") or []}
    phase = pod_phase(spec, init_statuses, statuses)
    initialized = all(s["state"].get("terminated", {}).get("exitCode") == 0
                      for s in init_statuses) or phase in ("Running", "Succeeded")
    unready = [s["name"] for s in statuses if not s["ready"]]
    if phase == "Succeeded" or phase == "Failed":
        ready_reason, ready_message = "PodCompleted", ""
    else:
        ready_reason = "ContainersNotReady"
        ready_message = f"containers with unready status: [{' '.join(unready)}]"
    uninit = [s["name"] for s in init_statuses
              if s["state"].get("terminated", {}).get("exitCode") != 0]
    conditions = [
        _condition("PodReadyToStartContainers", pod_ip is not None, old),
        _condition("Initialized", initialized, old, "ContainersNotInitialized",
                   f"containers with incomplete status: [{' '.join(uninit)}]"),
        _condition("Ready", not unready and phase == "Running", old, ready_reason,
                   ready_message),
        _condition("ContainersReady", not unready and phase == "Running", old, ready_reason,
                   ready_message),
    ]
    if "PodScheduled" in old:
        conditions.append(old["PodScheduled"])
    else:
        conditions.append(_condition("PodScheduled", True, old))
    out: Object = {"phase": phase, "conditions": conditions, "hostIP": host_ip,
                   "hostIPs": [{"ip": host_ip}],
                   "startTime": current.get("startTime") or rfc3339(),
                   "qosClass": qos_class(spec), "containerStatuses": statuses}
    if init_statuses:
        out["initContainerStatuses"] = init_statuses
    if pod_ip:
        out["podIP"] = pod_ip
        out["podIPs"] = [{"ip": pod_ip}]
    for key in ("nominatedNodeName",):
        if key in current:
            out[key] = current[key]
    return out


def same_status(a: Object, b: Object) -> bool:
    """Equal but for probe times (the only field we rewrite on every render)."""
    return a == b
