"""Schemas of ``NodeSpec`` and ``NodeStatus``: taints, capacity, conditions, addresses, images.

The kubelet writes ``NODE_STATUS`` through the status subresource; the scheduler and the node
lifecycle controller read it. The Node kind itself is assembled in ``core``.
"""

from __future__ import annotations

from minikube_py.api.schema import (
    any_,
    array,
    boolean,
    int64,
    integer,
    map_of,
    obj,
    quantity,
    string,
    timestamp,
)

TAINT = obj(
    "io.k8s.api.core.v1.Taint",
    {
        "key": string("Key of the taint."),
        "value": string("Value of the taint."),
        "effect": string(
            "NoSchedule, PreferNoSchedule or NoExecute.",
            enum=("NoSchedule", "PreferNoSchedule", "NoExecute"),
        ),
        "timeAdded": timestamp("When a NoExecute taint was added."),
    },
    required=("key", "effect"),
    description="Keeps pods that do not tolerate it off a node.",
)

NODE_SPEC = obj(
    "io.k8s.api.core.v1.NodeSpec",
    {
        "podCIDR": string("Pod IP range of the node."),
        "podCIDRs": array(
            string(),
            "Pod IP ranges of the node, at most one per family.",
            strategy="merge",
            list_type="set",
        ),
        "providerID": string("ID of the node at its cloud provider."),
        "unschedulable": boolean("Keep new pods off the node (cordon)."),
        "taints": array(TAINT, "Taints of the node."),
        "configSource": any_(
            "Deprecated dynamic kubelet configuration; accepted but not interpreted here."
        ),
        "externalID": string("Deprecated external ID."),
    },
    description="Desired state of a node.",
)

NODE_CONDITION = obj(
    "io.k8s.api.core.v1.NodeCondition",
    {
        "type": string("Kind of condition, e.g. Ready or DiskPressure."),
        "status": string("Whether the condition holds: True, False or Unknown."),
        "lastHeartbeatTime": timestamp("When the condition was last reported by its owner."),
        "lastTransitionTime": timestamp("When the status last changed."),
        "reason": string("One-word CamelCase cause of the last transition."),
        "message": string("Human-readable details of the last transition."),
    },
    required=("type", "status"),
    description="One condition of a node.",
)

NODE_ADDRESS = obj(
    "io.k8s.api.core.v1.NodeAddress",
    {
        "type": string("Hostname, InternalIP, ExternalIP, InternalDNS or ExternalDNS."),
        "address": string("The address."),
    },
    required=("type", "address"),
    description="One address of a node.",
)

DAEMON_ENDPOINT = obj(
    "io.k8s.api.core.v1.DaemonEndpoint",
    {
        "Port": integer("Port number."),
    },
    required=("Port",),
    description="One daemon port.",
)

NODE_DAEMON_ENDPOINTS = obj(
    "io.k8s.api.core.v1.NodeDaemonEndpoints",
    {
        "kubeletEndpoint": DAEMON_ENDPOINT.describe("Port of the kubelet."),
    },
    description="Ports of daemons on a node.",
)

NODE_SWAP_STATUS = obj(
    "io.k8s.api.core.v1.NodeSwapStatus",
    {
        "capacity": int64("Total swap in bytes."),
    },
    description="Swap memory of a node.",
)

NODE_SYSTEM_INFO = obj(
    "io.k8s.api.core.v1.NodeSystemInfo",
    {
        "machineID": string("Machine ID of the node."),
        "systemUUID": string("System UUID of the node."),
        "bootID": string("ID of the current boot."),
        "kernelVersion": string("Kernel version, as from uname -r."),
        "osImage": string("OS image name, as from /etc/os-release."),
        "containerRuntimeVersion": string("Container runtime and version, e.g. docker://27.0."),
        "kubeletVersion": string("Version of the kubelet."),
        "kubeProxyVersion": string("Deprecated version of kube-proxy."),
        "operatingSystem": string("Operating system, e.g. linux."),
        "architecture": string("CPU architecture, e.g. amd64."),
        "swap": NODE_SWAP_STATUS.describe("Swap memory of the node."),
    },
    required=(
        "machineID",
        "systemUUID",
        "bootID",
        "kernelVersion",
        "osImage",
        "containerRuntimeVersion",
        "kubeletVersion",
        "kubeProxyVersion",
        "operatingSystem",
        "architecture",
    ),
    description="Identity and versions reported by a node.",
)

CONTAINER_IMAGE = obj(
    "io.k8s.api.core.v1.ContainerImage",
    {
        "names": array(string(), "Names the image is known by."),
        "sizeBytes": int64("Size of the image in bytes."),
    },
    description="An image present on a node.",
)

ATTACHED_VOLUME = obj(
    "io.k8s.api.core.v1.AttachedVolume",
    {
        "name": string("Name of the volume."),
        "devicePath": string("Device path where the volume is available."),
    },
    required=("name", "devicePath"),
    description="A volume attached to a node.",
)

NODE_RUNTIME_HANDLER_FEATURES = obj(
    "io.k8s.api.core.v1.NodeRuntimeHandlerFeatures",
    {
        "recursiveReadOnlyMounts": boolean("Supports recursive read-only mounts."),
        "userNamespaces": boolean("Supports user namespaces."),
    },
    description="Features of a runtime handler.",
)

NODE_RUNTIME_HANDLER = obj(
    "io.k8s.api.core.v1.NodeRuntimeHandler",
    {
        "name": string("Name of the handler; empty for the default."),
        "features": NODE_RUNTIME_HANDLER_FEATURES.describe("Features of the handler."),
    },
    description="A runtime handler of a node.",
)

NODE_FEATURES = obj(
    "io.k8s.api.core.v1.NodeFeatures",
    {
        "supplementalGroupsPolicy": boolean("Supports supplementalGroupsPolicy."),
    },
    description="Features of a node's container runtime.",
)

NODE_STATUS = obj(
    "io.k8s.api.core.v1.NodeStatus",
    {
        "capacity": map_of(quantity(), "Total resources of the node."),
        "allocatable": map_of(quantity(), "Resources available to pods."),
        "phase": string(
            "Deprecated lifecycle phase of the node.", enum=("Pending", "Running", "Terminated")
        ),
        "conditions": array(
            NODE_CONDITION,
            "Conditions of the node, e.g. Ready and MemoryPressure.",
            merge_key="type",
        ),
        "addresses": array(NODE_ADDRESS, "Addresses of the node.", merge_key="type"),
        "daemonEndpoints": NODE_DAEMON_ENDPOINTS.describe("Ports of daemons on the node."),
        "nodeInfo": NODE_SYSTEM_INFO.describe("Identity and versions of the node."),
        "images": array(CONTAINER_IMAGE, "Container images present on the node."),
        "volumesInUse": array(string(), "Attachable volumes mounted on the node."),
        "volumesAttached": array(ATTACHED_VOLUME, "Volumes attached to the node."),
        "config": any_(
            "Deprecated dynamic kubelet configuration status; accepted but not interpreted here."
        ),
        "runtimeHandlers": array(NODE_RUNTIME_HANDLER, "Runtime handlers the node offers."),
        "features": NODE_FEATURES.describe("Features of the node's container runtime."),
        "declaredFeatures": array(string(), "Feature gates the node declares, for scheduling."),
    },
    description="Observed state of a node, written by the kubelet and node controller.",
)
