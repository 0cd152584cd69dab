"""Schema of apiregistration.k8s.io/v1 APIService: a group-version the apiserver serves
itself (``Local``) or forwards to a Service (aggregation)."""

from __future__ import annotations

from minikube_py.api.schema import array, boolean, integer, obj, string, timestamp
from minikube_py.api.schemas.meta import kind

_PREFIX = "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1"

API_SERVICE_SPEC = obj(
    f"{_PREFIX}.APIServiceSpec",
    {
        "service": obj(f"{_PREFIX}.ServiceReference", {
            "namespace": string("Namespace of the Service."),
            "name": string("Name of the Service."),
            "port": integer("Port of the Service (default 443)."),
        }, description="A Service that serves the group-version.").describe(
            "The Service serving this group-version; unset for a local one."),
        "group": string("API group name this server hosts."),
        "version": string("API version this server hosts, e.g. v1."),
        "insecureSkipTLSVerify": boolean("Skip verifying the server's certificate (unsafe)."),
        "caBundle": string("PEM CA bundle that verifies the server's certificate.",
                           format="byte"),
        "groupPriorityMinimum": integer("Priority of the group, at least this (1-20000)."),
        "versionPriority": integer("Order of this version within its group (1-1000)."),
    },
    required=("groupPriorityMinimum", "versionPriority"),
    description="Where and how a group-version is served.",
)

API_SERVICE_CONDITION = obj(
    f"{_PREFIX}.APIServiceCondition",
    {
        "type": string("Type of the condition: Available."),
        "status": string("True, False or Unknown."),
        "lastTransitionTime": timestamp("When the condition last changed status."),
        "reason": string("CamelCase reason for the last transition."),
        "message": string("Human-readable details of the last transition."),
    },
    required=("type", "status"),
    description="A condition of an APIService.",
)

API_SERVICE = kind(
    f"{_PREFIX}.APIService",
    {
        "spec": API_SERVICE_SPEC.describe("Where the group-version is served."),
        "status": obj(f"{_PREFIX}.APIServiceStatus", {
            "conditions": array(API_SERVICE_CONDITION, "Current conditions.",
                                merge_key="type", map_keys=("type",)),
        }, description="Observed state of an APIService.").describe("Observed state."),
    },
    description="A server for one API group-version.",
)
