"""``describe``: an object in kubectl's describe layout, followed by its events.

The header (Name, Namespace, Labels, Annotations, CreationTimestamp) is common to every kind;
the rest of the object is printed as an indented tree; the events are those whose
``involvedObject`` is this object, oldest first.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.api.schema import Schema
from minikube_py.cli.apply import LAST_APPLIED
from minikube_py.cli.describers import DESCRIBERS, NONE, tabbed
from minikube_py.client.base import Client
from minikube_py.util import clock


def _pairs(mapping: dict[str, str] | None, indent: int) -> str:
    if not mapping:
        return "<none>"
    items = [f"{k}={v}" if "=" not in k else f"{k}: {v}" for k, v in sorted(mapping.items())]
    return ("\n" + " " * indent).join(items)


def _tree(value: Any, indent: int, lines: list[str], schema: Schema | None = None) -> None:
    """``value`` as kubectl's describe prints a tree: field names title-cased, the keys of
    maps (labels, selectors, data...) as they are."""
    pad = " " * indent
    if isinstance(value, dict):
        for key, sub in value.items():
            name, child = _key(schema, key)
            if isinstance(sub, dict | list) and sub:
                lines.append(f"{pad}{name}:")
                _tree(sub, indent + 2, lines, child)
            else:
                lines.append(f"{pad}{name}:  {_scalar(sub)}")
    elif isinstance(value, list):
        items = schema.items if schema is not None and schema.type == "array" else None
        for item in value:
            if isinstance(item, dict):
                first = True
                for key, sub in item.items():
                    lead = pad + ("- " if first else "  ")
                    first = False
                    name, child = _key(items, key)
                    if isinstance(sub, dict | list) and sub:
                        lines.append(f"{lead}{name}:")
                        _tree(sub, indent + 4, lines, child)
                    else:
                        lines.append(f"{lead}{name}:  {_scalar(sub)}")
            else:
                lines.append(f"{pad}- {_scalar(item)}")


def _key(schema: Schema | None, key: str) -> tuple[str, Schema | None]:
    """How ``key`` is shown under ``schema``, and the schema below it. A map's keys are the
    user's words and stay as written; a field name is title-cased, as kubectl shows it."""
    if schema is not None and schema.type == "map":
        return key, schema.items
    child = schema.field(key) if schema is not None and schema.type == "object" else None
    return _title(key), child


def _title(key: str) -> str:
    return key[:1].upper() + key[1:]


def _scalar(value: Any) -> str:
    if value is None or value == {} or value == []:
        return "<none>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def describe_object(client: Client, rt: ResourceType, obj: dict[str, Any]) -> str:
    describer = DESCRIBERS.get((rt.group, rt.kind))
    if describer is not None:  # kubectl's own layout for this kind
        lines = await describer(client, obj)
        events = await _events(client, rt, obj)
        if events.startswith("Events:       <none>"):
            return tabbed([*lines, f"Events:\t{NONE}"])
        return tabbed(lines) + "\n" + events
    meta = obj.get("metadata") or {}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}
    lines = [f"Name:         {meta.get('name', '')}"]
    if rt.namespaced:
        lines.append(f"Namespace:    {meta.get('namespace', '')}")
    lines.append(f"Labels:       {_pairs(meta.get('labels'), 14)}")
    lines.append(f"Annotations:  {_pairs(annotations, 14)}")
    lines.append(f"CreationTimestamp:  {meta.get('creationTimestamp', '')}")
    if meta.get("deletionTimestamp"):
        lines.append(f"DeletionTimestamp:  {meta['deletionTimestamp']}")
    owner = next((o for o in meta.get("ownerReferences") or [] if o.get("controller")), None)
    if owner:
        lines.append(f"Controlled By:  {owner.get('kind')}/{owner.get('name')}")
    body = {k: v for k, v in obj.items() if k not in ("metadata", "apiVersion", "kind")}
    _tree(body, 0, lines, rt.schema)
    lines.append(await _events(client, rt, obj))
    return "\n".join(lines)


async def _events(client: Client, rt: ResourceType, obj: dict[str, Any]) -> str:
    events_rt = REGISTRY.require("", "v1", "events")
    meta = obj.get("metadata") or {}
    selector = f"involvedObject.name={meta.get('name')},involvedObject.uid={meta.get('uid')}"
    ns = meta.get("namespace") if rt.namespaced else None
    if ns:
        selector += f",involvedObject.namespace={ns}"
    listing = await client.list(events_rt, ns, field_selector=selector)
    events = listing.get("items") or []
    if not events:
        return "Events:       <none>"
    events.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    rows = [("Type", "Reason", "Age", "From", "Message"),
            ("----", "------", "----", "----", "-------")]
    for e in events:
        when = e.get("lastTimestamp") or e.get("eventTime") or e.get("firstTimestamp")
        age = clock.age(when)
        count = e.get("count") or 1
        if count > 1:
            age = f"{age} (x{count} over {clock.age(e.get('firstTimestamp') or when)})"
        source = (e.get("source") or {}).get("component") or e.get("reportingComponent") or ""
        rows.append((e.get("type", ""), e.get("reason", ""), age, source,
                     (e.get("message") or "").strip()))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    out = ["Events:"]
    for r in rows:
        out.append("  " + "  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4])
    return "\n".join(out)
