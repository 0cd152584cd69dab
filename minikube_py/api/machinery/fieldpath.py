"""Field paths and their ``fieldsV1`` form: the vocabulary of field ownership.

A path is a tuple of :class:`PathElement`; a field set is a set of paths. ``fieldsV1`` is the
JSON tree Kubernetes keeps in ``metadata.managedFields`` (``f:spec``, ``k:{"name":"c"}``,
``v:"x"``, ``.``). Field sets (``fieldsets.py``), ownership (``managedfields.py``) and
server-side apply (``apply.py``) compute with sets of paths and store them as ``fieldsV1``;
conflict messages print paths as Kubernetes does
(``.spec.containers[name="web"].image``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from minikube_py.util import jsonutil


class PathElement(NamedTuple):
    """One step of a field path: ``tag`` f (field), k (keyed item), v (set value), i (index).

    ``text`` is the field name, or the compact JSON of the item's keys or of the value.
    """

    tag: str
    text: str


Path = tuple[PathElement, ...]


def fields_to_v1(paths: Iterable[Path]) -> dict[str, Any]:
    """The ``fieldsV1`` tree of a field set, keys in structured-merge-diff's order."""
    root: dict[PathElement, Any] = {}
    members: set[Path] = set()
    for path in paths:
        node = root
        for element in path:
            node = node.setdefault(element, {})
        members.add(path)
    return _emit(root, (), members)


def _emit(node: dict[PathElement, Any], prefix: Path, members: set[Path]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if prefix and node and prefix in members:
        out["."] = {}
    for element in sorted(node, key=element_order):
        out[f"{element.tag}:{element.text}"] = _emit(node[element], (*prefix, element), members)
    return out


def fields_from_v1(tree: dict[str, Any], prefix: Path = ()) -> set[Path]:
    """The field set a ``fieldsV1`` tree describes."""
    paths: set[Path] = set()
    for key, child in tree.items():
        if key == ".":
            if prefix:
                paths.add(prefix)
            continue
        tag, _, text = key.partition(":")
        if tag in ("k", "v"):
            text = compact(json.loads(text))
        path = (*prefix, PathElement(tag, text))
        if not isinstance(child, dict) or not child:
            paths.add(path)
        else:
            paths |= fields_from_v1(child, path)
    return paths


def path_string(path: Path) -> str:
    """A path as Kubernetes prints it: ``.spec.containers[name="web"].image``."""
    parts: list[str] = []
    for element in path:
        if element.tag == "f":
            parts.append("." + element.text)
        elif element.tag == "k":
            keys = json.loads(element.text)
            parts.append("[" + ",".join(f"{k}={compact(v)}" for k, v in keys.items()) + "]")
        elif element.tag == "v":
            parts.append(f"[={element.text}]")
        else:
            parts.append(f"[{element.text}]")
    return "".join(parts)


def compact(value: Any) -> str:
    """Canonical JSON: compact, keys sorted, non-ASCII as it is (the text of k: and v:)."""
    return jsonutil.dumps_sorted_text(value)


def quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def value_order(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, int | float):
        return (2, value)
    if isinstance(value, str):
        return (3, value)
    return (4, compact(value))


def element_order(element: PathElement) -> tuple[int, Any]:
    if element.tag == "f":
        return (0, element.text)
    if element.tag == "k":
        keys = json.loads(element.text)
        return (1, tuple((name, value_order(keys[name])) for name in sorted(keys)))
    if element.tag == "v":
        return (2, value_order(json.loads(element.text)))
    return (3, int(element.text) if element.text.isdigit() else 0)


def iteration_order(path: Path) -> tuple[tuple[int, tuple[int, Any]], ...]:
    """structured-merge-diff's set order: at each level the leaves before the subtrees."""
    last = len(path) - 1
    return tuple((0 if i == last else 1, element_order(e)) for i, e in enumerate(path))


def iter_paths(fields_v1: dict[str, Any]) -> Iterator[str]:
    """The paths of a ``fieldsV1`` tree as Kubernetes prints them, in its order (for describe
    and for tests)."""
    for path in sorted(fields_from_v1(fields_v1), key=iteration_order):
        yield path_string(path)
