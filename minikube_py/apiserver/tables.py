"""Server-side printing: objects as ``meta.k8s.io/v1 Table`` for ``kubectl get``.

The columns and cells come from the kind's printer (``rt.strategy.printer``); this module wraps
them into Tables with ``rows[].object`` as PartialObjectMetadata (or the full object with
``includeObject=Object``), as kubectl needs for ``-A``, ``--show-labels`` and ``--sort-by``.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.registry import ResourceType
from minikube_py.util import clock


def partial_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata") or {}}


def to_table(rt: ResourceType, objects: list[dict[str, Any]], *, resource_version: str,
             include_object: str = "Metadata", with_columns: bool = True,
             continue_token: str = "", api_version: str = "meta.k8s.io/v1") -> dict[str, Any]:
    printer = rt.strategy.printer
    now = clock.now()
    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": printer.row(obj, now)}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = partial_metadata(obj)
        rows.append(row)
    meta: dict[str, Any] = {"resourceVersion": resource_version}
    if continue_token:
        meta["continue"] = continue_token
    table: dict[str, Any] = {"kind": "Table", "apiVersion": api_version, "metadata": meta,
                             "columnDefinitions": [], "rows": rows}
    if with_columns:
        table["columnDefinitions"] = [
            {"name": c.name, "type": c.type, "format": c.format,
             "description": c.description, "priority": c.priority}
            for c in printer.columns]
    return table
