"""Validation of the core/v1 kinds (and coordination's Lease), as pkg/apis/core/validation.

Registered in ``base.VALIDATORS``/``UPDATE_VALIDATORS`` and run by ``validation/__init__.py``
after the metadata checks. Pod specs are checked by ``pod.py``; ReplicationController lives
with its successors in ``apps.py``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import ipaddress
import json
from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation import names
from minikube_py.api.validation.base import (
    duplicate,
    forbidden,
    immutable,
    invalid,
    not_supported,
    required,
    too_long,
)
from minikube_py.api.validation.meta import (
    validate_kube_finalizer_name,
    validate_label_selector,
    validate_labels,
    validate_taints,
)
from minikube_py.api.validation.pod import (
    MAX_INT32,
    PROTOCOLS,
    as_dict,
    as_int,
    as_list,
    dns_label,
    dns_subdomain,
    enum,
    nonnegative,
    port_num_or_name,
    resource_name,
    resource_quantity,
    validate_pod_spec,
)

MAX_SECRET_SIZE = 1024 * 1024
NODE_PORT_RANGE = (30000, 32767)
UPDATABLE_POD_FIELDS = (
    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)
ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
VOLUME_MODES = ["Block", "Filesystem"]
PV_SOURCES = ("hostPath", "gcePersistentDisk", "awsElasticBlockStore", "glusterfs", "flocker",
              "nfs", "rbd", "quobyte", "cephfs", "iscsi", "cinder", "fc", "flexVolume",
              "azureFile", "vsphereVolume", "photonPersistentDisk", "portworxVolume",
              "azureDisk", "scaleIO", "local", "storageos", "csi")


# --- Pod -------------------------------------------------------------------------------------

def validate_pod(obj: dict[str, Any]) -> list[Cause]:
    return validate_pod_spec(obj.get("spec"), "spec", is_pod=True)


def validate_pod_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """Only images, activeDeadlineSeconds, added tolerations and a grace fix may change."""
    new_spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    for kind in ("containers", "initContainers"):
        if len(as_list(new_spec.get(kind))) != len(as_list(old_spec.get(kind))):
            return [forbidden(f"spec.{kind}", "pod updates may not add or remove containers")]
    causes = _active_deadline_update(new_spec, old_spec)
    if causes:
        return causes
    causes += _only_added_tolerations(new_spec.get("tolerations"), old_spec.get("tolerations"))
    old_gates = [as_dict(g).get("name") for g in as_list(old_spec.get("schedulingGates"))]
    for i, gate in enumerate(as_list(new_spec.get("schedulingGates"))):
        if as_dict(gate).get("name") not in old_gates:
            causes.append(forbidden(f"spec.schedulingGates[{i}].name", "only deletion is "
                                    f"allowed, but found new scheduling gate "
                                    f"'{as_dict(gate).get('name')}'"))
    munged = _munge_updatable(new_spec, old_spec)
    if munged != old_spec:
        diff = "\n".join(_diff(old_spec, munged, "spec")[:20])
        causes.append(forbidden("spec", "pod updates may not change fields other than "
                                f"{UPDATABLE_POD_FIELDS}\n{diff}"))
    return causes


def _active_deadline_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    path = "spec.activeDeadlineSeconds"
    new_value, old_value = as_int(new.get("activeDeadlineSeconds")), as_int(
        old.get("activeDeadlineSeconds"))
    if new_value is None:
        if old_value is not None:
            return [invalid(path, None, "must not update from a positive integer to nil value")]
        return []
    if not 0 <= new_value <= MAX_INT32:
        return [invalid(path, new_value, names.inclusive_range_error(0, MAX_INT32))]
    if old_value is not None and old_value < new_value:
        return [invalid(path, new_value, "must be less than or equal to previous value")]
    return []


def _only_added_tolerations(new: Any, old: Any) -> list[Cause]:
    def without_seconds(tol: Any) -> dict[str, Any]:
        return {k: v for k, v in as_dict(tol).items() if k != "tolerationSeconds"}
    kept = [without_seconds(t) for t in as_list(new)]
    if all(without_seconds(t) in kept for t in as_list(old)):
        return []
    return [forbidden("spec.tolerations",
                      "existing toleration can not be modified except its tolerationSeconds")]


def _munge_updatable(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """``new`` with the updatable fields put back to ``old``'s values."""
    munged = copy.deepcopy(new)
    for kind in ("containers", "initContainers"):
        for ctr, before in zip(as_list(munged.get(kind)), as_list(old.get(kind)), strict=False):
            if isinstance(ctr, dict):
                _copy_key(ctr, as_dict(before), "image")
    for key in ("activeDeadlineSeconds", "tolerations", "schedulingGates"):
        _copy_key(munged, old, key)
    old_grace = as_int(old.get("terminationGracePeriodSeconds"))
    if old_grace is not None and old_grace < 0 and munged.get("terminationGracePeriodSeconds") == 1:
        munged["terminationGracePeriodSeconds"] = old_grace
    return munged


def _copy_key(target: dict[str, Any], source: dict[str, Any], key: str) -> None:
    if key in source:
        target[key] = copy.deepcopy(source[key])
    else:
        target.pop(key, None)


def _diff(old: Any, new: Any, path: str) -> list[str]:
    """Short ``path: old -> new`` lines where two JSON values differ (for the update error)."""
    if isinstance(old, dict) and isinstance(new, dict):
        lines = []
        for key in sorted(set(old) | set(new)):
            lines += _diff(old.get(key), new.get(key), f"{path}.{key}")
        return lines
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [line for i, (a, b) in enumerate(zip(old, new, strict=True))
                for line in _diff(a, b, f"{path}[{i}]")]
    if old == new:
        return []
    return [f"  {path}: {json.dumps(old, sort_keys=True)} -> {json.dumps(new, sort_keys=True)}"]


# --- Service ---------------------------------------------------------------------------------

def _cluster_ips(spec: dict[str, Any]) -> list[Any]:
    ips = as_list(spec.get("clusterIPs"))
    return ips or ([spec["clusterIP"]] if spec.get("clusterIP") else [])


def _is_headless(spec: dict[str, Any]) -> bool:
    return _cluster_ips(spec) == ["None"]


def validate_service(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    kind = spec.get("type")
    ports = as_list(spec.get("ports"))
    causes = []
    if not ports and not _is_headless(spec) and kind != "ExternalName":
        causes.append(required("spec.ports"))
    if kind in ("LoadBalancer", "NodePort") and _is_headless(spec):
        causes.append(invalid("spec.clusterIPs[0]", "None",
                              f"may not be set to 'None' for {kind} services"))
    if kind == "ExternalName":
        causes += _validate_external_name(spec)
    else:
        causes += _validate_cluster_ips(spec)
    causes += _validate_service_ports(spec, ports)
    causes += validate_labels(spec.get("selector"), "spec.selector")
    causes += _validate_session_affinity(spec)
    for i, ip in enumerate(as_list(spec.get("externalIPs"))):
        causes += [invalid(f"spec.externalIPs[{i}]", ip, m) for m in names.is_valid_ip(str(ip))]
    causes += enum(kind, ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"], "spec.type")
    if kind != "LoadBalancer":
        for key, shown in (("loadBalancerSourceRanges", "LoadBalancerSourceRanges"),
                           ("allocateLoadBalancerNodePorts", "allocateLoadBalancerNodePorts"),
                           ("loadBalancerClass", "loadBalancerClass")):
            if spec.get(key):
                causes.append(forbidden(f"spec.{shown}",
                                        "may only be used when `type` is 'LoadBalancer'"))
    causes += _validate_traffic_policies(spec)
    return causes


def _validate_external_name(spec: dict[str, Any]) -> list[Cause]:
    causes = []
    for key in ("clusterIPs", "ipFamilies", "ipFamilyPolicy"):
        if spec.get(key):
            causes.append(forbidden(f"spec.{key}", "may not be set for ExternalName services"))
    cname = str(spec.get("externalName") or "").removesuffix(".")
    if not cname:
        return [*causes, required("spec.externalName")]
    return causes + dns_subdomain(cname, "spec.externalName")


def _validate_cluster_ips(spec: dict[str, Any]) -> list[Cause]:
    causes = []
    ips, primary = as_list(spec.get("clusterIPs")), spec.get("clusterIP")
    if primary and ips and ips[0] != primary:
        causes.append(invalid("spec.clusterIPs", ips, "first value must match `clusterIP`"))
    ips = _cluster_ips(spec)
    for i, ip in enumerate(ips):
        if i == 0 and ip == "None":
            if len(ips) > 1:
                causes.append(invalid("spec.clusterIPs", ips,
                                      "'None' must be the first and only value"))
            continue
        causes += [invalid(f"spec.clusterIPs[{i}]", ip, m) for m in names.is_valid_ip(str(ip))]
    if len(ips) > 2:
        causes.append(invalid("spec.clusterIPs", ips, "may only hold up to 2 values"))
    families = as_list(spec.get("ipFamilies"))
    for i, family in enumerate(families):
        causes += enum(family, ["IPv4", "IPv6"], f"spec.ipFamilies[{i}]")
        if family in families[:i]:
            causes.append(duplicate(f"spec.ipFamilies[{i}]", family))
    causes += enum(spec.get("ipFamilyPolicy"), ["PreferDualStack", "RequireDualStack",
                                                "SingleStack"], "spec.ipFamilyPolicy")
    return causes


def _validate_service_ports(spec: dict[str, Any], ports: list[Any]) -> list[Cause]:
    causes: list[Cause] = []
    seen_names: set[str] = set()
    seen_ports: set[tuple[Any, Any]] = set()
    seen_node_ports: set[tuple[Any, Any]] = set()
    for i, port in enumerate(ports):
        port, here = as_dict(port), f"spec.ports[{i}]"
        causes += _validate_service_port(port, here, len(ports) > 1, seen_names)
        protocol, node_port = port.get("protocol", "TCP"), as_int(port.get("nodePort"))
        if node_port:
            if spec.get("type", "ClusterIP") == "ClusterIP":
                causes.append(forbidden(f"{here}.nodePort",
                                        "may not be used when `type` is 'ClusterIP'"))
            elif not NODE_PORT_RANGE[0] <= node_port <= NODE_PORT_RANGE[1]:
                causes.append(invalid(f"{here}.nodePort", node_port, "provided port is not in "
                                      "the valid range. The range of valid ports is 30000-32767"))
            if (protocol, node_port) in seen_node_ports:
                causes.append(duplicate(f"{here}.nodePort", node_port))
            seen_node_ports.add((protocol, node_port))
        key = (protocol, port.get("port"))
        if key in seen_ports:
            causes.append(duplicate(here, {"port": key[1], "protocol": protocol}))
        seen_ports.add(key)
    return causes


def _validate_service_port(port: dict[str, Any], path: str, require_name: bool,
                           seen: set[str]) -> list[Cause]:
    causes = []
    name = port.get("name")
    if require_name and not name:
        causes.append(required(f"{path}.name"))
    elif name:
        causes += dns_label(name, f"{path}.name")
        if name in seen:
            causes.append(duplicate(f"{path}.name", name))
        seen.add(name)
    number = as_int(port.get("port")) or 0
    causes += [invalid(f"{path}.port", number, m) for m in names.is_valid_port_num(number)]
    causes += enum(port.get("protocol"), PROTOCOLS, f"{path}.protocol")
    if port.get("targetPort") not in (None, 0, ""):
        causes += port_num_or_name(port.get("targetPort"), f"{path}.targetPort")
    if isinstance(port.get("appProtocol"), str):
        causes += [invalid(f"{path}.appProtocol", port["appProtocol"], m)
                   for m in names.is_qualified_name(port["appProtocol"])]
    return causes


def _validate_session_affinity(spec: dict[str, Any]) -> list[Cause]:
    affinity = spec.get("sessionAffinity")
    causes = enum(affinity, ["ClientIP", "None"], "spec.sessionAffinity")
    config_path = "spec.sessionAffinityConfig"
    if affinity == "ClientIP":
        timeout_path = f"{config_path}.clientIP.timeoutSeconds"
        timeout = as_int(as_dict(as_dict(spec.get("sessionAffinityConfig")).get("clientIP")).get(
            "timeoutSeconds"))
        if timeout is None:
            causes.append(required(timeout_path, "when session affinity type is ClientIP"))
        elif not 0 < timeout <= 86400:
            causes.append(invalid(timeout_path, timeout,
                                  "must be greater than 0 and less than 86400"))
    elif affinity == "None" and spec.get("sessionAffinityConfig") is not None:
        causes.append(forbidden(config_path, "must not be set when session affinity is None"))
    return causes


def _validate_traffic_policies(spec: dict[str, Any]) -> list[Cause]:
    kind = spec.get("type", "ClusterIP")
    external = kind in ("NodePort", "LoadBalancer") or (
        kind == "ClusterIP" and bool(as_list(spec.get("externalIPs"))))
    policy = spec.get("externalTrafficPolicy")
    causes = []
    if not external and policy:
        causes.append(invalid("spec.externalTrafficPolicy", policy,
                              "may only be set for externally-accessible services"))
    elif external:
        causes += enum(policy, ["Cluster", "Local"], "spec.externalTrafficPolicy")
    causes += enum(spec.get("internalTrafficPolicy"), ["Cluster", "Local"],
                   "spec.internalTrafficPolicy")
    return causes


def validate_service_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """A cluster IP never changes, except to or from ExternalName."""
    new_spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    if "ExternalName" in (new_spec.get("type"), old_spec.get("type")):
        return []
    new_ips, old_ips = _cluster_ips(new_spec), _cluster_ips(old_spec)
    if not new_ips or (_is_headless(new_spec) and _is_headless(old_spec)):
        return []  # not given: the apiserver keeps the allocated one
    for i, (before, after) in enumerate(zip(old_ips, new_ips, strict=False)):
        if before != after:
            return [invalid(f"spec.clusterIPs[{i}]", new_ips, "may not change once set")]
    return []


# --- config and identity ---------------------------------------------------------------------

def validate_namespace(obj: dict[str, Any]) -> list[Cause]:
    causes = []
    for finalizer in as_list(as_dict(obj.get("spec")).get("finalizers")):
        finalizer = str(finalizer)
        causes += [invalid("spec.finalizers", finalizer, m)
                   for m in names.is_qualified_name(finalizer)]
        causes += validate_kube_finalizer_name(finalizer, "spec.finalizers")
    return causes


def _decoded_size(value: Any) -> int:
    try:
        return len(base64.b64decode(str(value), validate=True))
    except (binascii.Error, ValueError):
        return len(str(value).encode())


def _data_keys(data: Any, path: str) -> list[Cause]:
    return [invalid(f"{path}[{key}]", key, m) for key in as_dict(data)
            for m in names.is_config_map_key(str(key))]


def validate_config_map(obj: dict[str, Any]) -> list[Cause]:
    data, binary = as_dict(obj.get("data")), as_dict(obj.get("binaryData"))
    causes = _data_keys(data, "data") + _data_keys(binary, "binaryData")
    causes += [invalid(f"data[{key}]", key, "duplicate of key present in binaryData")
               for key in data if key in binary]
    size = sum(len(str(v).encode()) for v in data.values())
    size += sum(_decoded_size(v) for v in binary.values())
    if size > MAX_SECRET_SIZE:
        causes.append(too_long("", "", MAX_SECRET_SIZE))
    return causes


_SECRET_REQUIRED_KEYS = {
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
}


def validate_secret(obj: dict[str, Any]) -> list[Cause]:
    data, strings = as_dict(obj.get("data")), as_dict(obj.get("stringData"))
    causes = _data_keys(data, "data") + _data_keys(strings, "stringData")
    size = sum(_decoded_size(v) for k, v in data.items() if k not in strings)
    size += sum(len(str(v).encode()) for v in strings.values())
    if size > MAX_SECRET_SIZE:
        causes.append(too_long("data", "", MAX_SECRET_SIZE))
    keys = set(data) | set(strings)
    kind = obj.get("type")
    if kind == "kubernetes.io/service-account-token":
        annotations = as_dict(as_dict(obj.get("metadata")).get("annotations"))
        if not annotations.get("kubernetes.io/service-account.name"):
            causes.append(required("metadata.annotations[kubernetes.io/service-account.name]"))
    elif kind == "kubernetes.io/basic-auth" and not keys & {"username", "password"}:
        causes += [required("data[username]"), required("data[password]")]
    for key in _SECRET_REQUIRED_KEYS.get(str(kind), ()):
        if key not in keys:
            causes.append(required(f"data[{key}]"))
    return causes


def _immutable_data(new: dict[str, Any], old: dict[str, Any], keys: tuple[str, ...]) -> list[Cause]:
    if old.get("immutable") is not True:
        return []
    message = "field is immutable when `immutable` is set"
    causes = [] if new.get("immutable") is True else [forbidden("immutable", message)]
    return causes + [forbidden(key, message) for key in keys
                     if (new.get(key) or {}) != (old.get(key) or {})]


def validate_config_map_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    return _immutable_data(new, old, ("data", "binaryData"))


def validate_secret_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    causes = []
    if new.get("type", "Opaque") != old.get("type", "Opaque"):
        causes.append(immutable("type", new.get("type", "")))
    return causes + _immutable_data(new, old, ("data",))


# --- nodes, endpoints, events, leases --------------------------------------------------------

def validate_node(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes = validate_taints(spec.get("taints"), "metadata.taints")
    for i, cidr in enumerate(as_list(spec.get("podCIDRs"))):
        try:
            ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            causes.append(invalid(f"spec.podCIDRs[{i}]", cidr, "must be a valid CIDR value, "
                                  "(e.g. 10.9.8.0/24 or 2001:db8::/64)"))
    for section in ("capacity", "allocatable"):
        for name, value in as_dict(as_dict(obj.get("status")).get(section)).items():
            causes += resource_quantity(str(name), value, f"status.{section}.{name}")
    return causes


def validate_node_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    new_spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    causes = []
    old_cidrs = as_list(old_spec.get("podCIDRs"))
    if old_cidrs and as_list(new_spec.get("podCIDRs")) != old_cidrs:
        causes.append(forbidden("spec.podCIDRs",
                                'node updates may not change podCIDR except from "" to valid'))
    if old_spec.get("providerID") and new_spec.get("providerID") != old_spec["providerID"]:
        causes.append(forbidden("spec.providerID",
                                'node updates may not change providerID except from "" to valid'))
    return causes


def validate_endpoints(obj: dict[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    for i, subset in enumerate(as_list(obj.get("subsets"))):
        subset, here = as_dict(subset), f"subsets[{i}]"
        if not as_list(subset.get("addresses")) and not as_list(subset.get("notReadyAddresses")):
            causes.append(required(here, "must specify `addresses` or `notReadyAddresses`"))
        for kind in ("addresses", "notReadyAddresses"):
            for j, address in enumerate(as_list(subset.get(kind))):
                causes += _endpoint_address(as_dict(address), f"{here}.{kind}[{j}]")
        ports = as_list(subset.get("ports"))
        for j, port in enumerate(ports):
            port, port_path = as_dict(port), f"{here}.ports[{j}]"
            if len(ports) > 1 and not port.get("name"):
                causes.append(required(f"{port_path}.name"))
            elif port.get("name"):
                causes += dns_label(port["name"], f"{port_path}.name")
            number = as_int(port.get("port")) or 0
            causes += [invalid(f"{port_path}.port", number, m)
                       for m in names.is_valid_port_num(number)]
            causes += enum(port.get("protocol"), PROTOCOLS, f"{port_path}.protocol")
    return causes


def _endpoint_address(address: dict[str, Any], path: str) -> list[Cause]:
    ip = str(address.get("ip") or "")
    causes = [invalid(f"{path}.ip", ip, m) for m in names.is_valid_ip(ip)]
    if address.get("hostname"):
        causes += dns_label(address["hostname"], f"{path}.hostname")
    if address.get("nodeName"):
        causes += dns_subdomain(address["nodeName"], f"{path}.nodeName")
    return causes


def validate_event(obj: dict[str, Any]) -> list[Cause]:
    """The involved object's namespace must be the event's own; events about cluster-scoped
    objects live in ``default`` (or, for new-style events, ``kube-system``)."""
    namespace = as_dict(obj.get("metadata")).get("namespace") or ""
    involved = as_dict(obj.get("involvedObject")).get("namespace") or ""
    allowed = ("default", "kube-system") if obj.get("eventTime") else ("", "default")
    if (involved and involved != namespace) or (not involved and namespace not in allowed):
        return [invalid("involvedObject.namespace", involved, "does not match event.namespace")]
    return []


def validate_lease(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    duration = as_int(spec.get("leaseDurationSeconds"))
    causes = []
    if duration is not None and duration <= 0:
        causes.append(invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
    return causes + nonnegative(spec.get("leaseTransitions"), "spec.leaseTransitions")


# --- quotas and limits -----------------------------------------------------------------------

QUOTA_SCOPES = ["BestEffort", "CrossNamespacePodAffinity", "NotBestEffort", "NotTerminating",
                "PriorityClass", "Terminating", "VolumeAttributesClass"]
_COUNTED = {"pods", "services", "replicationcontrollers", "resourcequotas", "secrets",
            "configmaps", "persistentvolumeclaims", "services.nodeports",
            "services.loadbalancers"}
_QUOTA_RESOURCES = (names.STANDARD_RESOURCES - {"storage"}) | _COUNTED


def validate_resource_quota(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes: list[Cause] = []
    for name, value in as_dict(spec.get("hard")).items():
        path = f"spec.hard[{name}]"
        causes += resource_name(str(name), path)
        if "/" not in str(name) and name not in _QUOTA_RESOURCES and not str(name).startswith(
                ("hugepages-", "requests.hugepages-")):
            causes.append(invalid(path, name, "must be a standard resource for quota"))
        causes += resource_quantity(str(name), value, path)
        number = names.parse_quantity(value)
        if name in _COUNTED and number is not None and number.denominator != 1:
            causes.append(invalid(path, str(value), "must be an integer"))
    scopes = as_list(spec.get("scopes"))
    if any(scope not in QUOTA_SCOPES for scope in scopes):
        causes.append(invalid("spec.scopes", scopes, "unsupported scope"))
    for pair in (("BestEffort", "NotBestEffort"), ("Terminating", "NotTerminating")):
        if all(scope in scopes for scope in pair):
            causes.append(invalid("spec.scopes", scopes, "conflicting scopes"))
    return causes


def validate_resource_quota_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    new_scopes = as_list(as_dict(new.get("spec")).get("scopes"))
    if set(map(str, new_scopes)) != set(map(str, as_list(as_dict(old.get("spec")).get("scopes")))):
        return [immutable("spec.scopes", new_scopes)]
    return []


def validate_limit_range(obj: dict[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, item in enumerate(as_list(as_dict(obj.get("spec")).get("limits"))):
        item, here = as_dict(item), f"spec.limits[{i}]"
        kind = str(item.get("type") or "")
        if "/" not in kind and kind not in ("Pod", "Container", "PersistentVolumeClaim"):
            causes.append(invalid(f"{here}.type", kind,
                                  "must be a standard limit type or fully qualified"))
        if kind in seen:
            causes.append(duplicate(f"{here}.type", kind))
        seen.add(kind)
        if kind == "Pod":
            causes += [forbidden(f"{here}.{key}", "may not be specified when `type` is 'Pod'")
                       for key in ("default", "defaultRequest") if as_dict(item.get(key))]
        causes += _limit_range_bounds(item, here)
    return causes


_BOUND_CHECKS = (  # (smaller, larger, field reported, message)
    ("min", "max", "min", "min value {a} is greater than max value {b}"),
    ("min", "defaultRequest", "defaultRequest",
     "min value {a} is greater than default request value {b}"),
    ("defaultRequest", "max", "defaultRequest",
     "default request value {a} is greater than max value {b}"),
    ("defaultRequest", "default", "defaultRequest",
     "default request value {a} is greater than default limit value {b}"),
    ("min", "default", "default", "min value {a} is greater than default value {b}"),
    ("default", "max", "default", "default value {a} is greater than max value {b}"),
)


def _limit_range_bounds(item: dict[str, Any], path: str) -> list[Cause]:
    causes = []
    for low_key, high_key, reported, message in _BOUND_CHECKS:
        low, high = as_dict(item.get(low_key)), as_dict(item.get(high_key))
        for name in sorted(set(low) & set(high)):
            a, b = names.parse_quantity(low[name]), names.parse_quantity(high[name])
            if a is not None and b is not None and a > b:
                shown = low[name] if reported == low_key else high[name]
                causes.append(invalid(f"{path}.{reported}[{name}]", str(shown),
                                      message.format(a=low[name], b=high[name])))
    for name, ratio in as_dict(item.get("maxLimitRequestRatio")).items():
        value = names.parse_quantity(ratio)
        if value is not None and value < 1:
            causes.append(invalid(f"{path}.maxLimitRequestRatio[{name}]", str(ratio),
                                  f"ratio {ratio} is less than 1"))
    return causes


# --- storage ---------------------------------------------------------------------------------

def _access_modes(modes: Any, path: str, detail: str = "") -> list[Cause]:
    modes = as_list(modes)
    if not modes:
        return [required(path, detail)]
    causes = [not_supported(path, m, ACCESS_MODES) for m in modes if m not in ACCESS_MODES]
    if "ReadWriteOncePod" in modes and any(m != "ReadWriteOncePod" for m in modes):
        causes.append(forbidden(path, "may not use ReadWriteOncePod with other access modes"))
    return causes


def _storage_class(spec: dict[str, Any], path: str) -> list[Cause]:
    name = spec.get("storageClassName")
    return dns_subdomain(name, path) if isinstance(name, str) and name else []


def validate_persistent_volume(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes = _access_modes(spec.get("accessModes"), "spec.accessModes")
    capacity = as_dict(spec.get("capacity"))
    if not capacity:
        causes.append(required("spec.capacity"))
    if "storage" not in capacity or len(capacity) > 1:
        causes.append(not_supported("spec.capacity", capacity, ["storage"]))
    for name, value in capacity.items():
        number = names.parse_quantity(value)
        if number is not None and number <= 0:
            causes.append(invalid(f"spec.capacity[{name}]", str(value),
                                  "must be greater than zero"))
    causes += enum(spec.get("persistentVolumeReclaimPolicy"), ["Delete", "Recycle", "Retain"],
                   "spec.persistentVolumeReclaimPolicy")
    sources = [k for k in PV_SOURCES if isinstance(spec.get(k), dict)]
    if not sources:
        causes.append(required("spec", "must specify a volume type"))
    causes += [forbidden(f"spec.{k}", "may not specify more than 1 volume type")
               for k in sources[1:]]
    for kind in ("hostPath", "local"):
        if isinstance(spec.get(kind), dict) and not spec[kind].get("path"):
            causes.append(required(f"spec.{kind}.path"))
    if "local" in sources and not isinstance(spec.get("nodeAffinity"), dict):
        causes.append(required("spec.nodeAffinity", "Local volume requires node affinity"))
    causes += _storage_class(spec, "spec.storageClassName")
    return causes + enum(spec.get("volumeMode"), VOLUME_MODES, "spec.volumeMode")


def validate_persistent_volume_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    new_spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    causes = []
    if any(new_spec.get(k) != old_spec.get(k) for k in PV_SOURCES):
        causes.append(forbidden("spec.persistentvolumesource",
                                "spec.persistentvolumesource is immutable after creation"))
    if new_spec.get("volumeMode") != old_spec.get("volumeMode"):
        causes.append(immutable("volumeMode", new_spec.get("volumeMode")))
    return causes


def validate_persistent_volume_claim(obj: dict[str, Any]) -> list[Cause]:
    return validate_claim_spec(obj.get("spec"), "spec")


def validate_claim_spec(spec: Any, path: str) -> list[Cause]:
    """A PersistentVolumeClaimSpec (also a StatefulSet's volumeClaimTemplates[*].spec)."""
    spec = as_dict(spec)
    causes = _access_modes(spec.get("accessModes"), f"{path}.accessModes",
                           "at least 1 access mode is required")
    causes += validate_label_selector(spec.get("selector"), f"{path}.selector")
    requests = as_dict(as_dict(spec.get("resources")).get("requests"))
    storage_path = f"{path}.resources[storage]"
    if "storage" not in requests:
        causes.append(required(storage_path))
    else:
        number = names.parse_quantity(requests["storage"])
        if number is not None and number <= 0:
            causes.append(invalid(storage_path, str(requests["storage"]),
                                  "must be greater than zero"))
    causes += _storage_class(spec, f"{path}.storageClassName")
    return causes + enum(spec.get("volumeMode"), VOLUME_MODES, f"{path}.volumeMode")


def validate_persistent_volume_claim_update(new: dict[str, Any],
                                            old: dict[str, Any]) -> list[Cause]:
    """The spec is immutable, except the binder's volumeName and a bound claim's size."""
    new_spec, old_spec = as_dict(new.get("spec")), copy.deepcopy(as_dict(old.get("spec")))
    munged = copy.deepcopy(new_spec)
    for key in ("volumeName", "storageClassName"):
        if not old_spec.get(key):  # set once, by the binder or the default class
            _copy_key(old_spec, munged, key)
    bound = as_dict(new.get("status")).get("phase") == "Bound"
    new_size = as_dict(as_dict(new_spec.get("resources")).get("requests")).get("storage")
    old_size = as_dict(as_dict(old_spec.get("resources")).get("requests")).get("storage")
    if bound and isinstance(munged.get("resources"), dict):
        requests = as_dict(munged["resources"].get("requests"))
        _copy_key(requests, as_dict(as_dict(old_spec.get("resources")).get("requests")),
                  "storage")
    causes = []
    if munged != old_spec:
        causes.append(forbidden("spec", "spec is immutable after creation except "
                                "resources.requests and volumeAttributesClassName for bound "
                                "claims"))
    before, after = names.parse_quantity(old_size), names.parse_quantity(new_size)
    if before is not None and after is not None and after < before:
        causes.append(forbidden("spec.resources.requests.storage",
                                "field can not be less than previous value"))
    return causes

