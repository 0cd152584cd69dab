"""The store's indexes of the kinds' fields, and which of them (and of the label index) a
list's selectors can be answered from, so that a list costs its matches (``rest.py``).

Each kind names the fields it indexes (``Strategy.indexed_fields``: a pod's
``spec.nodeName``, an event's ``involvedObject.uid``); the apiserver registers them with the
store at start. A type stored as another (``stored_as``) uses the stored type's indexes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from minikube_py.api.machinery.fieldselectors import object_fields
from minikube_py.api.machinery.selectors import Operator
from minikube_py.api.registry import ResourceType
from minikube_py.apiserver.options import ListOptions
from minikube_py.store.index import LABELS
from minikube_py.store.interface import Storage


def index_queries(rt: ResourceType, opts: ListOptions) -> Iterator[tuple[str, list[str]]]:
    """(index, values) lookups a list's selectors allow: equality and set requirements of the
    label selector, and equality on the kind's indexed fields."""
    for req in opts.label_selector.requirements:
        if req.operator in (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.IN):
            yield LABELS, [f"{req.key}={v}" for v in req.values]
        elif req.operator == Operator.EXISTS:
            yield LABELS, [req.key]
    for field_name in rt.strategy.indexed_fields:
        value = opts.field_selector.requires_exact_match(field_name)
        if value is not None:
            yield field_index(field_name), [value]
    stored = rt.storage_type.strategy.indexed_fields
    for label, stored_label in rt.strategy.storage_field_labels.items():
        value = opts.field_selector.requires_exact_match(label)
        if value is not None and stored_label in stored:
            yield field_index(stored_label), [value]


def field_index(field_name: str) -> str:
    return f"field:{field_name}"


def register_field_indexes(store: Storage, types: Iterable[ResourceType]) -> None:
    """Index every kind's indexed fields in the store (each is built on first use)."""
    for rt in types:
        if rt.stored_as is not None:
            continue  # the stored type's indexes serve it (its selectors match converted)
        for field_name in rt.strategy.indexed_fields:
            store.register_index(field_index(field_name), rt.prefix(),
                                 _field_values(rt, field_name))


def _field_values(rt: ResourceType, field_name: str) -> Callable[[dict[str, Any]], list[str]]:
    def values(obj: dict[str, Any]) -> list[str]:
        return [object_fields(rt.strategy.fields, obj).get(field_name, "")]
    return values
