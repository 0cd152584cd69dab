"""Scaling behavior of the HorizontalPodAutoscaler: stabilization windows over a history of
recommendations, and rate policies over a history of scale events (Kubernetes'
horizontal.go ``stabilizeRecommendationWithBehaviors`` and
``convertDesiredReplicasWithBehaviorRate``).

The HPA controller (controllers/horizontalpodautoscaler.py) keeps one :class:`History` per
HPA in memory, as kube-controller-manager does (a restart forgets it). An HPA without
``spec.behavior`` gets Kubernetes' defaults: scale up at most max(4 pods, 100 %) per 15 s
without stabilization, scale down at most 100 % per 15 s after a 300 s window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

Object = dict[str, Any]

DOWNSCALE_STABILIZATION = 300  # --horizontal-pod-autoscaler-downscale-stabilization


def scale_up_rules(given: Object | None) -> Object:
    """GenerateHPAScaleUpRules: the given rules with Kubernetes' defaults filled in."""
    rules = dict(given or {})
    rules.setdefault("stabilizationWindowSeconds", 0)
    rules.setdefault("selectPolicy", "Max")
    if not rules.get("policies"):
        rules["policies"] = [{"type": "Pods", "value": 4, "periodSeconds": 15},
                             {"type": "Percent", "value": 100, "periodSeconds": 15}]
    return rules


def scale_down_rules(given: Object | None) -> Object:
    """GenerateHPAScaleDownRules (a missing window is the controller's 300 s)."""
    rules = dict(given or {})
    if rules.get("stabilizationWindowSeconds") is None:
        rules["stabilizationWindowSeconds"] = DOWNSCALE_STABILIZATION
    rules.setdefault("selectPolicy", "Max")
    if not rules.get("policies"):
        rules["policies"] = [{"type": "Percent", "value": 100, "periodSeconds": 15}]
    return rules


@dataclass
class History:
    """One HPA's recent recommendations and scale events, as (time, value) pairs."""

    recommendations: list[tuple[float, int]] = field(default_factory=list)
    scale_ups: list[tuple[float, int]] = field(default_factory=list)
    scale_downs: list[tuple[float, int]] = field(default_factory=list)

    def record_initial(self, replicas: int, now: float) -> None:
        if not self.recommendations:
            self.recommendations.append((now, replicas))

    def record_scale(self, current: int, desired: int, now: float, *, up: Object,
                     down: Object) -> None:
        """storeScaleEvent: remember a change, dropping events older than every period."""
        if desired > current:
            events, change, rules = self.scale_ups, desired - current, up
        else:
            events, change, rules = self.scale_downs, current - desired, down
        longest = max((int(p.get("periodSeconds") or 0) for p in rules["policies"]), default=0)
        events[:] = [e for e in events if e[0] > now - longest]
        events.append((now, change))


@dataclass(frozen=True)
class Limits:
    current: int
    desired: int
    min_replicas: int
    max_replicas: int


def stabilize(history: History, limits: Limits, now: float, *, up: Object,
              down: Object) -> tuple[int, str, str]:
    """The recommendation kept within the lowest recent one (scale up window) and the highest
    (scale down window); records the unstabilized one."""
    up_cutoff = now - int(up["stabilizationWindowSeconds"])
    down_cutoff = now - int(down["stabilizationWindowSeconds"])
    up_rec = down_rec = limits.desired
    old_index = -1
    for i, (stamp, rec) in enumerate(history.recommendations):
        if stamp > up_cutoff:
            up_rec = min(rec, up_rec)
        if stamp > down_cutoff:
            down_rec = max(rec, down_rec)
        if stamp < up_cutoff and stamp < down_cutoff:
            old_index = i
    recommendation = min(max(limits.current, up_rec), down_rec)
    if old_index >= 0:
        history.recommendations[old_index] = (now, limits.desired)
    else:
        history.recommendations.append((now, limits.desired))
    if limits.desired >= limits.current:
        return recommendation, "ScaleUpStabilized", ("recent recommendations were lower than "
                                                     "current one, applying the lowest recent "
                                                     "recommendation")
    return recommendation, "ScaleDownStabilized", ("recent recommendations were higher than "
                                                   "current one, applying the highest recent "
                                                   "recommendation")


def _changed_within(period: int, events: list[tuple[float, int]], now: float) -> int:
    return sum(change for stamp, change in events if stamp > now - period)


def _period_start(current: int, policy: Object, history: History, now: float) -> int:
    period = int(policy.get("periodSeconds") or 0)
    return (current - _changed_within(period, history.scale_ups, now)
            + _changed_within(period, history.scale_downs, now))


def scale_up_limit(current: int, history: History, rules: Object, now: float) -> int:
    if rules.get("selectPolicy") == "Disabled":
        return current
    proposals = []
    for policy in rules["policies"]:
        start = _period_start(current, policy, history, now)
        if policy.get("type") == "Pods":
            proposals.append(start + int(policy["value"]))
        else:
            proposals.append(math.ceil(start * (1 + int(policy["value"]) / 100)))
    choose = min if rules.get("selectPolicy") == "Min" else max
    return choose(proposals) if proposals else current


def scale_down_limit(current: int, history: History, rules: Object, now: float) -> int:
    if rules.get("selectPolicy") == "Disabled":
        return current
    proposals = []
    for policy in rules["policies"]:
        start = _period_start(current, policy, history, now)
        if policy.get("type") == "Pods":
            proposals.append(start - int(policy["value"]))
        else:
            proposals.append(int(start * (1 - int(policy["value"]) / 100)))
    choose = max if rules.get("selectPolicy") == "Min" else min
    return choose(proposals) if proposals else current


def limit_rate(history: History, limits: Limits, now: float, *, up: Object,
               down: Object) -> tuple[int, str, str]:
    """The desired count within the policies' rate and min/maxReplicas, with the
    ScalingLimited reason and message."""
    current, desired = limits.current, limits.desired
    if desired > current:
        allowed = max(scale_up_limit(current, history, up, now), current)
        if limits.max_replicas > allowed:
            reason, message = "ScaleUpLimit", ("the desired replica count is increasing "
                                               "faster than the maximum scale rate")
        else:
            allowed = limits.max_replicas
            reason, message = "TooManyReplicas", ("the desired replica count is more than "
                                                  "the maximum replica count")
        if desired > allowed:
            return allowed, reason, message
    elif desired < current:
        allowed = min(scale_down_limit(current, history, down, now), current)
        if limits.min_replicas < allowed:
            reason, message = "ScaleDownLimit", ("the desired replica count is decreasing "
                                                 "faster than the maximum scale rate")
        else:
            allowed = limits.min_replicas
            reason, message = "TooFewReplicas", ("the desired replica count is less than "
                                                 "the minimum replica count")
        if desired < allowed:
            return allowed, reason, message
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"
