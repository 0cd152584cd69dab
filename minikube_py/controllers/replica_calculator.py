"""The replica calculator of the HorizontalPodAutoscaler: how many replicas bring a resource
metric to its target (Kubernetes' pkg/controller/podautoscaler/replica_calculator.go).

Pure arithmetic over what the HPA controller (controllers/horizontalpodautoscaler.py) read:
the target's pods from the informer and each pod's usage from the resource metrics API
(``metrics.k8s.io`` PodMetrics), in milli-units (millicores, milli-bytes) as Kubernetes'
metrics client reports them. As Kubernetes does: deleted and failed pods are ignored; pending
pods, and for CPU pods not yet ready (or sampled before they became ready while starting),
count as unready and only weigh in (at 0) when scaling up; pods without metrics are assumed
at 0 on a scale up and at 100 % of their request (or the target) on a scale down; a result
within ``tolerance`` of the target, or one that the assumptions turn around, keeps the
current count.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from minikube_py.api.validation.names import parse_quantity
from minikube_py.util.clock import parse_duration, parse_rfc3339

Object = dict[str, Any]

TOLERANCE = 0.1
CPU_INITIALIZATION_PERIOD = 300.0  # --horizontal-pod-autoscaler-cpu-initialization-period
INITIAL_READINESS_DELAY = 30.0  # --horizontal-pod-autoscaler-initial-readiness-delay


class MetricsError(Exception):
    """No replica count can be computed from these metrics (Kubernetes' wording)."""


@dataclass(frozen=True)
class PodMetric:
    """One pod's usage of one resource (summed over its containers), in milli-units."""

    value: int
    timestamp: float = 0.0
    window: float = 0.0


def milli(quantity: Any) -> int | None:
    """A quantity's MilliValue (``250m`` -> 250, ``1`` -> 1000, ``1Ki`` -> 1024000)."""
    parsed = parse_quantity(quantity)
    return None if parsed is None else math.ceil(parsed * 1000)


def milli_quantity(value: int) -> str:
    """``resource.NewMilliQuantity(value, DecimalSI)`` in its canonical form."""
    for suffix, exponent in (("E", 18), ("P", 15), ("T", 12), ("G", 9), ("M", 6), ("k", 3),
                             ("", 0)):
        unit = 10 ** (exponent + 3)
        if value % unit == 0:
            return f"{value // unit}{suffix}"
    return f"{value}m"


def metrics_from(items: Iterable[Object], resource: str) -> dict[str, PodMetric]:
    """PodMetrics items -> pod name -> usage of ``resource`` (pods lacking it on a container
    are left out, as the metrics client does)."""
    result: dict[str, PodMetric] = {}
    for item in items:
        total, complete = 0, True
        for container in item.get("containers") or []:
            value = milli((container.get("usage") or {}).get(resource))
            if value is None:
                complete = False
                break
            total += value
        name = (item.get("metadata") or {}).get("name")
        if complete and name:
            stamp = item.get("timestamp")
            result[name] = PodMetric(
                total, parse_rfc3339(stamp).timestamp() if stamp else 0.0,
                parse_duration(str(item.get("window") or "0s")) or 0.0)
    return result


def pod_requests(pods: Iterable[Object], resource: str) -> dict[str, int]:
    """Pod name -> sum of its containers' requests of ``resource`` (milli-units)."""
    requests: dict[str, int] = {}
    for pod in pods:
        total = 0
        for container in (pod.get("spec") or {}).get("containers") or []:
            value = milli(((container.get("resources") or {}).get("requests") or {})
                          .get(resource))
            if value is None:
                raise MetricsError(f"missing request for {resource} in container "
                                   f"{container.get('name')} of Pod {_name(pod)}")
            total += value
        requests[_name(pod)] = total
    return requests


def _name(pod: Object) -> str:
    return str((pod.get("metadata") or {}).get("name") or "")


def _ready_condition(pod: Object) -> Object | None:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return dict(condition)
    return None


@dataclass
class _Groups:
    ready: int
    unready: set[str]
    missing: set[str]
    ignored: set[str]


class ReplicaCalculator:
    """Replica counts for resource metrics; ``clock`` gives epoch seconds (time.time)."""

    def __init__(self, *, clock: Any, tolerance: float = TOLERANCE,
                 cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD,
                 initial_readiness_delay: float = INITIAL_READINESS_DELAY) -> None:
        self.clock = clock
        self.tolerance = tolerance
        self.cpu_initialization_period = cpu_initialization_period
        self.initial_readiness_delay = initial_readiness_delay

    def resource_replicas(self, current: int, target_utilization: int, resource: str,
                          pods: list[Object], metrics: Mapping[str, PodMetric]
                          ) -> tuple[int, int, int]:
        """(replicas, utilization %, average usage in milli-units) for a Utilization
        target: usage against the pods' requests (GetResourceReplicas)."""
        if not pods:
            raise MetricsError("no pods returned by selector while calculating replica count")
        metrics, groups = self._grouped(pods, metrics, resource)
        requests = pod_requests(pods, resource)
        ratio, utilization, raw = _utilization_ratio(metrics, requests, target_utilization)
        fallback = max(100, target_utilization)

        def assumed(name: str) -> int:
            return requests.get(name, 0) * fallback // 100

        replicas = self._decide(current, ratio, groups, metrics, assumed,
                                lambda m: _utilization_ratio(m, requests,
                                                             target_utilization)[0])
        return replicas, utilization, raw

    def raw_resource_replicas(self, current: int, target_usage: int, resource: str,
                              pods: list[Object], metrics: Mapping[str, PodMetric]
                              ) -> tuple[int, int]:
        """(replicas, average usage in milli-units) for an AverageValue target
        (GetRawResourceReplicas)."""
        if not pods:
            raise MetricsError("no pods returned by selector while calculating replica count")
        metrics, groups = self._grouped(pods, metrics, resource)
        ratio, usage = _usage_ratio(metrics, target_usage)
        replicas = self._decide(current, ratio, groups, metrics, lambda _name: target_usage,
                                lambda m: _usage_ratio(m, target_usage)[0])
        return replicas, usage

    def _grouped(self, pods: list[Object], metrics: Mapping[str, PodMetric], resource: str
                 ) -> tuple[dict[str, PodMetric], _Groups]:
        groups = self._group_pods(pods, metrics, resource)
        kept = {n: m for n, m in metrics.items()
                if n not in groups.ignored and n not in groups.unready}
        if not kept:
            raise MetricsError("did not receive metrics for targeted pods "
                               "(pods might be unready)")
        return kept, groups

    def _decide(self, current: int, ratio: float, groups: _Groups,
                metrics: dict[str, PodMetric], assumed: Any, ratio_of: Any) -> int:
        scale_up_with_unready = bool(groups.unready) and ratio > 1.0
        if not scale_up_with_unready and not groups.missing:
            if abs(1.0 - ratio) <= self.tolerance:
                return current
            return math.ceil(ratio * groups.ready)
        metrics = dict(metrics)
        if ratio < 1.0:  # on a scale down the missing pods are assumed busy
            metrics.update({n: PodMetric(assumed(n)) for n in groups.missing})
        elif ratio > 1.0:  # on a scale up, idle
            metrics.update({n: PodMetric(0) for n in groups.missing})
        if scale_up_with_unready:
            metrics.update({n: PodMetric(0) for n in groups.unready})
        new_ratio: float = ratio_of(metrics)
        if (abs(1.0 - new_ratio) <= self.tolerance or (ratio < 1.0 < new_ratio)
                or (new_ratio < 1.0 < ratio)):
            return current
        replicas = math.ceil(new_ratio * len(metrics))
        if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
            return current
        return replicas

    def _group_pods(self, pods: list[Object], metrics: Mapping[str, PodMetric],
                    resource: str) -> _Groups:
        groups = _Groups(0, set(), set(), set())
        for pod in pods:
            name, status = _name(pod), pod.get("status") or {}
            if (pod.get("metadata") or {}).get("deletionTimestamp") or \
                    status.get("phase") == "Failed":
                groups.ignored.add(name)
            elif status.get("phase") == "Pending":
                groups.unready.add(name)
            elif name not in metrics:
                groups.missing.add(name)
            elif resource == "cpu" and self._cpu_unready(pod, metrics[name]):
                groups.unready.add(name)
            else:
                groups.ready += 1
        return groups

    def _cpu_unready(self, pod: Object, metric: PodMetric) -> bool:
        """A CPU sample is not trusted from a pod that is not ready, or that is starting and
        was sampled before a whole window had passed since it became ready."""
        condition, started = _ready_condition(pod), (pod.get("status") or {}).get("startTime")
        if condition is None or not started:
            return True
        start = parse_rfc3339(started).timestamp()
        transition = condition.get("lastTransitionTime")
        changed = parse_rfc3339(transition).timestamp() if transition else start
        not_ready = condition.get("status") == "False"
        if start + self.cpu_initialization_period > self.clock():
            return not_ready or metric.timestamp < changed + metric.window
        return not_ready and start + self.initial_readiness_delay > changed


def _utilization_ratio(metrics: Mapping[str, PodMetric], requests: Mapping[str, int],
                       target: int) -> tuple[float, int, int]:
    """(usage ratio, utilization %, average usage) of the pods with requests
    (GetResourceUtilizationRatio)."""
    used = sum(m.value for n, m in metrics.items() if n in requests)
    requested = sum(requests[n] for n in metrics if n in requests)
    if requested == 0:
        raise MetricsError("no metrics returned matched known pods")
    utilization = used * 100 // requested
    return utilization / target, utilization, used // len(metrics)


def _usage_ratio(metrics: Mapping[str, PodMetric], target: int) -> tuple[float, int]:
    usage = sum(m.value for m in metrics.values()) // len(metrics)
    return float(Fraction(usage, target)), usage
