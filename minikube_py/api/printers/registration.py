"""Table printers of admissionregistration.k8s.io and apiregistration.k8s.io kinds
(kubectl's columns)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.printers.base import AGE, Column, Obj, age_of, name_of, simple, spec, status


def _webhook_row(obj: Obj, now: Any) -> list[Any]:
    return [name_of(obj), len(obj.get("webhooks") or []), age_of(obj, now)]


WEBHOOK_CONFIGURATION = simple((
    Column("Webhooks", "integer", description="Webhooks indicates the number of webhooks."),
    AGE,
), _webhook_row)


def _service(obj: Obj) -> str:
    service = spec(obj).get("service")
    if not isinstance(service, dict):
        return "Local"
    return f"{service.get('namespace') or ''}/{service.get('name') or ''}"


def _available(obj: Obj) -> str:
    for condition in status(obj).get("conditions") or []:
        if condition.get("type") == "Available":
            if condition.get("status") == "True":
                return "True"
            return f"{condition.get('status')} ({condition.get('reason') or ''})"
    return "Unknown"


API_SERVICE = simple((
    Column("Service", description="The reference to the service that hosts this API "
           "endpoint."),
    Column("Available", description="Whether this service is available."),
    AGE,
), lambda obj, now: [name_of(obj), _service(obj), _available(obj), age_of(obj, now)])
