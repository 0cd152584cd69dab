"""Defaulting as Kubernetes' ``SetDefaults_X`` functions do it, applied before validation.

Each group's module registers a defaulter per kind in ``base.DEFAULTERS``; the apiserver calls
:func:`apply_defaults` on every create and update (the in-process client goes through it too).
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.defaults import apps, batch, core  # noqa: F401 (registers defaulters)
from minikube_py.api.defaults.base import DEFAULTERS
from minikube_py.api.registry import ResourceType


def apply_defaults(rt: ResourceType, obj: dict[str, Any]) -> None:
    """Fill in defaulted fields of ``obj`` in place."""
    defaulter = DEFAULTERS.get((rt.group, rt.kind))
    if defaulter is not None:
        defaulter(obj)
