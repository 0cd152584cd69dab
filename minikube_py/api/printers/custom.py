"""The Table printer of a custom resource, from its CRD version's
``additionalPrinterColumns`` (apiextensions' ``tableconvertor``): NAME, then one column per
definition, each cell the first value its ``jsonPath`` reaches (``None`` when it reaches
nothing, which kubectl prints as ``<none>``). Without definitions: NAME and AGE.

Cells by column type, as Kubernetes makes them: ``date`` the age of a timestamp, ``integer``
and ``number`` and ``boolean`` the JSON value when it is one, ``string`` the value printed as
kubectl's jsonpath prints it (JSON for objects and lists).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from minikube_py.api.printers import jsonpath
from minikube_py.api.printers.base import CUSTOM_DEFAULT, NAME, Column, Obj, Printer, name_of
from minikube_py.util.clock import age


def custom_printer(definitions: Iterable[Mapping[str, Any]]) -> Printer:
    """The printer of one CRD version's columns."""
    defs = [d for d in definitions if d.get("name") and d.get("jsonPath")]
    if not defs:
        return CUSTOM_DEFAULT
    columns = tuple(Column(str(d["name"]), type=str(d.get("type") or "string"),
                           format=str(d.get("format") or ""),
                           description=str(d.get("description") or ""),
                           priority=int(d.get("priority") or 0)) for d in defs)
    paths = [str(d["jsonPath"]) for d in defs]

    def row(obj: Obj, now: dt.datetime) -> list[Any]:
        cells: list[Any] = [name_of(obj)]
        for column, path in zip(columns, paths, strict=True):
            try:
                found = jsonpath.find(obj, path)
            except jsonpath.JSONPathError:
                found = []
            cells.append(cell(column.type, found[0], now) if found else None)
        return cells

    return Printer((NAME, *columns), row)


def cell(column_type: str, value: Any, now: dt.datetime) -> Any:
    if column_type == "date":
        if not isinstance(value, str) or not value:
            return None
        try:
            return age(value, at=now)
        except ValueError:
            return "<invalid>"
    if column_type == "integer":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return int(value) if float(value).is_integer() else None
    if column_type == "number":
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if column_type == "boolean":
        return value if isinstance(value, bool) else None
    return text(value)


def text(value: Any) -> str:
    """A value as kubectl's jsonpath prints it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))
