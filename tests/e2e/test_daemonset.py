"""The DaemonSet controller in a real daemon with three simulated nodes (``--runtime sim``),
through the real kubectl: one Running pod per eligible node, ``kubectl rollout status``, and a
rolling update of the template and its undo."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import RunningDaemon, start_daemon
from tests.e2e.test_controller_manager import eventually
from tests.e2e.test_kubectl import kubectl, ok

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]

SUFFIX = uuid.uuid4().hex[:6]
NODES = [f"ds-{SUFFIX}-{i}" for i in (1, 2, 3)]
TAINTED = f"ds-{SUFFIX}-gpu"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    """A daemon with kubelets on the simulated runtime for three plain nodes and a tainted one."""
    base = tmp_path_factory.mktemp("ds")
    spec = "".join(f"- name: {n}\n  cpu: '2'\n  memory: 4Gi\n" for n in NODES)
    spec += (f"- name: {TAINTED}\n  cpu: '2'\n  memory: 4Gi\n"
             "  taints: [{key: dedicated, value: gpu, effect: NoSchedule}]\n")
    (base / "nodes.yaml").write_text(spec)
    running = start_daemon(base / "data", kubelet=True, extra=(
        "--nodes-file", str(base / "nodes.yaml"), "--runtime", "sim"))
    yield running
    running.stop()


def daemon_set(image: str) -> str:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "updateStrategy": {"type": "RollingUpdate",
                                    "rollingUpdate": {"maxUnavailable": 2}},
                 "template": {"metadata": {"labels": {"app": "agent"}},
                              "spec": {"terminationGracePeriodSeconds": 0,
                                       "containers": [{"name": "a", "image": image}]}}}})


def pods(daemon: RunningDaemon) -> list[dict[str, Any]]:
    out = ok(daemon, "get", "pods", "-l", "app=agent", "-o", "json")
    return [p for p in json.loads(out)["items"] if not p["metadata"].get("deletionTimestamp")]


def test_one_running_pod_per_node_and_rollout(cluster: RunningDaemon) -> None:
    """``kubectl apply`` gives one Running pod on each untainted node and rollout status
    exits 0; a new image rolls every pod over to the new revision."""
    ok(cluster, "apply", "-f", "-", input=daemon_set("minikube-py/busybox:local"))
    done = kubectl(cluster, "rollout", "status", "daemonset/agent", "--timeout=60s")
    assert done.returncode == 0, done.stderr
    assert 'daemon set "agent" successfully rolled out' in done.stdout
    running = pods(cluster)
    assert sorted(p["spec"]["nodeName"] for p in running) == NODES
    assert all(p["status"]["phase"] == "Running" for p in running)
    status = json.loads(ok(cluster, "get", "ds", "agent", "-o", "json"))["status"]
    assert status["desiredNumberScheduled"] == status["numberAvailable"] == 3
    row = ok(cluster, "get", "ds", "agent", "--no-headers").split()
    assert row[:7] == ["agent", "3", "3", "3", "3", "3", "<none>"]
    described = ok(cluster, "describe", "ds", "agent")
    assert "Pods Status:  3 Running / 0 Waiting / 0 Succeeded / 0 Failed" in described
    first = {p["metadata"]["labels"]["controller-revision-hash"] for p in running}
    assert len(first) == 1

    ok(cluster, "apply", "-f", "-", input=daemon_set("minikube-py/busybox:v2"))
    done = kubectl(cluster, "rollout", "status", "daemonset/agent", "--timeout=60s")
    assert done.returncode == 0, done.stderr

    def rolled() -> bool:
        now = pods(cluster)
        return len(now) == 3 and all(
            p["metadata"]["labels"]["controller-revision-hash"] not in first
            and p["spec"]["containers"][0]["image"] == "minikube-py/busybox:v2" for p in now)
    eventually(rolled)
    assert {p["metadata"]["labels"]["pod-template-generation"] for p in pods(cluster)} == {"2"}
    history = ok(cluster, "rollout", "history", "daemonset/agent")
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"]

    ok(cluster, "rollout", "undo", "daemonset/agent")
    done = kubectl(cluster, "rollout", "status", "daemonset/agent", "--timeout=60s")
    assert done.returncode == 0, done.stderr
    eventually(lambda: {p["metadata"]["labels"]["controller-revision-hash"]
                        for p in pods(cluster)} == first and len(pods(cluster)) == 3,
               what="back on the first revision")
    events = ok(cluster, "get", "events", "--field-selector",
                "involvedObject.kind=DaemonSet,reason=SuccessfulCreate", "-o", "json")
    sources = {e["source"]["component"] for e in json.loads(events)["items"]}
    assert sources == {"daemonset-controller"}
