"""CEL expressions over JSON-shaped values (Kubernetes' ``k8s.io/apiserver/pkg/cel``, here
on cel-python): compiled once per expression text, evaluated to a boolean.

Used for admission webhooks' ``matchConditions``: validation compiles them (a syntax error
is a field error), the webhook dispatcher evaluates them with ``object``, ``oldObject`` and
``request``. The library's errors are translated here into :class:`CelError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import celpy
from celpy.adapter import json_to_cel
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError

_ENV = celpy.Environment()


class CelError(Exception):
    """An expression that does not compile, or whose evaluation failed."""


@lru_cache(maxsize=512)
def compile_expression(text: str) -> celpy.Runner:
    """The program of ``text`` (CelError when it does not compile)."""
    try:
        return _ENV.program(_ENV.compile(text))
    except CELParseError as exc:
        raise CelError(f"compilation failed: {' '.join(str(exc).split())}") from exc
    except Exception as exc:  # the library's own checks (unknown function names, ...)
        raise CelError(f"compilation failed: {exc}") from exc


def evaluate_bool(text: str, variables: Mapping[str, Any]) -> bool:
    """Evaluate ``text`` with JSON-shaped ``variables``; CelError when it fails or is not
    a boolean."""
    program = compile_expression(text)
    activation = {name: json_to_cel(value) for name, value in variables.items()}
    try:
        result = program.evaluate(activation)
    except CELEvalError as exc:
        raise CelError(f"expression '{text}' resulted in error: {exc.args[0]}") from exc
    except Exception as exc:  # a value the library cannot handle
        raise CelError(f"expression '{text}' resulted in error: {exc}") from exc
    if isinstance(result, CELEvalError):
        raise CelError(f"expression '{text}' resulted in error: {result.args[0]}")
    if not isinstance(result, celpy.celtypes.BoolType):
        raise CelError(f"expression '{text}' must evaluate to bool")
    return bool(result)
