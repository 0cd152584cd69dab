"""Validation of the replicated workloads, as pkg/apis/apps/validation and the apps strategies.

Deployment, ReplicaSet, StatefulSet, DaemonSet and ControllerRevision (apps/v1), and core/v1's
ReplicationController, the ReplicaSet's predecessor that follows the same rules. Registered in
``base.VALIDATORS`` and run by ``validation/__init__.py``; pod templates are checked by
``pod.py``. In apps/v1 a selector never changes once set (the strategies' update rule).
"""

from __future__ import annotations

import copy
from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation import names
from minikube_py.api.validation.base import (
    forbidden,
    immutable,
    invalid,
    not_supported,
    required,
)
from minikube_py.api.validation.core import validate_claim_spec
from minikube_py.api.validation.meta import (
    go_label_selector,
    invalid_go,
    validate_label_selector,
    validate_template_selector,
)
from minikube_py.api.validation.pod import (
    as_dict,
    as_int,
    as_list,
    nonnegative,
    validate_pod_template,
    validate_template_restart_policy,
)

STATEFULSET_MUTABLE = ("replicas", "ordinals", "template", "updateStrategy",
                       "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy",
                       "minReadySeconds")
STATEFULSET_UPDATE_FORBIDDEN = (
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
    "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
    "'minReadySeconds' are forbidden")


# --- shared pieces ---------------------------------------------------------------------------

def _validate_selector(spec: dict[str, Any], kind: str) -> list[Cause]:
    """spec.selector: required, well formed and not empty ("... is invalid for deployment")."""
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        return [required("spec.selector")]
    causes = validate_label_selector(selector, "spec.selector")
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        causes.append(invalid_go("spec.selector", go_label_selector(selector),
                                 f"empty selector is invalid for {kind}"))
    return causes


def _validate_template(spec: dict[str, Any], *,
                       extra_volumes: tuple[str, ...] = ()) -> list[Cause]:
    """The template of a controller whose pods always restart."""
    template = spec.get("template")
    causes = validate_template_selector(spec.get("selector"), template, "spec.template")
    causes += validate_pod_template(template, "spec.template", extra_volumes=extra_volumes)
    causes += validate_template_restart_policy(template, "spec.template", ["Always"])
    deadline = as_dict(as_dict(template).get("spec")).get("activeDeadlineSeconds")
    if deadline is not None:
        causes.append(invalid("spec.template.spec.activeDeadlineSeconds", deadline,
                              "must not be specified"))
    return causes


def _counts(spec: dict[str, Any], *keys: str) -> list[Cause]:
    return [c for key in keys for c in nonnegative(spec.get(key), f"spec.{key}")]


def _selector_unchanged(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    def normal(obj: dict[str, Any]) -> tuple[Any, Any]:
        selector = as_dict(as_dict(obj.get("spec")).get("selector"))
        return (selector.get("matchLabels") or {}, selector.get("matchExpressions") or [])
    if normal(new) == normal(old):
        return []
    selector = as_dict(new.get("spec")).get("selector")
    return [invalid_go("spec.selector", go_label_selector(selector), "field is immutable")]


def _int_or_percent(value: Any, path: str) -> list[Cause]:
    if isinstance(value, str):
        return [invalid(path, value, m) for m in names.is_valid_percent(value)]
    return nonnegative(value, path)


def _amount(value: Any) -> int:
    """The number in an int-or-percent (``25%`` -> 25), as Kubernetes' getIntOrPercentValue."""
    if isinstance(value, str):
        digits = value[:-1] if value.endswith("%") else value
        return int(digits) if digits.isdigit() else 0
    return as_int(value) or 0


def _not_over_100_percent(value: Any, path: str) -> list[Cause]:
    if isinstance(value, str) and not names.is_valid_percent(value) and _amount(value) > 100:
        return [invalid(path, value, "must not be greater than 100%")]
    return []


# --- Deployment and ReplicaSet ---------------------------------------------------------------

def validate_deployment(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes = _counts(spec, "replicas", "minReadySeconds", "revisionHistoryLimit")
    causes += _validate_selector(spec, "deployment")
    causes += _validate_template(spec)
    causes += _validate_deployment_strategy(as_dict(spec.get("strategy")))
    deadline = as_int(spec.get("progressDeadlineSeconds"))
    if deadline is not None:
        causes += nonnegative(deadline, "spec.progressDeadlineSeconds")
        if deadline <= (as_int(spec.get("minReadySeconds")) or 0):
            causes.append(invalid("spec.progressDeadlineSeconds", deadline,
                                  "must be greater than minReadySeconds"))
    return causes


def _validate_deployment_strategy(strategy: dict[str, Any]) -> list[Cause]:
    kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
    path = "spec.strategy.rollingUpdate"
    if kind == "Recreate":
        if rolling is not None:
            return [forbidden(path, "may not be specified when strategy `type` is 'Recreate'")]
        return []
    if kind not in (None, "RollingUpdate"):
        return [not_supported("spec.strategy", strategy, ["Recreate", "RollingUpdate"])]
    if not isinstance(rolling, dict):
        return []
    unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
    causes = _int_or_percent(unavailable, f"{path}.maxUnavailable")
    causes += _int_or_percent(surge, f"{path}.maxSurge")
    if _amount(unavailable) == 0 and _amount(surge) == 0:
        causes.append(invalid(f"{path}.maxUnavailable", unavailable if unavailable is not None
                              else 0, "may not be 0 when `maxSurge` is 0"))
    return causes + _not_over_100_percent(unavailable, f"{path}.maxUnavailable")


def validate_deployment_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    return _selector_unchanged(new, old)


def validate_replica_set(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes = _counts(spec, "replicas", "minReadySeconds")
    # Kubernetes' own message says "deployment" for ReplicaSets too.
    causes += _validate_selector(spec, "deployment")
    return causes + _validate_template(spec)


def validate_replica_set_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    return _selector_unchanged(new, old)


def validate_replication_controller(obj: dict[str, Any]) -> list[Cause]:
    """A core/v1 ReplicationController: a plain-map selector, a required template."""
    spec = as_dict(obj.get("spec"))
    causes = _counts(spec, "minReadySeconds", "replicas")
    selector = as_dict(spec.get("selector"))
    if not selector:
        causes.append(required("spec.selector"))
    if not isinstance(spec.get("template"), dict):
        return [*causes, required("spec.template")]
    causes += validate_template_selector({"matchLabels": selector}, spec["template"],
                                         "spec.template")
    causes += validate_pod_template(spec["template"], "spec.template")
    causes += validate_template_restart_policy(spec["template"], "spec.template", ["Always"])
    if as_dict(spec["template"].get("spec")).get("activeDeadlineSeconds") is not None:
        causes.append(forbidden("spec.template.spec.activeDeadlineSeconds",
                                "activeDeadlineSeconds in ReplicationController is not Supported"))
    return causes


# --- StatefulSet -----------------------------------------------------------------------------

def validate_stateful_set(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    policy = spec.get("podManagementPolicy")
    causes = []
    if policy is not None and policy not in ("OrderedReady", "Parallel"):
        causes.append(invalid("spec.podManagementPolicy", policy,
                              "must be 'OrderedReady' or 'Parallel'"))
    causes += _validate_stateful_set_strategy(as_dict(spec.get("updateStrategy")))
    causes += _counts(spec, "replicas", "minReadySeconds", "revisionHistoryLimit")
    causes += nonnegative(as_dict(spec.get("ordinals")).get("start"), "spec.ordinals.start")
    causes += _validate_selector(spec, "statefulset")
    claims = [as_dict(c) for c in as_list(spec.get("volumeClaimTemplates"))]
    claim_names = [str(as_dict(c.get("metadata")).get("name") or "") for c in claims]
    # Kubernetes checks only the template's labels here (a TODO in its source) and lets a bad
    # pod spec fail when the controller creates pods; we check the whole spec, counting the
    # claim templates as volumes, so the mistake shows at apply time.
    causes += _validate_template(spec, extra_volumes=tuple(claim_names))
    retention = as_dict(spec.get("persistentVolumeClaimRetentionPolicy"))
    for key in ("whenDeleted", "whenScaled"):
        value = retention.get(key)
        if value is not None and value not in ("Retain", "Delete"):
            causes.append(not_supported(f"spec.persistentVolumeClaimRetentionPolicy.{key}",
                                        value, ["Retain", "Delete"]))
    for i, (claim, name) in enumerate(zip(claims, claim_names, strict=True)):
        here = f"spec.volumeClaimTemplates[{i}]"
        if not name:
            causes.append(required(f"{here}.metadata.name"))
        causes += validate_claim_spec(claim.get("spec"), f"{here}.spec")
    return causes


def _validate_stateful_set_strategy(strategy: dict[str, Any]) -> list[Cause]:
    kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
    path = "spec.updateStrategy"
    if kind == "OnDelete":
        if rolling is not None:
            return [invalid(f"{path}.rollingUpdate", rolling,
                            "only allowed for updateStrategy 'RollingUpdate'")]
        return []
    if kind not in (None, "RollingUpdate"):
        return [invalid(path, strategy, "must be 'RollingUpdate' or 'OnDelete'")]
    rolling = as_dict(rolling)
    causes = nonnegative(rolling.get("partition"), f"{path}.rollingUpdate.partition")
    if rolling.get("maxUnavailable") is not None:
        unavailable = rolling["maxUnavailable"]
        causes += _int_or_percent(unavailable, f"{path}.rollingUpdate.maxUnavailable")
        if _amount(unavailable) == 0:
            causes.append(invalid(f"{path}.rollingUpdate.maxUnavailable", unavailable,
                                  "must be greater than 0"))
    return causes


def validate_stateful_set_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """Only replicas, template, updateStrategy and a few more may change."""
    new_spec = copy.deepcopy(as_dict(new.get("spec")))
    old_spec = as_dict(old.get("spec"))
    for key in STATEFULSET_MUTABLE:
        new_spec.pop(key, None)
    rest_of_old = {k: v for k, v in old_spec.items() if k not in STATEFULSET_MUTABLE}
    if new_spec != rest_of_old:
        return [forbidden("spec", STATEFULSET_UPDATE_FORBIDDEN)]
    return []


# --- DaemonSet and ControllerRevision --------------------------------------------------------

def validate_daemon_set(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes = _validate_selector(spec, "daemonset")
    causes += _validate_template(spec)
    causes += _counts(spec, "minReadySeconds", "templateGeneration", "revisionHistoryLimit")
    return causes + _validate_daemon_set_strategy(as_dict(spec.get("updateStrategy")))


def _validate_daemon_set_strategy(strategy: dict[str, Any]) -> list[Cause]:
    kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
    if kind == "OnDelete":
        return []
    if kind not in (None, "RollingUpdate"):
        return [not_supported("spec.updateStrategy", strategy, ["RollingUpdate", "OnDelete"])]
    if not isinstance(rolling, dict):
        return []
    path = "spec.updateStrategy.rollingUpdate"
    unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
    causes = _int_or_percent(unavailable, f"{path}.maxUnavailable")
    causes += _int_or_percent(surge, f"{path}.maxSurge")
    causes += _not_over_100_percent(unavailable, f"{path}.maxUnavailable")
    causes += _not_over_100_percent(surge, f"{path}.maxSurge")
    has_unavailable, has_surge = _amount(unavailable) != 0, _amount(surge) != 0
    if has_unavailable and has_surge:
        causes.append(invalid(f"{path}.maxSurge", surge,
                              "may not be set when maxUnavailable is non-zero"))
    elif not has_unavailable and not has_surge:
        causes.append(invalid(f"{path}.maxUnavailable", unavailable if unavailable is not None
                              else 0, "cannot be 0 when maxSurge is 0"))
    return causes


def validate_daemon_set_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    return _selector_unchanged(new, old)


def validate_controller_revision(obj: dict[str, Any]) -> list[Cause]:
    causes = [] if "data" in obj else [required("data", "data is mandatory")]
    return causes + nonnegative(obj.get("revision"), "revision")


def validate_controller_revision_update(new: dict[str, Any],
                                        old: dict[str, Any]) -> list[Cause]:
    if new.get("data") != old.get("data"):
        return [immutable("data", new.get("data"))]
    return []
