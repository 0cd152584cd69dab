"""Defaulting of the apps/v1 kinds, as pkg/apis/apps/v1/defaults.go.

Registered in ``base.DEFAULTERS`` and applied by ``defaults/__init__.py`` before validation.
Pod templates get the PodSpec defaults of ``core.py`` (not the Pod-only ones, such as requests
copied from limits, which the Pods made from the template get when they are created).
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.defaults.core import default, default_claim, default_pod_spec, dicts, section


def default_template(spec: dict[str, Any]) -> None:
    """The PodSpec defaults in ``spec.template.spec``, when there is one."""
    template = spec.get("template")
    if isinstance(template, dict):
        default_pod_spec(template.get("spec"))  # type: ignore[arg-type]


def default_deployment(deployment: dict[str, Any]) -> None:
    spec = section(deployment, "spec")
    default(spec, "replicas", 1)
    strategy = section(spec, "strategy")
    default(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = section(strategy, "rollingUpdate")
        default(rolling, "maxUnavailable", "25%")
        default(rolling, "maxSurge", "25%")
    default(spec, "revisionHistoryLimit", 10)
    default(spec, "progressDeadlineSeconds", 600)
    default_template(spec)


def default_replica_set(replica_set: dict[str, Any]) -> None:
    spec = section(replica_set, "spec")
    default(spec, "replicas", 1)
    default_template(spec)


def default_stateful_set(stateful_set: dict[str, Any]) -> None:
    spec = section(stateful_set, "spec")
    default(spec, "podManagementPolicy", "OrderedReady")
    strategy = section(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        section(strategy, "rollingUpdate")
    if strategy["type"] == "RollingUpdate" and isinstance(strategy.get("rollingUpdate"), dict):
        default(strategy["rollingUpdate"], "partition", 0)
    retention = section(spec, "persistentVolumeClaimRetentionPolicy")
    default(retention, "whenDeleted", "Retain")
    default(retention, "whenScaled", "Retain")
    default(spec, "replicas", 1)
    default(spec, "revisionHistoryLimit", 10)
    for claim in dicts(spec.get("volumeClaimTemplates")):
        default_claim(claim)
    default_template(spec)


def default_daemon_set(daemon_set: dict[str, Any]) -> None:
    spec = section(daemon_set, "spec")
    strategy = section(spec, "updateStrategy")
    default(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = section(strategy, "rollingUpdate")
        default(rolling, "maxUnavailable", 1)
        default(rolling, "maxSurge", 0)
    default(spec, "revisionHistoryLimit", 10)
    default_template(spec)
