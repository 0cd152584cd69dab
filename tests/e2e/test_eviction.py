"""``pods/eviction`` (policy/v1 Eviction) with the real ``kubectl drain``: the node is
cordoned and its pods are evicted (deleted with the Eviction's options) and replaced by their
ReplicaSet; an eviction of a missing pod is 404 and a body that is no Eviction is 400."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from tests.conftest import RunningDaemon, start_daemon
from tests.e2e.test_kubectl import kubectl, ok

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    running = start_daemon(tmp_path_factory.mktemp("eviction"))
    yield running
    running.stop()


def pods(daemon: RunningDaemon) -> set[str]:
    return set(ok(daemon, "get", "pods", "-l", "app=web", "-o",
                  "jsonpath={.items[*].metadata.name}").split())


def test_kubectl_drain_evicts_and_the_replicaset_replaces(daemon: RunningDaemon) -> None:
    ok(daemon, "create", "deployment", "web", "--image=minikube-py/busybox:local",
       "--replicas=2")
    deadline = time.monotonic() + 20
    while len(pods(daemon)) != 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    before = pods(daemon)
    node = ok(daemon, "get", "nodes", "-o", "jsonpath={.items[0].metadata.name}")
    drained = kubectl(daemon, "drain", node, "--ignore-daemonsets", "--timeout=30s")
    assert drained.returncode == 0, drained.stderr
    assert all(f"pod/{p} evicted" in drained.stdout for p in before), drained.stdout
    assert ok(daemon, "get", "node", node, "-o", "jsonpath={.spec.unschedulable}") == "true"
    deadline = time.monotonic() + 20
    while (pods(daemon) & before or len(pods(daemon)) != 2) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not pods(daemon) & before and len(pods(daemon)) == 2
    ok(daemon, "uncordon", node)


def test_eviction_of_a_missing_pod_or_a_wrong_body(daemon: RunningDaemon) -> None:
    path = "/api/v1/namespaces/default/pods/nope/eviction"
    missing = kubectl(daemon, "create", "--raw", path, "-f", "-", input=json.dumps(
        {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "nope"}}))
    assert missing.returncode == 1 and "NotFound" in missing.stderr, missing.stderr
    wrong = kubectl(daemon, "create", "--raw", path, "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nope"}}))
    assert wrong.returncode == 1 and "BadRequest" in wrong.stderr, wrong.stderr
