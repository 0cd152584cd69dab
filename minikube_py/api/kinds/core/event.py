"""Event: a report of something that happened to an object (core/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``).
Events may still be written in a namespace that is being deleted (about its teardown).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.machinery.fieldselectors import (
    INVOLVED_OBJECT_FIELDS,
    get_path,
    selectable,
    strings,
    text,
)
from minikube_py.api.printers import core as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import core as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import core as validation


def _fields(event: Mapping[str, Any]) -> dict[str, str]:
    fields = {f"involvedObject.{f}": text(get_path(event, f"involvedObject.{f}"))
              for f in INVOLVED_OBJECT_FIELDS}
    reporting = text(event.get("reportingComponent"))
    fields.update(strings(event, {"reason": "reason", "type": "type"}))
    fields["reportingComponent"] = reporting
    fields["source"] = text(get_path(event, "source.component")) or reporting
    return fields


class EventStrategy(Strategy):
    fields = selectable(*(f"involvedObject.{f}" for f in INVOLVED_OBJECT_FIELDS), "reason",
                        "reportingComponent", "source", "type", extract=_fields)
    indexed_fields = ("involvedObject.uid", "involvedObject.name")
    printer = printers.EVENT
    creatable_in_terminating_namespace = True

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_event(obj)


RESOURCE = ResourceType("", "v1", "Event", "events", True, schemas.EVENT, short_names=("ev",),
                        strategy=EventStrategy())
