"""RFC 6902 JSON patch (``application/json-patch+json``), with the errors Kubernetes gives.

Kubernetes applies JSON patches with evanphx/json-patch and answers a patch that does not apply
with 422 and that library's words (``testing value /spec/replicas failed: test failed``,
``replace operation does not apply: doc is missing key: /data/x: missing value``); a patch that
is not a list of operations is 400. This module does the same on our JSON-shaped values,
without recursion, and never changes its input.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import BadRequest, Cause, Invalid, RequestEntityTooLarge
from minikube_py.util import jsonutil

MAX_OPERATIONS = 10_000  # Kubernetes' limit on the operations of one JSON patch
REJECTED = "the server rejected our request due to an error in our request"
_MISSING: Any = object()


class PatchFailed(Exception):
    """The patch does not apply to the document (422 at the apiserver)."""


def apply_json_patch(document: Any, patch: Any) -> Any:
    """The result of applying ``patch`` (decoded JSON) to a copy of ``document``."""
    if not isinstance(patch, list):
        raise BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    if len(patch) > MAX_OPERATIONS:
        raise RequestEntityTooLarge(f"Request entity too large: The allowed maximum operations "
                                    f"in a JSON patch is {MAX_OPERATIONS}, got {len(patch)}")
    doc = jsonutil.copy(document)
    try:
        for op in patch:
            if not isinstance(op, dict):
                raise BadRequest("json: cannot unmarshal into Go value of type "
                                 "jsonpatch.Operation")
            doc = _apply(doc, op)
    except PatchFailed as exc:
        raise Invalid(REJECTED, causes=[Cause("", str(exc), "")]) from exc
    return doc


def _apply(doc: Any, op: dict[str, Any]) -> Any:
    kind = op.get("op") if isinstance(op.get("op"), str) else "unknown"
    if kind == "add":
        path = _path(op, "path", "add operation failed to decode path")
        return _add(doc, path, _value(op), "add")
    if kind == "remove":
        path = _path(op, "path", "remove operation failed to decode path")
        _remove(doc, path, "remove")
        return doc
    if kind == "replace":
        path = _path(op, "path", "replace operation failed to decode path")
        return _replace(doc, path, _value(op))
    if kind == "move":
        src = _path(op, "from", "move operation failed to decode from")
        dest = _path(op, "path", "move operation failed to decode path")
        value = _remove(doc, src, "move")
        return _add(doc, dest, value, "move")
    if kind == "copy":
        src = _path(op, "from", "copy operation failed to decode from")
        dest = _path(op, "path", "copy operation failed to decode path")
        parent, key = _parent(doc, src, "copy operation does not apply: doc is missing from "
                              f"path: {src}")
        return _add(doc, dest, jsonutil.copy(_get(parent, key, src, "copy")), "copy")
    if kind == "test":
        path = _path(op, "path", "test operation failed to decode path")
        _test(doc, path, op.get("value", _MISSING))
        return doc
    raise PatchFailed(f"Unexpected kind: {kind}")


def _path(op: dict[str, Any], name: str, message: str) -> str:
    value = op.get(name)
    if not isinstance(value, str):
        raise PatchFailed(f"{message}: missing value")
    return value


def _value(op: dict[str, Any]) -> Any:
    return op.get("value")


def _tokens(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchFailed(f'JSON pointer must be empty or start with a "/": {path}')
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _parent(doc: Any, path: str, missing: str) -> tuple[Any, str]:
    """The container holding the last token of ``path``, and that token."""
    tokens = _tokens(path)
    if not tokens:
        raise PatchFailed(f"{missing}: missing value")
    node = doc
    for token in tokens[:-1]:
        node = _child(node, token)
        if node is _MISSING or not isinstance(node, dict | list):
            raise PatchFailed(f"{missing}: missing value")
    if not isinstance(node, dict | list):
        raise PatchFailed(f"{missing}: missing value")
    return node, tokens[-1]


def _child(node: Any, token: str) -> Any:
    if isinstance(node, dict):
        return node.get(token, _MISSING)
    if isinstance(node, list):
        index = _index(token, len(node))
        return node[index] if index is not None and 0 <= index < len(node) else _MISSING
    return _MISSING


def _index(token: str, length: int) -> int | None:
    text = token[1:] if token.startswith("-") else token
    if not text.isdigit():
        return None
    index = int(token)
    return index + length if index < 0 else index  # evanphx allows negative indices


def _get(node: Any, key: str, path: str, verb: str) -> Any:
    value = _child(node, key)
    if value is _MISSING:
        if isinstance(node, list):
            raise PatchFailed(f"error in {verb} for path: '{path}': Unable to access invalid "
                              f"index: {key}: invalid index referenced")
        raise PatchFailed(f"{verb} operation does not apply: doc is missing key: {path}: "
                          "missing value")
    return value


def _add(doc: Any, path: str, value: Any, verb: str) -> Any:
    if path == "":
        return value
    parent, key = _parent(doc, path, f'{verb} operation does not apply: doc is missing path: '
                                     f'"{path}"')
    if isinstance(parent, dict):
        parent[key] = value
        return doc
    if key == "-":
        parent.append(value)
        return doc
    index = _index(key, len(parent) + 1)
    if index is None:
        raise PatchFailed(f"error in {verb} for path: '{path}': value was not a proper array "
                          f"index: '{key}'")
    if not 0 <= index <= len(parent):
        raise PatchFailed(f"error in {verb} for path: '{path}': Unable to access invalid "
                          f"index: {key}: invalid index referenced")
    parent.insert(index, value)
    return doc


def _remove(doc: Any, path: str, verb: str) -> Any:
    parent, key = _parent(doc, path, f'{verb} operation does not apply: doc is missing path: '
                                     f'"{path}"')
    if isinstance(parent, dict):
        if key not in parent:
            raise PatchFailed(f"error in {verb} for path: '{path}': Unable to remove "
                              f"nonexistent key: {key}: missing value")
        return parent.pop(key)
    index = _index(key, len(parent))
    if index is None or not 0 <= index < len(parent):
        raise PatchFailed(f"error in {verb} for path: '{path}': Unable to access invalid "
                          f"index: {key}: invalid index referenced")
    return parent.pop(index)


def _replace(doc: Any, path: str, value: Any) -> Any:
    if path == "":
        return value
    parent, key = _parent(doc, path, "replace operation does not apply: doc is missing path: "
                                     f"{path}")
    _get(parent, key, path, "replace")
    if isinstance(parent, dict):
        parent[key] = value
    else:
        index = _index(key, len(parent))
        assert index is not None
        parent[index] = value
    return doc


def _test(doc: Any, path: str, expected: Any) -> None:
    if path == "":
        actual = doc
    else:
        parent, key = _parent(doc, path, "test operation does not apply: is missing path: "
                                         f"{path}")
        actual = _child(parent, key)
    if actual is _MISSING:
        actual = None
    if expected is _MISSING or not _equal(actual, expected):
        raise PatchFailed(f"testing value {path} failed: test failed")


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: numbers by value (1 == 1.0), never a bool equal to a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
