"""Schemas of the core/v1 kinds: Namespace, Pod, Service, Endpoints, Node, ConfigMap, Secret,
Event, ServiceAccount, ResourceQuota, LimitRange, PersistentVolume(Claim), ReplicationController
and the pods/binding Binding.

The parts live in ``core_pod``, ``core_container``, ``core_volume``, ``core_node`` and
``core_storage`` (PersistentVolume, PersistentVolumeClaim); this
module assembles the kinds the API server registers and re-exports the parts others reuse.
"""

from __future__ import annotations

from minikube_py.api.schema import (
    array,
    boolean,
    int64,
    int_or_string,
    integer,
    map_of,
    obj,
    quantity,
    string,
    string_map,
    timestamp,
)

# The pod's parts live in sibling modules; they are re-exported so that ``core`` names them all.
from minikube_py.api.schemas.core_container import CONTAINER as CONTAINER
from minikube_py.api.schemas.core_container import ENV_VAR as ENV_VAR
from minikube_py.api.schemas.core_container import EPHEMERAL_CONTAINER as EPHEMERAL_CONTAINER
from minikube_py.api.schemas.core_container import PROBE as PROBE
from minikube_py.api.schemas.core_container import RESOURCE_REQUIREMENTS as RESOURCE_REQUIREMENTS
from minikube_py.api.schemas.core_container import VOLUME_MOUNT as VOLUME_MOUNT
from minikube_py.api.schemas.core_node import NODE_SPEC, NODE_STATUS
from minikube_py.api.schemas.core_node import TAINT as TAINT
from minikube_py.api.schemas.core_pod import AFFINITY as AFFINITY
from minikube_py.api.schemas.core_pod import CONTAINER_STATUS as CONTAINER_STATUS
from minikube_py.api.schemas.core_pod import POD_SPEC, POD_STATUS, POD_TEMPLATE_SPEC
from minikube_py.api.schemas.core_pod import TOLERATION as TOLERATION
from minikube_py.api.schemas.core_storage import PERSISTENT_VOLUME as PERSISTENT_VOLUME
from minikube_py.api.schemas.core_storage import (
    PERSISTENT_VOLUME_CLAIM as PERSISTENT_VOLUME_CLAIM,
)
from minikube_py.api.schemas.core_volume import (
    LOCAL_OBJECT_REFERENCE,
)
from minikube_py.api.schemas.core_volume import VOLUME as VOLUME
from minikube_py.api.schemas.meta import CONDITION, OBJECT_REFERENCE, kind

NAMESPACE_SPEC = obj(
    "io.k8s.api.core.v1.NamespaceSpec",
    {
        "finalizers": array(
            string(), "Values that must be removed before the namespace is deleted."
        ),
    },
    description="Desired state of a namespace.",
)

NAMESPACE_CONDITION = obj(
    "io.k8s.api.core.v1.NamespaceCondition",
    {
        "type": string("Kind of condition."),
        "status": string("Whether the condition holds: True, False or Unknown."),
        "lastTransitionTime": timestamp("When the status last changed."),
        "reason": string("One-word CamelCase cause of the last transition."),
        "message": string("Human-readable details of the last transition."),
    },
    required=("type", "status"),
    description="One condition of a namespace.",
)

NAMESPACE_STATUS = obj(
    "io.k8s.api.core.v1.NamespaceStatus",
    {
        "phase": string("Active or Terminating.", enum=("Active", "Terminating")),
        "conditions": array(NAMESPACE_CONDITION, "Conditions of the namespace.", merge_key="type"),
    },
    description="Observed state of a namespace.",
)

NAMESPACE = kind(
    "io.k8s.api.core.v1.Namespace",
    {
        "spec": NAMESPACE_SPEC.describe("Desired state of the Namespace."),
        "status": NAMESPACE_STATUS.describe(
            "Observed state of the Namespace, written by the system."
        ),
    },
    description="A scope for names; most objects live in one.",
)

POD = kind(
    "io.k8s.api.core.v1.Pod",
    {
        "spec": POD_SPEC.describe("Desired state of the Pod."),
        "status": POD_STATUS.describe("Observed state of the Pod, written by the system."),
    },
    description="Containers that share network and storage and run together on one node.",
)

SERVICE_PORT = obj(
    "io.k8s.api.core.v1.ServicePort",
    {
        "name": string("Name of the port, required when there are several."),
        "protocol": string("TCP, UDP or SCTP.", enum=("TCP", "UDP", "SCTP")),
        "appProtocol": string("Application protocol, e.g. http or kubernetes.io/h2c."),
        "port": integer("Port the Service exposes."),
        "targetPort": int_or_string("Port number or name on the pods; defaults to port."),
        "nodePort": integer("Port on every node for NodePort and LoadBalancer Services."),
    },
    required=("port",),
    description="One port of a Service.",
)

CLIENT_IP_CONFIG = obj(
    "io.k8s.api.core.v1.ClientIPConfig",
    {
        "timeoutSeconds": integer("How long a client stays with its pod; defaults to 10800."),
    },
    description="ClientIP session affinity settings.",
)

SESSION_AFFINITY_CONFIG = obj(
    "io.k8s.api.core.v1.SessionAffinityConfig",
    {
        "clientIP": CLIENT_IP_CONFIG.describe("Settings of ClientIP affinity."),
    },
    description="Session affinity settings.",
)

SERVICE_SPEC = obj(
    "io.k8s.api.core.v1.ServiceSpec",
    {
        "ports": array(
            SERVICE_PORT,
            "Ports the Service exposes.",
            merge_key="port",
            map_keys=("port", "protocol"),
        ),
        "selector": string_map("Labels of the pods that receive the Service's traffic."),
        "clusterIP": string("Virtual IP of the Service; None for a headless Service."),
        "clusterIPs": array(string(), "Virtual IPs of the Service, at most one per family."),
        "type": string(
            "ClusterIP, NodePort, LoadBalancer or ExternalName.",
            enum=("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"),
        ),
        "externalIPs": array(string(), "Extra IPs for which nodes accept the Service's traffic."),
        "sessionAffinity": string(
            "ClientIP to send a client to the same pod, or None.", enum=("ClientIP", "None")
        ),
        "loadBalancerIP": string("Deprecated: IP requested from the load balancer."),
        "loadBalancerSourceRanges": array(
            string(), "Client CIDRs allowed through the load balancer."
        ),
        "externalName": string("DNS name an ExternalName Service aliases."),
        "externalTrafficPolicy": string(
            "Whether external traffic may leave the node: Cluster or Local.",
            enum=("Cluster", "Local"),
        ),
        "healthCheckNodePort": integer(
            "Node port for load balancer health checks with the Local policy."
        ),
        "publishNotReadyAddresses": boolean("Publish addresses of pods that are not ready."),
        "sessionAffinityConfig": SESSION_AFFINITY_CONFIG.describe("Settings of session affinity."),
        "ipFamilies": array(
            string(enum=("IPv4", "IPv6", "")), "IP families of the Service: IPv4, IPv6."
        ),
        "ipFamilyPolicy": string(
            "SingleStack, PreferDualStack or RequireDualStack.",
            enum=("SingleStack", "PreferDualStack", "RequireDualStack"),
        ),
        "allocateLoadBalancerNodePorts": boolean("Whether a LoadBalancer Service gets node ports."),
        "loadBalancerClass": string("Load balancer implementation to use."),
        "internalTrafficPolicy": string(
            "Whether cluster traffic may leave the node: Cluster or Local.",
            enum=("Cluster", "Local"),
        ),
        "trafficDistribution": string("Preference for routing traffic, e.g. PreferClose."),
    },
    description="Desired state of a Service.",
)

PORT_STATUS = obj(
    "io.k8s.api.core.v1.PortStatus",
    {
        "port": integer("Port number."),
        "protocol": string("TCP, UDP or SCTP.", enum=("TCP", "UDP", "SCTP")),
        "error": string("Problem with the port, as a CamelCase reason."),
    },
    required=("port", "protocol"),
    description="Error state of one Service port.",
)

LOAD_BALANCER_INGRESS = obj(
    "io.k8s.api.core.v1.LoadBalancerIngress",
    {
        "ip": string("IP address of the entry point."),
        "hostname": string("DNS name of the entry point."),
        "ipMode": string("How the IP is handled: VIP or Proxy."),
        "ports": array(PORT_STATUS, "Status of each Service port."),
    },
    description="One entry point of a load balancer.",
)

LOAD_BALANCER_STATUS = obj(
    "io.k8s.api.core.v1.LoadBalancerStatus",
    {
        "ingress": array(LOAD_BALANCER_INGRESS, "Entry points of the load balancer."),
    },
    description="Status of a load balancer.",
)

SERVICE_STATUS = obj(
    "io.k8s.api.core.v1.ServiceStatus",
    {
        "loadBalancer": LOAD_BALANCER_STATUS.describe("Status of the load balancer, if any."),
        "conditions": array(CONDITION, "Conditions of the Service.", merge_key="type"),
    },
    description="Observed state of a Service.",
)

SERVICE = kind(
    "io.k8s.api.core.v1.Service",
    {
        "spec": SERVICE_SPEC.describe("Desired state of the Service."),
        "status": SERVICE_STATUS.describe("Observed state of the Service, written by the system."),
    },
    description="A stable virtual IP and DNS name in front of a set of pods.",
)

ENDPOINT_ADDRESS = obj(
    "io.k8s.api.core.v1.EndpointAddress",
    {
        "ip": string("IP address."),
        "hostname": string("Host name of the endpoint."),
        "nodeName": string("Node hosting the endpoint."),
        "targetRef": OBJECT_REFERENCE.describe("Object that provides the endpoint, usually a pod."),
    },
    required=("ip",),
    description="One endpoint address.",
)

ENDPOINT_PORT = obj(
    "io.k8s.api.core.v1.EndpointPort",
    {
        "name": string("Name of the port, as in the Service."),
        "port": integer("Port number."),
        "protocol": string("TCP, UDP or SCTP.", enum=("TCP", "UDP", "SCTP")),
        "appProtocol": string("Application protocol of the port."),
    },
    required=("port",),
    description="One endpoint port.",
)

ENDPOINT_SUBSET = obj(
    "io.k8s.api.core.v1.EndpointSubset",
    {
        "addresses": array(ENDPOINT_ADDRESS, "Ready addresses."),
        "notReadyAddresses": array(ENDPOINT_ADDRESS, "Addresses of endpoints that are not ready."),
        "ports": array(ENDPOINT_PORT, "Ports of the addresses."),
    },
    description="Addresses that share a set of ports.",
)

ENDPOINTS = kind(
    "io.k8s.api.core.v1.Endpoints",
    {
        "subsets": array(ENDPOINT_SUBSET, "Groups of addresses that share the same ports."),
    },
    description="Addresses and ports that implement a Service (legacy form of EndpointSlices).",
)

NODE = kind(
    "io.k8s.api.core.v1.Node",
    {
        "spec": NODE_SPEC.describe("Desired state of the Node."),
        "status": NODE_STATUS.describe("Observed state of the Node, written by the system."),
    },
    description="A worker machine that runs pods.",
)

CONFIG_MAP = kind(
    "io.k8s.api.core.v1.ConfigMap",
    {
        "immutable": boolean("When true, data can no longer be changed."),
        "data": string_map("Text values by key."),
        "binaryData": map_of(string(format="byte"), "Binary values by key, base64-encoded."),
    },
    description="Configuration data for pods to read.",
)

SECRET = kind(
    "io.k8s.api.core.v1.Secret",
    {
        "immutable": boolean("When true, data can no longer be changed."),
        "data": map_of(string(format="byte"), "Values by key, base64-encoded."),
        "stringData": string_map("Write-only plain-text values, merged into data on write."),
        "type": string("Kind of secret, e.g. Opaque or kubernetes.io/tls."),
    },
    description="Sensitive data for pods to read.",
)

EVENT_SOURCE = obj(
    "io.k8s.api.core.v1.EventSource",
    {
        "component": string("Component name."),
        "host": string("Node name."),
    },
    description="The component that reported an event.",
)

EVENT_SERIES = obj(
    "io.k8s.api.core.v1.EventSeries",
    {
        "count": integer("Occurrences so far."),
        "lastObservedTime": timestamp("Time of the last occurrence."),
    },
    description="Repeated occurrences of an event.",
)

EVENT = kind(
    "io.k8s.api.core.v1.Event",
    {
        "involvedObject": OBJECT_REFERENCE.describe("The object the event is about."),
        "reason": string("Short machine-readable reason, e.g. Scheduled."),
        "message": string("Human-readable description."),
        "source": EVENT_SOURCE.describe("Component and host that reported the event."),
        "firstTimestamp": timestamp("When the event was first recorded."),
        "lastTimestamp": timestamp("When the event was last recorded."),
        "count": integer("How many times the event happened."),
        "type": string("Normal or Warning."),
        "eventTime": timestamp("When the event was first observed, with microseconds."),
        "series": EVENT_SERIES.describe("Details of a repeating event."),
        "action": string("What was done, or failed, about the object."),
        "related": OBJECT_REFERENCE.describe("A second object involved."),
        "reportingComponent": string("Name of the reporting controller, e.g. kubelet."),
        "reportingInstance": string("Instance of the reporting controller, e.g. a node name."),
    },
    required=("metadata", "involvedObject"),
    description="A report of something that happened to an object.",
)

SERVICE_ACCOUNT = kind(
    "io.k8s.api.core.v1.ServiceAccount",
    {
        "secrets": array(
            OBJECT_REFERENCE,
            "Secrets that pods of this account may use (legacy tokens).",
            merge_key="name",
        ),
        "imagePullSecrets": array(
            LOCAL_OBJECT_REFERENCE, "Registry credentials added to pods of this account."
        ),
        "automountServiceAccountToken": boolean(
            "Whether pods of this account mount a token by default."
        ),
    },
    description="An identity for processes that run in pods.",
)

SCOPED_RESOURCE_SELECTOR_REQUIREMENT = obj(
    "io.k8s.api.core.v1.ScopedResourceSelectorRequirement",
    {
        "scopeName": string(
            "Scope the requirement is about.",
            enum=(
                "Terminating",
                "NotTerminating",
                "BestEffort",
                "NotBestEffort",
                "PriorityClass",
                "CrossNamespacePodAffinity",
                "VolumeAttributesClass",
            ),
        ),
        "operator": string(
            "In, NotIn, Exists or DoesNotExist.", enum=("In", "NotIn", "Exists", "DoesNotExist")
        ),
        "values": array(string(), "Values to compare with."),
    },
    required=("scopeName", "operator"),
    description="One requirement on a quota scope.",
)

SCOPE_SELECTOR = obj(
    "io.k8s.api.core.v1.ScopeSelector",
    {
        "matchExpressions": array(SCOPED_RESOURCE_SELECTOR_REQUIREMENT, "The requirements."),
    },
    description="Scope requirements, ANDed.",
)

RESOURCE_QUOTA_SPEC = obj(
    "io.k8s.api.core.v1.ResourceQuotaSpec",
    {
        "hard": map_of(quantity(), "Most of each resource the namespace may use."),
        "scopes": array(
            string(
                enum=(
                    "Terminating",
                    "NotTerminating",
                    "BestEffort",
                    "NotBestEffort",
                    "PriorityClass",
                    "CrossNamespacePodAffinity",
                    "VolumeAttributesClass",
                )
            ),
            "Scopes an object must match to be counted.",
        ),
        "scopeSelector": SCOPE_SELECTOR.describe(
            "Scope expressions an object must match to be counted."
        ),
    },
    description="Desired limits of a quota.",
)

RESOURCE_QUOTA_STATUS = obj(
    "io.k8s.api.core.v1.ResourceQuotaStatus",
    {
        "hard": map_of(quantity(), "Limits being enforced."),
        "used": map_of(quantity(), "Current use in the namespace."),
    },
    description="Enforced limits and current use of a quota.",
)

RESOURCE_QUOTA = kind(
    "io.k8s.api.core.v1.ResourceQuota",
    {
        "spec": RESOURCE_QUOTA_SPEC.describe("Desired state of the ResourceQuota."),
        "status": RESOURCE_QUOTA_STATUS.describe(
            "Observed state of the ResourceQuota, written by the system."
        ),
    },
    description="Limits on the total resources used in a namespace.",
)

LIMIT_RANGE_ITEM = obj(
    "io.k8s.api.core.v1.LimitRangeItem",
    {
        "type": string("Pod, Container or PersistentVolumeClaim."),
        "max": map_of(quantity(), "Most of each resource an object may use."),
        "min": map_of(quantity(), "Least of each resource an object must request."),
        "default": map_of(quantity(), "Limits given to containers that set none."),
        "defaultRequest": map_of(quantity(), "Requests given to containers that set none."),
        "maxLimitRequestRatio": map_of(quantity(), "Largest allowed limit to request ratio."),
    },
    required=("type",),
    description="Limits for one kind of object.",
)

LIMIT_RANGE_SPEC = obj(
    "io.k8s.api.core.v1.LimitRangeSpec",
    {
        "limits": array(LIMIT_RANGE_ITEM, "One item per kind of object."),
    },
    required=("limits",),
    description="Limits of a LimitRange.",
)

LIMIT_RANGE = kind(
    "io.k8s.api.core.v1.LimitRange",
    {
        "spec": LIMIT_RANGE_SPEC.describe("Desired state of the LimitRange."),
    },
    description="Per-object resource defaults and bounds in a namespace.",
)


REPLICATION_CONTROLLER_SPEC = obj(
    "io.k8s.api.core.v1.ReplicationControllerSpec",
    {
        "replicas": integer("Number of pods wanted; defaults to 1."),
        "minReadySeconds": integer(
            "Seconds a new pod must be ready before it counts as available."
        ),
        "selector": string_map("Labels of the pods to count; defaults to the template's labels."),
        "template": POD_TEMPLATE_SPEC.describe("Template of the pods to create."),
    },
    description="Desired state of a replication controller.",
)

REPLICATION_CONTROLLER_CONDITION = obj(
    "io.k8s.api.core.v1.ReplicationControllerCondition",
    {
        "type": string("Kind of condition."),
        "status": string("Whether the condition holds: True, False or Unknown."),
        "lastTransitionTime": timestamp("When the status last changed."),
        "reason": string("One-word CamelCase cause of the last transition."),
        "message": string("Human-readable details of the last transition."),
    },
    required=("type", "status"),
    description="One condition of a replication controller.",
)

REPLICATION_CONTROLLER_STATUS = obj(
    "io.k8s.api.core.v1.ReplicationControllerStatus",
    {
        "replicas": integer("Number of pods counted."),
        "fullyLabeledReplicas": integer("Pods whose labels match the template's labels."),
        "readyReplicas": integer("Pods that are ready."),
        "availableReplicas": integer("Pods ready for at least minReadySeconds."),
        "observedGeneration": int64("The metadata.generation that this status was computed from."),
        "conditions": array(
            REPLICATION_CONTROLLER_CONDITION, "Conditions of the controller.", merge_key="type"
        ),
    },
    required=("replicas",),
    description="Observed state of a replication controller.",
)

REPLICATION_CONTROLLER = kind(
    "io.k8s.api.core.v1.ReplicationController",
    {
        "spec": REPLICATION_CONTROLLER_SPEC.describe("Desired state of the ReplicationController."),
        "status": REPLICATION_CONTROLLER_STATUS.describe(
            "Observed state of the ReplicationController, written by the system."
        ),
    },
    description="Keeps a number of pod replicas running (legacy form of ReplicaSet).",
)

BINDING = kind(
    "io.k8s.api.core.v1.Binding",
    {
        "target": OBJECT_REFERENCE.describe("The object to bind to, e.g. a Node."),
    },
    required=("target",),
    description="Binds an object to another, e.g. a pod to a node (pods/binding).",
)
