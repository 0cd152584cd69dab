"""Request bodies to values: JSON, YAML and Kubernetes protobuf, refused whole when hostile.

Every body the apiserver reads (objects, patches, delete options) is decoded here, before any
code of ours recurses into it. What Kubernetes' decoders refuse is refused here with 400
BadRequest, and nothing else is let through:

- nesting deeper than :data:`MAX_DEPTH` (checked before recursing: a cheap count of brackets
  first, an iterative walk only when that count is high);
- text that is not UTF-8, lone surrogates (``"\\udfff"``), NaN and infinities;
- YAML aliases (a few nested ``*refs`` expand to gigabytes: a "billion laughs"), and YAML
  values JSON has no type for (``!!binary``, ``!!set``). YAML timestamps stay strings, as
  Kubernetes' YAML-to-JSON conversion keeps them.

Duplicate keys are not an error here: they are reported (as field paths) so the caller can
apply ``fieldValidation`` (Strict refuses them, Warn warns).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from minikube_py.api.codecs.protobuf import decode_protobuf
from minikube_py.api.errors import BadRequest, UnsupportedMediaType
from minikube_py.api.schema import Schema
from minikube_py.util.textsafe import has_surrogates

MAX_DEPTH = 150  # far beyond any real object; well inside Python's recursion limit
JSON = "application/json"
YAML_TYPES = ("application/yaml", "application/apply-patch+yaml")
PROTOBUF = "application/vnd.kubernetes.protobuf"
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


@dataclass
class Body:
    """A decoded body: the value, and the paths of keys given more than once."""

    value: Any
    duplicates: list[str] = field(default_factory=list)


def decode_body(body: bytes | None, content_type: str, schema: Schema | None = None) -> Body:
    """A JSON, YAML or Kubernetes-protobuf request body; 400 when it cannot be read, 415 for
    other media types. Protobuf needs the schema of the kind the body should hold."""
    if not body:
        raise BadRequest("request body is empty")
    ctype = content_type.split(";")[0].strip().lower()
    if ctype in ("", JSON, "*/*"):
        return decode_json(body)
    if ctype in YAML_TYPES:
        return decode_yaml(body)
    if ctype == PROTOBUF and schema is not None:
        return Body(decode_protobuf(body, schema))
    raise UnsupportedMediaType(
        f'the body of the request was in an unknown format - accepted media types include: '
        f'application/json, application/yaml, {PROTOBUF} (got "{ctype}")')


# -- JSON --------------------------------------------------------------------------------------

class _Duplicates(Exception):
    pass


def _no_constants(name: str) -> Any:
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"cannot unmarshal number {text} into a finite float")
    return value


INT64 = (-(2**63), 2**63 - 1)


def _int64_or_float(text: str) -> int | float:
    """An integer literal as Kubernetes' JSON decoding reads one where no type is declared
    (sigs.k8s.io/json ``convertNumber``): an int64 if it fits, else the nearest float64.
    No integer beyond 64 bits reaches the store, whose codec could not write it back."""
    value = int(text)
    return value if INT64[0] <= value <= INT64[1] else float(value)


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Duplicates
    return obj


_DECODER = json.JSONDecoder(object_pairs_hook=_strict_object, parse_constant=_no_constants,
                            parse_float=_finite, parse_int=_int64_or_float)
_PAIRS_DECODER = json.JSONDecoder(object_pairs_hook=lambda pairs: _Pairs(pairs),
                                  parse_constant=_no_constants, parse_float=_finite,
                                  parse_int=_int64_or_float)


class _Pairs(list[tuple[str, Any]]):
    """An object as its key-value pairs in order, kept to find duplicated keys."""


def decode_json(body: bytes) -> Body:
    check_nesting(body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"couldn't get version/kind; json parse error: invalid UTF-8 in "
                         f"JSON at byte {exc.start}") from exc
    duplicates: list[str] = []
    try:
        try:
            value = _DECODER.decode(text)
        except _Duplicates:
            pairs = _PAIRS_DECODER.decode(text)
            duplicates = sorted(set(_duplicate_paths(pairs, "")))
            value = _to_dicts(pairs)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"couldn't get version/kind; json parse error: {exc}") from exc
    if _SURROGATE_ESCAPE.search(body):
        check_text(value)
    return Body(value, duplicates)


def _duplicate_paths(value: Any, path: str) -> list[str]:
    found: list[str] = []
    if isinstance(value, _Pairs):
        seen: set[str] = set()
        for key, child in value:
            child_path = f"{path}.{key}" if path else key
            if key in seen:
                found.append(child_path)
            seen.add(key)
            found += _duplicate_paths(child, child_path)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += _duplicate_paths(child, f"{path}[{i}]")
    return found


def _to_dicts(value: Any) -> Any:
    if isinstance(value, _Pairs):
        return {k: _to_dicts(v) for k, v in value}
    if isinstance(value, list):
        return [_to_dicts(v) for v in value]
    return value


# -- YAML --------------------------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """Safe YAML without aliases, with a depth limit, timestamps as strings, and duplicate
    keys recorded rather than silently dropped."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.depth = 0
        self.duplicates: list[str] = []

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases are not accepted in request bodies", event.start_mark)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nesting exceeds the maximum depth of {MAX_DEPTH}",
                self.peek_event().start_mark)  # type: ignore[no-untyped-call]
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if key is not None and key in seen:
                    self.duplicates.append(
                        f"line {key_node.start_mark.line + 1}: key {json.dumps(key)} "
                        f"already set in map")
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _as_string(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _as_string)


def _yaml_int(loader: yaml.SafeLoader, node: yaml.Node) -> int | float:
    value = loader.construct_yaml_int(node)  # type: ignore[arg-type]
    return value if INT64[0] <= value <= INT64[1] else float(value)


_Loader.add_constructor("tag:yaml.org,2002:int", _yaml_int)


def decode_yaml(body: bytes) -> Body:
    loader = None
    try:
        loader = _Loader(body)
        value = loader.get_single_data()
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise BadRequest(f"error converting YAML to JSON: {exc}") from exc
    finally:
        if loader is not None:
            loader.dispose()
    check_json_types(value)
    return Body(value, [f"yaml: {d}" for d in loader.duplicates])


# -- checks ------------------------------------------------------------------------------------

def check_nesting(raw: bytes) -> None:
    """400 when JSON text nests deeper than MAX_DEPTH (only counted when it could)."""
    if raw.count(b"{") + raw.count(b"[") <= MAX_DEPTH:
        return
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x7B, 0x5B):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                raise BadRequest(f"couldn't get version/kind; json parse error: nesting "
                                 f"exceeds the maximum depth of {MAX_DEPTH}")
        elif byte in (0x7D, 0x5D):
            depth -= 1


def check_text(value: Any) -> None:
    """400 when any string (key or value) holds a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if has_surrogates(item):
                raise BadRequest("the request body is not valid UTF-8: it holds a lone "
                                 "surrogate (\\ud800-\\udfff)")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def check_json_types(value: Any) -> None:
    """400 unless ``value`` is plain JSON: str keys are left to the schema check, but every
    value must be a JSON type, floats finite and strings valid Unicode."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if has_surrogates(item):
                raise BadRequest("error converting YAML to JSON: a string holds a lone "
                                 "surrogate (\\ud800-\\udfff)")
        elif isinstance(item, dict):
            stack.extend(k for k in item if isinstance(k, str))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise BadRequest(f"error converting YAML to JSON: json: unsupported value: "
                                 f"{item}")
        elif item is not None and not isinstance(item, bool | int):
            raise BadRequest(f"error converting YAML to JSON: {type(item).__name__} values "
                             "have no JSON form")
