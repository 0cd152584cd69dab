"""LimitRange: default and bounding resources per pod or container (core/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.defaults import core as defaults
from minikube_py.api.errors import Cause
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import core as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import core as validation


class LimitRangeStrategy(Strategy):
    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_limit_range(obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_limit_range(obj)


RESOURCE = ResourceType("", "v1", "LimitRange", "limitranges", True, schemas.LIMIT_RANGE,
                        short_names=("limits",), strategy=LimitRangeStrategy())
