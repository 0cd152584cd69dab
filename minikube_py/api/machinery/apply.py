"""Server-side apply and field ownership: who set which field (``metadata.managedFields``).

The apiserver's PATCH handler calls :func:`server_side_apply` for
``application/apply-patch+yaml`` (``kubectl apply --server-side``); create, update and every
other patch call :func:`record_update` (of :mod:`.managedfields`; the field sets both compute
with are :mod:`.fieldsets`) on the object they are about to store. Both are pure:
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
from dataclasses import replace
from typing import Any

from minikube_py.api.errors import BadRequest, Cause, Conflict
from minikube_py.api.machinery.fieldpath import (
    Path,
    PathElement,
    compact,
    iteration_order,
    path_string,
    quote,
)
from minikube_py.api.machinery.fieldsets import (
    MISSING,
    SERVER_METADATA,
    Change,
    child_schema,
    compare,
    field_set,
    is_declared,
    is_granular_map,
    item_element,
    items_by_element,
    json_equal,
    list_kind,
    missing_keys,
    owned_content,
)
from minikube_py.api.machinery.managedfields import (
    APPLY,
    ManagedFieldsEntry,
    cap_update_managers,
    decode_entries,
    encode_entries,
    find_entry,
    record_update,
)
from minikube_py.api.schema import Schema

__all__ = ["ApplyConflict", "record_update", "server_side_apply"]

Obj = dict[str, Any]  # a JSON object

LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
KUBECTL_MANAGER = "kubectl"  # the only manager whose apply honours last-applied (as Kubernetes)
CONFLICT_CAUSE = "FieldManagerConflict"
# ObjectMeta in the order Kubernetes serialises it.
METADATA_ORDER = (
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
    "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
    "annotations", "ownerReferences", "finalizers", "managedFields",
)


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


def server_side_apply(live: Obj | None, applied: Obj, *, manager: str, force: bool,
                      schema: Schema | None, now: str) -> Obj:
    """The object after ``manager`` applies ``applied`` to ``live`` (None: create).

    Raises :class:`ApplyConflict` when the apply would change another manager's fields and
    ``force`` is False, :class:`BadRequest` for a configuration that cannot be applied. The
    result already carries its ``managedFields``: do not call :func:`record_update` on it.
    Neither input is changed.
    """
    _check_applied(applied, manager, schema)
    config = owned_content(applied)
    live_content = owned_content(live)
    entries = decode_entries((live or {}).get("metadata", {}).get("managedFields"))
    me = ManagedFieldsEntry(manager=manager, operation=APPLY,
                            api_version=applied.get("apiVersion", ""), time=now)
    previous = find_entry(entries, me.identity)
    last_set = previous.fields if previous is not None else frozenset()
    me.fields = frozenset(field_set(config, schema))
    others = [e for e in entries if e.identity != me.identity]

    merged = _merge(copy.deepcopy(live_content), config, schema)
    owned = frozenset().union(me.fields, *(e.fields for e in others))
    _prune(merged, last_set, owned, schema)
    change = compare(live_content, merged, schema)

    conflicts = _conflicts(others, change)
    if conflicts and not force:
        conflicts = _not_excused_by_last_applied(conflicts, manager, live, live_content, schema)
        if conflicts:
            raise ApplyConflict([(e.manager, path_string(p)) for e, p in conflicts],
                                printed_managers=[e.printed() for e, _ in conflicts])
    others = [replace(e, fields=e.fields - change.added - change.modified - change.removed)
              for e in others]
    new_entries = cap_update_managers([*others, me])

    _drop_applied_nulls(merged, config, schema)
    result = _assemble(live, applied, merged)
    _sync_last_applied(result, applied, manager)
    result["metadata"]["managedFields"] = encode_entries(new_entries)
    if not result["metadata"]["managedFields"]:
        del result["metadata"]["managedFields"]
    if live is not None and _is_noop(live, result):
        return copy.deepcopy(live)
    return result


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
            _check_lists(child, child_schema(schema, key), (*path, PathElement("f", key)))
        return
    if not isinstance(value, list) or schema is None or schema.type != "array":
        return
    if schema.list_type == "map" and schema.list_map_keys:
        for index, item in enumerate(value):
            missing = missing_keys(schema, item)
            if missing:
                raise ValueError(
                    f"{path_string(path)}: element {index}: associative list with keys has an "
                    f'element that omits key field "{missing[0]}" (and doesn\'t have default '
                    "value)")
    list_type = list_kind(schema, value)
    if list_type == "atomic":
        return
    seen: set[PathElement] = set()
    for item in value:
        element = item_element(list_type, schema, item)
        if element in seen:
            raise ValueError(f"{path_string(path)}: duplicate entries for key "
                             f"{path_string((element,))}")
        seen.add(element)
        if list_type == "map":
            _check_lists(item, schema.items, (*path, element))


def _merge(live: Any, config: Any, schema: Schema | None) -> Any:
    """``config`` merged into ``live`` (which is changed); structured-merge-diff's ``Merge``."""
    if isinstance(live, dict) and is_granular_map(schema, live, config):
        for key, value in config.items():
            current = live.get(key, MISSING)
            if current is MISSING:
                live[key] = copy.deepcopy(value)
            else:
                live[key] = _merge(current, value, child_schema(schema, key))
        return live
    list_type = list_kind(schema, live, config)
    if list_type == "atomic" or schema is None:
        return copy.deepcopy(config)
    return _merge_items(list_type, schema, live, config)


def _merge_items(list_type: str, schema: Schema, live: list[Any], config: list[Any]) -> list[Any]:
    """Keyed or set lists: shared items take the configuration's order in the live slots;
    new items go just before the next shared item (or last); live-only items stay put."""
    config_by = items_by_element(list_type, schema, config)
    live_elements = [item_element(list_type, schema, item) for item in live]
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
                _drop_applied_nulls(merged[key], value, child_schema(schema, key))
        return
    if list_kind(schema, merged, config) == "map" and schema is not None:
        merged_by = items_by_element("map", schema, merged)
        for element, item in items_by_element("map", schema, config).items():
            if element in merged_by:
                _drop_applied_nulls(merged_by[element], item, schema.items)


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
                if is_declared(node, element.text):
                    out.add(path[:depth + 1])
                node = child_schema(node, element.text)
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
        _remove(child, rest, child_schema(schema, element.text))
        if child in ({}, []) and len(rest) == 1:
            del container[element.text]
        return
    list_type = list_kind(schema, container)
    if list_type == "atomic" or schema is None:
        return
    for index, item in enumerate(container):
        if item_element(list_type, schema, item) == element:
            if rest:
                _remove(item, rest, schema.items)
            else:
                del container[index]
            return


def _conflicts(others: list[ManagedFieldsEntry],
               change: Change) -> list[tuple[ManagedFieldsEntry, Path]]:
    """Other managers' fields that the apply adds or changes, sorted as Kubernetes lists them."""
    touched = change.added | change.modified
    found = [(e, p) for e in others for p in e.fields & touched]
    found.sort(key=lambda c: (c[0].identity, iteration_order(c[1])))
    return found


def _not_excused_by_last_applied(conflicts: list[tuple[ManagedFieldsEntry, Path]], manager: str,
                                 live: Obj | None, live_content: Obj,
                                 schema: Schema | None) -> list[tuple[ManagedFieldsEntry, Path]]:
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
    content = owned_content(last_applied)
    drift = compare(content, live_content, schema)
    allowed = field_set(content, schema) - drift.added - drift.modified - drift.removed
    remaining = [(e, p) for e, p in conflicts if p not in allowed]
    return remaining


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

    return json_equal(without_times(live), without_times(result))
