"""Field schemas of the kinds: one description that serves every reader of a kind's shape.

A kind's :class:`Schema` tree is written once (in ``api/schemas/``) and read by:

- validation (``api/validation/structural.py``): types, required fields, enums, unknown
  fields for ``fieldValidation=Strict|Warn|Ignore``;
- the strategic merge patch (``api/strategicmerge.py``): ``patch_merge_key`` and
  ``patch_strategy`` of list and map fields, as Kubernetes' ``patchMergeKey``/``patchStrategy``
  struct tags;
- OpenAPI v3 (``apiserver/openapi.py``) and so ``kubectl explain`` and kubectl's own
  validation.

Types are the OpenAPI ones plus three Kubernetes formats: ``quantity`` (int-or-string, e.g.
``500m``), ``int-or-string`` (e.g. a port name or number) and ``date-time``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Schema:
    """One node of a schema tree.

    ``type`` is one of ``object``, ``array``, ``string``, ``integer``, ``number``, ``boolean``,
    ``map`` (an object with arbitrary keys whose values follow ``items``), ``any``
    (arbitrary JSON), ``int-or-string``, ``quantity``.
    """

    type: str
    description: str = ""
    name: str | None = None  # definition name for OpenAPI, e.g. io.k8s.api.core.v1.Container
    fields: Mapping[str, Schema] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    items: Schema | None = None  # element schema of an array, value schema of a map
    enum: tuple[str, ...] | None = None
    format: str | None = None  # int32, int64, date-time, byte, ...
    patch_merge_key: str | None = None
    patch_strategy: str | None = None  # "merge", "replace", "retainKeys", "merge,retainKeys"
    list_type: str | None = None  # "atomic", "set", "map" (x-kubernetes-list-type)
    list_map_keys: tuple[str, ...] = ()
    preserve_unknown: bool = False  # x-kubernetes-preserve-unknown-fields
    nullable: bool = False

    def field(self, name: str) -> Schema | None:
        """The schema of child ``name`` of an object or map (None if unknown)."""
        if self.type == "map":
            return self.items
        return self.fields.get(name)

    def describe(self, text: str) -> Schema:
        """The same schema with another description (for a field's own words)."""
        return replace(self, description=text)


def obj(name: str | None, fields: Mapping[str, Schema], *, required: Iterable[str] = (),
        description: str = "", preserve_unknown: bool = False) -> Schema:
    return Schema("object", description=description, name=name, fields=dict(fields),
                  required=frozenset(required), preserve_unknown=preserve_unknown)


def string(description: str = "", *, enum: Iterable[str] | None = None,
           format: str | None = None) -> Schema:
    return Schema("string", description=description,
                  enum=tuple(enum) if enum is not None else None, format=format)


def integer(description: str = "", *, format: str = "int32") -> Schema:
    return Schema("integer", description=description, format=format)


def int64(description: str = "") -> Schema:
    return Schema("integer", description=description, format="int64")


def number(description: str = "") -> Schema:
    return Schema("number", description=description, format="double")


def boolean(description: str = "") -> Schema:
    return Schema("boolean", description=description)


def timestamp(description: str = "") -> Schema:
    return Schema("string", description=description, format="date-time")


def quantity(description: str = "") -> Schema:
    return Schema("quantity", description=description)


def int_or_string(description: str = "") -> Schema:
    return Schema("int-or-string", description=description)


def any_(description: str = "") -> Schema:
    return Schema("any", description=description, preserve_unknown=True)


def map_of(values: Schema, description: str = "") -> Schema:
    return Schema("map", description=description, items=values)


def string_map(description: str = "") -> Schema:
    return map_of(string(), description)


def array(items: Schema, description: str = "", *, merge_key: str | None = None,
          strategy: str | None = None, list_type: str | None = None,
          map_keys: Iterable[str] = ()) -> Schema:
    """A list field; ``merge_key``/``strategy`` drive the strategic merge patch of it."""
    if merge_key and strategy is None:
        strategy = "merge"
    if list_type is None:
        list_type = "map" if merge_key else "atomic"
    keys = tuple(map_keys) or ((merge_key,) if merge_key else ())
    return Schema("array", description=description, items=items, patch_merge_key=merge_key,
                  patch_strategy=strategy, list_type=list_type, list_map_keys=keys)


def walk(schema: Schema | None, path: Iterable[str]) -> Schema | None:
    """Follow field names (array levels are crossed implicitly) down from ``schema``."""
    node = schema
    for part in path:
        while node is not None and node.type == "array":
            node = node.items
        if node is None:
            return None
        node = node.field(part)
    return node

