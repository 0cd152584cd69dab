"""The kubelet's lifecycle on the simulated runtime (no processes): what needs no real
container, driven by ``sim.minikube-py.io/<container>`` annotations, through the real kubectl.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunningDaemon
from tests.e2e.kubelet_helpers import container, daemon_with_cleanup, ready, running, wait_pod
from tests.e2e.test_kubectl import kubectl, ok

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    os.environ["MINIKUBE_PY_KUBELET_STATS"] = "0.5"  # usage samples for `top`, read at start
    try:
        started = daemon_with_cleanup(tmp_path_factory.mktemp("sim"),
                                      f"ks-{uuid.uuid4().hex[:6]}", "--runtime", "sim",
                                      "--kubelet-backoff", "0.2")
        running_daemon = next(started)
    finally:
        del os.environ["MINIKUBE_PY_KUBELET_STATS"]
    yield running_daemon
    next(started, None)


def make(daemon: RunningDaemon, name: str, script: dict[str, Any] | None = None, *,
         policy: str = "Always", grace: int = 30) -> None:
    annotations = {"sim.minikube-py.io/app": json.dumps(script)} if script else {}
    ok(daemon, "apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"restartPolicy": policy, "terminationGracePeriodSeconds": grace,
                 "containers": [{"name": "app", "image": "minikube-py/busybox:local"}]}}))


def phase(want: str) -> Any:
    return lambda p: (p.get("status") or {}).get("phase") == want


def test_a_pod_runs_and_is_ready(sim: RunningDaemon) -> None:
    make(sim, "plain")
    got = wait_pod(sim, "plain", lambda p: running(p) and ready(p), what="Running and Ready")
    status = container(got, "app")
    assert status["containerID"].startswith("sim://") and status["started"] is True
    assert got["status"]["qosClass"] == "BestEffort" and got["status"]["podIP"]


def test_restart_policy_never_succeeds_or_fails(sim: RunningDaemon) -> None:
    make(sim, "good", {"exitCode": 0, "runSeconds": 0.1}, policy="Never")
    make(sim, "bad", {"exitCode": 2, "runSeconds": 0.1}, policy="Never")
    wait_pod(sim, "good", phase("Succeeded"), what="Succeeded")
    got = wait_pod(sim, "bad", phase("Failed"), what="Failed")
    assert container(got, "app")["state"]["terminated"]["exitCode"] == 2
    assert container(got, "app")["restartCount"] == 0


def test_on_failure_restarts_until_success(sim: RunningDaemon) -> None:
    make(sim, "retry", {"exitCode": [1, 1, 0], "runSeconds": 0.05}, policy="OnFailure")
    got = wait_pod(sim, "retry", phase("Succeeded"), seconds=20, what="Succeeded")
    assert container(got, "app")["restartCount"] == 2


def test_crash_loop_back_off_grows(sim: RunningDaemon) -> None:
    """After restart N the back-off is 0.2 s * 2^(N-1), capped at 30x (6 s)."""
    make(sim, "loop", {"exitCode": 1})
    seen: dict[int, str] = {}
    deadline = time.monotonic() + 30
    while len(seen) < 3 and time.monotonic() < deadline:
        status = container(wait_pod(sim, "loop", lambda p: True), "app")
        waiting = status.get("state", {}).get("waiting", {})
        if waiting.get("reason") == "CrashLoopBackOff":
            assert status["lastState"]["terminated"]["exitCode"] == 1
            seen[status["restartCount"]] = waiting["message"]
        time.sleep(0.05)
    assert len(seen) >= 3, seen
    for count, message in seen.items():
        assert message.startswith(f"back-off {min(0.2 * 2 ** (count - 1), 6):g}s "), seen
    events = json.loads(ok(sim, "get", "events", "--field-selector",
                           "involvedObject.name=loop", "-o", "json"))["items"]
    assert "BackOff" in {e["reason"] for e in events}


def test_oom_killed_is_reported_with_137(sim: RunningDaemon) -> None:
    make(sim, "oom", {"oomKilled": True, "runSeconds": 0.1}, policy="Never")
    got = wait_pod(sim, "oom", phase("Failed"), what="Failed")
    term = container(got, "app")["state"]["terminated"]
    assert (term["reason"], term["exitCode"]) == ("OOMKilled", 137)


def test_graceful_delete_waits_for_the_container(sim: RunningDaemon) -> None:
    make(sim, "slow", {"termSeconds": 1.0}, grace=5)
    wait_pod(sim, "slow", running, what="Running")
    began = time.monotonic()
    ok(sim, "delete", "pod", "slow", "--wait=false")
    while kubectl(sim, "get", "pod", "slow").returncode == 0:
        assert time.monotonic() - began < 10
        time.sleep(0.05)
    assert time.monotonic() - began >= 0.9


def test_a_deployment_becomes_ready(sim: RunningDaemon) -> None:
    ok(sim, "create", "deployment", "many", "--image=minikube-py/busybox:local",
       "--replicas=5")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        dep = json.loads(ok(sim, "get", "deployment", "many", "-o", "json"))
        if dep.get("status", {}).get("readyReplicas") == 5:
            return
        time.sleep(0.2)
    raise AssertionError(f"not ready: {dep.get('status')}")


def test_up_without_a_docker_engine_fails_naming_the_sim_runtime(tmp_path: Path) -> None:
    """No silent fallback: the engine does not answer, so up exits with one line saying so."""
    env = dict(os.environ, DOCKER_HOST=f"unix://{tmp_path}/no-such-docker.sock")
    env.pop("KUBECONFIG", None)
    result = subprocess.run([sys.executable, "-m", "minikube_py.cli.main", "up", "--data-dir",
                             str(tmp_path / "d"), "--port", "0"], capture_output=True,
                            text=True, env=env, timeout=60, check=False)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: no container runtime:") and "--runtime sim" in last, last


def test_logs_tail_and_previous(sim: RunningDaemon) -> None:
    make(sim, "talky", {"logs": "one\ntwo\nthree\n", "exitCode": 1, "runSeconds": 0.3})
    wait_pod(sim, "talky", lambda p: container(p, "app").get("restartCount", 0) >= 1,
             what="restarted")
    assert ok(sim, "logs", "talky", "--tail=1") == "three\n"
    assert ok(sim, "logs", "talky", "--previous") == "one\ntwo\nthree\n"
    missing = kubectl(sim, "logs", "talky", "-c", "nope")
    assert missing.returncode != 0 and "container nope is not valid" in missing.stderr


def test_kubectl_top_reads_the_metrics_api(sim: RunningDaemon) -> None:
    """``kubectl top pod|node`` over metrics.k8s.io/v1beta1, from the kubelet's usage samples
    (the sim runtime's scripted 250 millicores and 64 MiB); label selectors apply."""
    ok(sim, "apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "busy", "labels": {"top": "yes"}, "annotations": {
            "sim.minikube-py.io/app": json.dumps(
                {"usage": {"cpuMillicores": 250, "memoryBytes": 64 << 20}})}},
        "spec": {"containers": [{"name": "app", "image": "minikube-py/busybox:local"}]}}))
    deadline = time.monotonic() + 20
    out = kubectl(sim, "top", "pod", "-l", "top=yes", "--containers")
    while time.monotonic() < deadline and "busy" not in out.stdout:
        time.sleep(0.3)
        out = kubectl(sim, "top", "pod", "-l", "top=yes", "--containers")
    rows = [line.split() for line in out.stdout.splitlines()]
    assert rows[0] == ["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"], out.stderr
    assert rows[1][:2] == ["busy", "app"] and rows[1][3] == "64Mi"
    assert 240 <= int(rows[1][2].rstrip("m")) <= 260
    assert "busy" not in ok(sim, "top", "pod", "-l", "top=no")
    nodes = [line.split() for line in ok(sim, "top", "node").splitlines()]
    assert nodes[0][:3] == ["NAME", "CPU(cores)", "CPU(%)"] or nodes[0][:2] == \
        ["NAME", "CPU(cores)"]
    assert int(nodes[1][1].rstrip("m")) >= 240
    ours = sim.cli("top", "pod", "busy", "--containers", check=True).stdout.splitlines()
    assert ours[0].split() == ["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert ours[1].split()[:2] == ["busy", "app"] and ours[1].split()[3] == "64Mi"
    node = sim.cli("top", "node", check=True).stdout.splitlines()
    assert node[0].split() == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    assert node[1].split()[2].endswith("%")
    missing = kubectl(sim, "get", "--raw",
                      "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope")
    assert missing.returncode == 1 and "NotFound" in missing.stderr + missing.stdout
