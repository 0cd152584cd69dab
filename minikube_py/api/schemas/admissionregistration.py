"""Schemas of admissionregistration.k8s.io/v1: ValidatingWebhookConfiguration and
MutatingWebhookConfiguration (the webhooks the apiserver calls for matching requests)."""

from __future__ import annotations

from minikube_py.api.schema import array, integer, obj, string
from minikube_py.api.schemas.meta import LABEL_SELECTOR, kind

_PREFIX = "io.k8s.api.admissionregistration.v1"

SERVICE_REFERENCE = obj(
    f"{_PREFIX}.ServiceReference",
    {
        "namespace": string("Namespace of the Service."),
        "name": string("Name of the Service."),
        "path": string("URL path requests are sent to."),
        "port": integer("Port of the Service (default 443)."),
    },
    required=("namespace", "name"),
    description="A Service the webhook is served by.",
)

WEBHOOK_CLIENT_CONFIG = obj(
    f"{_PREFIX}.WebhookClientConfig",
    {
        "url": string("https URL of the webhook (exclusive with service)."),
        "service": SERVICE_REFERENCE.describe("Service of the webhook (exclusive with url)."),
        "caBundle": string("PEM CA bundle that verifies the webhook's serving certificate.",
                           format="byte"),
    },
    description="How the apiserver reaches a webhook.",
)

RULE_WITH_OPERATIONS = obj(
    f"{_PREFIX}.RuleWithOperations",
    {
        "operations": array(string(), "CREATE, UPDATE, DELETE, CONNECT or *.",
                            list_type="atomic"),
        "apiGroups": array(string(), "API groups matched; * for all.", list_type="atomic"),
        "apiVersions": array(string(), "API versions matched; * for all.", list_type="atomic"),
        "resources": array(string(), "Resources matched (pods, pods/status, */scale, *).",
                           list_type="atomic"),
        "scope": string("Cluster, Namespaced or * (default).",
                        enum=("*", "Cluster", "Namespaced")),
    },
    description="Operations and resources a webhook is called for.",
)

MATCH_CONDITION = obj(
    f"{_PREFIX}.MatchCondition",
    {"name": string("Identifier of the condition."),
     "expression": string("CEL expression that must be true for the webhook to be called.")},
    required=("name", "expression"),
    description="A CEL condition on the request.",
)

_WEBHOOK_FIELDS = {
    "name": string("Name of the webhook, a fully qualified name (e.g. pods.example.com)."),
    "clientConfig": WEBHOOK_CLIENT_CONFIG.describe("How to reach the webhook."),
    "rules": array(RULE_WITH_OPERATIONS, "Requests the webhook is called for.",
                   list_type="atomic"),
    "failurePolicy": string("Ignore or Fail (default): what an error calling it means.",
                            enum=("Fail", "Ignore")),
    "matchPolicy": string("Exact or Equivalent (default).", enum=("Equivalent", "Exact")),
    "namespaceSelector": LABEL_SELECTOR.describe("Namespaces whose objects are sent."),
    "objectSelector": LABEL_SELECTOR.describe("Objects (by labels) that are sent."),
    "sideEffects": string("None or NoneOnDryRun: whether calling it has side effects.",
                          enum=("None", "NoneOnDryRun", "Some", "Unknown")),
    "timeoutSeconds": integer("Seconds a call may take, 1 to 30 (default 10)."),
    "admissionReviewVersions": array(string(), "AdmissionReview versions it accepts.",
                                     list_type="atomic"),
    "matchConditions": array(MATCH_CONDITION, "Further conditions on the request.",
                             merge_key="name", strategy="merge"),
}

VALIDATING_WEBHOOK = obj(
    f"{_PREFIX}.ValidatingWebhook", _WEBHOOK_FIELDS,
    required=("name", "clientConfig", "sideEffects", "admissionReviewVersions"),
    description="A webhook that may refuse requests.",
)

MUTATING_WEBHOOK = obj(
    f"{_PREFIX}.MutatingWebhook",
    {**_WEBHOOK_FIELDS,
     "reinvocationPolicy": string("Never (default) or IfNeeded: whether it is called again "
                                  "after later webhooks changed the object.",
                                  enum=("IfNeeded", "Never"))},
    required=("name", "clientConfig", "sideEffects", "admissionReviewVersions"),
    description="A webhook that may change and refuse requests.",
)

VALIDATING_WEBHOOK_CONFIGURATION = kind(
    f"{_PREFIX}.ValidatingWebhookConfiguration",
    {"webhooks": array(VALIDATING_WEBHOOK, "The webhooks.", merge_key="name")},
    description="Validating admission webhooks the apiserver calls.",
)

MUTATING_WEBHOOK_CONFIGURATION = kind(
    f"{_PREFIX}.MutatingWebhookConfiguration",
    {"webhooks": array(MUTATING_WEBHOOK, "The webhooks.", merge_key="name")},
    description="Mutating admission webhooks the apiserver calls.",
)

