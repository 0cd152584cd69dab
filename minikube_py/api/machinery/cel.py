"""CEL expressions over JSON-shaped values (Kubernetes' ``k8s.io/apiserver/pkg/cel``, here
on cel-python): compiled once per expression text, evaluated to a boolean.

Used for admission webhooks' ``matchConditions`` (and its environment for CRDs' rules,
``celrules.py``): validation compiles them (a syntax error
is a field error), the webhook dispatcher evaluates them with ``object``, ``oldObject`` and
``request``. The library's errors are translated here into :class:`CelError`.

The library is imported, and its parser built (~0.15 s), on the first expression: every
process that imports the registry (each CLI command) would pay for it otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import celpy


class CelError(Exception):
    """An expression that does not compile, or whose evaluation failed."""


@cache
def environment() -> celpy.Environment:
    import celpy

    return celpy.Environment()


@lru_cache(maxsize=512)
def compile_expression(text: str) -> celpy.Runner:
    """The program of ``text`` (CelError when it does not compile)."""
    from celpy.celparser import CELParseError

    env = environment()
    try:
        return env.program(env.compile(text))
    except CELParseError as exc:
        raise CelError(f"compilation failed: {' '.join(str(exc).split())}") from exc
    except Exception as exc:  # the library's own checks (unknown function names, ...)
        raise CelError(f"compilation failed: {exc}") from exc


def evaluate_bool(text: str, variables: Mapping[str, Any]) -> bool:
    """Evaluate ``text`` with JSON-shaped ``variables``; CelError when it fails or is not
    a boolean."""
    from celpy.adapter import json_to_cel
    from celpy.celtypes import BoolType
    from celpy.evaluation import CELEvalError

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
    if not isinstance(result, BoolType):
        raise CelError(f"expression '{text}' must evaluate to bool")
    return bool(result)
