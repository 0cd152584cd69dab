"""The node lifecycle controller in a real daemon: the stand-in node registration renews its
Lease only every 10 s, so with ``--node-monitor-grace-period 2`` its node is silent too long
right after start (a stopped kubelet, as the controller sees it): ``kubectl get nodes`` shows
it NotReady, it gets the unreachable taints, and a pod tolerating them for 1 s is deleted."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from tests.conftest import RunningDaemon, start_daemon
from tests.e2e.test_kubectl import kubectl, ok

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    running = start_daemon(tmp_path_factory.mktemp("nodelifecycle") / "data",
                           extra=("--without", "proxy", "--node-monitor-grace-period", "2"))
    yield running
    running.stop()


def test_a_silent_node_goes_not_ready_and_its_pod_is_evicted(cluster: RunningDaemon) -> None:
    node = ok(cluster, "get", "nodes", "-o", "jsonpath={.items[0].metadata.name}").strip()
    ok(cluster, "apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "short"},
        "spec": {"nodeName": node, "containers": [{"name": "a", "image": "x"}],
                 "tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                                  "effect": "NoExecute", "tolerationSeconds": 1}]}}))
    deadline = time.monotonic() + 20
    status = taints = pods = ""
    while time.monotonic() < deadline:
        status = ok(cluster, "get", "nodes", node, "--no-headers").split()[1]
        taints = ok(cluster, "get", "node", node, "-o", "jsonpath={.spec.taints}")
        pods = kubectl(cluster, "get", "pod", "short", "-o", "name").stdout
        if status == "NotReady" and "unreachable" in taints and not pods.strip():
            break
        time.sleep(0.3)
    assert status == "NotReady"
    assert '"effect":"NoExecute","key":"node.kubernetes.io/unreachable"' in taints
    assert pods.strip() == ""
    events = ok(cluster, "get", "events", "-A")
    assert "TaintManagerEviction" in events and "NodeNotReady" in events
