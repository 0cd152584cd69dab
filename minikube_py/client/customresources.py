"""The resource types a cluster serves, as a process other than the apiserver learns them:
the built-in kinds of ``api/registry.py`` plus the custom resources of the cluster's
established CRDs, followed through an informer on CustomResourceDefinitions.

Controllers that act on every kind (the garbage collector, the namespace controller) read
:attr:`ServedTypes.registry` and subscribe to its changes (``Registry.subscribe``), in the
daemon's process and in a controller manager of its own alike: the types come from the same
``resource_types(crd)`` the apiserver serves them by.
"""

from __future__ import annotations

import logging
from typing import Any

from minikube_py.api.kinds.apiextensions import customresourcedefinition
from minikube_py.api.kinds.apiextensions.customresource import owner_key, resource_types
from minikube_py.api.registry import REGISTRY, Registry, ResourceType
from minikube_py.client.informer import SharedInformer, SharedInformerFactory
from minikube_py.client.store import DeletedFinalStateUnknown

log = logging.getLogger(__name__)

CRDS = customresourcedefinition.RESOURCE


class ServedTypes:
    """A registry kept in step with the CRDs an informer sees."""

    def __init__(self, informers: SharedInformerFactory, base: Registry = REGISTRY) -> None:
        self.registry = base.copy()
        self.informer: SharedInformer = informers.informer_for(CRDS)
        self.informer.add_event_handler(on_add=self._sync,
                                        on_update=lambda _old, new: self._sync(new),
                                        on_delete=self._gone)

    def _sync(self, crd: dict[str, Any]) -> None:
        self.registry.replace_owned(owner_key(crd), resource_types(crd))

    def _gone(self, crd: dict[str, Any] | DeletedFinalStateUnknown) -> None:
        last = crd.obj if isinstance(crd, DeletedFinalStateUnknown) else crd
        if isinstance(last, dict):
            self.registry.replace_owned(owner_key(last), [])


def one_version_each(types: list[ResourceType]) -> list[ResourceType]:
    """One type per group and resource: the objects of a custom resource served in several
    versions are the same objects, to be watched or deleted once (the storage version when
    it is served, else the first)."""
    chosen: dict[tuple[str, str], ResourceType] = {}
    for rt in types:
        key = (rt.group, rt.plural)
        current = chosen.get(key)
        if current is None or (not _stored_as(current) and _stored_as(rt)):
            chosen[key] = rt
    return list(chosen.values())


def _stored_as(rt: ResourceType) -> bool:
    """Whether ``rt`` is the version its objects are stored in (built-in kinds: always)."""
    return rt.strategy.storage_api_version in ("", rt.api_version)
