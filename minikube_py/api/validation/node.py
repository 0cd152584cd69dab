"""Validation of node.k8s.io/v1 RuntimeClasses, as pkg/apis/node/validation: the handler is
a DNS label and immutable, the overhead valid resources, the scheduling node selector labels
and tolerations valid."""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation.base import immutable, invalid
from minikube_py.api.validation.meta import validate_labels, validate_tolerations
from minikube_py.api.validation.names import is_dns1123_label
from minikube_py.api.validation.pod import as_dict, validate_resources


def validate_runtime_class(obj: dict[str, Any]) -> list[Cause]:
    handler = str(obj.get("handler") or "")
    causes = [invalid("handler", handler, m) for m in is_dns1123_label(handler)]
    overhead = obj.get("overhead")
    if isinstance(overhead, dict):
        # As Kubernetes: the pod's fixed overhead is checked as resource limits.
        causes += validate_resources({"limits": as_dict(overhead.get("podFixed"))}, "overhead")
    scheduling = obj.get("scheduling")
    if isinstance(scheduling, dict):
        causes += validate_labels(scheduling.get("nodeSelector"), "scheduling.nodeSelector")
        causes += validate_tolerations(scheduling.get("tolerations"), "scheduling.tolerations")
    return causes


def validate_runtime_class_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    return [immutable("handler", new.get("handler"))] \
        if new.get("handler") != old.get("handler") else []
