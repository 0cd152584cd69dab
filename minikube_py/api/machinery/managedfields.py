"""Field ownership: who set which field, recorded in ``metadata.managedFields``.

Every write but an apply calls :func:`record_update` on the object it is about to store: the
writer takes the fields it added or changed from every other manager (an ``Update`` never
conflicts), removed fields leave every set, at most ten ``Update`` entries are kept (older ones
merge into ``ancient-changes``). Server-side apply (:mod:`.apply`) keeps the same entries.
Pure: dicts in, dicts out; the caller passes ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from minikube_py.api.machinery.fieldpath import Path, fields_from_v1, fields_to_v1, quote
from minikube_py.api.machinery.fieldsets import (
    ATOMIC_STRUCTS,
    MISSING,
    SERVER_METADATA,
    child_schema,
    compare,
    is_declared,
    list_elements,
    owned_content,
)
from minikube_py.api.schema import Schema

Obj = dict[str, Any]  # a JSON object

APPLY = "Apply"
UPDATE = "Update"
FIELDS_V1 = "FieldsV1"
ANCIENT_CHANGES_MANAGER = "ancient-changes"
MAX_UPDATE_MANAGERS = 10


@dataclass
class ManagedFieldsEntry:
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


def find_entry(entries: list[ManagedFieldsEntry],
               identity: tuple[str, str, str, str]) -> ManagedFieldsEntry | None:
    return next((e for e in entries if e.identity == identity), None)


def decode_entries(raw: Any) -> list[ManagedFieldsEntry]:
    """Entries of a stored ``managedFields``; malformed or anonymous entries are dropped."""
    entries: list[ManagedFieldsEntry] = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict) or not item.get("manager") or not item.get("operation"):
            continue
        fields_v1 = item.get("fieldsV1")
        try:
            fields = fields_from_v1(fields_v1 if isinstance(fields_v1, dict) else {})
        except ValueError:  # a corrupt key; the entry is lost rather than the write
            continue
        entries.append(ManagedFieldsEntry(
            manager=item["manager"], operation=item["operation"],
            api_version=item.get("apiVersion", ""), time=item.get("time"),
            fields=frozenset(fields), subresource=item.get("subresource", ""),
        ))
    return entries


def encode_entries(entries: list[ManagedFieldsEntry]) -> list[Obj]:
    """Non-empty entries in Kubernetes' order: Apply before Update, then oldest first."""
    kept = [e for e in entries if e.fields]
    kept.sort(key=lambda e: (e.operation, e.time or "", e.manager, e.api_version, e.subresource))
    return [e.to_dict() for e in kept]


def cap_update_managers(entries: list[ManagedFieldsEntry]) -> list[ManagedFieldsEntry]:
    """Merge the oldest Update entries into ``ancient-changes`` until ten are left."""
    updaters = sorted((e for e in entries if e.operation == UPDATE and e.fields),
                      key=lambda e: (e.time or "", e.identity))
    excess = len(updaters) - MAX_UPDATE_MANAGERS
    if excess <= 0:
        return entries
    oldest = updaters[:excess + 1]
    oldest += [e for e in updaters[excess + 1:] if e.manager == ANCIENT_CHANGES_MANAGER
               and e.api_version == oldest[-1].api_version]
    bucket = ManagedFieldsEntry(manager=ANCIENT_CHANGES_MANAGER, operation=UPDATE,
                                api_version=oldest[-1].api_version, time=oldest[-1].time,
                                fields=frozenset().union(*(e.fields for e in oldest)))
    merged_away = {id(e) for e in oldest}
    return [e for e in entries if id(e) not in merged_away] + [bucket]


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
        entries = decode_entries(sent)
    else:
        entries = decode_entries((live or {}).get("metadata", {}).get("managedFields"))
    change = compare(owned_content(live, subresource), owned_content(new, subresource), schema)
    me = ManagedFieldsEntry(manager=manager, operation=operation,
                            api_version=new.get("apiVersion", ""), time=now,
                            subresource=subresource)
    previous = find_entry(entries, me.identity)
    taken = change.added | change.modified
    kept = (previous.fields - change.removed) if previous is not None else frozenset()
    if taken:
        me.fields = kept | taken
    elif previous is not None:
        me = replace(previous, fields=kept)
    others = [replace(e, fields=e.fields - taken - change.removed)
              for e in entries if e.identity != me.identity]
    encoded = encode_entries(cap_update_managers([*others, me]))
    if encoded:
        metadata["managedFields"] = encoded
    else:
        metadata.pop("managedFields", None)


def _record_create(new: Obj, *, manager: str, operation: str, schema: Schema | None, now: str,
                   subresource: str) -> None:
    """record_update for a new object: every field is the creator's. The ``fieldsV1`` tree is
    built in one walk of the object, as :func:`diff` against nothing would find it (the fast
    path of every create)."""
    content = new if subresource != "status" else {"status": new.get("status", MISSING)}
    children: Obj = {}
    for key in sorted(content):
        value = content[key]
        if value is MISSING or (subresource != "status" and key in ("apiVersion", "kind",
                                                                      "status")):
            continue
        child = child_schema(schema, key)
        if key == "metadata" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in SERVER_METADATA}
            if not value:
                continue
        children[f"f:{key}"] = _added_v1(value, child, member=not is_declared(schema, key)
                                         or (child is not None and child.type == "map"))
    if not children:
        new["metadata"].pop("managedFields", None)
        return
    entry = ManagedFieldsEntry(manager=manager, operation=operation,
                               api_version=new.get("apiVersion", ""), time=now,
                               subresource=subresource).to_dict(fields_v1=children)
    new["metadata"]["managedFields"] = [entry]


def _added_v1(value: Any, schema: Schema | None, *, member: bool) -> Obj:
    """The ``fieldsV1`` subtree of a value that is all new: what :func:`diff` against
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
    elements = list_elements(schema, value)
    if elements is None:
        return {}  # an atomic list is one field
    tree: Obj = {".": {}}
    for _, text, item in sorted(elements, key=lambda e: e[0]):
        if text not in tree:
            tree[text] = _added_v1(item, schema.items, member=True)
    return tree
