"""Validation of admission webhook configurations, as pkg/apis/admissionregistration/
validation: webhook names (fully qualified, unique), rules (operations, groups, versions,
resources with subresources and ``*``, scope), client configs (an https URL or a Service,
not both), policies, timeouts, selectors, AdmissionReview versions and match conditions
(unique names, CEL expressions that compile)."""

from __future__ import annotations

import urllib.parse
from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.machinery.cel import CelError, compile_expression
from minikube_py.api.validation.base import (
    GoStrings,
    duplicate,
    invalid,
    not_supported,
    required,
    too_long,
)
from minikube_py.api.validation.meta import validate_label_selector
from minikube_py.api.validation.names import (
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
)
from minikube_py.api.validation.pod import as_dict, as_list

OPERATIONS = ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"]
SCOPES = ["*", "Cluster", "Namespaced"]
FAILURE_POLICIES = ["Fail", "Ignore"]
MATCH_POLICIES = ["Equivalent", "Exact"]
SIDE_EFFECTS = ["None", "NoneOnDryRun"]
REINVOCATION_POLICIES = ["IfNeeded", "Never"]
REVIEW_VERSIONS = ["v1", "v1beta1"]
MAX_MATCH_CONDITIONS = 64


def validate_webhook_configuration(obj: dict[str, Any], *, mutating: bool) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, hook in enumerate(as_list(obj.get("webhooks"))):
        path = f"webhooks[{i}]"
        hook = as_dict(hook)
        name = str(hook.get("name") or "")
        if name in seen:
            causes.append(duplicate(f"{path}.name", name))
        seen.add(name)
        causes += _webhook(hook, path, mutating=mutating)
    return causes


def _webhook(hook: dict[str, Any], path: str, *, mutating: bool) -> list[Cause]:
    causes = _name(str(hook.get("name") or ""), f"{path}.name")
    for i, rule in enumerate(as_list(hook.get("rules"))):
        causes += _rule(as_dict(rule), f"{path}.rules[{i}]")
    for name, allowed in (("failurePolicy", FAILURE_POLICIES), ("matchPolicy", MATCH_POLICIES),
                          ("sideEffects", SIDE_EFFECTS)):
        value = hook.get(name)
        if value is not None and value not in allowed:
            causes.append(not_supported(f"{path}.{name}", value, allowed))
    if mutating:
        policy = hook.get("reinvocationPolicy")
        if policy is not None and policy not in REINVOCATION_POLICIES:
            causes.append(not_supported(f"{path}.reinvocationPolicy", policy,
                                        REINVOCATION_POLICIES))
    timeout = hook.get("timeoutSeconds")
    if isinstance(timeout, int) and not 1 <= timeout <= 30:
        causes.append(invalid(f"{path}.timeoutSeconds", timeout,
                              "the timeout value must be between 1 and 30 seconds"))
    causes += _review_versions(hook.get("admissionReviewVersions"),
                               f"{path}.admissionReviewVersions")
    for selector in ("namespaceSelector", "objectSelector"):
        causes += validate_label_selector(hook.get(selector), f"{path}.{selector}")
    causes += _client_config(as_dict(hook.get("clientConfig")), f"{path}.clientConfig")
    return causes + _match_conditions(hook.get("matchConditions"), f"{path}.matchConditions")


def _name(name: str, path: str) -> list[Cause]:
    if not name:
        return [required(path)]
    causes = [invalid(path, name, m) for m in is_dns1123_subdomain(name)]
    if len(name.split(".")) < 3:
        causes.append(invalid(path, name, "should be a domain with at least three segments "
                              "separated by dots"))
    return causes


def _one_star(values: list[Any], path: str, what: str) -> list[Cause]:
    if "*" in values and len(values) > 1:
        return [invalid(path, GoStrings(str(v) for v in values),
                        f"if '*' is present, must not specify other {what}")]
    return []


def _rule(rule: dict[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    operations = as_list(rule.get("operations"))
    if not operations:
        causes.append(required(f"{path}.operations"))
    for i, op in enumerate(operations):
        if op not in OPERATIONS:
            causes.append(not_supported(f"{path}.operations[{i}]", op, OPERATIONS))
    causes += _one_star(operations, f"{path}.operations", "operations")
    for field, what in (("apiGroups", "groups"), ("apiVersions", "versions")):
        values = as_list(rule.get(field))
        if not values:
            causes.append(required(f"{path}.{field}"))
        causes += _one_star(values, f"{path}.{field}", what)
        if field == "apiVersions":
            causes += [required(f"{path}.apiVersions[{i}]", "version must be non-empty")
                       for i, v in enumerate(values) if v == ""]
    causes += _resources(as_list(rule.get("resources")), f"{path}.resources")
    scope = rule.get("scope")
    if scope is not None and scope not in SCOPES:
        causes.append(not_supported(f"{path}.scope", scope, SCOPES))
    return causes


def _resources(resources: list[Any], path: str) -> list[Cause]:
    """``resource`` or ``resource/subresource`` with ``*`` for either part; ``*/*`` alone,
    and ``*`` with subresource forms only (Kubernetes' validateResources)."""
    if not resources:
        return [required(path)]
    causes: list[Cause] = []
    wildcard_subs: set[str] = set()  # x/*
    wildcard_resources: set[str] = set()  # */x
    plain = False
    for i, res in enumerate(str(r) for r in resources):
        here = f"{path}[{i}]"
        if res == "":
            causes.append(required(here))
            continue
        parts = res.split("/", 1)
        if len(parts) == 1:
            plain = plain or res != "*"
            continue
        resource, sub = parts
        if resource in wildcard_subs:
            causes.append(invalid(here, res, f"if '{resource}/*' is present, must not "
                                  f"specify {res}"))
        if sub in wildcard_resources:
            causes.append(invalid(here, res, f"if '*/{sub}' is present, must not specify {res}"))
        if sub == "*":
            wildcard_subs.add(resource)
        if resource == "*":
            wildcard_resources.add(sub)
    shown = GoStrings(str(r) for r in resources)
    if len(resources) > 1 and "*/*" in resources:
        causes.append(invalid(path, shown, "if '*/*' is present, must not specify other "
                              "resources"))
    if "*" in resources and plain:
        causes.append(invalid(path, shown, "if '*' is present, must not specify other "
                              "resources without subresources"))
    return causes


def _review_versions(versions: Any, path: str) -> list[Cause]:
    values = as_list(versions)
    if not values:
        return [required(path, "must specify one of v1, v1beta1")]
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, version in enumerate(str(v) for v in values):
        if version in seen:
            causes.append(duplicate(f"{path}[{i}]", version))
        seen.add(version)
        causes += [invalid(f"{path}[{i}]", version, m) for m in is_dns1123_label(version)]
    if not seen & set(REVIEW_VERSIONS):
        causes.append(invalid(path, GoStrings(str(v) for v in values),
                              "must include at least one of v1, v1beta1"))
    return causes


def _client_config(config: dict[str, Any], path: str) -> list[Cause]:
    url, service = config.get("url"), config.get("service")
    if (url is None) == (service is None):
        return [required(path, "exactly one of url or service is required")]
    if url is not None:
        return _url(str(url), f"{path}.url")
    service = as_dict(service)
    causes: list[Cause] = []
    for part in ("name", "namespace"):
        value = str(service.get(part) or "")
        if not value:
            causes.append(required(f"{path}.service.{part}"))
        else:
            causes += [invalid(f"{path}.service.{part}", value, m)
                       for m in is_dns1123_label(value)]
    webhook_path = service.get("path")
    if webhook_path is not None:
        causes += _path(str(webhook_path), f"{path}.service.path")
    port = service.get("port")
    if isinstance(port, int) and not 1 <= port <= 65535:
        causes.append(invalid(f"{path}.service.port", port, "port is not valid: must be "
                              "between 1 and 65535, inclusive"))
    return causes


def _url(url: str, path: str) -> list[Cause]:
    parsed = urllib.parse.urlsplit(url)
    causes: list[Cause] = []
    if parsed.scheme != "https":
        causes.append(invalid(path, url, "'https' is the only allowed URL scheme"))
    if not parsed.hostname:
        causes.append(invalid(path, url, "host must be specified"))
    if parsed.username or parsed.password:
        causes.append(invalid(path, url, "user information is not permitted in the URL"))
    if parsed.fragment or "#" in url:
        causes.append(invalid(path, url, "fragments are not permitted in the URL"))
    if parsed.query or "?" in url:
        causes.append(invalid(path, url, "query parameters are not permitted in the URL"))
    return causes


def _path(value: str, path: str) -> list[Cause]:
    if value == "/":
        return []
    if not value.startswith("/"):
        return [invalid(path, value, "must start with a '/'")]
    if "//" in value:
        return [invalid(path, value, "segment[0] may not be empty")]
    return []


def _match_conditions(conditions: Any, path: str) -> list[Cause]:
    values = as_list(conditions)
    causes: list[Cause] = []
    if len(values) > MAX_MATCH_CONDITIONS:
        causes.append(too_long(path, "", MAX_MATCH_CONDITIONS))
    seen: set[str] = set()
    for i, cond in enumerate(values):
        cond = as_dict(cond)
        name = str(cond.get("name") or "")
        here = f"{path}[{i}]"
        if not name:
            causes.append(required(f"{here}.name"))
        else:
            causes += [invalid(f"{here}.name", name, m) for m in is_qualified_name(name)]
            if name in seen:
                causes.append(duplicate(f"{here}.name", name))
        seen.add(name)
        expression = str(cond.get("expression") or "")
        if not expression.strip():
            causes.append(required(f"{here}.expression"))
            continue
        try:
            compile_expression(expression)
        except CelError as exc:
            causes.append(invalid(f"{here}.expression", expression, str(exc)))
    return causes

