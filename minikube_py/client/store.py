"""The informer's local cache: objects by key, with secondary indexes (client-go's
``tools/cache`` store.go, thread_safe_store.go, index.go and listers.go).

A :class:`~minikube_py.client.reflector.Reflector` fills an :class:`Indexer`; controllers
read it through a :class:`Lister` (by namespace/name, or with a label selector) and through
indexes (``by_index("namespace", "default")``, pods ``by_index("spec.nodeName", node)``,
dependents ``by_index("ownerUID", uid)``). Everything runs on one event loop, so there are no
locks; the names are client-go's so a Kubernetes engineer knows where things are.

Objects held here are JSON-shaped dicts exactly as the apiserver sent them, and they are
shared with every reader: **treat them as read-only**. Copy (``copy.deepcopy``) before
changing one; an object changed in place corrupts the cache for every other controller.

Invariant (``ThreadSafeStore``): for every index name ``n`` and key ``k`` of a stored object,
``k`` is in ``indices[n][v]`` exactly for the values ``v`` that ``indexers[n]`` returned when
the object was stored; so an object whose label changes moves from one index value to
another, and a delete removes it from all of them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from minikube_py.api.machinery.selectors import LabelSelector

Object = dict[str, Any]
IndexFunc = Callable[[Object], list[str]]
Indexers = dict[str, IndexFunc]
KeyFunc = Callable[[Object], str]
Objects = list[Object]  # aliases: inside the classes below, ``list`` is a method
Keys = list[str]

NAMESPACE_INDEX = "namespace"
OWNER_UID_INDEX = "ownerUID"
NODE_NAME_INDEX = "spec.nodeName"


@dataclass(frozen=True)
class DeletedFinalStateUnknown:
    """A delete the informer did not see happen: the object vanished while the watch was
    broken, and its last known state is ``obj`` (it may be stale). ``on_delete`` handlers get
    either an object or one of these."""

    key: str
    obj: Object


def meta_namespace_key(obj: Object) -> str:
    """``namespace/name``, or ``name`` for a cluster-scoped object (client-go's
    ``MetaNamespaceKeyFunc``)."""
    meta = obj.get("metadata") or {}
    name = meta.get("name") or ""
    if not name:
        raise KeyError("object has no metadata.name")
    namespace = meta.get("namespace")
    return f"{namespace}/{name}" if namespace else str(name)


def deletion_handling_meta_namespace_key(obj: Object | DeletedFinalStateUnknown) -> str:
    """The key of what ``on_delete`` received, unwrapping :class:`DeletedFinalStateUnknown`."""
    if isinstance(obj, DeletedFinalStateUnknown):
        return obj.key
    return meta_namespace_key(obj)


def split_meta_namespace_key(key: str) -> tuple[str | None, str]:
    """``(namespace, name)`` of a key; the namespace is None for cluster-scoped keys."""
    namespace, sep, name = key.partition("/")
    return (namespace, name) if sep else (None, namespace)


# --- index functions ----------------------------------------------------------------------


def meta_namespace_index_func(obj: Object) -> Keys:
    """Index by ``metadata.namespace`` (cluster-scoped objects are not indexed)."""
    namespace = (obj.get("metadata") or {}).get("namespace")
    return [namespace] if namespace else []


def owner_uid_index_func(obj: Object) -> Keys:
    """Index by the uid of every ``metadata.ownerReferences`` entry."""
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return [ref["uid"] for ref in refs if isinstance(ref, dict) and ref.get("uid")]


def node_name_index_func(obj: Object) -> Keys:
    """Index by ``spec.nodeName`` (pods not yet scheduled are not indexed)."""
    node = (obj.get("spec") or {}).get("nodeName")
    return [node] if node else []


@functools.cache
def label_index(label: str) -> IndexFunc:
    """An index function on the value of one label, e.g. ``label_index("app")``. The same
    label gives the same function, so controllers sharing an informer can each ask for it."""

    def index(obj: Object) -> Keys:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        value = labels.get(label)
        return [value] if isinstance(value, str) else []

    index.__name__ = f"label_index({label!r})"
    return index


def label_index_name(label: str) -> str:
    """The conventional index name for :func:`label_index`: ``label:app``."""
    return f"label:{label}"


# --- the store ----------------------------------------------------------------------------


class ThreadSafeStore:
    """Objects by key plus their indexes (client-go's ``threadSafeMap``).

    The values each index function returned are remembered per key, so removing an object
    from its old index values never depends on the old object being unchanged.
    """

    def __init__(self, indexers: Indexers | None = None) -> None:
        self._items: dict[str, Object] = {}
        self._indexers: Indexers = {}
        self._indices: dict[str, dict[str, set[str]]] = {}
        self._indexed: dict[str, dict[str, Keys]] = {}  # index name -> key -> values
        self.add_indexers(indexers or {})

    def add(self, key: str, obj: Object) -> None:
        self.update(key, obj)

    def update(self, key: str, obj: Object) -> None:
        self._items[key] = obj
        for name, func in self._indexers.items():
            self._reindex(name, key, func(obj))

    def delete(self, key: str) -> None:
        if self._items.pop(key, None) is None:
            return
        for name in self._indexers:
            self._reindex(name, key, [])

    def get(self, key: str) -> Object | None:
        return self._items.get(key)

    def list(self) -> Objects:
        return list(self._items.values())

    def list_keys(self) -> Keys:
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def replace(self, items: dict[str, Object]) -> None:
        """Hold exactly ``items`` from now on; every index is rebuilt."""
        self._items = dict(items)
        self._indices = {name: {} for name in self._indexers}
        self._indexed = {name: {} for name in self._indexers}
        for key, obj in self._items.items():
            for name, func in self._indexers.items():
                self._reindex(name, key, func(obj))

    def _reindex(self, name: str, key: str, values: Keys) -> None:
        index = self._indices[name]
        indexed = self._indexed[name]
        old = indexed.get(key, [])
        if old == values:
            return
        for value in old:
            keys = index.get(value)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del index[value]  # no empty buckets: index_values() lists live values only
        for value in values:
            index.setdefault(value, set()).add(key)
        if values:
            indexed[key] = list(values)
        else:
            indexed.pop(key, None)

    # -- indexes ---------------------------------------------------------------------------

    def add_indexers(self, indexers: Indexers) -> None:
        """Register more index functions; objects already stored are indexed at once. A name
        may be registered again with the same function object (use module-level functions
        or :func:`label_index`, not fresh lambdas), never with another."""
        for name, func in indexers.items():
            existing = self._indexers.get(name)
            if existing is func:
                continue
            if existing is not None:
                raise ValueError(f"indexer conflict: {name!r} is already registered")
            self._indexers[name] = func
            self._indices[name] = {}
            self._indexed[name] = {}
            for key, obj in self._items.items():
                self._reindex(name, key, func(obj))

    def get_indexers(self) -> Indexers:
        return dict(self._indexers)

    def _index(self, name: str) -> dict[str, set[str]]:
        index = self._indices.get(name)
        if index is None:
            raise KeyError(f"Index with name {name} does not exist")
        return index

    def index_keys(self, index_name: str, value: str) -> Keys:
        """Keys of the objects whose index function returned ``value``."""
        return sorted(self._index(index_name).get(value, ()))

    def by_index(self, index_name: str, value: str) -> Objects:
        """Objects whose index function returned ``value``."""
        return [self._items[key] for key in self.index_keys(index_name, value)]

    def index(self, index_name: str, obj: Object) -> Objects:
        """Objects sharing any index value with ``obj`` (client-go's ``Index``)."""
        func = self._indexers.get(index_name)
        if func is None:
            raise KeyError(f"Index with name {index_name} does not exist")
        index = self._indices[index_name]
        keys: set[str] = set()
        for value in func(obj):
            keys |= index.get(value, set())
        return [self._items[key] for key in sorted(keys)]

    def list_index_func_values(self, index_name: str) -> Keys:
        """Every value the index holds at least one object for."""
        return sorted(self._index(index_name))


class Indexer:
    """A :class:`ThreadSafeStore` keyed by a key function (client-go's ``cache.Indexer``, as
    ``NewIndexer(MetaNamespaceKeyFunc, indexers)`` builds it). It is the store a Reflector
    writes to: ``add/update/delete/replace``. Objects it returns are shared: read-only."""

    def __init__(self, indexers: Indexers | None = None, *,
                 key_func: KeyFunc = meta_namespace_key) -> None:
        self.key_func = key_func
        self._store = ThreadSafeStore(indexers)
        self.resource_version = ""  # of the last replace()

    def key(self, obj: Object | DeletedFinalStateUnknown) -> str:
        if isinstance(obj, DeletedFinalStateUnknown):
            return obj.key
        return self.key_func(obj)

    def add(self, obj: Object) -> None:
        self._store.add(self.key_func(obj), obj)

    def update(self, obj: Object) -> None:
        self._store.update(self.key_func(obj), obj)

    def delete(self, obj: Object | DeletedFinalStateUnknown) -> None:
        self._store.delete(self.key(obj))

    def replace(self, items: Iterable[Object], resource_version: str) -> None:
        self._store.replace({self.key_func(obj): obj for obj in items})
        self.resource_version = resource_version

    def get(self, obj: Object) -> Object | None:
        """The stored object with the same key as ``obj``."""
        return self._store.get(self.key_func(obj))

    def get_by_key(self, key: str) -> Object | None:
        return self._store.get(key)

    def list(self) -> Objects:
        return self._store.list()

    def list_keys(self) -> Keys:
        return self._store.list_keys()

    def __len__(self) -> int:
        return len(self._store)

    def __contains__(self, key: object) -> bool:
        return key in self._store

    def add_indexers(self, indexers: Indexers) -> None:
        self._store.add_indexers(indexers)

    def get_indexers(self) -> Indexers:
        return self._store.get_indexers()

    def by_index(self, index_name: str, value: str) -> Objects:
        return self._store.by_index(index_name, value)

    def index_keys(self, index_name: str, value: str) -> Keys:
        return self._store.index_keys(index_name, value)

    def index(self, index_name: str, obj: Object) -> Objects:
        return self._store.index(index_name, obj)

    def list_index_func_values(self, index_name: str) -> Keys:
        return self._store.list_index_func_values(index_name)


# --- listers ------------------------------------------------------------------------------

Selector = LabelSelector | str | None


def _selector(selector: Selector) -> LabelSelector:
    if selector is None:
        return LabelSelector.everything()
    if isinstance(selector, str):
        return LabelSelector.parse(selector)
    return selector


def _select(objs: Iterable[Object], selector: Selector) -> Objects:
    chosen = _selector(selector)
    if chosen.empty():
        return list(objs)
    return [o for o in objs if chosen.matches((o.get("metadata") or {}).get("labels"))]


class Lister:
    """Reads of one informer's cache, as a generated client-go lister offers them:
    ``list(selector)``, ``get(name, namespace)``, ``namespaced(ns).list()/get()``.

    A missing object is ``None`` (a controller treats it as deleted). Read-only objects."""

    def __init__(self, indexer: Indexer) -> None:
        self.indexer = indexer

    def list(self, selector: Selector = None) -> Objects:
        """Every object in every namespace matching the label selector."""
        return _select(self.indexer.list(), selector)

    def get(self, name: str, namespace: str | None = None) -> Object | None:
        return self.indexer.get_by_key(f"{namespace}/{name}" if namespace else name)

    def namespaced(self, namespace: str) -> NamespaceLister:
        return NamespaceLister(self.indexer, namespace)


class NamespaceLister:
    """A :class:`Lister` restricted to one namespace (``lister.Pods(ns)`` in client-go)."""

    def __init__(self, indexer: Indexer, namespace: str) -> None:
        self.indexer = indexer
        self.namespace = namespace

    def list(self, selector: Selector = None) -> Objects:
        if NAMESPACE_INDEX in self.indexer.get_indexers():
            objs = self.indexer.by_index(NAMESPACE_INDEX, self.namespace)
        else:
            prefix = self.namespace + "/"
            objs = [o for k, o in ((self.indexer.key(o), o) for o in self.indexer.list())
                    if k.startswith(prefix)]
        return _select(objs, selector)

    def get(self, name: str) -> Object | None:
        return self.indexer.get_by_key(f"{self.namespace}/{name}")
