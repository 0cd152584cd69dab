"""Label selectors and field selectors, as the Kubernetes apiserver parses and matches them.

The apiserver calls :meth:`LabelSelector.parse` and :meth:`FieldSelector.parse` on the
``labelSelector`` and ``fieldSelector`` query parameters of list, watch and deletecollection,
checks the field selector against the kind with :func:`check_field_selector`, and matches each
object through its labels and :func:`object_fields`. Controllers turn a ``spec.selector``
(``metav1.LabelSelector``) into a :class:`LabelSelector` with :meth:`LabelSelector.from_dict`.

Semantics follow k8s.io/apimachinery ``pkg/labels`` and ``pkg/fields``: the same grammar, the
same canonical string (requirements sorted by key, set values sorted), the same error texts, and
the same quirks a user can observe: ``notin`` and ``!=`` match objects without the key, a
``nil`` ``metav1.LabelSelector`` selects nothing while an empty one selects everything, and a
field the object lacks reads as ``""``.

Which fields a kind accepts (the scheme's field label conversion functions) and which fields an
object exposes (the registry's ``ToSelectableFields``) are two different lists upstream, kept
apart here as well: a Pod accepts ``status.podIPs`` but never sets it, and an ``apps/v1``
ReplicaSet exposes ``status.replicas`` but does not accept it.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from minikube_py.api import errors
from minikube_py.api.validation.names import is_label_value as label_value_errors
from minikube_py.api.validation.names import is_qualified_name as qualified_name_errors

# --- validation of keys and values (k8s.io/apimachinery/pkg/util/validation) ----------------

_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QUALIFIED_NAME_ERR = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)
_LABEL_VALUE_FMT = f"({_QUALIFIED_NAME_FMT})?"
_LABEL_VALUE_ERR = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character"
)
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = rf"{_DNS1123_LABEL_FMT}(\.{_DNS1123_LABEL_FMT})*"
_DNS1123_SUBDOMAIN_ERR = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character"
)
_MAX_NAME_LEN = 63
_MAX_SUBDOMAIN_LEN = 253

_QUALIFIED_NAME_RE = re.compile(_QUALIFIED_NAME_FMT)
_LABEL_VALUE_RE = re.compile(_LABEL_VALUE_FMT)
_DNS1123_SUBDOMAIN_RE = re.compile(_DNS1123_SUBDOMAIN_FMT)
_INT64_RE = re.compile(r"[+-]?[0-9]+")


def _go_quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _invalid(path: str, bad_value: str, detail: str) -> str:
    """A ``field.Invalid`` error as text: ``values[0][app]: Invalid value: "-x": ...``."""
    return f"{path}: Invalid value: {bad_value}: {detail}"


def _go_string_slice(values: Sequence[str]) -> str:
    return "[]string{" + ", ".join(_go_quote(v) for v in values) + "}"


def _aggregate(messages: list[str]) -> str:
    """One message for several, as ``utilerrors.NewAggregate`` prints them."""
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


# --- label selector requirements ---------------------------------------------------------------


class Operator(enum.StrEnum):
    """``selection.Operator``: the operator of one label selector requirement."""

    IN = "in"
    NOT_IN = "notin"
    EQUALS = "="
    DOUBLE_EQUALS = "=="
    NOT_EQUALS = "!="
    EXISTS = "exists"
    DOES_NOT_EXIST = "!"
    GREATER_THAN = "gt"
    LESS_THAN = "lt"


_SET_OPERATORS = (Operator.IN, Operator.NOT_IN)
_EXACT_OPERATORS = (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.NOT_EQUALS)
_UNARY_OPERATORS = (Operator.EXISTS, Operator.DOES_NOT_EXIST)
_NUMERIC_OPERATORS = (Operator.GREATER_THAN, Operator.LESS_THAN)
_BINARY_OPERATOR_TEXT = ", ".join(
    op.value for op in (*_SET_OPERATORS, *_EXACT_OPERATORS, *_NUMERIC_OPERATORS)
)
_INFIX = {
    Operator.EQUALS: "=", Operator.DOUBLE_EQUALS: "==", Operator.NOT_EQUALS: "!=",
    Operator.IN: " in ", Operator.NOT_IN: " notin ",
    Operator.GREATER_THAN: ">", Operator.LESS_THAN: "<",
}


def _parse_int64(text: str) -> int | None:
    if not _INT64_RE.fullmatch(text):
        return None
    number = int(text)
    return number if -(2**63) <= number < 2**63 else None


def _operator_value_errors(op: Operator, values: tuple[str, ...]) -> list[str]:
    bad = _go_string_slice(values)
    if op in _SET_OPERATORS and not values:
        return [_invalid("values", bad, "for 'in', 'notin' operators, values set can't be empty")]
    if op in _EXACT_OPERATORS and len(values) != 1:
        return [_invalid("values", bad, "exact-match compatibility requires one single value")]
    if op in _UNARY_OPERATORS and values:
        return [_invalid("values", bad, "values set must be empty for exists and does not exist")]
    if op in _NUMERIC_OPERATORS:
        errs = []
        if len(values) != 1:
            errs.append(_invalid("values", bad,
                                 "for 'Gt', 'Lt' operators, exactly one value is required"))
        errs.extend(
            _invalid(f"values[{i}]", _go_quote(v),
                     "for 'Gt', 'Lt' operators, the value must be an integer")
            for i, v in enumerate(values) if _parse_int64(v) is None
        )
        return errs
    return []


@dataclass(frozen=True)
class Requirement:
    """One ``key op values`` term of a label selector; build it with :meth:`new`."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    @classmethod
    def new(cls, key: str, operator: Operator, values: Iterable[str] = ()) -> Requirement:
        """``labels.NewRequirement``: validate key, operator arity and values."""
        vals = tuple(values)
        errs = []
        if key_errs := qualified_name_errors(key):
            errs.append(_invalid("key", _go_quote(key), "; ".join(key_errs)))
        errs.extend(_operator_value_errors(operator, vals))
        for i, value in enumerate(vals):
            if value_errs := label_value_errors(value):
                errs.append(_invalid(f"values[{i}][{key}]", _go_quote(value),
                                     "; ".join(value_errs)))
        if errs:
            raise errors.BadRequest(_aggregate(errs))
        return cls(key, operator, vals)

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        op = self.operator
        if op in (Operator.IN, Operator.EQUALS, Operator.DOUBLE_EQUALS):
            return present and labels[self.key] in self.values
        if op in (Operator.NOT_IN, Operator.NOT_EQUALS):
            return not present or labels[self.key] not in self.values
        if op == Operator.EXISTS:
            return present
        if op == Operator.DOES_NOT_EXIST:
            return not present
        return present and self._compare(labels[self.key])

    def _compare(self, label_value: str) -> bool:
        have = _parse_int64(label_value)
        want = _parse_int64(self.values[0]) if len(self.values) == 1 else None
        if have is None or want is None:
            return False
        return have > want if self.operator == Operator.GREATER_THAN else have < want

    def __str__(self) -> str:
        if self.operator == Operator.EXISTS:
            return self.key
        if self.operator == Operator.DOES_NOT_EXIST:
            return "!" + self.key
        values = ",".join(sorted(self.values))
        if self.operator in _SET_OPERATORS:
            values = f"({values})"
        return self.key + _INFIX[self.operator] + values


# --- the label selector lexer and parser (labels.Parse) ---------------------------------------


class _Token(enum.Enum):
    END = enum.auto()
    IDENTIFIER = enum.auto()
    CLOSE_PAREN = enum.auto()
    COMMA = enum.auto()
    NOT = enum.auto()
    DOUBLE_EQUALS = enum.auto()
    EQUALS = enum.auto()
    GREATER_THAN = enum.auto()
    LESS_THAN = enum.auto()
    NOT_EQUALS = enum.auto()
    IN = enum.auto()
    NOT_IN = enum.auto()
    OPEN_PAREN = enum.auto()


_LITERAL_TOKENS = {
    ")": _Token.CLOSE_PAREN, ",": _Token.COMMA, "!": _Token.NOT, "==": _Token.DOUBLE_EQUALS,
    "=": _Token.EQUALS, ">": _Token.GREATER_THAN, "<": _Token.LESS_THAN, "!=": _Token.NOT_EQUALS,
    "in": _Token.IN, "notin": _Token.NOT_IN, "(": _Token.OPEN_PAREN,
}
_SPECIAL = frozenset("=!(),><")
_WHITESPACE = frozenset(" \t\r\n")
_TOKEN_OPERATORS = {
    _Token.IN: Operator.IN, _Token.NOT_IN: Operator.NOT_IN, _Token.EQUALS: Operator.EQUALS,
    _Token.DOUBLE_EQUALS: Operator.DOUBLE_EQUALS, _Token.NOT_EQUALS: Operator.NOT_EQUALS,
    _Token.GREATER_THAN: Operator.GREATER_THAN, _Token.LESS_THAN: Operator.LESS_THAN,
}

_Item = tuple[_Token, str]


def _lex(text: str) -> list[_Item]:
    """Split a selector into tokens; the last one is always ``END``."""
    items: list[_Item] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in _WHITESPACE:
            pos += 1
        if pos == end:
            items.append((_Token.END, ""))
            return items
        if text[pos] in _SPECIAL:
            # Longest match: "!=" and "==" are the only two-character operators.
            literal = text[pos:pos + 2] if text[pos:pos + 2] in ("!=", "==") else text[pos]
        else:
            start = pos
            while pos < end and text[pos] not in _SPECIAL and text[pos] not in _WHITESPACE:
                pos += 1
            literal, pos = text[start:pos], start
        pos += len(literal)
        items.append((_LITERAL_TOKENS.get(literal, _Token.IDENTIFIER), literal))


class _Parser:
    """Recursive descent over the token list; ``in``/``notin`` are values where a value goes."""

    def __init__(self, text: str) -> None:
        self._items = _lex(text)
        self._pos = 0

    def _peek(self, *, as_value: bool = True) -> _Item:
        return self._as(self._items[self._pos], as_value)

    def _next(self, *, as_value: bool = True) -> _Item:
        self._pos += 1
        return self._as(self._items[self._pos - 1], as_value)

    @staticmethod
    def _as(item: _Item, as_value: bool) -> _Item:
        if as_value and item[0] in (_Token.IN, _Token.NOT_IN):
            return _Token.IDENTIFIER, item[1]
        return item

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            tok, lit = self._peek()
            if tok == _Token.END:
                return requirements
            if tok not in (_Token.IDENTIFIER, _Token.NOT):
                raise errors.BadRequest(
                    f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                requirements.append(self._requirement())
            except errors.BadRequest as err:
                raise errors.BadRequest(f"unable to parse requirement: {err.message}") from None
            tok, lit = self._next()
            if tok == _Token.END:
                return requirements
            if tok != _Token.COMMA:
                raise errors.BadRequest(f"found '{lit}', expected: ',' or 'end of string'")
            tok, lit = self._peek()
            if tok not in (_Token.IDENTIFIER, _Token.NOT):
                raise errors.BadRequest(f"found '{lit}', expected: identifier after ','")

    def _requirement(self) -> Requirement:
        key, unary = self._key_and_inferred_operator()
        if unary is not None:
            return Requirement.new(key, unary)
        operator = self._operator()
        values = self._values() if operator in _SET_OPERATORS else self._exact_value()
        return Requirement.new(key, operator, sorted(values))

    def _key_and_inferred_operator(self) -> tuple[str, Operator | None]:
        tok, lit = self._next()
        operator = None
        if tok == _Token.NOT:
            operator = Operator.DOES_NOT_EXIST
            tok, lit = self._next()
        if tok != _Token.IDENTIFIER:
            raise errors.BadRequest(f"found '{lit}', expected: identifier")
        if key_errs := qualified_name_errors(lit):
            raise errors.BadRequest(_invalid("<nil>", _go_quote(lit), "; ".join(key_errs)))
        if operator is None and self._peek()[0] in (_Token.END, _Token.COMMA):
            operator = Operator.EXISTS
        return lit, operator

    def _operator(self) -> Operator:
        tok, lit = self._next(as_value=False)
        if tok not in _TOKEN_OPERATORS:
            raise errors.BadRequest(f"found '{lit}', expected: {_BINARY_OPERATOR_TEXT}")
        return _TOKEN_OPERATORS[tok]

    def _values(self) -> set[str]:
        tok, lit = self._next()
        if tok != _Token.OPEN_PAREN:
            raise errors.BadRequest(f"found '{lit}' expected: '('")
        tok, lit = self._peek()
        if tok == _Token.CLOSE_PAREN:  # "()" is the set holding the empty string
            self._next()
            return {""}
        if tok not in (_Token.IDENTIFIER, _Token.COMMA):
            raise errors.BadRequest(f"found '{lit}', expected: ',', ')' or identifier")
        values = self._identifiers()
        if self._next()[0] != _Token.CLOSE_PAREN:
            raise errors.BadRequest(f"found '{lit}', expected: ')'")
        return values

    def _identifiers(self) -> set[str]:
        """A comma-separated list whose empty members are the empty string: ``(a,,b)``."""
        values: set[str] = set()
        while True:
            tok, lit = self._next()
            if tok == _Token.IDENTIFIER:
                values.add(lit)
                after, after_lit = self._peek()
                if after == _Token.CLOSE_PAREN:
                    return values
                if after != _Token.COMMA:
                    raise errors.BadRequest(f"found '{after_lit}', expected: ',' or ')'")
            elif tok == _Token.COMMA:
                if not values:
                    values.add("")
                after = self._peek()[0]
                if after == _Token.CLOSE_PAREN:
                    values.add("")
                    return values
                if after == _Token.COMMA:
                    self._next()
                    values.add("")
            else:
                raise errors.BadRequest(f"found '{lit}', expected: ',', or identifier")

    def _exact_value(self) -> set[str]:
        if self._peek()[0] in (_Token.END, _Token.COMMA):
            return {""}
        tok, lit = self._next()
        if tok != _Token.IDENTIFIER:
            raise errors.BadRequest(f"found '{lit}', expected: identifier")
        return {lit}


# --- LabelSelector ----------------------------------------------------------------------------

_EXPRESSION_OPERATORS = {
    "In": Operator.IN, "NotIn": Operator.NOT_IN,
    "Exists": Operator.EXISTS, "DoesNotExist": Operator.DOES_NOT_EXIST,
}


@dataclass(frozen=True)
class LabelSelector:
    """An AND of label requirements, sorted by key; or the selector that selects nothing."""

    requirements: tuple[Requirement, ...] = ()
    _nothing: bool = False

    @classmethod
    def everything(cls) -> LabelSelector:
        return cls()

    @classmethod
    def nothing(cls) -> LabelSelector:
        return cls(_nothing=True)

    @classmethod
    def parse(cls, text: str) -> LabelSelector:
        """``labels.Parse``: ``"a=b,c!=d,e in (x,y),f notin (z),g,!h"``; ``""`` selects all."""
        return cls._sorted(_Parser(text).parse())

    @classmethod
    def from_set(cls, labels: Mapping[str, str] | None) -> LabelSelector:
        """``labels.SelectorFromSet``: equality on every pair (a ReplicationController's
        ``spec.selector``); empty or ``None`` selects everything. Not validated."""
        return cls._sorted(Requirement(k, Operator.EQUALS, (v,)) for k, v in (labels or {}).items())

    @classmethod
    def from_dict(cls, selector: Mapping[str, Any] | None) -> LabelSelector:
        """``metav1.LabelSelectorAsSelector``: ``None`` selects nothing, ``{}`` everything."""
        if selector is None:
            return cls.nothing()
        match_labels = selector.get("matchLabels") or {}
        expressions = selector.get("matchExpressions") or []
        requirements = []
        for key, value in match_labels.items():
            if not isinstance(value, str):
                raise errors.BadRequest(
                    f"matchLabels[{key}]: Invalid value: {value!r}: must be a string")
            requirements.append(Requirement.new(key, Operator.EQUALS, [value]))
        requirements.extend(_expression_requirement(expr) for expr in expressions)
        return cls._sorted(requirements)

    @classmethod
    def _sorted(cls, requirements: Iterable[Requirement]) -> LabelSelector:
        return cls(tuple(sorted(requirements, key=lambda r: r.key)))

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self._nothing:
            return False
        present = labels or {}
        return all(r.matches(present) for r in self.requirements)

    def empty(self) -> bool:
        """True when the selector does not restrict anything (the nothing-selector is not)."""
        return not self._nothing and not self.requirements

    def requires_exact_match(self, key: str) -> str | None:
        """The one value ``key`` must have (``key=v``, ``key==v``, ``key in (v)``), if any."""
        for r in self.requirements:
            if r.key == key:
                exact = r.operator in (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.IN)
                return r.values[0] if exact and len(r.values) == 1 else None
        return None

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def _expression_requirement(expr: Mapping[str, Any]) -> Requirement:
    operator = expr.get("operator")
    if operator not in _EXPRESSION_OPERATORS:
        raise errors.BadRequest(
            f"{_go_quote(str(operator or ''))} is not a valid label selector operator")
    values = expr.get("values") or []
    return Requirement.new(str(expr.get("key") or ""), _EXPRESSION_OPERATORS[operator], values)


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


# --- selectable fields per kind ----------------------------------------------------------------


def _get(obj: Mapping[str, Any] | None, path: str) -> Any:
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _count(value: Any) -> str:
    """An int32 field as ``strconv.Itoa`` prints it; unset is ``"0"``."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "0"


def _strings(obj: Mapping[str, Any], paths: Mapping[str, str]) -> dict[str, str]:
    return {label: _text(_get(obj, path)) for label, path in paths.items()}


def _pod_fields(pod: Mapping[str, Any]) -> dict[str, str]:
    fields = _strings(pod, {
        "spec.nodeName": "spec.nodeName",
        "spec.restartPolicy": "spec.restartPolicy",
        "spec.schedulerName": "spec.schedulerName",
        "spec.serviceAccountName": "spec.serviceAccountName",
        "status.phase": "status.phase",
        "status.nominatedNodeName": "status.nominatedNodeName",
    })
    fields["spec.hostNetwork"] = "true" if _get(pod, "spec.hostNetwork") is True else "false"
    pod_ips = _get(pod, "status.podIPs")
    first = pod_ips[0] if isinstance(pod_ips, list) and pod_ips else None
    fields["status.podIP"] = _text(_get(first, "ip") if first else _get(pod, "status.podIP"))
    fields["spec.host"] = fields["spec.nodeName"]  # legacy spelling v1 still accepts
    return fields


_INVOLVED_OBJECT = ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion",
                    "fieldPath")


def _event_fields(event: Mapping[str, Any]) -> dict[str, str]:
    fields = {f"involvedObject.{f}": _text(_get(event, f"involvedObject.{f}"))
              for f in _INVOLVED_OBJECT}
    reporting = _text(event.get("reportingComponent"))
    fields.update(_strings(event, {"reason": "reason", "type": "type"}))
    fields["reportingComponent"] = reporting
    fields["source"] = _text(_get(event, "source.component")) or reporting
    return fields


def _events_k8s_io_fields(event: Mapping[str, Any]) -> dict[str, str]:
    """events.k8s.io/v1 names the same selectable fields ``regarding.*``,
    ``reportingController``; a core-shaped object is read as well."""
    regarding = event.get("regarding") or event.get("involvedObject")
    fields = {f"regarding.{f}": _text(_get(regarding, f)) for f in _INVOLVED_OBJECT}
    reporting = _text(event.get("reportingController") or event.get("reportingComponent"))
    source = _get(event, "deprecatedSource.component") or _get(event, "source.component")
    fields.update(_strings(event, {"reason": "reason", "type": "type"}))
    fields["reportingController"] = reporting
    fields["source"] = _text(source) or reporting
    return fields


@dataclass(frozen=True)
class _KindFields:
    """What one kind accepts in a field selector, and how its objects expose fields."""

    accepted: frozenset[str]
    namespaced: bool = True
    extract: Callable[[Mapping[str, Any]], dict[str, str]] = lambda _obj: {}
    not_supported: Callable[[str], str] = lambda field: f"field label not supported: {field}"


_META = frozenset({"metadata.name", "metadata.namespace"})


def _accepts(*fields: str, namespaced: bool = True) -> frozenset[str]:
    return frozenset(fields) | (_META if namespaced else {"metadata.name"})


# Accepted: pkg/apis/<group>/<version>/conversion.go; exposed: pkg/registry/.../strategy.go.
_KINDS: dict[tuple[str, str], _KindFields] = {
    ("", "Pod"): _KindFields(
        _accepts("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                 "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
                 "status.podIPs", "status.nominatedNodeName", "spec.host"),
        extract=_pod_fields),
    ("", "Node"): _KindFields(
        _accepts("spec.unschedulable", namespaced=False), namespaced=False,
        extract=lambda o: {"spec.unschedulable": _text(_get(o, "spec.unschedulable") is True)}),
    ("", "Namespace"): _KindFields(
        _accepts("status.phase", namespaced=False), namespaced=False,
        extract=lambda o: _strings(o, {"status.phase": "status.phase"})),
    ("", "ReplicationController"): _KindFields(
        _accepts("status.replicas"),
        extract=lambda o: {"status.replicas": _count(_get(o, "status.replicas"))}),
    ("", "Secret"): _KindFields(_accepts("type"), extract=lambda o: _strings(o, {"type": "type"})),
    ("", "Service"): _KindFields(
        _accepts("spec.clusterIP", "spec.type"),
        extract=lambda o: _strings(o, {"spec.clusterIP": "spec.clusterIP",
                                       "spec.type": "spec.type"})),
    ("", "Event"): _KindFields(
        _accepts(*(f"involvedObject.{f}" for f in _INVOLVED_OBJECT), "reason",
                 "reportingComponent", "source", "type"),
        extract=_event_fields),
    ("events.k8s.io", "Event"): _KindFields(
        _accepts(*(f"regarding.{f}" for f in _INVOLVED_OBJECT), "reason",
                 "reportingController", "source", "type"),
        extract=_events_k8s_io_fields),
    # apps/v1 registers no conversion function: status.replicas is exposed, not accepted.
    ("apps", "ReplicaSet"): _KindFields(
        _META, extract=lambda o: {"status.replicas": _count(_get(o, "status.replicas"))},
        not_supported=lambda field: (f"{_go_quote(field)} is not a known field selector: "
                                     'only "metadata.name", "metadata.namespace"')),
    ("batch", "Job"): _KindFields(
        _accepts("status.successful"),
        extract=lambda o: {"status.successful": _count(_get(o, "status.succeeded"))},
        not_supported=lambda field: (
            f"field label {_go_quote(field)} not supported for batchv1.Job")),
    ("certificates.k8s.io", "CertificateSigningRequest"): _KindFields(
        _accepts("spec.signerName", namespaced=False), namespaced=False,
        extract=lambda o: _strings(o, {"spec.signerName": "spec.signerName"})),
}

# runtime.DefaultMetaV1FieldSelectorConversion: every other kind, custom resources included.
_DEFAULT_KIND = _KindFields(
    _META,
    not_supported=lambda field: (f"{_go_quote(field)} is not a known field selector: "
                                 'only "metadata.name", "metadata.namespace"'),
)


def object_fields(group: str, kind: str, obj: Mapping[str, Any]) -> dict[str, str]:
    """The fields of ``obj`` a field selector can match (``GetAttrs``); absent ones read ``""``.

    ``metadata.namespace`` is present for namespaced objects only; a field the kind exposes but
    the object lacks is ``""`` (strings), ``"false"`` (booleans) or ``"0"`` (counts).
    """
    rules = _KINDS.get((group, kind), _DEFAULT_KIND)
    metadata = obj.get("metadata") or {}
    fields = {"metadata.name": _text(metadata.get("name"))}
    if rules.namespaced and (rules is not _DEFAULT_KIND or "namespace" in metadata):
        fields["metadata.namespace"] = _text(metadata.get("namespace"))
    fields.update(rules.extract(obj))
    return fields


def check_field_selector(group: str, kind: str, selector: FieldSelector) -> None:
    """Reject a field the kind does not accept (``Scheme.ConvertFieldLabel``), as a 400."""
    rules = _KINDS.get((group, kind), _DEFAULT_KIND)
    for field, _op, _value in selector.terms:
        if field not in rules.accepted:
            raise errors.BadRequest(rules.not_supported(field))
