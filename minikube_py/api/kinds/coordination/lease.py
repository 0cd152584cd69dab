"""Lease: a lock with a holder and a duration, for heartbeats and leader election
(coordination.k8s.io/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.printers import core as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import coordination as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import core as validation


class LeaseStrategy(Strategy):
    printer = printers.LEASE

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_lease(obj)


RESOURCE = ResourceType("coordination.k8s.io", "v1", "Lease", "leases", True, schemas.LEASE,
                        strategy=LeaseStrategy())
