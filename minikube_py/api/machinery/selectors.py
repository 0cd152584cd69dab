"""Label selectors, as the Kubernetes apiserver parses and matches them (apimachinery
``pkg/labels``); field selectors are in ``fieldselectors.py``.

The apiserver calls :meth:`LabelSelector.parse` on the ``labelSelector`` query parameter of
list, watch and deletecollection and matches each object's labels. Controllers turn a
``spec.selector`` (``metav1.LabelSelector``) into a :class:`LabelSelector` with
:meth:`LabelSelector.from_dict`.

Same grammar, same canonical string (requirements sorted by key, set values sorted), same error
texts, and the same quirks a user can observe: ``notin`` and ``!=`` match objects without the
key, and a ``nil`` ``metav1.LabelSelector`` selects nothing while an empty one selects
everything.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping, Sequence
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
