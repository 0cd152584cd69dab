"""Validation of objects as Kubernetes' ``ValidateX``/``ValidateXUpdate`` functions do it.

Called by the apiserver after defaulting, on create and update. The structural decode (types,
unknown fields) is in ``structural.py``; names and metadata in ``meta.py``; each kind's own rules
in the module of its group, registered in ``base.VALIDATORS``. Results are field causes; the
apiserver turns them into one 422 Invalid.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.registry import ResourceType
from minikube_py.api.validation import apps, batch, core  # noqa: F401 (registers validators)
from minikube_py.api.validation import meta as meta_validation
from minikube_py.api.validation.base import UPDATE_VALIDATORS, VALIDATORS


def validate(rt: ResourceType, obj: dict[str, Any]) -> list[Cause]:
    """All field errors of a new object."""
    causes = meta_validation.validate_object_meta(obj.get("metadata") or {},
                                                  namespaced=rt.namespaced, kind=rt.kind)
    check = VALIDATORS.get((rt.group, rt.kind))
    if check is not None:
        causes += check(obj)
    return causes


def validate_update(rt: ResourceType, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """All field errors of an update from ``old`` to ``new`` (both whole objects)."""
    causes = validate(rt, new)
    causes += meta_validation.validate_object_meta_update(new.get("metadata") or {},
                                                          old.get("metadata") or {})
    check = UPDATE_VALIDATORS.get((rt.group, rt.kind))
    if check is not None:
        causes += check(new, old)
    return causes
