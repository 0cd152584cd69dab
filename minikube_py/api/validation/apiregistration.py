"""Validation of APIServices, as kube-aggregator's pkg/apis/apiregistration/validation: the
name is ``version.group``, priorities in range, a local APIService has no TLS settings, a
remote one names its Service and does not both skip and pin TLS verification."""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation.base import invalid, required
from minikube_py.api.validation.names import (
    is_dns1035_label,
    is_dns1123_subdomain,
    is_path_segment_name,
    is_valid_port_num,
)
from minikube_py.api.validation.pod import as_dict


def api_service_name(name: str) -> list[str]:
    return is_path_segment_name(name)


def validate_api_service(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    group, version = str(spec.get("group") or ""), str(spec.get("version") or "")
    wanted = f"{version}.{group}"
    name = str(as_dict(obj.get("metadata")).get("name") or "")
    causes: list[Cause] = []
    if name and not is_path_segment_name(name) and name != wanted:
        causes.append(invalid("metadata.name", name,
                              f'must be `spec.version+"."+spec.group`: "{wanted}"'))
    if not group and version != "v1":
        causes.append(required("spec.group", "only v1 may have an empty group and it better "
                               "be legacy kube"))
    if group:
        causes += [invalid("spec.group", group, m) for m in is_dns1123_subdomain(group)]
    causes += [invalid("spec.version", version, m) for m in is_dns1035_label(version)]
    group_min, version_priority = spec.get("groupPriorityMinimum"), spec.get("versionPriority")
    if isinstance(group_min, int) and not 0 < group_min <= 20000:
        causes.append(invalid("spec.groupPriorityMinimum", group_min,
                              "must be positive and less than 20000"))
    if isinstance(version_priority, int) and not 0 < version_priority <= 1000:
        causes.append(invalid("spec.versionPriority", version_priority,
                              "must be positive and less than 1000"))
    ca_bundle, skip = str(spec.get("caBundle") or ""), bool(spec.get("insecureSkipTLSVerify"))
    service = spec.get("service")
    if not isinstance(service, dict):
        if ca_bundle:
            causes.append(invalid("spec.caBundle", f"{len(ca_bundle) * 3 // 4} bytes",
                                  "local APIServices may not have a caBundle"))
        if skip:
            causes.append(invalid("spec.insecureSkipTLSVerify", skip,
                                  "local APIServices may not have insecureSkipTLSVerify"))
        return causes
    for part in ("namespace", "name"):
        if not service.get(part):
            causes.append(required(f"spec.service.{part}"))
    port = service.get("port")
    if isinstance(port, int):
        errors = is_valid_port_num(port)
        if errors:
            causes.append(invalid("spec.service.port", port,
                                  "port is not valid: " + ", ".join(errors)))
    if skip and ca_bundle:
        causes.append(invalid("spec.insecureSkipTLSVerify", skip,
                              "may not be true if caBundle is present"))
    return causes
