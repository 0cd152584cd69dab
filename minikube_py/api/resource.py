"""Resource types: how the API names and addresses each kind (group, version, plural, scope,
short names, subresources), with the :class:`~minikube_py.api.strategy.Strategy` that holds
what the kind's objects follow.

A :class:`ResourceType` is what the apiserver's routing and discovery, store keys, the CLI's
name resolution (``po``, ``deploy``, ``deployments.apps``), OpenAPI and every client read.
The served types are registered in ``api/registry.py``, one line per kind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from minikube_py.api.schema import Schema
from minikube_py.api.strategy import Strategy

log = logging.getLogger(__name__)

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")

# Subresources and the kind each one speaks (for discovery): None means the parent's kind.
SUBRESOURCE_KINDS: dict[str, tuple[str, str, str] | None] = {
    "status": None,
    "scale": ("autoscaling", "v1", "Scale"),
    "binding": ("", "v1", "Binding"),
    "eviction": ("policy", "v1", "Eviction"),
    "log": ("", "v1", "Pod"),
    "exec": ("", "v1", "PodExecOptions"),
    "attach": ("", "v1", "PodAttachOptions"),
    "portforward": ("", "v1", "PodPortForwardOptions"),
    "finalize": None,
    "approval": None,
    "token": ("authentication.k8s.io", "v1", "TokenRequest"),
}
SUBRESOURCE_VERBS: dict[str, tuple[str, ...]] = {
    "status": ("get", "patch", "update"),
    "scale": ("get", "patch", "update"),
    "binding": ("create",),
    "eviction": ("create",),
    "log": ("get",),
    "exec": ("create", "get"),
    "attach": ("create", "get"),
    "portforward": ("create", "get"),
    "finalize": ("update",),
    "approval": ("get", "patch", "update"),
    "token": ("create",),
}


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    schema: Schema | None = None
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[str, ...] = ()
    singular_name: str = ""
    strategy: Strategy = field(default_factory=Strategy, compare=False)
    list_kind_name: str = ""  # "" means <Kind>List (a CRD may name its own)
    #: Another type whose objects these are, in another version (events.k8s.io/v1 Events
    #: are core/v1 Events): they share its keys, and ``strategy.to_shared_storage`` /
    #: ``from_shared_storage`` convert between the two (Kubernetes' storage version).
    stored_as: ResourceType | None = field(default=None, compare=False)

    @property
    def storage_type(self) -> ResourceType:
        """The type whose version is stored (itself, unless it is ``stored_as`` another)."""
        return self.stored_as.storage_type if self.stored_as is not None else self

    @property
    def singular(self) -> str:
        return self.singular_name or self.kind.lower()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return self.list_kind_name or f"{self.kind}List"

    @property
    def group_resource(self) -> str:
        """``pods`` or ``deployments.apps``: how Kubernetes names the resource in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    def prefix(self, namespace: str | None = None) -> str:
        """Store key prefix of this resource (in one namespace, or all of them); a second
        version of another type's objects has that type's keys."""
        if self.stored_as is not None:
            return self.storage_type.prefix(namespace)
        base = f"/registry/{self.plural}/"
        if self.group and self.group not in _LEGACY_KEY_GROUPS:
            base = f"/registry/{self.group}/{self.plural}/"
        if self.namespaced and namespace:
            return f"{base}{namespace}/"
        return base

    def key(self, namespace: str | None, name: str) -> str:
        return f"{self.prefix(namespace if self.namespaced else None)}{name}"

    def path(self, namespace: str | None = None, name: str | None = None,
             subresource: str | None = None) -> str:
        """The REST path of a collection, an object or one of its subresources."""
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            root += f"/namespaces/{namespace}"
        root += f"/{self.plural}"
        if name:
            root += f"/{name}"
            if subresource:
                root += f"/{subresource}"
        return root


# Built-in groups keep Kubernetes' etcd key layout (/registry/deployments/...); other groups
# (custom resources, later) are keyed by group as well to keep plurals apart.
_LEGACY_KEY_GROUPS = {"", "apps", "batch", "autoscaling", "coordination.k8s.io", "policy",
                      "rbac.authorization.k8s.io", "networking.k8s.io", "storage.k8s.io",
                      "scheduling.k8s.io", "discovery.k8s.io", "events.k8s.io", "node.k8s.io",
                      "admissionregistration.k8s.io"}


RegistryListener = Callable[["Registry"], None]


@dataclass
class Registry:
    """All served resource types, with the look-ups the apiserver and CLI need.

    The built-in kinds are registered once, at import (``api/registry.py``); types may come
    and go while the apiserver runs (custom resources, as CRDs are established and deleted):
    :meth:`replace_owned` swaps the types one owner (a CRD) serves. Every change bumps
    :attr:`generation` and calls the listeners (:meth:`subscribe`), so that caches derived
    from the registry (OpenAPI documents, field indexes, APIService objects) know to refresh.
    Listeners run synchronously, in the change; one that raises is logged.
    """

    types: list[ResourceType] = field(default_factory=list)
    #: Bumped by every change: a cache built at generation N is stale once it differs.
    generation: int = 0
    _owned: dict[str, list[ResourceType]] = field(default_factory=dict, repr=False)
    _listeners: list[RegistryListener] = field(default_factory=list, repr=False)

    def add(self, rt: ResourceType) -> None:
        self.types.append(rt)
        self._changed()

    def remove(self, rt: ResourceType) -> None:
        self.types = [t for t in self.types if t is not rt]
        self._changed()

    def replace_owned(self, owner: str, types: Iterable[ResourceType]) -> None:
        """Serve exactly ``types`` for ``owner`` (e.g. ``crd:<name>``) instead of what it
        served before (none: it stops serving). No change, no new generation."""
        new = list(types)
        old = self._owned.get(owner, [])
        if new == old and all(a.strategy is b.strategy for a, b in zip(new, old, strict=True)):
            return
        gone = {id(t) for t in old}
        self.types = [t for t in self.types if id(t) not in gone] + new
        if new:
            self._owned[owner] = new
        else:
            self._owned.pop(owner, None)
        self._changed()

    def owned(self, owner: str) -> list[ResourceType]:
        return list(self._owned.get(owner, ()))

    def subscribe(self, listener: RegistryListener) -> Callable[[], None]:
        """Call ``listener(registry)`` after every change; returns the unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners \
            else None

    def copy(self) -> Registry:
        """A registry serving the same types, changing independently (one per apiserver:
        the custom resources of one cluster are not another's)."""
        return Registry(list(self.types))

    def _changed(self) -> None:
        self.generation += 1
        self.__dict__.pop("_by_path", None)
        self.__dict__.pop("_by_name", None)
        for listener in list(self._listeners):
            try:
                listener(self)
            except Exception:  # one listener's bug must not stop the change or the others
                log.exception("registry listener %r failed", listener)

    def __iter__(self) -> Iterator[ResourceType]:
        return iter(self.types)

    @cached_property
    def _by_path(self) -> dict[tuple[str, str, str], ResourceType]:
        index: dict[tuple[str, str, str], ResourceType] = {}
        for rt in self.types:  # the first registered wins: no custom type shadows a built-in
            index.setdefault((rt.group, rt.version, rt.plural), rt)
        return index

    @cached_property
    def _by_name(self) -> dict[str, list[ResourceType]]:
        index: dict[str, list[ResourceType]] = {}
        for rt in self.types:
            names = {rt.plural, rt.singular, rt.kind.lower(), *rt.short_names}
            for name in names:
                index.setdefault(name, []).append(rt)
                if rt.group:
                    index.setdefault(f"{name}.{rt.group}", []).append(rt)
                    index.setdefault(f"{name}.{rt.version}.{rt.group}", []).append(rt)
        return index

    def by_path(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_path.get((group, version, plural))

    def require(self, group: str, version: str, plural: str) -> ResourceType:
        """:meth:`by_path` for a resource the caller is built on (absent: a bug, LookupError)."""
        rt = self.by_path(group, version, plural)
        if rt is None:
            raise LookupError(f"{plural}.{version}.{group or 'core'} is not registered")
        return rt

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        for rt in self.types:
            if rt.kind == kind and rt.group == group and rt.version == version:
                return rt
        return None

    def resolve(self, name: str) -> ResourceType | None:
        """What a user typed (``po``, ``pods``, ``Pod``, ``deploy``, ``deployments.apps``)."""
        found = self._by_name.get(name.lower()) or self._by_name.get(name)
        if not found:
            return None
        # Prefer core and apps over other groups, as kubectl's default priority does.
        return sorted(found, key=lambda rt: _GROUP_PRIORITY.get(rt.group, 9))[0]

    def groups(self) -> dict[str, list[str]]:
        """Group name -> served versions (core is "")."""
        result: dict[str, list[str]] = {}
        for rt in self.types:
            versions = result.setdefault(rt.group, [])
            if rt.version not in versions:
                versions.append(rt.version)
        return result


_GROUP_PRIORITY = {"": 0, "apps": 1, "batch": 2, "autoscaling": 3}

WORKLOAD_SUBRESOURCES = ("status", "scale")


