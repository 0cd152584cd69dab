"""Job: pods that run to completion (batch/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.api.defaults import batch as defaults
from minikube_py.api.errors import Cause
from minikube_py.api.machinery.fieldselectors import count, get_path, go_quote, selectable
from minikube_py.api.printers import workloads as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import batch as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import batch as validation


def _fields(job: Mapping[str, Any]) -> dict[str, str]:
    return {"status.successful": count(get_path(job, "status.succeeded"))}


def _not_supported(field: str) -> str:
    return f"field label {go_quote(field)} not supported for batchv1.Job"


class JobStrategy(Strategy):
    generation = ("spec",)
    fields = selectable("status.successful", extract=_fields, not_supported=_not_supported)
    printer = printers.JOB

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_job(obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_job(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_job_update(new, old)


RESOURCE = ResourceType("batch", "v1", "Job", "jobs", True, schemas.JOB, categories=("all",),
                        subresources=("status",), strategy=JobStrategy())
