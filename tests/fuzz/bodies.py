"""Request bodies with the hostility that lives in the text, not in the value.

A fuzz body is a JSON-shaped Python value that may hold a few marker nodes: :class:`Raw`
(bytes put in verbatim: ``NaN``, ``1e999``, a lone-surrogate escape, invalid UTF-8, 5,000
nested brackets), :class:`Dup` (an object whose keys repeat), and for YAML :class:`Anchor`,
:class:`Alias` and :class:`Tagged`. :func:`to_json` and :func:`to_yaml` write such a value
out; the strategies decide where the markers go, so the hostility composes with the schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class Raw:
    """Bytes written verbatim where a value goes."""

    text: bytes


@dataclass(frozen=True)
class Dup:
    """An object written with these (possibly repeated) keys, in this order."""

    pairs: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Anchor:
    """YAML ``&name value`` (JSON writes the value)."""

    name: str
    value: Any


@dataclass(frozen=True)
class Alias:
    """YAML ``*name`` (JSON writes null)."""

    name: str


@dataclass(frozen=True)
class Tagged:
    """YAML ``!tag value``, e.g. ``!!binary``, ``!!python/object``, ``!custom``."""

    tag: str
    value: Any


def _string(text: str, ascii_only: bool) -> bytes:
    return json.dumps(text, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


def to_json(value: Any, *, ascii_only: bool = False) -> bytes:
    """Compact JSON text of ``value``, markers included."""
    parts: list[bytes] = []
    _emit(value, parts, ascii_only=ascii_only, yaml_mode=False)
    return b"".join(parts)


def to_yaml(value: Any) -> bytes:
    """Flow-style YAML (JSON with YAML's own markers); safe_dump when there are none."""
    if not _has_markers(value):
        return yaml.safe_dump(value, sort_keys=False, allow_unicode=True).encode("utf-8",
                                                                                 "surrogatepass")
    parts: list[bytes] = []
    _emit(value, parts, ascii_only=False, yaml_mode=True)
    return b"".join(parts) + b"\n"


def _has_markers(value: Any) -> bool:
    if isinstance(value, Raw | Dup | Anchor | Alias | Tagged):
        return True
    if isinstance(value, dict):
        return any(_has_markers(v) for v in value.values()) or any(
            not isinstance(k, str) or _lone_surrogate(k) for k in value)
    if isinstance(value, list):
        return any(_has_markers(v) for v in value)
    return isinstance(value, str) and _lone_surrogate(value)


def _lone_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def _emit(value: Any, out: list[bytes], *, ascii_only: bool, yaml_mode: bool) -> None:
    colon, comma = (b": ", b", ") if yaml_mode else (b":", b",")
    stack: list[Any] = [value]
    # An explicit stack: bodies may nest deeper than Python's recursion limit.
    while stack:
        item = stack.pop()
        if isinstance(item, _Token):
            out.append(item.text)
        elif isinstance(item, Raw):
            out.append(item.text)
        elif isinstance(item, Dup | dict):
            pairs = item.pairs if isinstance(item, Dup) else tuple(item.items())
            seq: list[Any] = [_Token(b"{")]
            for i, (k, v) in enumerate(pairs):
                key = k if isinstance(k, str) else str(k)
                seq += [_Token((comma if i else b"") + _string(key, ascii_only) + colon), v]
            seq.append(_Token(b"}"))
            stack.extend(reversed(seq))
        elif isinstance(item, list | tuple):
            seq = [_Token(b"[")]
            for i, v in enumerate(item):
                if i:
                    seq.append(_Token(comma))
                seq.append(v)
            seq.append(_Token(b"]"))
            stack.extend(reversed(seq))
        elif isinstance(item, Anchor):
            if yaml_mode:
                out.append(b"&" + item.name.encode() + b" ")
            stack.append(item.value)
        elif isinstance(item, Alias):
            out.append(b"*" + item.name.encode() if yaml_mode else b"null")
        elif isinstance(item, Tagged):
            if yaml_mode:
                out.append(item.tag.encode() + b" ")
            stack.append(item.value)
        elif isinstance(item, str):
            out.append(_string(item, ascii_only))
        elif item is None or isinstance(item, bool | int | float):
            out.append(json.dumps(item).encode())
        else:
            raise TypeError(f"cannot write {type(item).__name__} into a fuzz body")


@dataclass(frozen=True)
class _Token:
    text: bytes


def nested(depth: int, *, kind: str = "list") -> Raw:
    """``[[[...]]]`` or ``{"a":{"a":...}}`` ``depth`` levels deep."""
    if kind == "list":
        return Raw(b"[" * depth + b"]" * depth)
    return Raw(b'{"a":' * depth + b"1" + b"}" * depth)


def nested_yaml(depth: int, *, indent: int = 0) -> bytes:
    """Block-style YAML ``depth`` mappings deep (its first line indented ``indent``)."""
    lines = [(" " * (indent + i) + "a:").encode() for i in range(depth)]
    return b"\n".join(lines) + b" 1\n"


def strip_markers(value: Any) -> Any:
    """The plain value the server should see (Dup: last key wins; markers: None)."""
    if isinstance(value, Dup):
        return {k: strip_markers(v) for k, v in value.pairs}
    if isinstance(value, dict):
        return {k: strip_markers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_markers(v) for v in value]
    if isinstance(value, Anchor | Tagged):
        return strip_markers(value.value)
    if isinstance(value, Raw | Alias):
        return None
    return value


def has_dup(value: Any) -> bool:
    if isinstance(value, Dup):
        keys = [k for k, _ in value.pairs]
        return len(keys) != len(set(keys)) or any(has_dup(v) for _, v in value.pairs)
    if isinstance(value, dict):
        return any(has_dup(v) for v in value.values())
    if isinstance(value, list):
        return any(has_dup(v) for v in value)
    if isinstance(value, Anchor | Tagged):
        return has_dup(value.value)
    return False


def has_raw(value: Any) -> bool:
    if isinstance(value, Raw | Alias | Tagged):
        return True
    if isinstance(value, Dup):
        return any(has_raw(v) for _, v in value.pairs)
    if isinstance(value, dict):
        return any(has_raw(v) for v in value.values())
    if isinstance(value, list):
        return any(has_raw(v) for v in value)
    if isinstance(value, Anchor):
        return has_raw(value.value)
    return False
