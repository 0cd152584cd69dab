"""The store's few named errors, checked by type; the apiserver maps them to API errors."""

from __future__ import annotations


class StoreError(Exception):
    """Base of the store's errors."""


class KeyExists(StoreError):
    """A create found the key already present."""


class KeyNotFound(StoreError):
    """An update or delete found no object at the key."""


class RevisionMismatch(StoreError):
    """Compare-and-swap failed: the object's mod revision is not the one expected."""

    def __init__(self, key: str, expected: int, actual: int) -> None:
        super().__init__(f"{key}: expected revision {expected}, found {actual}")
        self.expected = expected
        self.actual = actual


class Compacted(StoreError):
    """A watch asked for events older than the oldest one the log still holds."""

    def __init__(self, requested: int, compacted: int) -> None:
        super().__init__(f"revision {requested} is compacted (oldest kept: {compacted})")
        self.requested = requested
        self.compacted = compacted


class StoreClosed(StoreError):
    """The store is shut down (or its writer died): no more writes."""


class Unencodable(StoreError):
    """The object cannot be stored as JSON (e.g. a map with non-string keys)."""


class ValueTooLarge(StoreError):
    """The encoded object is larger than the store takes (etcd's 1.5 MiB request limit)."""

    def __init__(self, key: str, size: int, limit: int) -> None:
        super().__init__(f"{key}: {size} bytes encoded, the limit is {limit}")
        self.size = size
        self.limit = limit


class InvalidResourceVersion(StoreError):
    """A resourceVersion that names no revision."""

    def __init__(self, text: str) -> None:
        super().__init__(f"invalid resource version: {text!r}")
        self.text = text


class TooManyAttempts(StoreError):
    """A guaranteed update lost the race to concurrent writers too many times."""
