"""apply --wait's notion of ready, per kind (as kubectl's status viewers), and how progress
shows on a terminal and in a log."""

from __future__ import annotations

import io
from typing import Any

import pytest

from minikube_py.cli import progress, readiness


def deploy(generation: int = 2, observed: int = 2, want: int = 3, **status: Any) -> Any:
    return {"metadata": {"generation": generation}, "spec": {"replicas": want},
            "status": {"observedGeneration": observed, **status}}


@pytest.mark.parametrize(("group", "kind", "obj", "ready", "detail"), [
    pytest.param("apps", "Deployment", deploy(observed=1), False,
                 "waiting for the rollout to be observed", id="deploy-not-observed"),
    pytest.param("apps", "Deployment", deploy(updatedReplicas=1, replicas=3), False,
                 "1 out of 3 new replicas have been updated", id="deploy-updating"),
    pytest.param("apps", "Deployment", deploy(updatedReplicas=3, replicas=4), False,
                 "1 old replicas are pending termination", id="deploy-old-pending"),
    pytest.param("apps", "Deployment", deploy(updatedReplicas=3, replicas=3,
                                              availableReplicas=2), False,
                 "2 of 3 updated replicas are available", id="deploy-not-available"),
    pytest.param("apps", "Deployment", deploy(updatedReplicas=3, replicas=3,
                                              availableReplicas=3), True,
                 "successfully rolled out", id="deploy-done"),
    pytest.param("apps", "Deployment", deploy(want=0), True, "successfully rolled out",
                 id="deploy-zero"),
    pytest.param("apps", "ReplicaSet", deploy(readyReplicas=2), False, "2 of 3 replicas ready",
                 id="rs-short"),
    pytest.param("", "Pod", {"status": {"phase": "Running", "conditions": [
        {"type": "Ready", "status": "True"}]}}, True, "ready", id="pod-ready"),
    pytest.param("", "Pod", {"status": {"phase": "Pending"}}, False, "Pending",
                 id="pod-pending"),
    pytest.param("", "Pod", {"status": {"phase": "Succeeded"}}, True, "completed",
                 id="pod-done"),
    pytest.param("batch", "Job", {"status": {"succeeded": 1, "conditions": [
        {"type": "Complete", "status": "True"}]}}, True, "complete", id="job-complete"),
    pytest.param("", "ConfigMap", {}, True, "exists", id="no-notion-of-ready"),
])
def test_ready(group: str, kind: str, obj: Any, ready: bool, detail: str) -> None:
    assert readiness.is_ready(group, kind, obj) == (ready, detail)


@pytest.mark.parametrize(("group", "kind", "obj"), [
    pytest.param("apps", "Deployment", deploy(conditions=[
        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]),
        id="deadline"),
    pytest.param("", "Pod", {"status": {"phase": "Failed"}}, id="pod-failed"),
    pytest.param("batch", "Job", {"status": {"conditions": [
        {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}},
        id="job-failed"),
])
def test_never_ready(group: str, kind: str, obj: Any) -> None:
    with pytest.raises(readiness.NotReadyForGood):
        readiness.is_ready(group, kind, obj)


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_in_a_log_is_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: now[0])
    out = io.StringIO()
    p = progress.Progress(out)
    p.start("waiting for quick")
    p.tick()
    p.done("ok")  # under a second: nothing said
    p.start("waiting for slow")
    for _ in range(5):
        now[0] += 1
        p.tick("1 of 3")
    p.done("ready")
    assert out.getvalue() == "waiting for slow...\nwaiting for slow: ready (5.0s)\n"


def test_progress_on_a_terminal_turns_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: now[0])
    out = Tty()
    p = progress.Progress(out)
    p.start("waiting for slow")
    for _ in range(3):
        now[0] += 1
        p.tick("1 of 3")
    p.done("ready")
    text = out.getvalue()
    assert text.count("\r\x1b[2K") == 4 and "\n" not in text[:-1]
    assert "(1 of 3, 2s)" in text and text.endswith("waiting for slow: ready (3.0s)\n")
