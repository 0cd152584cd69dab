"""The in-memory index of current objects: keys in order, and secondary indexes.

Objects are grouped in buckets (one per resource: ``/registry/pods/...`` -> ``pods``). A
bucket keeps its entries in key order (a sorted dict), so a prefix — a namespace, a page
that starts after a continue key — is found by bisection and costs what it returns, not the
size of the resource. Secondary indexes map a value to the keys whose objects have it:
``labels`` (``key=value`` and ``key`` for every label, for label selectors) and whatever the
apiserver registers (``spec.nodeName`` of pods, ``involvedObject.uid`` of events). An index is
built on first use, so opening a large store never decodes its objects; after that each
commit keeps it current from the objects it writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sortedcontainers import SortedDict

from minikube_py.store.interface import Entry

IndexFunc = Callable[[dict[str, Any]], Iterable[str]]
LABELS = "labels"


def bucket_of(key: str) -> str:
    """``/registry/pods/ns/name`` -> ``pods``: the bucket a key lives in."""
    parts = key.split("/", 3)
    return parts[2] if len(parts) > 2 else ""


def prefix_end(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "\U0010ffff"


def label_values(obj: dict[str, Any]) -> Iterator[str]:
    """``key=value`` and ``key`` for each label (label keys cannot hold ``=``)."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for key, value in labels.items():
        yield f"{key}={value}"
        yield key


@dataclass
class Index:
    """One secondary index: value -> keys, and key -> values to keep it current."""

    func: IndexFunc
    keys_of: dict[str, set[str]] = field(default_factory=dict)
    values_of: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def set(self, key: str, obj: dict[str, Any]) -> None:
        values = tuple(dict.fromkeys(self.func(obj)))
        old = self.values_of.get(key, ())
        if values == old:
            return
        self.remove(key)
        if values:
            self.values_of[key] = values
            for value in values:
                self.keys_of.setdefault(value, set()).add(key)

    def remove(self, key: str) -> None:
        for value in self.values_of.pop(key, ()):
            keys = self.keys_of.get(value)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.keys_of[value]


@dataclass
class Bucket:
    entries: SortedDict = field(default_factory=SortedDict)  # key -> Entry, in key order
    indexes: dict[str, Index] = field(default_factory=dict)  # the ones built so far

    def between(self, start: str, end: str, limit: int | None = None) -> list[Entry]:
        first, last = self.entries.bisect_left(start), self.entries.bisect_left(end)
        if limit is not None:
            last = min(last, first + limit)
        return list(self.entries.values()[first:last])

    def iter_between(self, start: str, end: str) -> Iterator[Entry]:
        entries = self.entries
        for key in entries.irange(start, end, inclusive=(True, False)):
            yield entries[key]

    def count(self, start: str, end: str) -> int:
        return int(self.entries.bisect_left(end) - self.entries.bisect_left(start))


class ObjectIndex:
    """The buckets of a store, with their secondary indexes."""

    def __init__(self) -> None:
        self._buckets: dict[str, Bucket] = {}
        self._funcs: dict[str, list[tuple[str, IndexFunc]]] = {}  # index name -> (prefix, f)
        self.register(LABELS, "", label_values)

    def register(self, name: str, prefix: str, func: IndexFunc) -> None:
        """Index the objects under ``prefix`` by ``func`` as ``name`` (built on first use)."""
        self._funcs.setdefault(name, []).append((prefix, func))

    def _bucket(self, key: str) -> Bucket | None:
        return self._buckets.get(bucket_of(key))

    def __len__(self) -> int:
        return sum(len(bucket.entries) for bucket in self._buckets.values())

    def get(self, key: str) -> Entry | None:
        bucket = self._bucket(key)
        return None if bucket is None else bucket.entries.get(key)

    def prefix(self, prefix: str, start: str = "", limit: int | None = None) -> list[Entry]:
        """Entries under ``prefix`` in key order, from ``start`` on (``limit`` of them at
        most: a page costs its length)."""
        bucket = self._bucket(prefix)
        if bucket is None:
            return []
        return bucket.between(max(prefix, start), prefix_end(prefix), limit)

    def iter_prefix(self, prefix: str, start: str = "") -> Iterator[Entry]:
        """The same lazily (a caller that stops early pays for what it read)."""
        bucket = self._bucket(prefix)
        if bucket is None:
            return iter(())
        return bucket.iter_between(max(prefix, start), prefix_end(prefix))

    def count(self, prefix: str, start: str = "") -> int:
        bucket = self._bucket(prefix)
        return 0 if bucket is None else bucket.count(max(prefix, start), prefix_end(prefix))

    def lookup(self, prefix: str, name: str, values: Iterable[str]) -> list[Entry] | None:
        """Entries under ``prefix`` whose index ``name`` holds any of ``values``, in key
        order; None when no such index is registered for the prefix."""
        bucket = self._bucket(prefix)
        if bucket is None:
            return []
        index = self._index(bucket, prefix, name)
        if index is None:
            return None
        keys: set[str] = set()
        for value in values:
            keys |= index.keys_of.get(value, set())
        return [bucket.entries[k] for k in sorted(keys) if k.startswith(prefix)]

    def _index(self, bucket: Bucket, prefix: str, name: str) -> Index | None:
        func = self._func(name, prefix)
        if func is None:
            return None
        index = bucket.indexes.get(name)
        if index is None:  # first use: decode the bucket once
            index = bucket.indexes[name] = Index(func)
            for key, entry in bucket.entries.items():
                if self._func(name, key) is func:
                    index.set(key, entry.decode())
        return index

    def _func(self, name: str, key: str) -> IndexFunc | None:
        for prefix, func in self._funcs.get(name, ()):
            if key.startswith(prefix):
                return func
        return None

    def clear(self) -> None:
        """Forget every object (the registered index functions stay)."""
        self._buckets = {}

    def load(self, entries: Iterable[Entry]) -> None:
        """Fill an empty index at once (opening a store): each bucket sorted in one go."""
        grouped: dict[str, list[tuple[str, Entry]]] = {}
        for entry in entries:
            key = entry.key
            grouped.setdefault(bucket_of(key), []).append((key, entry))
        for name, pairs in grouped.items():
            bucket = self._buckets.get(name)
            if bucket is None:
                self._buckets[name] = Bucket(SortedDict(pairs))
            else:
                for _key, entry in pairs:
                    self.put(entry)

    def put(self, entry: Entry, obj: dict[str, Any] | None = None) -> None:
        """Store ``entry`` (``obj`` is its decoded object, when the writer has it)."""
        name_of_bucket = bucket_of(entry.key)
        bucket = self._buckets.get(name_of_bucket)
        if bucket is None:  # (not setdefault: a Bucket is a SortedDict, costly to make)
            bucket = self._buckets[name_of_bucket] = Bucket()
        bucket.entries[entry.key] = entry
        for name, index in bucket.indexes.items():
            if self._func(name, entry.key) is index.func:
                index.set(entry.key, obj if obj is not None else entry.decode())

    def remove(self, key: str) -> None:
        bucket = self._bucket(key)
        if bucket is None:
            return
        bucket.entries.pop(key, None)
        for index in bucket.indexes.values():
            index.remove(key)
