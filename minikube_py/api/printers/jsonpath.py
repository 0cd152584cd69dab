"""The simple JSONPath of CRDs' ``additionalPrinterColumns[].jsonPath`` and the scale
subresource's paths (``.spec.replicas``, ``.status.conditions[?(@.type=="Ready")].status``,
``.spec.containers[0].image``, ``.items[*].name``), as kubectl's jsonpath evaluates them.

:func:`find` gives every value the path reaches (none when a step is missing);
``api/printers/custom.py`` prints the first one in a cell.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

_STEP = re.compile(
    r"\.(?P<field>[^.\[\]]+)"
    r"|\[(?P<index>-?\d+|\*)\]"
    r"|\[\?\(@\.(?P<key>[^=!<>\s]+)\s*(?P<op>==|!=)\s*"
    r"(?P<value>\"[^\"]*\"|'[^']*'|[^)\s]+)\)\]"
    r"|\['(?P<quoted>[^']+)'\]")


class JSONPathError(ValueError):
    """A path outside the simple subset (kept from the object: the cell stays empty)."""


@lru_cache(maxsize=256)
def parse(path: str) -> tuple[tuple[str, Any], ...]:
    """``.a[0].b`` -> steps ``(("field", "a"), ("index", 0), ("field", "b"))``."""
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    if text.startswith("$"):
        text = text[1:]
    steps: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        match = _STEP.match(text, pos)
        if match is None:
            raise JSONPathError(f"unsupported JSONPath {path!r} at {text[pos:]!r}")
        if match.group("field") is not None:
            steps.append(("field", match.group("field")))
        elif match.group("quoted") is not None:
            steps.append(("field", match.group("quoted")))
        elif match.group("index") is not None:
            index = match.group("index")
            steps.append(("all", None) if index == "*" else ("index", int(index)))
        else:
            raw = match.group("value")
            value: Any = raw[1:-1] if raw[0] in "\"'" else json.loads(raw)
            steps.append(("filter", (match.group("key"), match.group("op"), value)))
        pos = match.end()
    return tuple(steps)


def find(obj: Any, path: str) -> list[Any]:
    """Every value ``path`` reaches in ``obj``."""
    return list(_walk(obj, parse(path)))


def _walk(value: Any, steps: tuple[tuple[str, Any], ...]) -> Iterator[Any]:
    if not steps:
        yield value
        return
    (kind, arg), rest = steps[0], steps[1:]
    if kind == "field":
        if isinstance(value, dict) and arg in value:
            yield from _walk(value[arg], rest)
    elif kind == "index":
        if isinstance(value, list) and -len(value) <= arg < len(value):
            yield from _walk(value[arg], rest)
    elif kind == "all":
        items = value if isinstance(value, list) else \
            list(value.values()) if isinstance(value, dict) else []
        for item in items:
            yield from _walk(item, rest)
    elif kind == "filter" and isinstance(value, list):
        key, op, wanted = arg
        for item in value:
            got = item.get(key) if isinstance(item, dict) else None
            if (got == wanted) == (op == "=="):
                yield from _walk(item, rest)


def set_path(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``obj`` with ``value`` at a path of plain fields (``.spec.replicas``), made as
    needed: the merge patch a write of ``/scale`` sends."""
    node = obj
    steps = parse(path)
    for kind, arg in steps[:-1]:
        if kind != "field":
            raise JSONPathError(f"{path!r} is not a path of fields")
        node = node.setdefault(arg, {})
    kind, arg = steps[-1]
    if kind != "field":
        raise JSONPathError(f"{path!r} is not a path of fields")
    node[arg] = value
    return obj
