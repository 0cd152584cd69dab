"""The HorizontalPodAutoscaler end to end: a Deployment on the simulated runtime whose containers
report a CPU usage (the ``sim.minikube-py.io/app`` annotation) above the target is scaled up
by the HPA controller from the kubelets' metrics.k8s.io samples; ``kubectl get hpa`` shows
the targets as kubectl prints them."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import RunningDaemon
from tests.e2e.kubelet_helpers import daemon_with_cleanup
from tests.e2e.test_kubectl import kubectl, ok, table

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]
V1, V2 = "horizontalpodautoscalers.v1.autoscaling", "horizontalpodautoscalers.v2.autoscaling"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    settings = {"MINIKUBE_PY_KUBELET_STATS": "0.5", "MINIKUBE_PY_HPA_SYNC_PERIOD": "1"}
    os.environ.update(settings)  # read by the daemon at start
    try:
        started = daemon_with_cleanup(tmp_path_factory.mktemp("hpa"),
                                      f"hpa-{uuid.uuid4().hex[:6]}", "--runtime", "sim")
        running_daemon = next(started)
    finally:
        for name in settings:
            del os.environ[name]
    yield running_daemon
    next(started, None)


def deployment(cpu_millicores: int) -> str:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": {
            "metadata": {"labels": {"app": "web"}, "annotations": {
                "sim.minikube-py.io/app": json.dumps(
                    {"usage": {"cpuMillicores": cpu_millicores, "memoryBytes": 8 << 20}})}},
            "spec": {"containers": [{"name": "app", "image": "minikube-py/busybox:local",
                                     "resources": {"requests": {"cpu": "100m"}}}]}}}})


def hpa(daemon: RunningDaemon) -> dict[str, object]:
    return json.loads(ok(daemon, "get", "hpa", "web", "-o", "json"))  # type: ignore[no-any-return]


def test_kubectl_autoscale_scales_a_busy_deployment_up(sim: RunningDaemon) -> None:
    """Pods at 100 % of their request against a 50 % target: 1 -> more, at most 5."""
    ok(sim, "apply", "-f", "-", input=deployment(100))
    # kubectl POSTs autoscaling/v1 (one CPU target); the stored object is v2.
    ok(sim, "autoscale", "deployment", "web", "--cpu-percent=50", "--min=1", "--max=5")
    assert hpa(sim)["spec"]["metrics"] == [  # type: ignore[index]
        {"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": 50}}}]
    assert hpa(sim)["apiVersion"] == "autoscaling/v2"
    deadline, replicas = time.monotonic() + 30, 1
    while time.monotonic() < deadline:
        replicas = json.loads(ok(sim, "get", "deploy", "web", "-o", "json"))["spec"]["replicas"]
        if replicas >= 4:
            break
        time.sleep(0.5)
    assert 4 <= replicas <= 5, f"not scaled up: {hpa(sim).get('status')}"
    status = hpa(sim)["status"]
    assert isinstance(status, dict)
    conditions = {c["type"]: c["reason"] for c in status["conditions"]}
    assert conditions["ScalingActive"] == "ValidMetricFound"
    rows = table(ok(sim, "get", "hpa"))
    assert rows[0][:4] == ["NAME", "REFERENCE", "TARGETS", "MINPODS"]
    assert rows[1][:2] == ["web", "Deployment/web"] and rows[1][3:5] == ["1", "5"]
    assert rows[1][2] in ("cpu: 100%/50%", "100%/50%")  # kubectl 1.30+ names the metric
    events = ok(sim, "get", "events", "--field-selector", "reason=SuccessfulRescale")
    assert "New size: 2; reason: cpu resource utilization (percentage of request) above " \
        "target" in events


def test_the_v1_view_of_an_autoscaler(sim: RunningDaemon) -> None:
    """An older kubectl's autoscale, read back in both versions: v1 has the CPU target as
    its own field and what it cannot hold (another metric) in the annotation Kubernetes
    uses; an update through v1 keeps that metric."""
    old = "/usr/lib/google-cloud-sdk/bin/kubectl.1.27"
    ok(sim, "create", "deployment", "api", "--image=minikube-py/busybox:local")
    result = kubectl(sim, "autoscale", "deployment", "api", "--cpu-percent=70", "--max=3",
                     binary=old)
    assert result.returncode == 0, result.stderr
    v1 = json.loads(ok(sim, "get", V1, "api", "-o", "json"))
    assert v1["apiVersion"] == "autoscaling/v1"
    assert v1["spec"] == {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": "api"},
                          "minReplicas": 1, "maxReplicas": 3,
                          "targetCPUUtilizationPercentage": 70}
    memory = {"type": "Resource", "resource": {"name": "memory", "target": {
        "type": "AverageValue", "averageValue": "64Mi"}}}
    patch = [{"op": "add", "path": "/spec/metrics/-", "value": memory}]
    ok(sim, "patch", V2, "api", "--type=json", "-p", json.dumps(patch))
    v1 = json.loads(ok(sim, "get", V1, "api", "-o", "json"))
    assert json.loads(v1["metadata"]["annotations"][
        "autoscaling.alpha.kubernetes.io/metrics"]) == [memory]
    ok(sim, "patch", V1, "api", "--type=merge", "-p",
       '{"spec": {"targetCPUUtilizationPercentage": 60}}')
    v2 = json.loads(ok(sim, "get", V2, "api", "-o", "json"))
    assert [m["resource"]["name"] for m in v2["spec"]["metrics"]] == ["cpu", "memory"]
    assert v2["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 60
    assert "autoscaling.alpha.kubernetes.io/metrics" not in (
        v2["metadata"].get("annotations") or {})
