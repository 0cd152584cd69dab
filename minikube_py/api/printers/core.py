"""Table printers of the cluster, networking, configuration and storage kinds.

Built on the columns and cell helpers of ``printers/base.py``; each kind's strategy names its
printer here. The reference is Kubernetes' ``pkg/printers/internalversion/printers.go``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from minikube_py.api.printers.base import (
    AGE,
    NAME_DOC,
    Column,
    Obj,
    Printer,
    age_of,
    format_labels,
    meta,
    name_of,
    simple,
    since,
    spec,
    status,
    wide,
)

# ---------------------------------------------------------------------------------------------
# Service, Endpoints, EndpointSlice, Ingress.

def _load_balancer_addresses(load_balancer: Mapping[str, Any] | None) -> list[str]:
    """Sorted, de-duplicated ingress IPs (or hostnames) of a load balancer status."""
    found = {entry.get("ip") or entry.get("hostname")
             for entry in (load_balancer or {}).get("ingress") or []}
    return sorted(address for address in found if address)


def _external_ip(service: Obj) -> str:
    service_spec = spec(service)
    external_ips = list(service_spec.get("externalIPs") or [])
    match service_spec.get("type"):
        case "ClusterIP" | "NodePort":
            return ",".join(external_ips) or "<none>"
        case "LoadBalancer":
            addresses = _load_balancer_addresses(status(service).get("loadBalancer"))
            return ",".join(addresses + external_ips) or "<pending>"
        case "ExternalName":
            return service_spec.get("externalName") or ""
    return "<unknown>"


def port_string(ports: Iterable[Mapping[str, Any]]) -> str:
    """``80/TCP,443:30443/TCP``: port, node port when allocated, protocol."""
    pieces = []
    for port in ports:
        protocol = port.get("protocol") or "TCP"
        node_port = port.get("nodePort") or 0
        prefix = f"{port.get('port', 0)}:{node_port}" if node_port > 0 else f"{port.get('port', 0)}"
        pieces.append(f"{prefix}/{protocol}")
    return ",".join(pieces)


def _service_row(service: Obj, now: dt.datetime) -> list[Any]:
    service_spec = spec(service)
    cluster_ips = service_spec.get("clusterIPs") or [service_spec.get("clusterIP")]
    return [name_of(service), service_spec.get("type") or "", cluster_ips[0] or "<none>",
            _external_ip(service), port_string(service_spec.get("ports") or []) or "<none>",
            age_of(service, now), format_labels(service_spec.get("selector"))]


SERVICE = simple((
    Column("Type", description="How the service is exposed: ClusterIP, NodePort, LoadBalancer "
           "or ExternalName."),
    Column("Cluster-IP", description="The IP address of the service inside the cluster."),
    Column("External-IP", description="Addresses on which the service is reachable from outside."),
    Column("Port(s)", description="The ports that are exposed by this service."),
    AGE,
    wide("Selector", "Label selector of the pods that back this service."),
), _service_row)


def with_more(items: list[str], total: int, limit: int, empty: str) -> str:
    """``a,b,c + 2 more...`` when ``total`` exceeds ``limit``; ``empty`` when nothing."""
    text = ",".join(items[:limit])
    if total > limit:
        return f"{text} + {total - limit} more..."
    return text or empty


def _host_port(ip: str, port: Any) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _endpoints_cell(endpoints: Obj) -> str:
    subsets = endpoints.get("subsets") or []
    if not subsets:
        return "<none>"
    shown: list[str] = []
    total = 0
    for subset in subsets:
        addresses = [a.get("ip", "") for a in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        if not ports:  # headless services may have no ports
            total += len(addresses)
            shown.extend(addresses)
        for port in ports:
            total += len(addresses)
            shown.extend(_host_port(ip, port.get("port", 0)) for ip in addresses)
    return with_more(shown, total, 3, "")


ENDPOINTS = simple((
    Column("Endpoints", description="The addresses and ports of the endpoints."), AGE,
), lambda obj, now: [name_of(obj), _endpoints_cell(obj), age_of(obj, now)])


def _slice_ports(slice_: Obj) -> str:
    ports = slice_.get("ports") or []
    shown = [str(p["port"]) if p.get("port") is not None else (p.get("name") or "*")
             for p in ports]
    return with_more(shown, len(ports), 3, "<unset>")


def _slice_endpoints(slice_: Obj) -> str:
    addresses = [a for e in slice_.get("endpoints") or [] for a in e.get("addresses") or []]
    return with_more(addresses, len(addresses), 3, "<unset>")


ENDPOINT_SLICE = simple((
    Column("AddressType", description="The type of address carried by this EndpointSlice."),
    Column("Ports", description="The network ports exposed by each endpoint."),
    Column("Endpoints", description="The addresses of the endpoints."),
    AGE,
), lambda obj, now: [name_of(obj), obj.get("addressType") or "", _slice_ports(obj),
                     _slice_endpoints(obj), age_of(obj, now)])


def _ingress_hosts(rules: list[Mapping[str, Any]]) -> str:
    hosts: list[str] = []
    more = False
    for rule in rules:
        if len(hosts) == 3:
            more = True
        if not more and rule.get("host"):
            hosts.append(rule["host"])
    if not hosts:
        return "*"
    return f"{','.join(hosts)} + {len(rules) - 3} more..." if more else ",".join(hosts)


def _ingress_row(ingress: Obj, now: dt.datetime) -> list[Any]:
    ingress_spec = spec(ingress)
    addresses = _load_balancer_addresses(status(ingress).get("loadBalancer"))
    return [name_of(ingress), ingress_spec.get("ingressClassName") or "<none>",
            _ingress_hosts(ingress_spec.get("rules") or []), ",".join(addresses),
            "80, 443" if ingress_spec.get("tls") else "80", age_of(ingress, now)]


INGRESS = simple((
    Column("Class", description="The name of the IngressClass resource that should be used for "
           "additional configuration"),
    Column("Hosts", description="Hosts that incoming requests are matched against before the "
           "ingress rule"),
    Column("Address", description="Address is a list containing ingress points for the "
           "load-balancer"),
    Column("Ports", description="Ports of TLS configurations that open"),
    AGE,
), _ingress_row)


# ---------------------------------------------------------------------------------------------
# Node, Namespace, Event.

def node_roles(node: Obj) -> str:
    """Roles from ``node-role.kubernetes.io/<role>`` and ``kubernetes.io/role`` labels."""
    roles = set()
    for key, value in (meta(node).get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/"):
            roles.add(key.removeprefix("node-role.kubernetes.io/"))
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return ",".join(sorted(role for role in roles if role)) or "<none>"


def _node_status(node: Obj) -> str:
    state = "Unknown"
    for condition in status(node).get("conditions") or []:
        if condition.get("type") == "Ready":  # the last Ready condition wins, as in a map
            state = "Ready" if condition.get("status") == "True" else "NotReady"
    if spec(node).get("unschedulable"):
        state += ",SchedulingDisabled"
    return state


def _node_address(node: Obj, address_type: str) -> str:
    for address in status(node).get("addresses") or []:
        if address.get("type") == address_type:
            return str(address.get("address", ""))
    return "<none>"


def _node_row(node: Obj, now: dt.datetime) -> list[Any]:
    info = status(node).get("nodeInfo") or {}
    return [name_of(node), _node_status(node), node_roles(node), age_of(node, now),
            info.get("kubeletVersion") or "",
            _node_address(node, "InternalIP"), _node_address(node, "ExternalIP"),
            info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"]


NODE = simple((
    Column("Status", description="The status of the node"),
    Column("Roles", description="The roles of the node"),
    AGE,
    Column("Version", description="Kubelet Version reported by the node."),
    wide("Internal-IP", "The node's InternalIP address."),
    wide("External-IP", "The node's ExternalIP address."),
    wide("OS-Image", "OS Image reported by the node."),
    wide("Kernel-Version", "Kernel Version reported by the node."),
    wide("Container-Runtime", "ContainerRuntime Version reported by the node."),
), _node_row)

NAMESPACE = simple((
    Column("Status", description="The status of the namespace"), AGE,
), lambda obj, now: [name_of(obj), status(obj).get("phase") or "", age_of(obj, now)])


def _event_source(event: Obj) -> str:
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingController") or ""
    host = source.get("host") or event.get("reportingInstance") or ""
    return f"{component}, {host}" if host else component


def _event_row(event: Obj, now: dt.datetime) -> list[Any]:
    first_seen = since(event.get("firstTimestamp") or event.get("eventTime"), now)
    last_seen = since(event["lastTimestamp"], now) if event.get("lastTimestamp") else first_seen
    count = event.get("count") or 0
    if event.get("series"):
        last_seen = since(event["series"].get("lastObservedTime"), now)
        count = event["series"].get("count") or 0
    elif not count:
        count = 1  # singleton events of the events.k8s.io API carry no count
    involved = event.get("involvedObject") or {}
    target = (involved.get("kind") or "").lower()
    if involved.get("name"):
        target = f"{target}/{involved['name']}"
    return [last_seen, event.get("type") or "", event.get("reason") or "", target,
            involved.get("fieldPath") or "", _event_source(event),
            (event.get("message") or "").strip(), first_seen, int(count), name_of(event)]


EVENT = Printer((
    Column("Last Seen", description="The time at which the most recent occurrence of this event "
           "was recorded."),
    Column("Type", description="Type of this event (Normal, Warning)."),
    Column("Reason", description="A short, machine understandable reason for the event."),
    Column("Object", description="The object that this event is about."),
    wide("Subobject", "The field of the object the event is about, e.g. a container."),
    wide("Source", "The component reporting this event."),
    Column("Message", description="A human-readable description of the status of this event."),
    wide("First Seen", "The time at which the event was first recorded."),
    wide("Count", "The number of times this event has occurred."),
    Column("Name", format="name", description=NAME_DOC, priority=1),
), _event_row)


# ---------------------------------------------------------------------------------------------
# Config and identity: ConfigMap, Secret, ServiceAccount, Lease, RBAC bindings.

CONFIG_MAP = simple((
    Column("Data", description="The number of data and binaryData keys."), AGE,
), lambda obj, now: [name_of(obj), len(obj.get("data") or {}) + len(obj.get("binaryData") or {}),
                     age_of(obj, now)])

SECRET = simple((
    Column("Type", description="Used to facilitate programmatic handling of secret data."),
    Column("Data", description="The number of data keys."),
    AGE,
), lambda obj, now: [name_of(obj), obj.get("type") or "", len(obj.get("data") or {}),
                     age_of(obj, now)])

SERVICE_ACCOUNT = simple((
    Column("Secrets", description="The number of secrets this service account may use."), AGE,
), lambda obj, now: [name_of(obj), len(obj.get("secrets") or []), age_of(obj, now)])

LEASE = simple((
    Column("Holder", description="The identity of the holder of the lease."), AGE,
), lambda obj, now: [name_of(obj), spec(obj).get("holderIdentity") or "", age_of(obj, now)])


def _binding_row(binding: Obj, now: dt.datetime) -> list[Any]:
    users, groups, service_accounts = [], [], []
    for subject in binding.get("subjects") or []:
        match subject.get("kind"):
            case "User":
                users.append(subject.get("name", ""))
            case "Group":
                groups.append(subject.get("name", ""))
            case "ServiceAccount":
                service_accounts.append(f"{subject.get('namespace', '')}/{subject.get('name', '')}")
    role_ref = binding.get("roleRef") or {}
    return [name_of(binding), f"{role_ref.get('kind', '')}/{role_ref.get('name', '')}",
            age_of(binding, now), ", ".join(users), ", ".join(groups), ", ".join(service_accounts)]


BINDING = simple((
    Column("Role", description="The role the subjects are bound to."),
    AGE,
    wide("Users", "Users in the binding"),
    wide("Groups", "Groups in the binding"),
    wide("ServiceAccounts", "ServiceAccounts in the binding"),
), _binding_row)


# ---------------------------------------------------------------------------------------------
# Quota and storage: ResourceQuota, PersistentVolume(Claim), StorageClass, PriorityClass.

def _quota_row(quota: Obj, now: dt.datetime) -> list[Any]:
    hard = status(quota).get("hard") or {}
    used = status(quota).get("used") or {}
    requests: list[str] = []
    limits: list[str] = []
    for resource in sorted(hard):
        column = limits if resource.split(".")[0] == "limits" and "." in resource else requests
        column.append(f"{resource}: {used.get(resource, '0')}/{hard[resource]}")
    return [name_of(quota), age_of(quota, now), ", ".join(requests), ", ".join(limits)]


RESOURCE_QUOTA = simple((
    AGE,
    Column("Request", description="Request represents a minimum amount of cpu/memory that a "
           "container may consume."),
    Column("Limit", description="Limits control the maximum amount of cpu/memory that a "
           "container may use independent of contention on the node."),
), _quota_row)

_ACCESS_MODES = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"),
                 ("ReadWriteOncePod", "RWOP"))
_BETA_CLASS = "volume.beta.kubernetes.io/storage-class"


def access_modes(modes: Iterable[str] | None) -> str:
    """``RWO,ROX``: abbreviated access modes in Kubernetes' fixed order."""
    present = set(modes or [])
    return ",".join(short for mode, short in _ACCESS_MODES if mode in present)


def _volume_class(obj: Obj) -> str:
    annotations = meta(obj).get("annotations") or {}
    if _BETA_CLASS in annotations:
        return str(annotations[_BETA_CLASS])
    return spec(obj).get("storageClassName") or ""


def _volume_phase(obj: Obj) -> str:
    return "Terminating" if meta(obj).get("deletionTimestamp") else status(obj).get("phase") or ""


def _pv_row(volume: Obj, now: dt.datetime) -> list[Any]:
    volume_spec = spec(volume)
    claim = volume_spec.get("claimRef")
    return [name_of(volume), (volume_spec.get("capacity") or {}).get("storage") or "0",
            access_modes(volume_spec.get("accessModes")),
            volume_spec.get("persistentVolumeReclaimPolicy") or "", _volume_phase(volume),
            f"{claim.get('namespace', '')}/{claim.get('name', '')}" if claim else "",
            _volume_class(volume), volume_spec.get("volumeAttributesClassName") or "<unset>",
            status(volume).get("reason") or "", age_of(volume, now),
            volume_spec.get("volumeMode") or "<unset>"]


PERSISTENT_VOLUME = simple((
    Column("Capacity", description="The storage capacity of the volume."),
    Column("Access Modes", description="The ways the volume can be mounted."),
    Column("Reclaim Policy",
           description="What happens to the volume when released from its claim."),
    Column("Status", description="The phase of the volume."),
    Column("Claim", description="The claim bound to this volume."),
    Column("StorageClass", description="StorageClass of the pv"),
    Column("VolumeAttributesClass", description="VolumeAttributesClass of the pv"),
    Column("Reason", description="Why the volume is in this phase."),
    AGE,
    wide("VolumeMode", "Whether the volume is a filesystem or a raw block device."),
), _pv_row)


def _pvc_row(claim: Obj, now: dt.datetime) -> list[Any]:
    claim_spec, claim_status = spec(claim), status(claim)
    capacity = modes = ""
    if claim_spec.get("volumeName"):
        capacity = (claim_status.get("capacity") or {}).get("storage") or "0"
        modes = access_modes(claim_status.get("accessModes"))
    return [name_of(claim), _volume_phase(claim), claim_spec.get("volumeName") or "", capacity,
            modes, _volume_class(claim),
            claim_spec.get("volumeAttributesClassName") or "<unset>", age_of(claim, now),
            claim_spec.get("volumeMode") or "<unset>"]


PERSISTENT_VOLUME_CLAIM = simple((
    Column("Status", description="The phase of the claim."),
    Column("Volume", description="The volume bound to this claim."),
    Column("Capacity", description="The capacity of the bound volume."),
    Column("Access Modes", description="The access modes of the bound volume."),
    Column("StorageClass", description="StorageClass of the pvc"),
    Column("VolumeAttributesClass", description="VolumeAttributesClass of the pvc"),
    AGE,
    wide("VolumeMode", "Whether the volume is a filesystem or a raw block device."),
), _pvc_row)

_DEFAULT_CLASS_ANNOTATIONS = ("storageclass.kubernetes.io/is-default-class",
                              "storageclass.beta.kubernetes.io/is-default-class")


def _storage_class_row(storage_class: Obj, now: dt.datetime) -> list[Any]:
    annotations = meta(storage_class).get("annotations") or {}
    name = name_of(storage_class)
    if any(annotations.get(key) == "true" for key in _DEFAULT_CLASS_ANNOTATIONS):
        name += " (default)"
    return [name, storage_class.get("provisioner") or "",
            storage_class.get("reclaimPolicy") or "Delete",
            storage_class.get("volumeBindingMode") or "Immediate",
            bool(storage_class.get("allowVolumeExpansion")), age_of(storage_class, now)]


STORAGE_CLASS = simple((
    Column("Provisioner", description="The provisioner of volumes of this class."),
    Column("ReclaimPolicy", description="The reclaim policy of volumes of this class."),
    Column("VolumeBindingMode", description="When volumes of this class are bound."),
    Column("AllowVolumeExpansion", description="Whether volumes of this class may grow."),
    AGE,
), _storage_class_row)

PRIORITY_CLASS = simple((
    Column("Value", type="integer", description="The priority of pods of this class."),
    Column("Global-Default", type="boolean",
           description="Whether pods without a priority class get this one."),
    AGE,
    Column("PreemptionPolicy", description="Whether pods of this class may preempt others."),
), lambda obj, now: [name_of(obj), int(obj.get("value") or 0), bool(obj.get("globalDefault")),
                     age_of(obj, now), obj.get("preemptionPolicy") or ""])
