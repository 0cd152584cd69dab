"""ValidatingWebhookConfiguration: webhooks the apiserver calls to approve or refuse
matching requests (admissionregistration.k8s.io/v1, cluster-scoped).

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


class ValidatingWebhookConfigurationStrategy(Strategy):
    generation = ("webhooks",)
    printer = printers.WEBHOOK_CONFIGURATION
    webhook_admission = False

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_webhooks(obj, mutating=False)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_webhook_configuration(obj, mutating=False)


RESOURCE = ResourceType("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
                        "validatingwebhookconfigurations", False,
                        schemas.VALIDATING_WEBHOOK_CONFIGURATION,
                        categories=("api-extensions",),
                        strategy=ValidatingWebhookConfigurationStrategy())
