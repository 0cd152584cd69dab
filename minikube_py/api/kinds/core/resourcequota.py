"""ResourceQuota: limits on what a namespace may hold (core/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.printers import core as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import core as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import core as validation


class ResourceQuotaStrategy(Strategy):
    printer = printers.RESOURCE_QUOTA

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_resource_quota(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_resource_quota_update(new, old)


RESOURCE = ResourceType("", "v1", "ResourceQuota", "resourcequotas", True,
                        schemas.RESOURCE_QUOTA, short_names=("quota",),
                        subresources=("status",), strategy=ResourceQuotaStrategy())
