"""The field-error constructors every validation function uses.

Messages follow Kubernetes' field.Error wording, so kubectl prints
``spec.containers[0].image: Required value`` as it does against a real cluster.
"""

from __future__ import annotations

import json
from typing import Any

from minikube_py.api.errors import Cause


class GoStrings(list[str]):
    """A []string, shown in field errors as Go's %#v shows it: ``[]string{"Bogus"}``."""

    def __str__(self) -> str:
        return "[]string{" + ", ".join(json.dumps(v) for v in self) + "}"


def _show(value: Any) -> str:
    if isinstance(value, GoStrings):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def required(path: str, detail: str = "") -> Cause:
    msg = "Required value" + (f": {detail}" if detail else "")
    return Cause(path, msg, "FieldValueRequired")


def invalid(path: str, value: Any, detail: str) -> Cause:
    return Cause(path, f"Invalid value: {_show(value)}: {detail}", "FieldValueInvalid")


def not_supported(path: str, value: Any, allowed: list[str]) -> Cause:
    quoted = ", ".join(json.dumps(a) for a in allowed)
    return Cause(path, f"Unsupported value: {_show(value)}: supported values: {quoted}",
                 "FieldValueNotSupported")


def duplicate(path: str, value: Any) -> Cause:
    return Cause(path, f"Duplicate value: {_show(value)}", "FieldValueDuplicate")


def forbidden(path: str, detail: str) -> Cause:
    return Cause(path, f"Forbidden: {detail}", "FieldValueForbidden")


def immutable(path: str, value: Any) -> Cause:
    return invalid(path, value, "field is immutable")


def too_long(path: str, value: Any, limit: int) -> Cause:
    return Cause(path, f"Too long: may not be more than {limit} bytes", "FieldValueTooLong")
