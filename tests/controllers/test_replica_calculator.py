"""The HPA's replica calculator against the cases of Kubernetes' replica_calculator_test.go:
utilization and average-value targets, tolerance, missing metrics, unready pods, requests."""

from __future__ import annotations

from typing import Any

import pytest

from minikube_py.controllers.replica_calculator import (
    MetricsError,
    PodMetric,
    ReplicaCalculator,
    metrics_from,
    milli_quantity,
)

NOW = 1_800_000_000.0
LONG_AGO = "2026-01-01T00:00:00Z"  # well before NOW: past the CPU initialization period


def pod(name: str, *, cpu: str | None = "1", phase: str = "Running", ready: str = "True",
        started: str | None = LONG_AGO, deleting: bool = False) -> dict[str, Any]:
    resources = {"requests": {"cpu": cpu}} if cpu is not None else {}
    meta: dict[str, Any] = {"name": name, "namespace": "default"}
    if deleting:
        meta["deletionTimestamp"] = LONG_AGO
    status: dict[str, Any] = {"phase": phase, "conditions": [
        {"type": "Ready", "status": ready, "lastTransitionTime": LONG_AGO}]}
    if started:
        status["startTime"] = started
    return {"metadata": meta, "spec": {"containers": [{"name": "app", "resources": resources}]},
            "status": status}


def usage(**millis: int) -> dict[str, PodMetric]:
    return {name: PodMetric(value, NOW - 10, 15.0) for name, value in millis.items()}


CALC = ReplicaCalculator(clock=lambda: NOW)


@pytest.mark.parametrize(("millis", "target", "expected", "utilization"), [
    pytest.param({"a": 900, "b": 900, "c": 900}, 30, 9, 90, id="scale-up"),
    pytest.param({"a": 100, "b": 100, "c": 100, "d": 100}, 50, 1, 10, id="scale-down"),
    pytest.param({"a": 520, "b": 520}, 50, 2, 52, id="within-tolerance"),
    pytest.param({"a": 700, "b": 700}, 50, 3, 70, id="just-past-tolerance"),
])
def test_utilization(millis: dict[str, int], target: int, expected: int,
                     utilization: int) -> None:
    """desired = ceil(ready pods x utilization / target), unchanged within 10 %."""
    pods = [pod(name) for name in millis]
    replicas, util, raw = CALC.resource_replicas(len(pods), target, "cpu", pods, usage(**millis))
    assert (replicas, util) == (expected, utilization)
    assert raw == sum(millis.values()) // len(millis)


def test_missing_metrics_count_as_zero_on_scale_up() -> None:
    """A pod without metrics is idle when scaling up: the two sampled pods alone would want
    ceil(2 x 100/66) = 4; with the third at 0 utilization is 66 % of 66 %: no change."""
    pods = [pod("a"), pod("b"), pod("c")]
    replicas, util, _ = CALC.resource_replicas(3, 66, "cpu", pods, usage(a=1000, b=1000))
    assert (replicas, util) == (3, 100)


def test_missing_metrics_count_as_full_request_on_scale_down() -> None:
    """A pod without metrics uses 100 % of its request when scaling down, which here turns
    the scale down around: nothing changes."""
    pods = [pod("a"), pod("b"), pod("c")]
    replicas, _, _ = CALC.resource_replicas(3, 50, "cpu", pods, usage(a=100, b=100))
    # a, b at 10 % would want 1; with c at 100 %: 1200/3000 = 40 % -> ratio 0.8 -> ceil(2.4)=3
    assert replicas == 3


def test_unready_pods_ignored_then_zero_on_scale_up() -> None:
    """Pending and not-ready pods give no CPU sample; on a scale up they count at 0."""
    pods = [pod("a"), pod("b"), pod("p", phase="Pending"), pod("u", ready="False")]
    replicas, util, _ = CALC.resource_replicas(
        4, 50, "cpu", pods, usage(a=1000, b=1000, p=5000, u=5000))
    assert util == 100  # from the ready pods only
    assert replicas == 4  # ratio over all four at 0 for the unready: 2000/4000 -> 1.0


def test_unready_pods_do_not_block_a_scale_down() -> None:
    """On a scale down the unready pods are left out entirely."""
    pods = [pod("a"), pod("b"), pod("u", ready="False")]
    replicas, _, _ = CALC.resource_replicas(3, 50, "cpu", pods, usage(a=100, b=100, u=900))
    assert replicas == 1


def test_deleted_and_failed_pods_are_ignored() -> None:
    """Pods being deleted or failed are not counted at all."""
    pods = [pod("a"), pod("d", deleting=True), pod("f", phase="Failed")]
    replicas, util, _ = CALC.resource_replicas(3, 50, "cpu", pods,
                                               usage(a=1000, d=0, f=0))
    assert (replicas, util) == (2, 100)


def test_a_pod_missing_requests_is_an_error() -> None:
    """Utilization needs every pod's requests (Kubernetes' wording)."""
    pods = [pod("a"), pod("b", cpu=None)]
    with pytest.raises(MetricsError, match="missing request for cpu in container app of Pod b"):
        CALC.resource_replicas(2, 50, "cpu", pods, usage(a=100, b=100))


def test_no_metrics_for_ready_pods_is_an_error() -> None:
    """All samples from unready pods leave nothing to compute from."""
    pods = [pod("a", ready="False")]
    with pytest.raises(MetricsError, match="did not receive metrics for targeted pods"):
        CALC.resource_replicas(1, 50, "cpu", pods, usage(a=100))


def test_average_value() -> None:
    """An AverageValue target compares the mean usage with the value, no requests needed."""
    pods = [pod("a", cpu=None), pod("b", cpu=None)]
    assert CALC.raw_resource_replicas(2, 250, "cpu", pods, usage(a=500, b=500)) == (4, 500)
    assert CALC.raw_resource_replicas(2, 480, "cpu", pods, usage(a=500, b=500)) == (2, 500)


def test_metrics_from_pod_metrics() -> None:
    """PodMetrics sum their containers in milli-units; a pod lacking the resource is left out."""
    items = [{"metadata": {"name": "a"}, "timestamp": "2026-12-04T10:00:00Z", "window": "15s",
              "containers": [{"usage": {"cpu": "250m", "memory": "1Ki"}},
                             {"usage": {"cpu": "1500000n", "memory": "1Ki"}}]},
             {"metadata": {"name": "b"}, "containers": [{"usage": {"memory": "1Ki"}}]}]
    got = metrics_from(items, "cpu")
    assert list(got) == ["a"] and got["a"].value == 252 and got["a"].window == 15.0
    assert metrics_from(items, "memory")["b"].value == 1024_000


@pytest.mark.parametrize(("value", "text"), [(250, "250m"), (1000, "1"), (1_048_576_000,
                                             "1048576"), (2_000_000_000, "2M")])
def test_milli_quantity(value: int, text: str) -> None:
    """Averages are written as Kubernetes' canonical DecimalSI quantities."""
    assert milli_quantity(value) == text
