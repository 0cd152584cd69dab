"""PodDisruptionBudgets end to end on a real daemon (``--without kubelet``; pods are marked
Running and Ready through ``/status`` as a kubelet would): ``kubectl apply`` of a budget,
the disruption controller's status in ``kubectl get pdb``, evictions refused while no
disruption is allowed and the official Python client's eviction spending the budget; and
on a ``--runtime sim`` daemon of two nodes, ``kubectl drain`` refused (429), retrying, and
finishing once the budget is back."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from tests.conftest import RunningDaemon, start_daemon
from tests.e2e.test_kubectl import kubectl, ok, table

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]

BUDGET = """
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: {min}
  selector:
    matchLabels:
      app: web
"""
READY = json.dumps({"status": {"phase": "Running", "conditions": [
    {"type": "Ready", "status": "True"}]}})


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    running = start_daemon(tmp_path_factory.mktemp("pdb"))
    yield running
    running.stop()


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 15
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def allowed(daemon: RunningDaemon) -> str:
    return ok(daemon, "get", "pdb", "web", "-o",
              "jsonpath={.status.currentHealthy}/{.status.disruptionsAllowed}")


def test_budget_refuses_eviction_and_python_eviction_spends_it(daemon: RunningDaemon) -> None:
    """With minAvailable 2 of 2 Ready pods an eviction is refused (429); with minAvailable 1
    the official client's first eviction succeeds and the next is 429."""
    node = ok(daemon, "get", "nodes", "-o", "jsonpath={.items[0].metadata.name}")
    for name in ("web-a", "web-b"):
        ok(daemon, "run", name, "--image=minikube-py/busybox:local", "--labels=app=web",
           f"--overrides={json.dumps({'spec': {'nodeName': node}})}")
        ok(daemon, "patch", "pod", name, "--subresource=status", "--type=merge", "-p", READY)
    ok(daemon, "apply", "-f", "-", input=BUDGET.format(min=2))
    eventually(lambda: allowed(daemon) == "2/0", "the controller counts 2 healthy, 0 allowed")
    rows = table(ok(daemon, "get", "pdb"))
    assert rows[0] == ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"]
    assert rows[1][:4] == ["web", "2", "N/A", "0"]

    refused = kubectl(daemon, "create", "--raw", "/api/v1/namespaces/default/pods/web-a/eviction",
                      "-f", "-", input=json.dumps({"apiVersion": "policy/v1", "kind": "Eviction",
                                                   "metadata": {"name": "web-a"}}))
    assert refused.returncode != 0 and "TooManyRequests" in refused.stderr, refused.stderr
    assert len(ok(daemon, "get", "pods", "-l", "app=web", "-o", "name").split()) == 2

    ok(daemon, "apply", "-f", "-", input=BUDGET.format(min=1))
    eventually(lambda: allowed(daemon) == "2/1", "one disruption allowed after the change")
    api = config.new_client_from_config(config_file=str(daemon.kubeconfig))
    core = client.CoreV1Api(api)
    try:
        def eviction(name: str) -> client.V1Eviction:
            return client.V1Eviction(metadata=client.V1ObjectMeta(name=name,
                                                                  namespace="default"))
        core.create_namespaced_pod_eviction("web-a", "default", eviction("web-a"))
        with pytest.raises(ApiException) as refused:
            core.create_namespaced_pod_eviction("web-b", "default", eviction("web-b"))
        assert refused.value.status == 429
        body = json.loads(refused.value.body)
        assert body["details"]["causes"][0]["reason"] == "DisruptionBudget"
    finally:
        api.close()
    # Without a kubelet the evicted pod stays terminating; the other is untouched.
    deleting = ok(daemon, "get", "pods", "-l", "app=web", "-o",
                  'jsonpath={range .items[*]}{.metadata.name}={.metadata.deletionTimestamp}{" "}'
                  "{end}").split()
    assert [d.split("=")[0] for d in deleting if d.split("=")[1]] in (["web-a"], [])
    assert "web-b=" in deleting


def test_kubectl_create_pdb(daemon: RunningDaemon) -> None:
    """``kubectl create pdb`` (a protobuf body from kubectl 1.32+) is stored as sent, and the
    controller reports a budget without pods as allowing nothing."""
    ok(daemon, "create", "pdb", "other", "--selector=app=other", "--max-unavailable=50%")
    spec = json.loads(ok(daemon, "get", "pdb", "other", "-o", "jsonpath={.spec}"))
    assert spec == {"maxUnavailable": "50%", "selector": {"matchLabels": {"app": "other"}}}
    reason = 'jsonpath={.status.conditions[?(@.type=="DisruptionAllowed")].reason}'
    eventually(lambda: ok(daemon, "get", "pdb", "other", "-o", reason) == "InsufficientPods",
               "the controller writes the DisruptionAllowed condition")


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    running = start_daemon(tmp_path_factory.mktemp("pdb-sim"), kubelet=True, extra=(
        "--runtime", "sim", "--without", "service-rules", "--nodes", "2"))
    yield running
    running.stop()


def test_drain_waits_for_the_budget_to_come_back(sim: RunningDaemon) -> None:
    """Two replicas on one node, minAvailable 1: drain evicts one, gets 429 for the other,
    retries, and finishes once the replacement is Ready on the other node (sim kubelets)."""
    first, second = ok(sim, "get", "nodes", "-o", "jsonpath={.items[*].metadata.name}").split()
    ok(sim, "cordon", second)
    ok(sim, "create", "deployment", "web", "--image=minikube-py/busybox:local", "--replicas=2",
       "--", "sleep", "3600")
    ok(sim, "apply", "-f", "-", input=BUDGET.format(min=1))
    eventually(lambda: allowed(sim) == "2/1", "both replicas Ready, one disruption allowed")
    ok(sim, "uncordon", second)
    drained = kubectl(sim, "drain", first, "--pod-selector=app=web", "--timeout=40s")
    assert drained.returncode == 0, drained.stderr
    assert "Cannot evict pod as it would violate the pod's disruption budget" in drained.stderr
    assert drained.stdout.count("evicted") == 2, drained.stdout
    nodes = ok(sim, "get", "pods", "-l", "app=web", "--field-selector=status.phase=Running",
               "-o", "jsonpath={.items[*].spec.nodeName}").split()
    assert first not in nodes
