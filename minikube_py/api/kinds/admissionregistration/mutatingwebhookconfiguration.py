"""MutatingWebhookConfiguration: webhooks the apiserver calls to change (by JSON patch) or
refuse matching requests (admissionregistration.k8s.io/v1, cluster-scoped).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``).
The apiserver keeps the stored configurations in a cache and calls them from its admission
chain (``apiserver/webhooks/``); writes of this kind are never sent to webhooks.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.defaults import admissionregistration as defaults
from minikube_py.api.errors import Cause
from minikube_py.api.printers import registration as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import admissionregistration as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import admissionregistration as validation


class MutatingWebhookConfigurationStrategy(Strategy):
    generation = ("webhooks",)
    printer = printers.WEBHOOK_CONFIGURATION
    webhook_admission = False

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_webhooks(obj, mutating=True)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_webhook_configuration(obj, mutating=True)


RESOURCE = ResourceType("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration",
                        "mutatingwebhookconfigurations", False,
                        schemas.MUTATING_WEBHOOK_CONFIGURATION,
                        categories=("api-extensions",),
                        strategy=MutatingWebhookConfigurationStrategy())
