"""Schemas of networking.k8s.io/v1: Ingress, IngressClass and NetworkPolicy."""

from __future__ import annotations

from minikube_py.api.schema import array, int_or_string, integer, obj, string
from minikube_py.api.schemas.core import PORT_STATUS
from minikube_py.api.schemas.core_volume import TYPED_LOCAL_OBJECT_REFERENCE
from minikube_py.api.schemas.meta import LABEL_SELECTOR, kind

SERVICE_BACKEND_PORT = obj(
    "io.k8s.api.networking.v1.ServiceBackendPort",
    {
        "name": string("Name of the port on the Service (exclusive with number)."),
        "number": integer("Numerical port number on the Service (exclusive with name)."),
    },
    description="The Service port a backend refers to.",
)

INGRESS_SERVICE_BACKEND = obj(
    "io.k8s.api.networking.v1.IngressServiceBackend",
    {
        "name": string("Name of the referenced Service, in the Ingress's namespace."),
        "port": SERVICE_BACKEND_PORT.describe("Port of the referenced Service."),
    },
    required=("name",),
    description="A Service as a backend.",
)

INGRESS_BACKEND = obj(
    "io.k8s.api.networking.v1.IngressBackend",
    {
        "service": INGRESS_SERVICE_BACKEND.describe("A Service backend (exclusive with resource)."),
        "resource": TYPED_LOCAL_OBJECT_REFERENCE.describe(
            "An object of the Ingress's namespace as a backend (exclusive with service)."),
    },
    description="Where matching requests are sent.",
)

HTTP_INGRESS_PATH = obj(
    "io.k8s.api.networking.v1.HTTPIngressPath",
    {
        "path": string("Matched against the path of an incoming request."),
        "pathType": string("How path is matched: Exact, Prefix or ImplementationSpecific.",
                           enum=("Exact", "ImplementationSpecific", "Prefix")),
        "backend": INGRESS_BACKEND.describe("Where traffic matching this path goes."),
    },
    required=("pathType", "backend"),
    description="A path and the backend it routes to.",
)

HTTP_INGRESS_RULE_VALUE = obj(
    "io.k8s.api.networking.v1.HTTPIngressRuleValue",
    {"paths": array(HTTP_INGRESS_PATH, "Paths mapped to backends.")},
    required=("paths",),
    description="HTTP paths of a rule.",
)

INGRESS_RULE = obj(
    "io.k8s.api.networking.v1.IngressRule",
    {
        "host": string("A precise (foo.bar.com) or wildcard (*.foo.com) host name."),
        "http": HTTP_INGRESS_RULE_VALUE.describe("HTTP routing of this host."),
    },
    description="Routing of one host.",
)

INGRESS_TLS = obj(
    "io.k8s.api.networking.v1.IngressTLS",
    {
        "hosts": array(string(), "Hosts in the TLS certificate.", list_type="atomic"),
        "secretName": string("Secret holding the certificate and key."),
    },
    description="TLS of some hosts.",
)

INGRESS_SPEC = obj(
    "io.k8s.api.networking.v1.IngressSpec",
    {
        "ingressClassName": string("Name of the IngressClass of this Ingress."),
        "defaultBackend": INGRESS_BACKEND.describe("Backend of requests no rule matches."),
        "tls": array(INGRESS_TLS, "TLS configuration.", list_type="atomic"),
        "rules": array(INGRESS_RULE, "Host rules.", list_type="atomic"),
    },
    description="The Ingress the user wishes to exist.",
)

INGRESS_PORT_STATUS = obj(
    "io.k8s.api.networking.v1.IngressPortStatus",
    dict(PORT_STATUS.fields),
    required=("port", "protocol"),
    description="Error state of one Ingress port.",
)

INGRESS_LOAD_BALANCER_INGRESS = obj(
    "io.k8s.api.networking.v1.IngressLoadBalancerIngress",
    {
        "ip": string("IP address of the entry point."),
        "hostname": string("DNS name of the entry point."),
        "ports": array(INGRESS_PORT_STATUS, "Status of each port.", list_type="atomic"),
    },
    description="One entry point of the Ingress's load balancer.",
)

INGRESS_STATUS = obj(
    "io.k8s.api.networking.v1.IngressStatus",
    {
        "loadBalancer": obj(
            "io.k8s.api.networking.v1.IngressLoadBalancerStatus",
            {"ingress": array(INGRESS_LOAD_BALANCER_INGRESS, "Entry points.",
                              list_type="atomic")},
            description="The load balancer's status."),
    },
    description="The current state of the Ingress.",
)

INGRESS = kind(
    "io.k8s.api.networking.v1.Ingress",
    {"spec": INGRESS_SPEC.describe("Desired state of the Ingress."),
     "status": INGRESS_STATUS.describe("Current state of the Ingress.")},
    description="Rules that route outside traffic to Services of the cluster.",
)

INGRESS_CLASS_PARAMETERS = obj(
    "io.k8s.api.networking.v1.IngressClassParametersReference",
    {
        "apiGroup": string("Group of the referenced object."),
        "kind": string("Kind of the referenced object."),
        "name": string("Name of the referenced object."),
        "scope": string("Cluster or Namespace."),
        "namespace": string("Namespace of the object, when scope is Namespace."),
    },
    required=("kind", "name"),
    description="An object holding the controller's configuration.",
)

INGRESS_CLASS = kind(
    "io.k8s.api.networking.v1.IngressClass",
    {"spec": obj(
        "io.k8s.api.networking.v1.IngressClassSpec",
        {"controller": string("The controller of this class, e.g. example.com/ingress."),
         "parameters": INGRESS_CLASS_PARAMETERS.describe("Controller configuration.")},
        description="The class of an Ingress.").describe("Spec of the class.")},
    description="A class of Ingresses and the controller implementing it.",
)

IP_BLOCK = obj(
    "io.k8s.api.networking.v1.IPBlock",
    {"cidr": string("A CIDR, e.g. 192.168.1.0/24."),
     "except": array(string(), "CIDRs inside cidr that are left out.", list_type="atomic")},
    required=("cidr",),
    description="A range of addresses.",
)

NETWORK_POLICY_PEER = obj(
    "io.k8s.api.networking.v1.NetworkPolicyPeer",
    {"podSelector": LABEL_SELECTOR.describe("Pods selected."),
     "namespaceSelector": LABEL_SELECTOR.describe("Namespaces selected."),
     "ipBlock": IP_BLOCK.describe("Addresses selected.")},
    description="Peers a rule allows.",
)

NETWORK_POLICY_PORT = obj(
    "io.k8s.api.networking.v1.NetworkPolicyPort",
    {"protocol": string("TCP, UDP or SCTP (default TCP).", enum=("SCTP", "TCP", "UDP")),
     "port": int_or_string("Port number or name."),
     "endPort": integer("The last port of a range starting at port.")},
    description="A port a rule allows.",
)

NETWORK_POLICY_SPEC = obj(
    "io.k8s.api.networking.v1.NetworkPolicySpec",
    {
        "podSelector": LABEL_SELECTOR.describe("Pods this policy applies to."),
        "ingress": array(obj("io.k8s.api.networking.v1.NetworkPolicyIngressRule", {
            "ports": array(NETWORK_POLICY_PORT, "Ports allowed.", list_type="atomic"),
            "from": array(NETWORK_POLICY_PEER, "Sources allowed.", list_type="atomic"),
        }, description="Traffic allowed in."), "Ingress rules.", list_type="atomic"),
        "egress": array(obj("io.k8s.api.networking.v1.NetworkPolicyEgressRule", {
            "ports": array(NETWORK_POLICY_PORT, "Ports allowed.", list_type="atomic"),
            "to": array(NETWORK_POLICY_PEER, "Destinations allowed.", list_type="atomic"),
        }, description="Traffic allowed out."), "Egress rules.", list_type="atomic"),
        "policyTypes": array(string(enum=("Egress", "Ingress")),
                             "Ingress, Egress or both.", list_type="atomic"),
    },
    description="The traffic a policy allows.",
)

NETWORK_POLICY = kind(
    "io.k8s.api.networking.v1.NetworkPolicy",
    {"spec": NETWORK_POLICY_SPEC.describe("Desired behaviour of the policy.")},
    description="The traffic allowed for a set of pods.",
)

