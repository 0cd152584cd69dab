"""CronJob: Jobs on a schedule (batch/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.defaults import batch as defaults
from minikube_py.api.errors import Cause
from minikube_py.api.printers import workloads as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import batch as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import batch as validation


class CronJobStrategy(Strategy):
    generation = ("spec",)
    printer = printers.CRON_JOB

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_cron_job(obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_cron_job(obj)


RESOURCE = ResourceType("batch", "v1", "CronJob", "cronjobs", True, schemas.CRON_JOB,
                        short_names=("cj",), categories=("all",), subresources=("status",),
                        strategy=CronJobStrategy())
