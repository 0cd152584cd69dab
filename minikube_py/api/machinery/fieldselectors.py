"""Field selectors, as the Kubernetes apiserver parses and matches them (apimachinery
``pkg/fields``), and the selectable fields of each kind.

The apiserver calls :meth:`FieldSelector.parse` on the ``fieldSelector`` query parameter,
checks it against the kind with :func:`check_field_selector`, and matches each object through
:func:`object_fields`. A field the object lacks reads as ``""``.

Which fields a kind accepts (the scheme's field label conversion functions) and which fields an
object exposes (the registry's ``ToSelectableFields``) are two different lists upstream, kept
apart here as well: a Pod accepts ``status.podIPs`` but never sets it, and an ``apps/v1``
ReplicaSet exposes ``status.replicas`` but does not accept it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from minikube_py.api import errors


def _go_quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- FieldSelector (fields.ParseSelector) ------------------------------------------------------

_FIELD_OPERATORS = ("!=", "==", "=")  # "==" before "=" so no "=" is left on the value


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not escaped; escapes stay in the terms."""
    terms, start, escaped = [], 0, False
    for i, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    """``(field, operator, raw value)`` at the first operator; fields have no escapes."""
    for i in range(len(term)):
        for op in _FIELD_OPERATORS:
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op):]
    return None


def escape_field_value(value: str) -> str:
    """``fields.EscapeValue``: make an arbitrary string safe as a field selector value."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def unescape_field_value(value: str) -> str:
    """``fields.UnescapeValue``: ``\\\\``, ``\\,`` and ``\\=`` only; bare ``,`` ``=`` are errors."""
    out, escaped = [], False
    for char in value:
        if escaped:
            if char not in "\\,=":
                raise errors.BadRequest(
                    f"invalid field selector: invalid escape sequence: \\{char}")
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",=":
            # Kubernetes prints the rune with %v, that is as its number ("61" for "=").
            raise errors.BadRequest(
                f"invalid field selector: unescaped character in value: {ord(char)}")
        else:
            out.append(char)
    if escaped:
        raise errors.BadRequest("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


@dataclass(frozen=True)
class FieldSelector:
    """An AND of ``field=value`` / ``field!=value`` terms, in the order Kubernetes sorts them."""

    terms: tuple[tuple[str, str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> FieldSelector:
        """``"metadata.name=x,spec.nodeName!=,status.phase==Running"``; ``""`` selects all."""
        terms = []
        for part in sorted(_split_terms(text)):
            if not part:
                continue
            split = _split_term(part)
            if split is None:
                raise errors.BadRequest(f"invalid selector: '{text}'; can't understand '{part}'")
            field, op, raw = split
            terms.append((field, "!=" if op == "!=" else "=", unescape_field_value(raw)))
        return cls(tuple(terms))

    def requirements(self) -> list[tuple[str, str, str]]:
        """``(field, operator, value)`` with operator ``=`` (also for ``==``) or ``!=``."""
        return list(self.terms)

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all((fields.get(f, "") == v) == (op == "=") for f, op, v in self.terms)

    def empty(self) -> bool:
        return not self.terms

    def requires_exact_match(self, field: str) -> str | None:
        """The value ``field`` must equal, if a ``field=value`` term says so."""
        return next((v for f, op, v in self.terms if f == field and op == "="), None)

    def __str__(self) -> str:
        return ",".join(f"{f}{op}{escape_field_value(v)}" for f, op, v in self.terms)


# --- selectable fields of a kind -------------------------------------------------------------


def get_path(obj: Mapping[str, Any] | None, path: str) -> Any:
    """The value at a dotted ``path`` of ``obj`` (None when any step is missing)."""
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def text(value: Any) -> str:
    """A field's value as a field selector compares it (unset: ``""``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def count(value: Any) -> str:
    """An int32 field as ``strconv.Itoa`` prints it; unset is ``"0"``."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "0"


def strings(obj: Mapping[str, Any], paths: Mapping[str, str]) -> dict[str, str]:
    return {label: text(get_path(obj, path)) for label, path in paths.items()}


def _no_fields(_obj: Mapping[str, Any]) -> dict[str, str]:
    return {}


def _unsupported(field: str) -> str:
    return f"field label not supported: {field}"


def _default_conversion_unsupported(field: str) -> str:
    return (f"{_go_quote(field)} is not a known field selector: "
            'only "metadata.name", "metadata.namespace"')


@dataclass(frozen=True)
class SelectableFields:
    """What a kind accepts in a field selector (its field label conversion) and how its
    objects expose fields (its GetAttrs). Kinds without their own use :data:`DEFAULT_FIELDS`,
    Kubernetes' DefaultMetaV1FieldSelectorConversion."""

    accepted: frozenset[str]
    namespaced: bool = True
    extract: Callable[[Mapping[str, Any]], dict[str, str]] = _no_fields
    not_supported: Callable[[str], str] = _unsupported
    default_conversion: bool = False


META_FIELDS = frozenset({"metadata.name", "metadata.namespace"})
DEFAULT_FIELDS = SelectableFields(META_FIELDS, not_supported=_default_conversion_unsupported,
                                  default_conversion=True)


def selectable(*fields: str, namespaced: bool = True,
               extract: Callable[[Mapping[str, Any]], dict[str, str]] = _no_fields,
               not_supported: Callable[[str], str] = _unsupported) -> SelectableFields:
    """The rules of a kind that converts its own field labels (pkg/apis/<group>/<version>/
    conversion.go): the metadata fields plus ``fields``."""
    meta = META_FIELDS if namespaced else frozenset({"metadata.name"})
    return SelectableFields(frozenset(fields) | meta, namespaced, extract, not_supported)


def exposed_only(extract: Callable[[Mapping[str, Any]], dict[str, str]]) -> SelectableFields:
    """A kind that exposes fields without converting their labels (apps/v1 registers no
    conversion function): selectors accept only the metadata fields."""
    return SelectableFields(META_FIELDS, extract=extract,
                            not_supported=_default_conversion_unsupported)


def object_fields(rules: SelectableFields, obj: Mapping[str, Any]) -> dict[str, str]:
    """The fields of ``obj`` a field selector can match (``GetAttrs``); absent ones read ``""``.

    ``metadata.namespace`` is present for namespaced objects only; a field the kind exposes but
    the object lacks is ``""`` (strings), ``"false"`` (booleans) or ``"0"`` (counts).
    """
    metadata = obj.get("metadata") or {}
    fields = {"metadata.name": text(metadata.get("name"))}
    if rules.namespaced and (not rules.default_conversion or "namespace" in metadata):
        fields["metadata.namespace"] = text(metadata.get("namespace"))
    fields.update(rules.extract(obj))
    return fields


def check_field_selector(rules: SelectableFields, selector: FieldSelector) -> None:
    """Reject a field the kind does not accept (``Scheme.ConvertFieldLabel``), as a 400."""
    for field, _op, _value in selector.terms:
        if field not in rules.accepted:
            raise errors.BadRequest(rules.not_supported(field))


INVOLVED_OBJECT_FIELDS = ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion",
                          "fieldPath")


def go_quote(value: str) -> str:
    return _go_quote(value)
