"""Event of events.k8s.io/v1: the core/v1 Events of ``/registry/events`` in the newer version
(Kubernetes serves one resource in both groups; its storage version is core/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``),
plus the conversion pair (``to_shared_storage`` / ``from_shared_storage``, Kubernetes'
pkg/apis/events/v1 conversion) through which the REST layer reads and writes the stored
objects (``apiserver/conversion.py``). Validation is Kubernetes' for this request version:
the strict rules of new-style events, on the object in its core form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.kinds.core import event as core_event
from minikube_py.api.machinery.fieldselectors import (
    INVOLVED_OBJECT_FIELDS,
    get_path,
    selectable,
    text,
)
from minikube_py.api.printers.base import Printer
from minikube_py.api.printers.core import EVENT as CORE_EVENT_PRINTER
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import events as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import events as validation
from minikube_py.util import jsonutil

# events.k8s.io/v1 field -> core/v1 field; the rest (eventTime, series, action, reason,
# related, reportingInstance, type, metadata) have one name in both.
RENAMED = {"note": "message", "regarding": "involvedObject",
           "reportingController": "reportingComponent", "deprecatedSource": "source",
           "deprecatedFirstTimestamp": "firstTimestamp",
           "deprecatedLastTimestamp": "lastTimestamp", "deprecatedCount": "count"}
_BACK = {core: new for new, core in RENAMED.items()}


def _rename(obj: Mapping[str, Any], names: Mapping[str, str], api_version: str
            ) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "Event", "apiVersion": api_version}
    for key, value in obj.items():
        if key not in ("kind", "apiVersion"):
            out[names.get(key, key)] = value
    return out


def to_core(event: Mapping[str, Any]) -> dict[str, Any]:
    """An events.k8s.io/v1 Event as core/v1 stores it."""
    out = _rename(event, RENAMED, "v1")
    if out.get("eventTime") is None:
        out.pop("eventTime", None)  # omitted when empty in core/v1
    return out


def from_core(event: Mapping[str, Any]) -> dict[str, Any]:
    """A stored core/v1 Event as events.k8s.io/v1 shows it (``eventTime`` is always there,
    null for a legacy event, as Go encodes the zero MicroTime of a field without omitempty)."""
    out = _rename(event, _BACK, "events.k8s.io/v1")
    out.setdefault("eventTime", None)
    return out


def _fields(event: Mapping[str, Any]) -> dict[str, str]:
    fields = {f"regarding.{f}": text(get_path(event, f"regarding.{f}"))
              for f in INVOLVED_OBJECT_FIELDS}
    fields["reason"] = text(event.get("reason"))
    fields["type"] = text(event.get("type"))
    fields["reportingController"] = text(event.get("reportingController"))
    return fields


def _row(event: Mapping[str, Any], now: Any) -> list[Any]:
    return CORE_EVENT_PRINTER.row(to_core(event), now)


class EventStrategy(Strategy):
    # Kubernetes' field label conversion of events.k8s.io/v1 (regarding.* for
    # involvedObject.*, reportingController for reportingComponent).
    fields = selectable(*(f"regarding.{f}" for f in INVOLVED_OBJECT_FIELDS), "reason",
                        "reportingController", "type", extract=_fields)
    storage_field_labels = {**{f"regarding.{f}": f"involvedObject.{f}"
                               for f in INVOLVED_OBJECT_FIELDS},
                            "reportingController": "reportingComponent"}
    printer = Printer(CORE_EVENT_PRINTER.columns, _row)
    creatable_in_terminating_namespace = True

    def to_shared_storage(self, obj: dict[str, Any]) -> dict[str, Any]:
        return to_core(obj)

    def from_shared_storage(self, obj: dict[str, Any]) -> dict[str, Any]:
        return from_core(obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_event_v1(to_core(jsonutil.copy(obj)))

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_event_v1_update(to_core(new), to_core(old))


RESOURCE = ResourceType("events.k8s.io", "v1", "Event", "events", True, schemas.EVENT,
                        short_names=("ev",), strategy=EventStrategy(),
                        stored_as=core_event.RESOURCE)
