"""Validation of discovery.k8s.io/v1 EndpointSlices, as pkg/apis/discovery/validation: the
address type, at most 1000 endpoints of 1 to 100 addresses each and 100 ports, addresses of
the slice's type, port names unique DNS labels.

Called by the kind's strategy (``api/kinds/discovery/endpointslice.py``).
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation import names
from minikube_py.api.validation.base import duplicate, forbidden, immutable, invalid, required
from minikube_py.api.validation.pod import (
    PROTOCOLS,
    as_dict,
    as_int,
    as_list,
    dns_label,
    dns_subdomain,
    enum,
)

ADDRESS_TYPES = ["IPv4", "IPv6", "FQDN"]
MAX_ENDPOINTS, MAX_ADDRESSES, MAX_PORTS = 1000, 100, 20000


def validate_endpoint_slice(obj: dict[str, Any]) -> list[Cause]:
    address_type = obj.get("addressType")
    if not address_type:
        return [required("addressType")]
    causes = enum(address_type, ADDRESS_TYPES, "addressType")
    endpoints = as_list(obj.get("endpoints"))
    if len(endpoints) > MAX_ENDPOINTS:
        causes.append(invalid("endpoints", len(endpoints),
                              f"must have at most {MAX_ENDPOINTS} items"))
    for i, endpoint in enumerate(endpoints):
        causes += _validate_endpoint(as_dict(endpoint), str(address_type), f"endpoints[{i}]")
    causes += _validate_ports(as_list(obj.get("ports")))
    return causes


def validate_endpoint_slice_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    if new.get("addressType") != old.get("addressType"):
        return [immutable("addressType", new.get("addressType"))]
    return []


def _validate_endpoint(endpoint: dict[str, Any], address_type: str, path: str) -> list[Cause]:
    addresses = as_list(endpoint.get("addresses"))
    causes: list[Cause] = []
    if not addresses:
        causes.append(required(f"{path}.addresses", "must contain at least 1 address"))
    elif len(addresses) > MAX_ADDRESSES:
        causes.append(invalid(f"{path}.addresses", len(addresses),
                              f"must have at most {MAX_ADDRESSES} items"))
    for j, address in enumerate(addresses):
        here = f"{path}.addresses[{j}]"
        if address_type == "FQDN":
            causes += dns_subdomain(str(address), here)
            continue
        messages = names.is_valid_ip(str(address))
        if not messages and (":" in str(address)) != (address_type == "IPv6"):
            messages = [f"must be an {address_type} address"]
        causes += [invalid(here, address, m) for m in messages]
    if endpoint.get("hostname"):
        causes += dns_label(endpoint["hostname"], f"{path}.hostname")
    if endpoint.get("nodeName"):
        causes += dns_subdomain(endpoint["nodeName"], f"{path}.nodeName")
    if endpoint.get("deprecatedTopology") and not isinstance(endpoint["deprecatedTopology"],
                                                             dict):
        causes.append(forbidden(f"{path}.deprecatedTopology", "must be a map"))
    return causes


def _validate_ports(ports: list[Any]) -> list[Cause]:
    causes: list[Cause] = []
    if len(ports) > MAX_PORTS:
        causes.append(invalid("ports", len(ports), f"must have at most {MAX_PORTS} items"))
    seen: set[str] = set()
    for i, port in enumerate(ports):
        port, here = as_dict(port), f"ports[{i}]"
        name = str(port.get("name") or "")
        if name:
            causes += dns_label(name, f"{here}.name")
        if name in seen:
            causes.append(duplicate(f"{here}.name", name))
        seen.add(name)
        number = as_int(port.get("port"))
        if number is not None:
            causes += [invalid(f"{here}.port", number, m)
                       for m in names.is_valid_port_num(number)]
        causes += enum(port.get("protocol"), PROTOCOLS, f"{here}.protocol")
    return causes
