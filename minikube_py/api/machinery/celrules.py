"""CEL validation rules of custom resources (``x-kubernetes-validations``), as Kubernetes'
``apiextensions-apiserver/pkg/apiserver/schema/cel`` evaluates them, over the ``cel-python``
interpreter.

A rule is evaluated at its schema node with ``self`` bound to the node's value; a rule that
names ``oldSelf`` is a *transition rule*, evaluated only on an update where the old object
has a value at the same place. A rule that is not true is one field error: at the node's path
(plus the rule's ``fieldPath``), of the rule's ``reason`` (``FieldValueInvalid`` unless
``FieldValueForbidden`` or ``FieldValueRequired``), with its ``messageExpression``'s or
``message``'s words, else ``failed rule: <rule>``; the value shown is the node's type
(``Invalid value: "object": ...``), as Kubernetes shows it.

``api/machinery/structuralschema.py`` calls :func:`check` on every node it validates; the
CRD validation calls :func:`compile_error` for every rule.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.machinery import cel
from minikube_py.api.validation.base import forbidden, invalid, required

VALIDATIONS = "x-kubernetes-validations"
MISSING: Any = object()  # no old value at this place (a create, or a new field)


@lru_cache(maxsize=1024)
def _program(rule: str) -> Any:
    # One CEL engine (machinery/cel.py), imported on the first rule, not at start.
    env = cel.environment()
    return env.program(env.compile(rule))


def compile_error(rule: str) -> str | None:
    """Why ``rule`` is not a CEL expression (None: it compiles)."""
    try:
        _program(rule)
    except Exception as exc:  # celpy's parse errors have no common base
        return " ".join(str(exc).split())
    return None


def is_transition(rule: str) -> bool:
    return "oldSelf" in rule


def _evaluate(rule: str, value: Any, old: Any) -> Any:
    from celpy.adapter import json_to_cel

    activation = {"self": json_to_cel(value)}
    if old is not MISSING:
        activation["oldSelf"] = json_to_cel(old)
    return _program(rule).evaluate(activation)


def check(rules: Any, value: Any, old: Any, path: str, type_name: str, *,
          transitions_only: bool = False) -> Iterator[Cause]:
    """The field errors of one node's rules (``transitions_only``: just those naming
    ``oldSelf``, for an update whose other rules were checked already)."""
    if not isinstance(rules, list):
        return
    from celpy.celtypes import BoolType

    for spec in rules:
        if not isinstance(spec, Mapping) or not isinstance(spec.get("rule"), str):
            continue
        rule = spec["rule"]
        transition = is_transition(rule)
        if (transition and old is MISSING) or (transitions_only and not transition):
            continue
        where = _join(path, str(spec.get("fieldPath") or ""))
        try:
            result = _evaluate(rule, value, old)
        except Exception as exc:  # an evaluation error is the object's problem, not ours
            yield invalid(where, type_name, f"{rule}: evaluation error: {_words(exc)}")
            continue
        if result is True or (isinstance(result, BoolType) and bool(result)):
            continue
        yield _failure(spec, rule, value, old, where, type_name)


def _failure(spec: Mapping[str, Any], rule: str, value: Any, old: Any, where: str,
             type_name: str) -> Cause:
    message = str(spec.get("message") or f"failed rule: {rule}")
    expression = spec.get("messageExpression")
    if isinstance(expression, str) and expression:
        try:
            text = _evaluate(expression, value, old)
            if isinstance(text, str) and text.strip():
                message = str(text)
        except Exception:
            pass  # Kubernetes falls back to message too
    reason = spec.get("reason") or "FieldValueInvalid"
    if reason == "FieldValueForbidden":
        return forbidden(where, message)
    if reason == "FieldValueRequired":
        return required(where, message)
    return invalid(where, type_name, message)


def _join(path: str, field_path: str) -> str:
    tail = field_path.lstrip(".")
    if not tail:
        return path
    return f"{path}.{tail}" if path else tail


def _words(exc: Exception) -> str:
    args = getattr(exc, "args", ())
    return str(args[0]) if args else str(exc)
