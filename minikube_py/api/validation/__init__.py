"""Validation of objects as Kubernetes' ``ValidateX``/``ValidateXUpdate`` functions do it.

One module per API group (``core``, ``apps``, ``batch``, ...) holds the functions of its kinds,
as ``pkg/apis/<group>/validation`` does; each kind's strategy (``api/kinds/``) calls them. The
structural decode (types, unknown fields) is in ``structural.py``; names and metadata in
``meta.py``. Results are field causes; the apiserver turns them into one 422 Invalid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation import meta as meta_validation

if TYPE_CHECKING:
    from minikube_py.api.resource import ResourceType


def validate(rt: ResourceType, obj: dict[str, Any]) -> list[Cause]:
    """All field errors of a new object: its metadata, then its kind's rules."""
    causes = meta_validation.validate_object_meta(obj.get("metadata") or {},
                                                  namespaced=rt.namespaced,
                                                  name_check=rt.strategy.check_name)
    return causes + rt.strategy.validate(obj)


def validate_update(rt: ResourceType, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """All field errors of an update from ``old`` to ``new`` (both whole objects)."""
    causes = validate(rt, new)
    causes += meta_validation.validate_object_meta_update(new.get("metadata") or {},
                                                          old.get("metadata") or {})
    return causes + rt.strategy.validate_update(new, old)
