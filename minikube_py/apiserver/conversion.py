"""The stored and the served form of an object, for the REST layer (``rest.py``, the watch
handler): Kubernetes' storage codec, for kinds whose objects are kept in another version than
the one a request speaks (custom resources served in several versions, conversion ``None``).

A kind whose strategy sets ``storage_api_version`` is written through :func:`stored`
(``Strategy.to_storage``) and read through :func:`served` (``Strategy.from_storage``: the
served ``apiVersion`` and, for custom resources, the schema's defaults); its stored bytes are
never sent as they are. Other kinds pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minikube_py.api.registry import ResourceType


def served(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """A stored object as ``rt`` serves it (custom resources: the served ``apiVersion``,
    conversion ``None``, and the schema's defaults), in place."""
    if rt.strategy.storage_api_version and isinstance(obj, dict):
        rt.strategy.from_storage(obj, rt.api_version)
    return obj


def stored(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`served`: the object as it is kept, in place."""
    if rt.strategy.storage_api_version:
        rt.strategy.to_storage(obj)
    return obj


def converter(rt: ResourceType) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """:func:`served` for ``rt``, or None when stored objects are served as they are."""
    if not rt.strategy.storage_api_version:
        return None
    return lambda obj: served(rt, obj)
