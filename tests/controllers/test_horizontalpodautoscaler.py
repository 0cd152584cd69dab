"""The HPA controller on the fake clientset with a controlled clock: it scales a Deployment's
/scale from PodMetrics, writes the HPA's status and events as Kubernetes does, holds a scale
down for the stabilization window, clamps to min/maxReplicas and limits the rate by policy."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from minikube_py.api.registry import REGISTRY
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver.handlers import to_scale
from minikube_py.controllers.base import Requeue
from minikube_py.controllers.horizontalpodautoscaler import HorizontalPodAutoscalerController
from tests.controllers.fakes import Action, FakeCluster, _parse

Object = dict[str, Any]
DEPLOYMENTS = REGISTRY.require("apps", "v1", "deployments")
PODS = REGISTRY.require("", "v1", "pods")
HPAS = REGISTRY.require("autoscaling", "v2", "horizontalpodautoscalers")
T0 = 1_800_000_000.0
STARTED = "2026-01-01T00:00:00Z"
REASON = "cpu resource utilization (percentage of request) above target"


@dataclass
class Cluster(FakeCluster):
    """The fake API plus the /scale of deployments and metrics.k8s.io PodMetrics."""

    usage: dict[str, str] = field(default_factory=dict)  # pod name -> cpu

    async def send(self, req: ApiRequest) -> ApiResponse:
        if req.path.startswith("/apis/metrics.k8s.io/"):
            self.actions.append(Action("list", "pods.metrics.k8s.io", "default", ""))
            return ApiResponse(200, {"kind": "PodMetricsList", "items": [
                {"metadata": {"name": n, "namespace": "default"},
                 "timestamp": "2026-12-04T10:00:00Z", "window": "15s",
                 "containers": [{"name": "app", "usage": {"cpu": cpu, "memory": "1Mi"}}]}
                for n, cpu in self.usage.items()]})
        plural, namespace, name, sub = _parse(req.path)
        if sub != "scale":
            return await super().send(req)
        body = json.loads(req.body) if req.body else None
        verb = "get" if req.method == "GET" else "update"
        self.actions.append(Action(verb, plural, namespace, name, "scale", body))
        obj = self.get(plural, name, namespace)
        if verb == "update":
            obj = self.put(plural, {**obj, "spec": {**obj["spec"],
                                                     "replicas": body["spec"]["replicas"]}})
        return ApiResponse(200, to_scale(DEPLOYMENTS, obj))


class Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []

    def event(self, _obj: Object, kind: str, reason: str, message: str, **_kw: Any) -> None:
        self.events.append(f"{kind} {reason}: {message}")


def deployment(replicas: int) -> Object:
    return {"metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}}},
            "status": {"replicas": replicas}}


def pod(name: str, *, request: str | None = "100m") -> Object:
    resources = {"requests": {"cpu": request}} if request else {}
    return {"metadata": {"name": name, "namespace": "default", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "resources": resources}]},
            "status": {"phase": "Running", "startTime": STARTED, "conditions": [
                {"type": "Ready", "status": "True", "lastTransitionTime": STARTED}]}}


def hpa(*, min_replicas: int = 1, max_replicas: int = 10,
        behavior: Object | None = None) -> Object:
    spec: Object = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                       "name": "web"},
                    "minReplicas": min_replicas, "maxReplicas": max_replicas,
                    "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                        "type": "Utilization", "averageUtilization": 50}}}]}
    if behavior:
        spec["behavior"] = behavior
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web", "namespace": "default"}, "spec": spec}


class World:
    def __init__(self, *, replicas: int, cpu: str, autoscaler: Object,
                 requests: str | None = "100m") -> None:
        self.now = T0
        self.cluster = Cluster()
        self.recorder = Recorder()
        self.controller = HorizontalPodAutoscalerController(
            self.cluster.client, self.cluster.informers, recorder=self.recorder,  # type: ignore[arg-type]
            clock=lambda: self.now)
        self.cluster.seed(DEPLOYMENTS, deployment(replicas))
        names = [f"web-{i}" for i in range(replicas)]
        self.cluster.seed(PODS, *[pod(n, request=requests) for n in names])
        self.cluster.usage = dict.fromkeys(names, cpu)
        self.cluster.seed(HPAS, autoscaler)

    async def sync(self, *, after: float = 0.0) -> Object:
        """Advance the clock, reconcile once (it asks to come back in 15 s) and return the
        HPA as stored."""
        self.now += after
        self.cluster.clear()
        with pytest.raises(Requeue) as again:
            await self.controller.reconcile("default/web")
        assert again.value.after == 15.0
        self.cluster.sync_caches()
        return self.cluster.get("horizontalpodautoscalers", "web")

    def scale_writes(self) -> list[int]:
        return [a.body["spec"]["replicas"] for a in self.cluster.actions
                if a.subresource == "scale" and a.verb == "update"]

    def replicas(self) -> int:
        return int(self.cluster.get("deployments", "web")["spec"]["replicas"])


def conditions(obj: Object) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in obj["status"]["conditions"]}


async def test_scale_up_writes_scale_status_and_event() -> None:
    """Two pods at 100 % of a 50 % target: the Scale goes to 4, the status says why."""
    world = World(replicas=2, cpu="100m", autoscaler=hpa())
    stored = await world.sync()
    assert world.scale_writes() == [4] and world.replicas() == 4
    status = stored["status"]
    assert (status["currentReplicas"], status["desiredReplicas"]) == (2, 4)
    assert status["currentMetrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "current": {"averageUtilization": 100, "averageValue": "100m"}}}]
    assert status["lastScaleTime"] and status["observedGeneration"] == 1
    assert conditions(stored) == {"AbleToScale": ("True", "SucceededRescale"),
                                  "ScalingActive": ("True", "ValidMetricFound"),
                                  "ScalingLimited": ("False", "DesiredWithinRange")}
    assert world.recorder.events == [f"Normal SuccessfulRescale: New size: 4; reason: {REASON}"]
    # The next pass records the new size; then nothing changes, and nothing is written.
    stored = await world.sync(after=15)
    assert world.scale_writes() == [] and stored["status"]["currentReplicas"] == 4
    await world.sync(after=15)
    assert world.cluster.writes() == []


async def test_scale_down_waits_for_the_stabilization_window() -> None:
    """Four idle pods want 1 replica: held at 4 for 300 s (ScaleDownStabilized), then 1."""
    world = World(replicas=4, cpu="5m", autoscaler=hpa())
    stored = await world.sync()
    assert world.scale_writes() == [] and stored["status"]["desiredReplicas"] == 4
    assert conditions(stored)["AbleToScale"] == ("True", "ScaleDownStabilized")
    await world.sync(after=200)
    assert world.scale_writes() == []
    stored = await world.sync(after=101)
    assert world.scale_writes() == [1]
    assert world.recorder.events == ["Normal SuccessfulRescale: New size: 1; reason: "
                                     "All metrics below target"]


async def test_max_replicas_clamps_with_scaling_limited() -> None:
    """A desired 4 above maxReplicas 3 scales to 3 with ScalingLimited TooManyReplicas."""
    world = World(replicas=2, cpu="100m", autoscaler=hpa(max_replicas=3))
    stored = await world.sync()
    assert world.scale_writes() == [3]
    assert conditions(stored)["ScalingLimited"] == ("True", "TooManyReplicas")


async def test_below_min_replicas_scales_to_min() -> None:
    """A target below minReplicas goes to minReplicas whatever the metrics say."""
    world = World(replicas=1, cpu="5m", autoscaler=hpa(min_replicas=2))
    await world.sync()
    assert world.scale_writes() == [2]
    assert world.recorder.events == ["Normal SuccessfulRescale: New size: 2; reason: Current "
                                     "number of replicas below Spec.MinReplicas"]


async def test_pods_policy_limits_each_period() -> None:
    """scaleUp Pods 1 per 60 s: 2 -> 3 (ScaleUpLimit), held for the period, then 4."""
    behavior = {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}
    world = World(replicas=2, cpu="100m", autoscaler=hpa(behavior=behavior))
    stored = await world.sync()
    assert world.scale_writes() == [3]
    assert conditions(stored)["ScalingLimited"] == ("True", "ScaleUpLimit")
    await world.sync(after=30)
    assert world.scale_writes() == []
    await world.sync(after=31)
    assert world.scale_writes() == [4]


async def test_disabled_scale_down_policy_keeps_replicas() -> None:
    """selectPolicy Disabled: an idle target is never scaled down."""
    behavior = {"scaleDown": {"selectPolicy": "Disabled", "stabilizationWindowSeconds": 0}}
    world = World(replicas=4, cpu="5m", autoscaler=hpa(behavior=behavior))
    stored = await world.sync(after=1)
    assert world.scale_writes() == []
    assert conditions(stored)["ScalingLimited"] == ("True", "ScaleDownLimit")


async def test_pods_without_requests_fail_the_metric() -> None:
    """Utilization without requests: ScalingActive False FailedGetResourceMetric, no scale."""
    world = World(replicas=2, cpu="100m", autoscaler=hpa(), requests=None)
    stored = await world.sync()
    assert world.scale_writes() == []
    assert conditions(stored)["ScalingActive"] == ("False", "FailedGetResourceMetric")
    assert "missing request for cpu in container app of Pod web-0" in \
        stored["status"]["conditions"][1]["message"]
    assert any("FailedComputeMetricsReplicas" in e for e in world.recorder.events)


async def test_unknown_target_kind_fails_get_scale() -> None:
    """A scaleTargetRef of no served kind: AbleToScale False FailedGetScale."""
    autoscaler = hpa()
    autoscaler["spec"]["scaleTargetRef"]["kind"] = "Nothing"
    world = World(replicas=2, cpu="100m", autoscaler=autoscaler)
    stored = await world.sync()
    assert conditions(stored)["AbleToScale"] == ("False", "FailedGetScale")


async def test_deleted_hpa_is_forgotten() -> None:
    """A key whose HPA is gone is done, and its history dropped."""
    world = World(replicas=2, cpu="100m", autoscaler=hpa())
    await world.sync()
    world.cluster.informers.informer_for(HPAS).indexer.replace([], "2")
    await world.controller.reconcile("default/web")
    assert world.controller.history == {}
