"""ServiceAccount: an identity for processes in pods (core/v1), with the ``token``
subresource (TokenRequest, served by ``apiserver/serviceaccount``).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from minikube_py.api.printers import core as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import core as schemas
from minikube_py.api.strategy import Strategy


class ServiceAccountStrategy(Strategy):
    printer = printers.SERVICE_ACCOUNT


RESOURCE = ResourceType("", "v1", "ServiceAccount", "serviceaccounts", True,
                        schemas.SERVICE_ACCOUNT, short_names=("sa",),
                        subresources=("token",),
                        strategy=ServiceAccountStrategy())
