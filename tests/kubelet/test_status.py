"""Pod phase and conditions from container states (kubelet's getPhase and status rules)."""

from __future__ import annotations

from typing import Any

import pytest

from minikube_py.kubelet.status import pod_phase, pod_status

RUNNING = {"running": {"startedAt": "2026-01-01T00:00:00Z"}}
WAITING = {"waiting": {"reason": "ContainerCreating"}}


def done(code: int) -> dict[str, Any]:
    return {"terminated": {"exitCode": code, "reason": "Completed" if code == 0 else "Error"}}


def cs(state: dict[str, Any], last: dict[str, Any] | None = None, *,
       ready: bool = False) -> dict[str, Any]:
    return {"name": "c", "state": state, "lastState": last or {}, "ready": ready}


@pytest.mark.parametrize(("policy", "statuses", "phase"), [
    ("Always", [cs(WAITING)], "Pending"),
    ("Always", [cs(RUNNING)], "Running"),
    ("Always", [cs(done(0))], "Running"),
    ("Never", [cs(done(0))], "Succeeded"),
    ("Never", [cs(done(1))], "Failed"),
    ("Never", [cs(done(0)), cs(done(2))], "Failed"),
    ("OnFailure", [cs(done(0))], "Succeeded"),
    ("OnFailure", [cs({"waiting": {"reason": "CrashLoopBackOff"}}, done(1))], "Running"),
    ("Always", [cs({"waiting": {"reason": "CrashLoopBackOff"}}, done(1))], "Running"),
    ("Never", [cs(RUNNING), cs(done(1))], "Running"),
])
def test_phase(policy: str, statuses: list[dict[str, Any]], phase: str) -> None:
    assert pod_phase({"restartPolicy": policy}, [], statuses) == phase


def test_a_failed_init_container_fails_a_never_pod_and_holds_others_pending() -> None:
    init = [cs(done(1))]
    assert pod_phase({"restartPolicy": "Never"}, init, [cs(WAITING)]) == "Failed"
    assert pod_phase({"restartPolicy": "Always"}, init, [cs(WAITING)]) == "Pending"
    assert pod_phase({"restartPolicy": "Always"}, [cs(RUNNING)], [cs(WAITING)]) == "Pending"


def test_conditions_keep_transition_times_while_their_status_holds() -> None:
    pod = {"spec": {"containers": [{"name": "c"}]}, "status": {"conditions": [
        {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"},
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": "T0"}]}}
    status = pod_status(pod, init_statuses=[], statuses=[cs(RUNNING, ready=True)],
                        pod_ip="10.0.0.5", host_ip="127.0.0.1")
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Ready"]["lastTransitionTime"] == "2026-01-01T00:00:00Z"
    assert conditions["PodScheduled"]["lastTransitionTime"] == "T0"
    assert status["podIPs"] == [{"ip": "10.0.0.5"}] and status["qosClass"] == "BestEffort"
    unready = pod_status(pod, init_statuses=[], statuses=[cs(RUNNING)], pod_ip="10.0.0.5",
                         host_ip="127.0.0.1")
    ready = {c["type"]: c for c in unready["conditions"]}["Ready"]
    assert ready["status"] == "False" and ready["reason"] == "ContainersNotReady"
    assert ready["lastTransitionTime"] != "2026-01-01T00:00:00Z"
