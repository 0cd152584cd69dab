"""Validation of networking.k8s.io/v1 kinds, as pkg/apis/networking/validation: Ingress
(rules with precise or wildcard hosts, HTTP paths by pathType, service or resource backends,
TLS hosts and secrets, the class annotation), IngressClass (a domain-prefixed controller,
parameters by scope) and NetworkPolicy (ports, peers, ipBlock CIDRs, policyTypes)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation.base import (
    forbidden,
    immutable,
    invalid,
    not_supported,
    required,
    too_long,
)
from minikube_py.api.validation.meta import validate_label_selector
from minikube_py.api.validation.names import (
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_path_segment_name,
    is_valid_port_name,
    is_valid_port_num,
    is_wildcard_dns1123_subdomain,
    regex_error,
)
from minikube_py.api.validation.pod import as_dict, as_list

INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"]
INVALID_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
INVALID_PATH_SUFFIXES = ("/..", "/.")
MAX_CONTROLLER_LEN = 250
PARAMETER_SCOPES = ["Cluster", "Namespace"]
PROTOCOLS = ["TCP", "UDP", "SCTP"]
POLICY_TYPES = ["Ingress", "Egress"]
CIDR_MESSAGE = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
_HTTP_PATH_FMT = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+"
_HTTP_PATH = re.compile(_HTTP_PATH_FMT)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


# --- Ingress -------------------------------------------------------------------------------

def validate_ingress(obj: dict[str, Any]) -> list[Cause]:
    causes = validate_ingress_spec(as_dict(obj.get("spec")), "spec")
    annotations = as_dict(as_dict(obj.get("metadata")).get("annotations"))
    class_name = as_dict(obj.get("spec")).get("ingressClassName")
    annotated = annotations.get(INGRESS_CLASS_ANNOTATION)
    if annotated is not None and class_name is not None and annotated != class_name:
        causes.append(invalid(f"annotations.{INGRESS_CLASS_ANNOTATION}", annotated,
                              "must match `ingressClassName` when both are specified"))
    return causes + _load_balancer(as_dict(as_dict(obj.get("status")).get("loadBalancer")))


def validate_ingress_spec(spec: dict[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    rules = as_list(spec.get("rules"))
    if not rules and spec.get("defaultBackend") is None:
        causes.append(invalid(path, rules, "either `defaultBackend` or `rules` must be "
                              "specified"))
    if spec.get("defaultBackend") is not None:
        causes += _backend(as_dict(spec["defaultBackend"]), f"{path}.defaultBackend")
    for i, rule in enumerate(rules):
        causes += _rule(as_dict(rule), f"{path}.rules[{i}]")
    for i, tls in enumerate(as_list(spec.get("tls"))):
        causes += _tls(as_dict(tls), f"{path}.tls[{i}]")
    class_name = spec.get("ingressClassName")
    if class_name is not None:
        causes += [invalid(f"{path}.ingressClassName", class_name, m)
                   for m in is_dns1123_subdomain(str(class_name))]
    return causes


def _host(host: str, path: str) -> list[Cause]:
    if "*" in host:
        return [invalid(path, host, m) for m in is_wildcard_dns1123_subdomain(host)]
    return [invalid(path, host, m) for m in is_dns1123_subdomain(host)]


def _rule(rule: dict[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    host = str(rule.get("host") or "")
    if host:
        if _is_ip(host):
            causes.append(invalid(f"{path}.host", host, "must be a DNS name, not an IP address"))
        causes += _host(host, f"{path}.host")
    http = rule.get("http")
    if isinstance(http, dict):
        paths = as_list(http.get("paths"))
        if not paths:
            causes.append(required(f"{path}.http.paths"))
        for i, item in enumerate(paths):
            causes += _http_path(as_dict(item), f"{path}.http.paths[{i}]")
    return causes


def _http_path(item: dict[str, Any], path: str) -> list[Cause]:
    path_type = item.get("pathType")
    if path_type is None:
        return [required(f"{path}.pathType", "pathType must be specified")]
    value = str(item.get("path") or "")
    causes: list[Cause] = []
    if path_type in ("Exact", "Prefix"):
        if not value.startswith("/"):
            causes.append(invalid(f"{path}.path", value, "must be an absolute path"))
        causes += [invalid(f"{path}.path", value, f"must not contain '{seq}'")
                   for seq in INVALID_PATH_SEQUENCES if seq in value]
        causes += [invalid(f"{path}.path", value, f"cannot end with '{suffix}'")
                   for suffix in INVALID_PATH_SUFFIXES if value.endswith(suffix)]
    elif path_type == "ImplementationSpecific":
        if value and not value.startswith("/"):
            causes.append(invalid(f"{path}.path", value, "must be an absolute path"))
    else:
        causes.append(not_supported(f"{path}.pathType", path_type, PATH_TYPES))
    return causes + _backend(as_dict(item.get("backend")), f"{path}.backend")


def _backend(backend: dict[str, Any], path: str) -> list[Cause]:
    resource, service = backend.get("resource"), backend.get("service")
    if resource is not None and service is not None:
        return [invalid(path, "", "cannot set both resource and service backends")]
    if resource is not None:
        return _typed_reference(as_dict(resource), f"{path}.resource")
    if service is None:
        return [invalid(path, "", "resource or service backend is required")]
    service = as_dict(service)
    causes: list[Cause] = []
    name = str(service.get("name") or "")
    if not name:
        causes.append(required(f"{path}.service.name"))
    else:
        causes += [invalid(f"{path}.service.name", name, m) for m in is_dns1035_label(name)]
    port = as_dict(service.get("port"))
    port_name, number = str(port.get("name") or ""), port.get("number") or 0
    if port_name and number:
        causes.append(invalid(path, "", "cannot set both port name & port number"))
    elif port_name:
        causes += [invalid(f"{path}.service.port.name", port_name, m)
                   for m in is_valid_port_name(port_name)]
    elif number:
        causes += [invalid(f"{path}.service.port.number", number, m)
                   for m in is_valid_port_num(int(number))]
    else:
        causes.append(required(path, "port name or number is required"))
    return causes


def _typed_reference(ref: dict[str, Any], path: str, *, scoped: bool = False) -> list[Cause]:
    causes: list[Cause] = []
    group = ref.get("apiGroup")
    if group is not None:
        causes += [invalid(f"{path}.apiGroup", group, m) for m in is_dns1123_subdomain(group)]
    for part in ("kind", "name"):
        value = str(ref.get(part) or "")
        if not value:
            causes.append(required(f"{path}.{part}"))
        else:
            causes += [invalid(f"{path}.{part}", value, m) for m in is_path_segment_name(value)]
    if not scoped:
        return causes
    scope, namespace = ref.get("scope"), ref.get("namespace")
    if scope is None:
        return [*causes, required(f"{path}.scope")]
    if scope not in PARAMETER_SCOPES:
        return [*causes, not_supported(f"{path}.scope", scope, PARAMETER_SCOPES)]
    if scope == "Namespace":
        if namespace is None:
            causes.append(required(f"{path}.namespace", "`parameters.scope` is set to "
                                   "'Namespace'"))
        else:
            causes += [invalid(f"{path}.namespace", namespace, m)
                       for m in is_dns1123_label(str(namespace))]
    elif namespace is not None:
        causes.append(forbidden(f"{path}.namespace", "`parameters.scope` is set to 'Cluster'"))
    return causes


def _tls(tls: dict[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    for i, host in enumerate(as_list(tls.get("hosts"))):
        causes += _host(str(host), f"{path}.hosts[{i}]")
    secret = str(tls.get("secretName") or "")
    if secret:
        causes += [invalid(f"{path}.secretName", secret, m) for m in is_dns1123_subdomain(secret)]
    return causes


def _load_balancer(status: dict[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    for i, entry in enumerate(as_list(status.get("ingress"))):
        here = f"status.loadBalancer.ingress[{i}]"
        entry = as_dict(entry)
        ip, hostname = str(entry.get("ip") or ""), str(entry.get("hostname") or "")
        if ip and not _is_ip(ip):
            causes.append(invalid(f"{here}.ip", ip, "must be a valid IP address, (e.g. "
                                  "10.9.8.7 or 2001:db8::ffff)"))
        if hostname:
            causes += [invalid(f"{here}.hostname", hostname, m)
                       for m in is_dns1123_subdomain(hostname)]
            if _is_ip(hostname):
                causes.append(invalid(f"{here}.hostname", hostname,
                                      "must be a DNS name, not an IP address"))
    return causes


# --- IngressClass --------------------------------------------------------------------------

def validate_ingress_class(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    controller = str(spec.get("controller") or "")
    causes: list[Cause] = []
    if not controller:
        causes.append(required("spec.controller"))
    else:
        if len(controller) > MAX_CONTROLLER_LEN:
            causes.append(too_long("spec.controller", "", MAX_CONTROLLER_LEN))
        causes += _domain_prefixed_path("spec.controller", controller)
    if spec.get("parameters") is not None:
        causes += _typed_reference(as_dict(spec["parameters"]), "spec.parameters", scoped=True)
    return causes


def validate_ingress_class_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    before = as_dict(old.get("spec")).get("controller")
    after = as_dict(new.get("spec")).get("controller")
    return [immutable("spec.controller", after)] if before != after else []


def _domain_prefixed_path(path: str, value: str) -> list[Cause]:
    segments = value.split("/", 1)
    if len(segments) != 2 or not segments[0] or not segments[1]:
        return [invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')]
    causes = [invalid(path, segments[0], m) for m in is_dns1123_subdomain(segments[0])]
    if _HTTP_PATH.fullmatch(segments[1]) is None:
        causes.append(invalid(path, segments[1], regex_error("Invalid path", _HTTP_PATH_FMT)))
    return causes


# --- NetworkPolicy -------------------------------------------------------------------------

def validate_network_policy(obj: dict[str, Any]) -> list[Cause]:
    """A policy's selectors, ports and peers. (Kubernetes lets an update keep CIDRs that
    older rules accepted; every stored CIDR here passed these rules, so none needs it.)"""
    spec = as_dict(obj.get("spec"))
    causes = validate_label_selector(spec.get("podSelector"), "spec.podSelector")
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(as_list(spec.get(direction))):
            here = f"spec.{direction}[{i}]"
            rule = as_dict(rule)
            for j, port in enumerate(as_list(rule.get("ports"))):
                causes += _policy_port(as_dict(port), f"{here}.ports[{j}]")
            for j, peer in enumerate(as_list(rule.get(peers))):
                causes += _peer(as_dict(peer), f"{here}.{peers}[{j}]")
    types = as_list(spec.get("policyTypes"))
    if len(types) > len(POLICY_TYPES):
        return [*causes, invalid("spec.policyTypes", types,
                                 "may not specify more than two policyTypes")]
    for i, policy_type in enumerate(types):
        if policy_type not in POLICY_TYPES:
            causes.append(not_supported(f"spec.policyTypes[{i}]", policy_type, POLICY_TYPES))
    return causes


def _policy_port(port: dict[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    protocol = port.get("protocol")
    if protocol is not None and protocol not in PROTOCOLS:
        causes.append(not_supported(f"{path}.protocol", protocol, PROTOCOLS))
    value, end = port.get("port"), port.get("endPort")
    if value is None:
        if end is not None:
            causes.append(invalid(f"{path}.endPort", end, "may not be specified when `port` is "
                                  "not specified"))
    elif isinstance(value, int):
        causes += [invalid(f"{path}.port", value, m) for m in is_valid_port_num(value)]
        if end is not None:
            if end < value:
                causes.append(invalid(f"{path}.endPort", end, "must be greater than or equal "
                                      "to `port`"))
            causes += [invalid(f"{path}.endPort", end, m) for m in is_valid_port_num(int(end))]
    else:
        if end is not None:
            causes.append(invalid(f"{path}.endPort", end, "may not be specified when `port` is "
                                  "non-numeric"))
        causes += [invalid(f"{path}.port", value, m) for m in is_valid_port_name(str(value))]
    return causes


def _peer(peer: dict[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    count = 0
    for name in ("podSelector", "namespaceSelector"):
        if peer.get(name) is not None:
            count += 1
            causes += validate_label_selector(peer[name], f"{path}.{name}")
    if peer.get("ipBlock") is not None:
        count += 1
        causes += _ip_block(as_dict(peer["ipBlock"]), f"{path}.ipBlock")
    if count == 0:
        causes.append(required(path, "must specify a peer"))
    elif count > 1 and peer.get("ipBlock") is not None:
        causes.append(forbidden(path, "may not specify both ipBlock and another peer"))
    return causes


def _cidr(value: str, path: str
          ) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network | None, list[Cause]]:
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None, [invalid(path, value, CIDR_MESSAGE)]
    if "/" not in value:
        return None, [invalid(path, value, CIDR_MESSAGE)]
    return network, []


def _ip_block(block: dict[str, Any], path: str) -> list[Cause]:
    cidr = str(block.get("cidr") or "")
    if not cidr:
        return [required(f"{path}.cidr")]
    network, causes = _cidr(cidr, f"{path}.cidr")
    if network is None:
        return causes
    for i, text in enumerate(as_list(block.get("except"))):
        here = f"{path}.except[{i}]"
        excepted, found = _cidr(str(text), here)
        causes += found
        if excepted is None:
            continue
        if excepted.version != network.version or \
                excepted.network_address not in network or \
                network.prefixlen >= excepted.prefixlen:
            causes.append(invalid(here, text, "must be a strict subset of `cidr`"))
    return causes
