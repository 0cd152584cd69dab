"""Server-side apply and field ownership: who set which field (``metadata.managedFields``).

The apiserver's PATCH handler calls :func:`server_side_apply` for
``application/apply-patch+yaml`` (``kubectl apply --server-side``); create, update and every
other patch call :func:`record_update` on the object they are about to store. Both are pure:
plain JSON-shaped dicts in, plain dicts out, no store and no clock (the caller passes ``now``).

The semantics are those of Kubernetes' structured-merge-diff (``merge/update.go``) as the
apiserver's field manager wraps it, in a simplified form:

- a field set is a set of paths; a path element is a field ``f:<name>``, the item of a keyed
  list ``k:{"name":"c"}`` (keys from the schema's ``list_map_keys``), or a value of a set list
  ``v:"x"``. In ``fieldsV1`` a node that is itself owned and has owned children carries ``.``;
- **Apply**: the applied configuration is merged into the live object (maps merge, keyed lists
  merge per key, set lists unite, every other list is atomic and replaced); its field set
  becomes the manager's ``Apply`` entry; fields the manager applied last time but omits now are
  removed unless some manager (the applier included) still owns them;
- changes are compared with the live object: a field that is added or changed and owned by
  another manager is a conflict (:class:`ApplyConflict`, 409) unless ``force``, which moves it to
  the applier; the same value applied twice is shared ownership; removed fields leave every
  other manager's set;
- **Update** (every write but apply) never conflicts: the writer takes the fields it added or
  changed from everyone else;
- ``apiVersion``, ``kind``, ``metadata.name``/``namespace`` and the server-set metadata are
  never owned; ``status`` belongs to the ``status`` subresource and is left alone otherwise.

Also as Kubernetes: a first ``kubectl apply --server-side`` after client-side ``kubectl apply``
does not conflict on the fields of the ``last-applied-configuration`` annotation, and keeps that
annotation in step; at most ten ``Update`` entries are kept (older ones merge into
``ancient-changes``); a no-op apply returns the live object untouched.

Deliberate simplifications: one version per kind (no conversion of field sets), the order of
merged lists follows the configuration only approximately, and a configuration whose keyed list
lacks a key is a 400 (Kubernetes answers 500, kubernetes/kubernetes#122480).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from minikube_py.api.errors import BadRequest, Cause, Conflict
from minikube_py.api.schema import Schema
from minikube_py.apiserver.fieldpath import (
    Path,
    PathElement,
    compact,
    fields_from_v1,
    fields_to_v1,
    iteration_order,
    path_string,
    quote,
    value_order,
)

Obj = dict[str, Any]  # a JSON object

APPLY = "Apply"
UPDATE = "Update"
FIELDS_V1 = "FieldsV1"
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
KUBECTL_MANAGER = "kubectl"  # the only manager whose apply honours last-applied (as Kubernetes)
ANCIENT_CHANGES_MANAGER = "ancient-changes"
MAX_UPDATE_MANAGERS = 10
CONFLICT_CAUSE = "FieldManagerConflict"

# Metadata the server sets; nobody owns it (structured-merge-diff's "strip meta" manager).
SERVER_METADATA = frozenset({
    "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
    "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "managedFields",
})
# ObjectMeta in the order Kubernetes serialises it.
METADATA_ORDER = (
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
    "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
    "annotations", "ownerReferences", "finalizers", "managedFields",
)
# Structs Kubernetes marks ``+structType=atomic`` (x-kubernetes-map-type: atomic): owned whole.
ATOMIC_STRUCTS = frozenset({
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
    "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference",
    "io.k8s.api.core.v1.ConfigMapKeySelector",
    "io.k8s.api.core.v1.FileKeySelector",
    "io.k8s.api.core.v1.LocalObjectReference",
    "io.k8s.api.core.v1.NodeSelector",
    "io.k8s.api.core.v1.NodeSelectorTerm",
    "io.k8s.api.core.v1.ObjectFieldSelector",
    "io.k8s.api.core.v1.ObjectReference",
    "io.k8s.api.core.v1.ResourceFieldSelector",
    "io.k8s.api.core.v1.ScopeSelector",
    "io.k8s.api.core.v1.SecretKeySelector",
    "io.k8s.api.core.v1.SecretReference",
    "io.k8s.api.core.v1.TypedLocalObjectReference",
})
# Defaults of list-map key fields (their OpenAPI ``default``, which the schema DSL does not
# carry): an item may omit such a key, e.g. a container port without ``protocol`` is TCP.
KEY_DEFAULTS = {"protocol": "TCP"}

_MISSING: Any = object()




class ApplyConflict(Conflict):
    """409 Conflict: the apply would change fields that other managers own.

    ``conflicts`` lists ``(manager, path)`` with the path as Kubernetes prints it
    (``.spec.replicas``, ``.spec.containers[name="web"].image``). ``printed_managers`` gives
    the managers as Kubernetes names them in the message (``"kubectl" using apps/v1``).
    """

    conflicts: list[tuple[str, str]]

    def __init__(self, conflicts: list[tuple[str, str]], *,
                 printed_managers: list[str] | None = None) -> None:
        printed = printed_managers or [quote(manager) for manager, _ in conflicts]
        pairs = [(who, path) for who, (_, path) in zip(printed, conflicts, strict=True)]
        causes = [Cause(field=path, message=f"conflict with {who}", reason=CONFLICT_CAUSE)
                  for who, path in pairs]
        super().__init__(_conflict_message(pairs), causes=causes)
        self.conflicts = conflicts


def _conflict_message(pairs: list[tuple[str, str]]) -> str:
    """Kubernetes' words: ``Apply failed with 1 conflict: conflict with "x": .spec.replicas``."""
    if len(pairs) == 1:
        return f"Apply failed with 1 conflict: conflict with {pairs[0][0]}: {pairs[0][1]}"
    lines: list[str] = []
    for who in sorted({who for who, _ in pairs}):
        lines.append(f"conflicts with {who}:")
        lines.extend(f"- {path}" for other, path in pairs if other == who)
    return f"Apply failed with {len(pairs)} conflicts: " + "\n".join(lines)


# --- public entry points --------------------------------------------------------------------------


def server_side_apply(live: Obj | None, applied: Obj, *, manager: str, force: bool,
                      schema: Schema | None, now: str) -> Obj:
    """The object after ``manager`` applies ``applied`` to ``live`` (None: create).

    Raises :class:`ApplyConflict` when the apply would change another manager's fields and
    ``force`` is False, :class:`BadRequest` for a configuration that cannot be applied. The
    result already carries its ``managedFields``: do not call :func:`record_update` on it.
    Neither input is changed.
    """
    _check_applied(applied, manager, schema)
    config = _content(applied)
    live_content = _content(live)
    entries = _decode_entries((live or {}).get("metadata", {}).get("managedFields"))
    me = _Entry(manager=manager, operation=APPLY, api_version=applied.get("apiVersion", ""),
                time=now)
    previous = _find(entries, me.identity)
    last_set = previous.fields if previous is not None else frozenset()
    me.fields = frozenset(_field_set(config, schema))
    others = [e for e in entries if e.identity != me.identity]

    merged = _merge(copy.deepcopy(live_content), config, schema)
    owned = frozenset().union(me.fields, *(e.fields for e in others))
    _prune(merged, last_set, owned, schema)
    change = _compare(live_content, merged, schema)

    conflicts = _conflicts(others, change)
    if conflicts and not force:
        conflicts = _not_excused_by_last_applied(conflicts, manager, live, live_content, schema)
        if conflicts:
            raise ApplyConflict([(e.manager, path_string(p)) for e, p in conflicts],
                                printed_managers=[e.printed() for e, _ in conflicts])
    others = [replace(e, fields=e.fields - change.added - change.modified - change.removed)
              for e in others]
    new_entries = _cap_update_managers([*others, me])

    _drop_applied_nulls(merged, config, schema)
    result = _assemble(live, applied, merged)
    _sync_last_applied(result, applied, manager)
    result["metadata"]["managedFields"] = _encode_entries(new_entries)
    if not result["metadata"]["managedFields"]:
        del result["metadata"]["managedFields"]
    if live is not None and _is_noop(live, result):
        return copy.deepcopy(live)
    return result


def record_update(live: Obj | None, new: Obj, *, manager: str, operation: str = UPDATE,
                  schema: Schema | None, now: str, subresource: str = "") -> None:
    """Give ``manager`` the fields that ``new`` adds or changes over ``live`` (None: create).

    Writes ``new["metadata"]["managedFields"]`` in place. The fields move away from every other
    manager; removed fields leave every set. ``managedFields`` that ``new`` carries (a client
    that edits them, e.g. ``[{}]`` to reset them) replace the live ones, as in Kubernetes.
    ``subresource`` ("status", "scale") is recorded in the entry; ``status`` changes are only
    recorded for the status subresource.
    """
    metadata = new.setdefault("metadata", {})
    sent = metadata.get("managedFields")
    if live is None and not sent:
        _record_create(new, manager=manager, operation=operation, schema=schema, now=now,
                       subresource=subresource)
        return
    if isinstance(sent, list) and sent:
        entries = _decode_entries(sent)
    else:
        entries = _decode_entries((live or {}).get("metadata", {}).get("managedFields"))
    change = _compare(_content(live, subresource), _content(new, subresource), schema)
    me = _Entry(manager=manager, operation=operation, api_version=new.get("apiVersion", ""),
                time=now, subresource=subresource)
    previous = _find(entries, me.identity)
    taken = change.added | change.modified
    kept = (previous.fields - change.removed) if previous is not None else frozenset()
    if taken:
        me.fields = kept | taken
    elif previous is not None:
        me = replace(previous, fields=kept)
    others = [replace(e, fields=e.fields - taken - change.removed)
              for e in entries if e.identity != me.identity]
    encoded = _encode_entries(_cap_update_managers([*others, me]))
    if encoded:
        metadata["managedFields"] = encoded
    else:
        metadata.pop("managedFields", None)


def _record_create(new: Obj, *, manager: str, operation: str, schema: Schema | None, now: str,
                   subresource: str) -> None:
    """record_update for a new object: every field is the creator's. The ``fieldsV1`` tree is
    built in one walk of the object, as :func:`_diff` against nothing would find it (the fast
    path of every create)."""
    content = new if subresource != "status" else {"status": new.get("status", _MISSING)}
    children: Obj = {}
    for key in sorted(content):
        value = content[key]
        if value is _MISSING or (subresource != "status" and key in ("apiVersion", "kind",
                                                                      "status")):
            continue
        child = _child(schema, key)
        if key == "metadata" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in SERVER_METADATA}
            if not value:
                continue
        children[f"f:{key}"] = _added_v1(value, child, member=not _is_declared(schema, key)
                                         or (child is not None and child.type == "map"))
    if not children:
        new["metadata"].pop("managedFields", None)
        return
    entry = _Entry(manager=manager, operation=operation, api_version=new.get("apiVersion", ""),
                   time=now, subresource=subresource).to_dict(fields_v1=children)
    new["metadata"]["managedFields"] = [entry]


def _added_v1(value: Any, schema: Schema | None, *, member: bool) -> Obj:
    """The ``fieldsV1`` subtree of a value that is all new: what :func:`_diff` against
    nothing finds, written straight into the tree (this runs on every create)."""
    if isinstance(value, dict):
        if schema is not None and schema.name in ATOMIC_STRUCTS:
            return {}
        node_type = schema.type if schema is not None else ""
        children: Obj = {}
        for key in sorted(value):
            if node_type == "object":
                child = schema.fields.get(key)  # type: ignore[union-attr]
                owned_map = child is None or child.type == "map"
            elif node_type == "map":
                child, owned_map = schema.items, True  # type: ignore[union-attr]
            else:
                child, owned_map = None, False
            children["f:" + key] = _added_v1(value[key], child, member=owned_map)
        return {".": {}, **children} if member and children else children
    if not isinstance(value, list) or schema is None or not value:
        return {}
    elements = _list_elements(schema, value)
    if elements is None:
        return {}  # an atomic list is one field
    tree: Obj = {".": {}}
    for _, text, item in sorted(elements, key=lambda e: e[0]):
        if text not in tree:
            tree[text] = _added_v1(item, schema.items, member=True)
    return tree


def _list_elements(schema: Schema, items: list[Any]) -> list[tuple[Any, str, Any]] | None:
    """(sort order, ``k:``/``v:`` text, item) per item of a keyed or set list; None when the
    list is atomic (see :func:`_list_kind`)."""
    if schema.list_type == "map" and schema.list_map_keys:
        out = []
        for item in items:
            if not isinstance(item, dict):
                return None
            keys = {}
            for name in schema.list_map_keys:
                key = item.get(name)
                if key is None:
                    if name not in KEY_DEFAULTS:
                        return None
                    key = KEY_DEFAULTS[name]
                keys[name] = key
            order = (1, tuple((n, value_order(keys[n])) for n in sorted(keys)))
            out.append((order, "k:" + compact(keys), item))
        return out
    if schema.list_type == "set" and not any(isinstance(i, dict | list) for i in items):
        return [((2, value_order(item)), "v:" + compact(item), item) for item in items]
    return None


# --- managedFields entries ------------------------------------------------------------------------


@dataclass
class _Entry:
    """One ``managedFields`` entry, with its field set decoded."""

    manager: str
    operation: str
    api_version: str
    time: str | None
    fields: frozenset[Path] = field(default_factory=frozenset)
    subresource: str = ""

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """Who this entry belongs to: appliers keep one entry whatever apiVersion they use."""
        version = "" if self.operation == APPLY else self.api_version
        return (self.manager, self.operation, self.subresource, version)

    def printed(self) -> str:
        """The manager as a conflict message names it: ``"kubectl" using apps/v1``."""
        text = quote(self.manager)
        if self.subresource:
            text += f" with subresource {quote(self.subresource)}"
        if self.operation == UPDATE:
            text += f" using {self.api_version}"
        return text

    def to_dict(self, *, fields_v1: Obj | None = None) -> Obj:
        out: Obj = {"manager": self.manager, "operation": self.operation,
                               "apiVersion": self.api_version}
        if self.time is not None:
            out["time"] = self.time
        out["fieldsType"] = FIELDS_V1
        out["fieldsV1"] = fields_to_v1(self.fields) if fields_v1 is None else fields_v1
        if self.subresource:
            out["subresource"] = self.subresource
        return out


def _find(entries: list[_Entry], identity: tuple[str, str, str, str]) -> _Entry | None:
    return next((e for e in entries if e.identity == identity), None)


def _decode_entries(raw: Any) -> list[_Entry]:
    """Entries of a stored ``managedFields``; malformed or anonymous entries are dropped."""
    entries: list[_Entry] = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict) or not item.get("manager") or not item.get("operation"):
            continue
        fields_v1 = item.get("fieldsV1")
        try:
            fields = fields_from_v1(fields_v1 if isinstance(fields_v1, dict) else {})
        except ValueError:  # a corrupt key; the entry is lost rather than the write
            continue
        entries.append(_Entry(
            manager=item["manager"], operation=item["operation"],
            api_version=item.get("apiVersion", ""), time=item.get("time"),
            fields=frozenset(fields), subresource=item.get("subresource", ""),
        ))
    return entries


def _encode_entries(entries: list[_Entry]) -> list[Obj]:
    """Non-empty entries in Kubernetes' order: Apply before Update, then oldest first."""
    kept = [e for e in entries if e.fields]
    kept.sort(key=lambda e: (e.operation, e.time or "", e.manager, e.api_version, e.subresource))
    return [e.to_dict() for e in kept]


def _cap_update_managers(entries: list[_Entry]) -> list[_Entry]:
    """Merge the oldest Update entries into ``ancient-changes`` until ten are left."""
    updaters = sorted((e for e in entries if e.operation == UPDATE and e.fields),
                      key=lambda e: (e.time or "", e.identity))
    excess = len(updaters) - MAX_UPDATE_MANAGERS
    if excess <= 0:
        return entries
    oldest = updaters[:excess + 1]
    oldest += [e for e in updaters[excess + 1:] if e.manager == ANCIENT_CHANGES_MANAGER
               and e.api_version == oldest[-1].api_version]
    bucket = _Entry(manager=ANCIENT_CHANGES_MANAGER, operation=UPDATE,
                    api_version=oldest[-1].api_version, time=oldest[-1].time,
                    fields=frozenset().union(*(e.fields for e in oldest)))
    merged_away = {id(e) for e in oldest}
    return [e for e in entries if id(e) not in merged_away] + [bucket]


# --- what the schema says -------------------------------------------------------------------------


def _child(schema: Schema | None, key: str) -> Schema | None:
    if schema is None or schema.type not in ("object", "map"):
        return None
    return schema.field(key)


def _is_declared(schema: Schema | None, key: str) -> bool:
    """A named field of a struct (as opposed to a map key); untyped parts count as structs."""
    if schema is None or schema.type == "any":
        return True
    return schema.type == "object" and key in schema.fields


def _is_atomic_struct(schema: Schema | None) -> bool:
    return schema is not None and schema.name in ATOMIC_STRUCTS


def _is_granular_map(schema: Schema | None, *values: Any) -> bool:
    present = [v for v in values if v is not _MISSING]
    return (bool(present) and all(isinstance(v, dict) for v in present)
            and not _is_atomic_struct(schema))


def _list_kind(schema: Schema | None, *values: Any) -> str:
    """``map`` (keyed), ``set`` or ``atomic``; lists whose items do not fit are atomic."""
    present = [v for v in values if v is not _MISSING]
    if not present or not all(isinstance(v, list) for v in present) or schema is None:
        return "atomic"
    items = [item for value in present for item in value]
    if schema.list_type == "map" and schema.list_map_keys:
        if all(not _missing_keys(schema, item) for item in items):
            return "map"
    if schema.list_type == "set" and not any(isinstance(i, dict | list) for i in items):
        return "set"
    return "atomic"


def _missing_keys(schema: Schema, item: Any) -> list[str]:
    """Key fields that a keyed-list item lacks and that have no default."""
    return [k for k in schema.list_map_keys
            if (not isinstance(item, dict) or item.get(k) is None) and k not in KEY_DEFAULTS]


def _item_element(list_type: str, schema: Schema, item: Any) -> PathElement:
    if list_type == "map":
        keys = {k: item[k] if item.get(k) is not None else KEY_DEFAULTS[k]
                for k in schema.list_map_keys}
        return PathElement("k", compact(keys))
    return PathElement("v", compact(item))


def _items_by_element(list_type: str, schema: Schema, items: list[Any]) -> dict[PathElement, Any]:
    """The first item of each element (later duplicates are ignored, as they are rare)."""
    out: dict[PathElement, Any] = {}
    for item in items:
        out.setdefault(_item_element(list_type, schema, item), item)
    return out


# --- the applied configuration --------------------------------------------------------------------


def _check_applied(applied: Obj, manager: str, schema: Schema | None) -> None:
    if not manager:
        raise BadRequest("PATCH requests with apply content type must provide field manager")
    if applied.get("metadata", {}).get("managedFields"):
        raise BadRequest("metadata.managedFields must be nil")
    try:
        _check_lists(applied, schema, ())
    except ValueError as err:
        meta = applied.get("metadata", {})
        group_version = applied.get("apiVersion", "")
        if "/" not in group_version:
            group_version = "/" + group_version
        raise BadRequest(
            f"failed to create typed patch object ({meta.get('namespace', '')}/"
            f"{meta.get('name', '')}; {group_version}, Kind={applied.get('kind', '')}): {err}"
        ) from None


def _check_lists(value: Any, schema: Schema | None, path: Path) -> None:
    """Every item of a keyed list has its keys, and no list repeats an item."""
    if isinstance(value, dict):
        for key, child in value.items():
            _check_lists(child, _child(schema, key), (*path, PathElement("f", key)))
        return
    if not isinstance(value, list) or schema is None or schema.type != "array":
        return
    if schema.list_type == "map" and schema.list_map_keys:
        for index, item in enumerate(value):
            missing = _missing_keys(schema, item)
            if missing:
                raise ValueError(
                    f"{path_string(path)}: element {index}: associative list with keys has an "
                    f'element that omits key field "{missing[0]}" (and doesn\'t have default '
                    "value)")
    list_type = _list_kind(schema, value)
    if list_type == "atomic":
        return
    seen: set[PathElement] = set()
    for item in value:
        element = _item_element(list_type, schema, item)
        if element in seen:
            raise ValueError(f"{path_string(path)}: duplicate entries for key "
                             f"{path_string((element,))}")
        seen.add(element)
        if list_type == "map":
            _check_lists(item, schema.items, (*path, element))


def _field_set(value: Any, schema: Schema | None, path: Path = ()) -> set[Path]:
    """The paths a configuration sets (structured-merge-diff's ``ToFieldSet``)."""
    out: set[Path] = set()
    if _is_granular_map(schema, value):
        for key, child in value.items():
            child_path = (*path, PathElement("f", key))
            out |= _field_set(child, _child(schema, key), child_path)
            if child is None or child == {} or not _is_declared(schema, key):
                out.add(child_path)
        return out
    list_type = _list_kind(schema, value)
    if list_type == "atomic" or schema is None:
        if path:
            out.add(path)
        return out
    for item in value:
        item_path = (*path, _item_element(list_type, schema, item))
        if list_type == "map":
            out |= _field_set(item, schema.items, item_path)
        out.add(item_path)
    return out


# --- merge ----------------------------------------------------------------------------------------


def _merge(live: Any, config: Any, schema: Schema | None) -> Any:
    """``config`` merged into ``live`` (which is changed); structured-merge-diff's ``Merge``."""
    if isinstance(live, dict) and _is_granular_map(schema, live, config):
        for key, value in config.items():
            current = live.get(key, _MISSING)
            if current is _MISSING:
                live[key] = copy.deepcopy(value)
            else:
                live[key] = _merge(current, value, _child(schema, key))
        return live
    list_type = _list_kind(schema, live, config)
    if list_type == "atomic" or schema is None:
        return copy.deepcopy(config)
    return _merge_items(list_type, schema, live, config)


def _merge_items(list_type: str, schema: Schema, live: list[Any], config: list[Any]) -> list[Any]:
    """Keyed or set lists: shared items take the configuration's order in the live slots;
    new items go just before the next shared item (or last); live-only items stay put."""
    config_by = _items_by_element(list_type, schema, config)
    live_elements = [_item_element(list_type, schema, item) for item in live]
    first_slot = {e: i for i, e in reversed(list(enumerate(live_elements)))}
    shared = [e for e in config_by if e in first_slot]
    new_before: dict[PathElement, list[PathElement]] = {}
    pending: list[PathElement] = []
    for element in config_by:
        if element in first_slot:
            new_before[element], pending = pending, []
        else:
            pending.append(element)
    out: list[Any] = []
    shared_iter = iter(shared)
    for index, element in enumerate(live_elements):
        if element not in config_by or first_slot[element] != index:
            out.append(live[index])
            continue
        taker = next(shared_iter)
        out.extend(copy.deepcopy(config_by[e]) for e in new_before[taker])
        merged = _merge(live[first_slot[taker]], config_by[taker], schema.items)
        out.append(merged if list_type == "map" else config_by[taker])
    out.extend(copy.deepcopy(config_by[e]) for e in pending)
    return out


def _drop_applied_nulls(merged: Any, config: Any, schema: Schema | None) -> None:
    """A ``null`` in the configuration is owned but stored as an absent field."""
    if isinstance(merged, dict) and isinstance(config, dict):
        for key, value in config.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                _drop_applied_nulls(merged[key], value, _child(schema, key))
        return
    if _list_kind(schema, merged, config) == "map" and schema is not None:
        merged_by = _items_by_element("map", schema, merged)
        for element, item in _items_by_element("map", schema, config).items():
            if element in merged_by:
                _drop_applied_nulls(merged_by[element], item, schema.items)


# --- prune ----------------------------------------------------------------------------------------


def _prune(merged: Obj, last: frozenset[Path], owned: frozenset[Path],
           schema: Schema | None) -> None:
    """Remove what the applier applied last time, omits now, and nobody else owns."""
    if not last:
        return
    doomed = _with_named_fields(last, schema) - _with_named_fields(owned, schema)
    for path in sorted(doomed, key=len):
        _remove(merged, path, schema)


def _with_named_fields(paths: Iterable[Path], schema: Schema | None) -> set[Path]:
    """``paths`` plus their ancestors that are named fields (``EnsureNamedFieldsAreMembers``):
    owning ``spec.replicas`` keeps ``spec``, owning ``labels.app`` keeps ``labels``."""
    out = set(paths)
    for path in paths:
        node = schema
        for depth, element in enumerate(path[:-1]):
            if element.tag == "f":
                if _is_declared(node, element.text):
                    out.add(path[:depth + 1])
                node = _child(node, element.text)
            else:
                node = node.items if node is not None and node.type == "array" else None
    return out


def _remove(container: Any, path: Path, schema: Schema | None) -> None:
    """Remove ``path`` from ``container``; a map or list it leaves empty goes with it."""
    if not path:
        return
    element, rest = path[0], path[1:]
    if element.tag == "f":
        if not isinstance(container, dict) or element.text not in container:
            return
        if not rest:
            del container[element.text]
            return
        child = container[element.text]
        _remove(child, rest, _child(schema, element.text))
        if child in ({}, []) and len(rest) == 1:
            del container[element.text]
        return
    list_type = _list_kind(schema, container)
    if list_type == "atomic" or schema is None:
        return
    for index, item in enumerate(container):
        if _item_element(list_type, schema, item) == element:
            if rest:
                _remove(item, rest, schema.items)
            else:
                del container[index]
            return


# --- compare --------------------------------------------------------------------------------------


@dataclass
class _Change:
    """Paths added, changed and removed between two objects (``typed.Comparison``)."""

    added: set[Path] = field(default_factory=set)
    modified: set[Path] = field(default_factory=set)
    removed: set[Path] = field(default_factory=set)


def _compare(live: Obj, new: Obj, schema: Schema | None) -> _Change:
    change = _Change()
    _diff(live, new, schema, (), change, member=False)
    return change


def _diff(lhs: Any, rhs: Any, schema: Schema | None, path: Path, change: _Change, *,
          member: bool) -> None:
    """Record how ``rhs`` differs from ``lhs`` at ``path``; ``member`` says whether a new map
    at ``path`` counts as a field of its own (map entries and list items do, structs do not).

    Equal subtrees are skipped whole (Python's ``==``, which also takes ``true`` for ``1``: a
    change between those two alone does not move ownership)."""
    if lhs is not _MISSING and rhs is not _MISSING and lhs == rhs:
        return
    if _is_granular_map(schema, lhs, rhs):
        _mark_node(lhs, rhs, path, change, member=member or rhs == {})
        left = lhs if lhs is not _MISSING else {}
        right = rhs if rhs is not _MISSING else {}
        for key in [*left, *(k for k in right if k not in left)]:
            child = _child(schema, key)
            _diff(left.get(key, _MISSING), right.get(key, _MISSING), child,
                  (*path, PathElement("f", key)), change,
                  member=not _is_declared(schema, key) or (child is not None
                                                           and child.type == "map"))
        return
    list_type = _list_kind(schema, lhs, rhs)
    if list_type != "atomic" and schema is not None:
        _mark_node(lhs, rhs, path, change, member=True)
        left = _items_by_element(list_type, schema, lhs if lhs is not _MISSING else [])
        right = _items_by_element(list_type, schema, rhs if rhs is not _MISSING else [])
        for element in [*left, *(e for e in right if e not in left)]:
            _diff(left.get(element, _MISSING), right.get(element, _MISSING), schema.items,
                  (*path, element), change, member=True)
        return
    if lhs is _MISSING:
        change.added.add(path)
    elif rhs is _MISSING:
        change.removed.add(path)
    elif not _equal(lhs, rhs):
        change.modified.add(path)


def _mark_node(lhs: Any, rhs: Any, path: Path, change: _Change, *, member: bool) -> None:
    if not path:
        return
    if lhs is _MISSING and member:
        change.added.add(path)
    elif rhs is _MISSING:
        change.removed.add(path)


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: ``true`` is not ``1``, ``1`` is ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return (isinstance(b, dict) and a.keys() == b.keys()
                and all(_equal(a[k], b[k]) for k in a))
    if isinstance(a, list):
        return (isinstance(b, list) and len(a) == len(b)
                and all(_equal(x, y) for x, y in zip(a, b, strict=True)))
    return bool(a == b)


def _conflicts(others: list[_Entry], change: _Change) -> list[tuple[_Entry, Path]]:
    """Other managers' fields that the apply adds or changes, sorted as Kubernetes lists them."""
    touched = change.added | change.modified
    found = [(e, p) for e in others for p in e.fields & touched]
    found.sort(key=lambda c: (c[0].identity, iteration_order(c[1])))
    return found


def _not_excused_by_last_applied(conflicts: list[tuple[_Entry, Path]], manager: str,
                                 live: Obj | None, live_content: Obj,
                                 schema: Schema | None) -> list[tuple[_Entry, Path]]:
    """kubectl's first server-side apply may take over what client-side apply last applied
    (the fields of the annotation whose value is still live): conflicts on those are forced."""
    if manager != KUBECTL_MANAGER or live is None:
        return conflicts
    text = live.get("metadata", {}).get("annotations", {}).get(LAST_APPLIED_ANNOTATION)
    try:
        last_applied = json.loads(text) if text else None
    except ValueError:
        last_applied = None
    if not isinstance(last_applied, dict):
        return conflicts
    content = _content(last_applied)
    drift = _compare(content, live_content, schema)
    allowed = _field_set(content, schema) - drift.added - drift.modified - drift.removed
    remaining = [(e, p) for e, p in conflicts if p not in allowed]
    return remaining


# --- whole objects --------------------------------------------------------------------------------


def _content(obj: Obj | None, subresource: str = "") -> Obj:
    """The part of an object that managers own: no apiVersion/kind, no server-set metadata, and
    ``status`` only for the status subresource (where it is all there is)."""
    if obj is None:
        return {}
    if subresource == "status":
        return {"status": copy.deepcopy(obj["status"])} if "status" in obj else {}
    out: Obj = {}
    for key, value in obj.items():
        if key in ("apiVersion", "kind", "status"):
            continue
        if key == "metadata" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in SERVER_METADATA}
            if not value:
                continue
        out[key] = copy.deepcopy(value)
    return out


def _assemble(live: Obj | None, applied: Obj, content: Obj) -> Obj:
    """The stored object: identity and server metadata from ``live`` (or, when creating, the
    name and namespace of ``applied``), the owned ``content``, and the live ``status``."""
    source = live if live is not None else applied
    source_meta = source.get("metadata", {})
    server_meta = {k: copy.deepcopy(v) for k, v in source_meta.items()
                   if k in SERVER_METADATA and k != "managedFields"
                   and (live is not None or k in ("name", "namespace"))}
    metadata = {**server_meta, **content.get("metadata", {})}
    rank = {name: i for i, name in enumerate(METADATA_ORDER)}
    ordered = dict(sorted(metadata.items(), key=lambda kv: rank.get(kv[0], len(rank))))
    out: Obj = {"apiVersion": applied.get("apiVersion", source.get("apiVersion")),
                           "kind": applied.get("kind", source.get("kind")),
                           "metadata": ordered}
    out.update((k, v) for k, v in content.items() if k != "metadata")
    if live is not None and "status" in live:
        out["status"] = copy.deepcopy(live["status"])
    return out


def _sync_last_applied(result: Obj, applied: Obj, manager: str) -> None:
    """kubectl's server-side apply keeps an existing client-side annotation current."""
    annotations = result["metadata"].get("annotations")
    if manager != KUBECTL_MANAGER or not annotations or LAST_APPLIED_ANNOTATION not in annotations:
        return
    config = copy.deepcopy(applied)
    config_annotations = config.get("metadata", {}).get("annotations")
    if isinstance(config_annotations, dict):
        config_annotations.pop(LAST_APPLIED_ANNOTATION, None)
        if not config_annotations:
            del config["metadata"]["annotations"]
    annotations[LAST_APPLIED_ANNOTATION] = compact(config) + "\n"


def _is_noop(live: Obj, result: Obj) -> bool:
    """Nothing changed but the applier's timestamp (Kubernetes then keeps the live object)."""
    def without_times(obj: Obj) -> list[Any]:
        meta = {k: v for k, v in obj.get("metadata", {}).items() if k != "managedFields"}
        entries = {compact([e.get("manager"), e.get("operation"), e.get("apiVersion"),
                             e.get("subresource")]): {k: v for k, v in e.items() if k != "time"}
                   for e in obj.get("metadata", {}).get("managedFields", [])}
        return [{**obj, "metadata": meta}, entries]

    return _equal(without_times(live), without_times(result))
