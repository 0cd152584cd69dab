"""Validation of storage.k8s.io/v1 kinds, as pkg/apis/storage/validation: a StorageClass
names a provisioner (a qualified name), keeps its parameters under 256 KiB, reclaims with
Delete or Retain and binds Immediately or at the first consumer; provisioner, parameters,
reclaimPolicy and volumeBindingMode never change after creation."""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation.base import (
    forbidden,
    invalid,
    not_supported,
    required,
    too_long,
)
from minikube_py.api.validation.names import is_qualified_name
from minikube_py.api.validation.pod import as_dict, as_list

MAX_PARAMETERS_SIZE = 256 * (1 << 10)
RECLAIM_POLICIES = ["Delete", "Retain"]
BINDING_MODES = ["Immediate", "WaitForFirstConsumer"]
IMMUTABLE = ("provisioner", "parameters", "reclaimPolicy", "volumeBindingMode")


def validate_storage_class(sc: dict[str, Any]) -> list[Cause]:
    causes = _provisioner(str(sc.get("provisioner") or ""))
    causes += _parameters(sc.get("parameters"))
    policy = sc.get("reclaimPolicy")
    if policy and policy not in RECLAIM_POLICIES:
        causes.append(not_supported("reclaimPolicy", policy, RECLAIM_POLICIES))
    mode = sc.get("volumeBindingMode")
    if not mode:
        causes.append(required("volumeBindingMode"))
    elif mode not in BINDING_MODES:
        causes.append(not_supported("volumeBindingMode", mode, BINDING_MODES))
    causes += _allowed_topologies(sc.get("allowedTopologies"))
    return causes


def validate_storage_class_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """(``validate_storage_class(new)`` has run already.)"""
    causes: list[Cause] = []
    for key in IMMUTABLE:
        if (new.get(key) or None) != (old.get(key) or None):
            causes.append(forbidden(key, f"updates to {key} are forbidden."))
    return causes


def _provisioner(provisioner: str) -> list[Cause]:
    if not provisioner:
        return [required("provisioner")]
    return [invalid("provisioner", provisioner, m)
            for m in is_qualified_name(provisioner.lower())]


def _parameters(parameters: Any) -> list[Cause]:
    causes: list[Cause] = []
    size = 0
    for key, value in as_dict(parameters).items():
        if not key:
            causes.append(invalid("parameters", key, "field can not be empty."))
        size += len(key) + len(str(value))
    if size > MAX_PARAMETERS_SIZE:
        causes.append(too_long("parameters", "", MAX_PARAMETERS_SIZE))
    return causes


def _allowed_topologies(terms: Any) -> list[Cause]:
    causes: list[Cause] = []
    for i, term in enumerate(as_list(terms)):
        exprs = as_list(as_dict(term).get("matchLabelExpressions"))
        here = f"allowedTopologies[{i}].matchLabelExpressions"
        if not exprs:
            causes.append(required(here, "must have at least one label requirement"))
        for j, expr in enumerate(exprs):
            expr = as_dict(expr)
            key = str(expr.get("key") or "")
            causes += [invalid(f"{here}[{j}].key", key, m) for m in is_qualified_name(key)]
            if not as_list(expr.get("values")):
                causes.append(required(f"{here}[{j}].values",
                                       "must specify as least one value for key"))
    return causes
