"""NetworkPolicy: the traffic allowed to and from a set of pods (networking.k8s.io/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``).
Stored, defaulted and validated; nothing enforces it (there is no network plugin), as on a
cluster whose CNI ignores policies.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.defaults import networking as defaults
from minikube_py.api.errors import Cause
from minikube_py.api.printers import networking as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import networking as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import networking as validation


class NetworkPolicyStrategy(Strategy):
    generation = ("spec",)
    printer = printers.NETWORK_POLICY

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_network_policy(obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_network_policy(obj)


RESOURCE = ResourceType("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True,
                        schemas.NETWORK_POLICY, short_names=("netpol",),
                        strategy=NetworkPolicyStrategy())
