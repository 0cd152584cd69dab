"""Validation of events written through events.k8s.io/v1, as Kubernetes'
``ValidateEventCreate``/``ValidateEventUpdate`` (pkg/apis/core/validation/events.go) do for
that request version: the legacy rules plus the strict ones of new-style events.

Kubernetes validates the internal (core) object, so field paths use core's names
(``involvedObject.namespace``, ``message``, ``count``); the functions take the object in its
stored (core/v1) form for the same reason.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation.base import immutable, invalid, required
from minikube_py.api.validation.names import is_dns1123_subdomain, is_qualified_name

REPORTING_INSTANCE_LIMIT = 128
ACTION_LIMIT = 128
REASON_LIMIT = 128
NOTE_LIMIT = 1024
EVENT_TYPES = ("Normal", "Warning")
SYSTEM_NAMESPACE = "kube-system"


def _legacy(event: dict[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    namespace = str((event.get("metadata") or {}).get("namespace") or "")
    involved = str((event.get("involvedObject") or {}).get("namespace") or "")
    if not involved and namespace not in ("default", SYSTEM_NAMESPACE):
        causes.append(invalid("involvedObject.namespace", involved,
                              "does not match event.namespace"))
    controller = str(event.get("reportingComponent") or "")
    if not controller:
        causes.append(required("reportingController"))
    else:
        causes += [invalid("reportingController", controller, m)
                   for m in is_qualified_name(controller)]
    for name, limit in (("reportingInstance", REPORTING_INSTANCE_LIMIT),
                        ("action", ACTION_LIMIT), ("reason", REASON_LIMIT)):
        value = str(event.get(name) or "")
        if not value:
            causes.append(required(name))
        elif len(value) > limit:
            causes.append(invalid(name, "", f"can have at most {limit} characters"))
    if len(str(event.get("message") or "")) > NOTE_LIMIT:
        causes.append(invalid("message", "", f"can have at most {NOTE_LIMIT} characters"))
    causes += [invalid("namespace", namespace, m) for m in is_dns1123_subdomain(namespace)]
    return causes


def _series(event: dict[str, Any]) -> list[Cause]:
    series = event.get("series")
    if not isinstance(series, dict):
        return []
    causes = []
    count = series.get("count")
    if not isinstance(count, int) or count < 2:
        causes.append(invalid("series.count", "", "should be at least 2"))
    if not series.get("lastObservedTime"):
        causes.append(required("series.lastObservedTime"))
    return causes


def validate_event_v1(event: dict[str, Any]) -> list[Cause]:
    """A create through events.k8s.io/v1 (``event`` in core/v1 form)."""
    causes = _legacy(event) + _series(event)
    if not event.get("eventTime"):
        causes.append(required("eventTime"))
    event_type = event.get("type") or ""
    if event_type not in EVENT_TYPES:
        causes.append(invalid("type", "", f"has invalid value: {event_type}"))
    for name in ("firstTimestamp", "lastTimestamp"):
        if event.get(name):
            causes.append(invalid(name, "", "needs to be unset"))
    if event.get("count"):
        causes.append(invalid("count", "", "needs to be unset"))
    source = event.get("source") or {}
    if isinstance(source, dict) and (source.get("component") or source.get("host")):
        causes.append(invalid("source", "", "needs to be unset"))
    return causes


_IMMUTABLE = ("involvedObject", "reason", "message", "source", "firstTimestamp",
              "lastTimestamp", "count", "type", "eventTime", "action", "related",
              "reportingComponent", "reportingInstance")


def validate_event_v1_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """An update through events.k8s.io/v1 (after :func:`validate_event_v1` of ``new``):
    only the series (and metadata) may change."""
    causes: list[Cause] = []
    for name in _IMMUTABLE:
        if new.get(name) != old.get(name):
            path = "reportingController" if name == "reportingComponent" else name
            causes.append(immutable(path, new.get(name)))
    return causes
