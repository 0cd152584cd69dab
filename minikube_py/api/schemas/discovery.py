"""Schema of discovery.k8s.io/v1 EndpointSlice: the endpoints of a Service in slices of at
most 100, written by the EndpointSlice controller (``controllers/endpointslice.py``) and read
by the proxier."""

from __future__ import annotations

from minikube_py.api.schema import array, boolean, integer, obj, string, string_map
from minikube_py.api.schemas.meta import OBJECT_REFERENCE, kind

ENDPOINT_CONDITIONS = obj(
    "io.k8s.api.discovery.v1.EndpointConditions",
    {
        "ready": boolean("Whether the endpoint is ready for traffic (false while terminating)."),
        "serving": boolean("Whether the endpoint is ready, regardless of terminating."),
        "terminating": boolean("Whether the endpoint is terminating."),
    },
    description="The state of one endpoint.",
)

FOR_ZONE = obj("io.k8s.api.discovery.v1.ForZone", {"name": string("Name of the zone.")},
               required=("name",), description="A zone a hint names.")

ENDPOINT_HINTS = obj(
    "io.k8s.api.discovery.v1.EndpointHints",
    {"forZones": array(FOR_ZONE, "Zones this endpoint should serve.")},
    description="Topology hints of an endpoint.",
)

ENDPOINT = obj(
    "io.k8s.api.discovery.v1.Endpoint",
    {
        "addresses": array(string(), "Addresses of the endpoint (one, in practice)."),
        "conditions": ENDPOINT_CONDITIONS.describe("State of the endpoint."),
        "hostname": string("Host name of the endpoint."),
        "targetRef": OBJECT_REFERENCE.describe("Object that provides the endpoint, usually a pod."),
        "deprecatedTopology": string_map("Deprecated topology labels."),
        "nodeName": string("Node hosting the endpoint."),
        "zone": string("Zone of the endpoint."),
        "hints": ENDPOINT_HINTS.describe("Topology hints."),
    },
    required=("addresses",),
    description="One endpoint of a Service.",
)

ENDPOINT_PORT = obj(
    "io.k8s.api.discovery.v1.EndpointPort",
    {
        "name": string("Name of the port, as in the Service."),
        "protocol": string("TCP, UDP or SCTP.", enum=("TCP", "UDP", "SCTP")),
        "port": integer("Port number of the endpoints."),
        "appProtocol": string("Application protocol of the port."),
    },
    description="A port every endpoint of the slice serves.",
)

ENDPOINT_SLICE = kind(
    "io.k8s.api.discovery.v1.EndpointSlice",
    {
        "addressType": string("IPv4, IPv6 or FQDN.", enum=("IPv4", "IPv6", "FQDN")),
        "endpoints": array(ENDPOINT, "The endpoints of this slice."),
        "ports": array(ENDPOINT_PORT, "The ports every endpoint serves."),
    },
    required=("addressType",),
    description="A subset of the endpoints that implement a Service.",
)
