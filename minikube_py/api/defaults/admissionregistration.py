"""Defaulting of admission webhook configurations, as
pkg/apis/admissionregistration/v1/defaults.go: failurePolicy Fail, matchPolicy Equivalent,
empty (match-everything) selectors, a 10 s timeout, rule scope ``*``, service port 443 and,
for mutating webhooks, reinvocationPolicy Never."""

from __future__ import annotations

from typing import Any

from minikube_py.api.defaults.core import default

DEFAULT_TIMEOUT_SECONDS = 10


def default_webhooks(config: dict[str, Any], *, mutating: bool) -> None:
    for hook in config.get("webhooks") or []:
        if not isinstance(hook, dict):
            continue
        default(hook, "failurePolicy", "Fail")
        default(hook, "matchPolicy", "Equivalent")
        for selector in ("namespaceSelector", "objectSelector"):
            if hook.get(selector) is None:
                hook[selector] = {}
        default(hook, "timeoutSeconds", DEFAULT_TIMEOUT_SECONDS)
        if mutating:
            default(hook, "reinvocationPolicy", "Never")
        for rule in hook.get("rules") or []:
            if isinstance(rule, dict):
                default(rule, "scope", "*")
        service = (hook.get("clientConfig") or {}).get("service")
        if isinstance(service, dict):
            default(service, "port", 443)
