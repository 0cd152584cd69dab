"""The HorizontalPodAutoscaler controller: scales a workload's ``/scale`` so that its pods'
CPU or memory usage meets the HPA's target (Kubernetes' pkg/controller/podautoscaler,
horizontal.go).

Each HPA is reconciled when it changes and every :data:`SYNC_PERIOD` seconds after
(``--horizontal-pod-autoscaler-sync-period``): read the target's Scale (the group of
``scaleTargetRef.apiVersion`` and its kind, resolved through the served types, so custom
resources with a scale subresource work too), its pods by the Scale's ``status.selector``
from the pod informer, and their usage from the resource metrics API (``metrics.k8s.io``
PodMetrics, which the kubelets serve) through the client; compute the replicas each metric
wants (controllers/replica_calculator.py), stabilize and rate-limit the largest
(controllers/hpa_behavior.py), write the Scale when it changes, then the HPA's status with
the conditions AbleToScale, ScalingActive and ScalingLimited as Kubernetes words them.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import os
import time
from typing import Any, NoReturn

from minikube_py.api.errors import NotFound, StatusError
from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.api.registry import REGISTRY, Registry, ResourceType
from minikube_py.client.base import Client
from minikube_py.client.events import EventRecorder
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.controllers import hpa_behavior as behavior
from minikube_py.controllers.base import Controller, Requeue
from minikube_py.controllers.controller_utils import Clock
from minikube_py.controllers.replica_calculator import (
    MetricsError,
    ReplicaCalculator,
    metrics_from,
    milli,
    milli_quantity,
)
from minikube_py.util.clock import rfc3339

log = logging.getLogger(__name__)

Object = dict[str, Any]

HPAS = REGISTRY.require("autoscaling", "v2", "horizontalpodautoscalers")
PODS = REGISTRY.require("", "v1", "pods")
POD_METRICS = REGISTRY.require("metrics.k8s.io", "v1beta1", "pods")
SYNC_PERIOD = 15.0  # --horizontal-pod-autoscaler-sync-period
SYNC_PERIOD_ENV = "MINIKUBE_PY_HPA_SYNC_PERIOD"  # seconds; tests shorten it
COMPONENT = "horizontal-pod-autoscaler"


class _Failed(Exception):
    """A step failed after its condition was set and its event recorded."""


def target_type(registry: Registry, ref: Object) -> ResourceType | None:
    """The resource of a scaleTargetRef: its apiVersion's group and its kind (any served
    version, the given one first), when it serves ``/scale``."""
    group, _, version = str(ref.get("apiVersion") or "").rpartition("/")
    found = [rt for rt in registry if rt.group == group and rt.kind == ref.get("kind")
             and "scale" in rt.subresources]
    found.sort(key=lambda rt: rt.version != version)
    return found[0] if found else None


def set_condition(status: Object, kind: str, value: str, reason: str, message: str,
                  now: str) -> None:
    conditions = status.setdefault("conditions", [])
    for condition in conditions:
        if condition.get("type") == kind:
            if condition.get("status") != value:
                condition["lastTransitionTime"] = now
            condition.update(status=value, reason=reason, message=message)
            return
    conditions.append({"type": kind, "status": value, "lastTransitionTime": now,
                       "reason": reason, "message": message})


class HorizontalPodAutoscalerController(Controller):
    name = "horizontalpodautoscaler"

    def __init__(self, client: Client, informers: SharedInformerFactory, *,
                 registry: Registry = REGISTRY, recorder: EventRecorder | None = None,
                 owns_recorder: bool = False, clock: Clock = time.time,
                 sync_period: float | None = None) -> None:
        super().__init__(client, informers, recorder=recorder, owns_recorder=owns_recorder)
        self.registry = registry
        self.clock = clock
        self.sync_period = sync_period if sync_period is not None else float(
            os.environ.get(SYNC_PERIOD_ENV, SYNC_PERIOD))
        self.calculator = ReplicaCalculator(clock=clock)
        self.history: dict[str, behavior.History] = {}
        self.hpas = self.watch(HPAS)
        self.pods = self.informer(PODS)

    async def reconcile(self, key: str) -> None:
        cached = self.hpas.indexer.get_by_key(key)
        if cached is None:
            self.history.pop(key, None)
            return
        hpa = copy.deepcopy(cached)
        old_status = copy.deepcopy(hpa.get("status") or {})
        try:
            await self._reconcile(key, hpa)
        except _Failed:
            await self._write_status(hpa, old_status)
            raise Requeue(self.sync_period) from None
        await self._write_status(hpa, old_status)
        raise Requeue(self.sync_period)

    # -- one pass (reconcileAutoscaler) ------------------------------------------------------

    async def _reconcile(self, key: str, hpa: Object) -> None:
        spec, status = hpa.get("spec") or {}, hpa.setdefault("status", {})
        now = rfc3339(self._when())
        status["observedGeneration"] = (hpa.get("metadata") or {}).get("generation")
        rt, scale = await self._get_scale(hpa, now)
        current = int((scale.get("spec") or {}).get("replicas") or 0)
        history = self.history.setdefault(key, behavior.History())
        history.record_initial(current, self.clock())
        min_replicas = 1 if spec.get("minReplicas") is None else int(spec["minReplicas"])
        max_replicas = int(spec.get("maxReplicas") or 0)
        up = behavior.scale_up_rules((spec.get("behavior") or {}).get("scaleUp"))
        down = behavior.scale_down_rules((spec.get("behavior") or {}).get("scaleDown"))
        metric_statuses: list[Object] = []
        reason = ""
        if current == 0 and min_replicas != 0:
            desired = 0
            set_condition(status, "ScalingActive", "False", "ScalingDisabled",
                          "scaling is disabled since the replica count of the target is zero",
                          now)
        elif current > max_replicas:
            desired, reason = max_replicas, "Current number of replicas above Spec.MaxReplicas"
        elif current < min_replicas:
            desired, reason = min_replicas, "Current number of replicas below Spec.MinReplicas"
        else:
            wanted, metric, metric_statuses = await self._replicas_for_metrics(
                hpa, scale, current, now)
            limits = behavior.Limits(current, wanted, min_replicas, max_replicas)
            desired = self._normalize(history, limits, status, now, up=up, down=down)
            reason = (f"{metric} above target" if desired > current
                      else "All metrics below target")
        if desired != current:
            await self._rescale(hpa, rt, scale, current, desired, reason, now)
            history.record_scale(current, desired, self.clock(), up=up, down=down)
            status["lastScaleTime"] = now
        status.update(currentReplicas=current, desiredReplicas=desired)
        status["currentMetrics"] = metric_statuses or None

    async def _get_scale(self, hpa: Object, now: str) -> tuple[ResourceType, Object]:
        ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        rt = target_type(self.registry, ref)
        try:
            if rt is None:
                group = str(ref.get("apiVersion") or "").rpartition("/")[0]
                raise NotFound(f'no matches for kind "{ref.get("kind")}" in group "{group}"')
            scale = await self.client.get(rt, str(ref.get("name") or ""),
                                          hpa["metadata"].get("namespace"), subresource="scale")
        except StatusError as err:
            self._fail(hpa, "AbleToScale", "FailedGetScale",
                       f"the HPA controller was unable to get the target's current scale: "
                       f"{err.message}", now, event=err.message)
        set_condition(hpa["status"], "AbleToScale", "True", "SucceededGetScale",
                      "the HPA controller was able to get the target's current scale", now)
        return rt, scale

    async def _rescale(self, hpa: Object, rt: ResourceType, scale: Object, current: int,
                       desired: int, reason: str, now: str) -> None:
        scale = copy.deepcopy(scale)
        scale.setdefault("spec", {})["replicas"] = desired
        try:
            await self.client.update(rt, scale, subresource="scale")
        except StatusError as err:
            self._fail(hpa, "AbleToScale", "FailedUpdateScale",
                       f"the HPA controller was unable to update the target scale: "
                       f"{err.message}", now, event_reason="FailedRescale",
                       event=f"New size: {desired}; reason: {reason}; error: {err.message}")
        set_condition(hpa["status"], "AbleToScale", "True", "SucceededRescale",
                      f"the HPA controller was able to update the target scale to {desired}",
                      now)
        self._event(hpa, "Normal", "SuccessfulRescale", f"New size: {desired}; reason: {reason}")
        log.info("%s: scaled %s from %d to %d (%s)", self.name, hpa["metadata"]["name"],
                 current, desired, reason)

    def _normalize(self, history: behavior.History, limits: behavior.Limits, status: Object,
                   now: str, *, up: Object, down: Object) -> int:
        """normalizeDesiredReplicasWithBehaviors: stabilize, then limit the rate."""
        stamp = self.clock()
        stabilized, reason, message = behavior.stabilize(history, limits, stamp, up=up,
                                                         down=down)
        if stabilized != limits.desired:
            set_condition(status, "AbleToScale", "True", reason, message, now)
        else:
            set_condition(status, "AbleToScale", "True", "ReadyForNewScale",
                          "recommended size matches current size", now)
        limited = behavior.Limits(limits.current, stabilized, limits.min_replicas,
                                  limits.max_replicas)
        desired, reason, message = behavior.limit_rate(history, limited, stamp, up=up,
                                                       down=down)
        set_condition(status, "ScalingLimited", "False" if desired == stabilized else "True",
                      reason, message, now)
        return desired

    # -- metrics (computeReplicasForMetrics) -------------------------------------------------

    async def _replicas_for_metrics(self, hpa: Object, scale: Object, current: int,
                                    now: str) -> tuple[int, str, list[Object]]:
        selector_text = (scale.get("status") or {}).get("selector") or ""
        if not selector_text:
            self._fail(hpa, "ScalingActive", "InvalidSelector",
                       "the HPA target's scale is missing a selector", now,
                       event_reason="SelectorRequired",
                       event="selector is required")
        try:
            selector = LabelSelector.parse(selector_text)
        except StatusError as err:
            self._fail(hpa, "ScalingActive", "InvalidSelector",
                       f"the HPA target's scale has an invalid selector: {err.message}", now,
                       event_reason="InvalidSelector", event=err.message)
        namespace = hpa["metadata"].get("namespace") or ""
        pods = [p for p in self.pods.indexer.list()
                if (p.get("metadata") or {}).get("namespace") == namespace
                and selector.matches((p.get("metadata") or {}).get("labels") or {})]
        specs = (hpa.get("spec") or {}).get("metrics") or [
            {"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": 80}}}]
        best, best_name, statuses, invalid, error = 0, "", [], 0, ""
        for metric in specs:
            try:
                replicas, name, metric_status = await self._replicas_for_metric(
                    metric, current, pods, namespace, selector_text)
            except MetricsError as err:
                invalid, error = invalid + 1, str(err)
                set_condition(hpa["status"], "ScalingActive", "False",
                              "FailedGetResourceMetric",
                              f"the HPA was unable to compute the replica count: {err}", now)
                self._event(hpa, "Warning", "FailedGetResourceMetric", str(err))
                continue
            statuses.append(metric_status)
            if replicas > best:
                best, best_name = replicas, name
        if invalid >= len(specs) or (invalid and best < current):
            hpa["status"]["currentMetrics"] = statuses or None
            self._event(hpa, "Warning", "FailedComputeMetricsReplicas",
                        f"invalid metrics ({invalid} invalid out of {len(specs)}), first "
                        f"error is: {error}")
            hpa["status"].update(currentReplicas=current, desiredReplicas=current)
            raise _Failed
        set_condition(hpa["status"], "ScalingActive", "True", "ValidMetricFound",
                      f"the HPA was able to successfully calculate a replica count from "
                      f"{best_name}", now)
        return best, best_name, statuses

    async def _replicas_for_metric(self, metric: Object, current: int, pods: list[Object],
                                   namespace: str, selector: str
                                   ) -> tuple[int, str, Object]:
        if metric.get("type") != "Resource":
            raise MetricsError(f"unsupported metric source type {metric.get('type')!r}")
        source = metric.get("resource") or {}
        resource, target = str(source.get("name") or ""), source.get("target") or {}
        try:
            listed = await self.client.list(POD_METRICS, namespace, label_selector=selector)
        except StatusError as err:
            raise MetricsError(f"unable to get metrics for resource {resource}: unable to "
                               f"fetch metrics from resource metrics API: {err.message}"
                               ) from None
        usage = metrics_from(listed.get("items") or [], resource)
        if not usage:
            raise MetricsError(f"unable to get metrics for resource {resource}: no metrics "
                               "returned from resource metrics API")
        if target.get("averageValue") is not None:
            wanted = milli(target["averageValue"]) or 0
            replicas, raw = self.calculator.raw_resource_replicas(
                current, wanted, resource, pods, usage)
            return replicas, f"{resource} resource", {"type": "Resource", "resource": {
                "name": resource, "current": {"averageValue": milli_quantity(raw)}}}
        if target.get("averageUtilization") is not None:
            replicas, utilization, raw = self.calculator.resource_replicas(
                current, int(target["averageUtilization"]), resource, pods, usage)
            return (replicas, f"{resource} resource utilization (percentage of request)",
                    {"type": "Resource", "resource": {"name": resource, "current": {
                        "averageUtilization": utilization,
                        "averageValue": milli_quantity(raw)}}})
        raise MetricsError("invalid resource metric source: neither a utilization target nor "
                           "a value target was set")

    # -- writes --------------------------------------------------------------------------------

    def _fail(self, hpa: Object, kind: str, reason: str, message: str, now: str, *,
              event: str, event_reason: str = "") -> NoReturn:
        set_condition(hpa["status"], kind, "False", reason, message, now)
        self._event(hpa, "Warning", event_reason or reason, event)
        raise _Failed

    def _event(self, hpa: Object, kind: str, reason: str, message: str) -> None:
        if self.recorder is not None:
            self.recorder.event(hpa, kind, reason, message, resource_type=HPAS)

    async def _write_status(self, hpa: Object, old_status: Object) -> None:
        """updateStatusIfNeeded: write only a changed status."""
        status = {k: v for k, v in (hpa.get("status") or {}).items() if v is not None}
        hpa["status"] = status
        if status == old_status:
            return
        try:
            await self.client.update_status(HPAS, hpa)
        except NotFound:
            return

    def _when(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC)
