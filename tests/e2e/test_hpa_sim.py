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
from tests.e2e.test_kubectl import ok, table

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]


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
    # What `kubectl autoscale deployment web --cpu-percent=50 --min=1 --max=5` creates (that
    # command POSTs autoscaling/v1, not served yet: see docs/ARCHITECTURE.md, the HPA section).
    ok(sim, "apply", "-f", "-", input=json.dumps({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                    "name": "web"},
                 "minReplicas": 1, "maxReplicas": 5,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                     "type": "Utilization", "averageUtilization": 50}}}]}}))
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
