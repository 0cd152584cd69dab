"""Schemas of ``PodSpec``, ``PodStatus`` and ``PodTemplateSpec``, with scheduling and status parts.

``POD_TEMPLATE_SPEC`` is what every workload kind (ReplicaSet, Deployment, StatefulSet,
DaemonSet, Job) embeds; ``POD_SPEC``/``POD_STATUS`` make up the Pod kind in ``core``.
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
    string_map,
    timestamp,
)
from minikube_py.api.schemas.core_container import (
    APP_ARMOR_PROFILE,
    CONTAINER,
    EPHEMERAL_CONTAINER,
    RESOURCE_REQUIREMENTS,
    SE_LINUX_OPTIONS,
    SECCOMP_PROFILE,
    SIGNALS,
    WINDOWS_SECURITY_CONTEXT_OPTIONS,
)
from minikube_py.api.schemas.core_volume import LOCAL_OBJECT_REFERENCE, VOLUME
from minikube_py.api.schemas.meta import LABEL_SELECTOR, OBJECT_META

SYSCTL = obj(
    "io.k8s.api.core.v1.Sysctl",
    {
        "name": string("Name of the parameter."),
        "value": string("Value of the parameter."),
    },
    required=("name", "value"),
    description="One kernel parameter.",
)

POD_SECURITY_CONTEXT = obj(
    "io.k8s.api.core.v1.PodSecurityContext",
    {
        "seLinuxOptions": SE_LINUX_OPTIONS.describe("SELinux context for all containers."),
        "windowsOptions": WINDOWS_SECURITY_CONTEXT_OPTIONS.describe(
            "Windows-specific options for all containers."
        ),
        "runAsUser": int64("UID the containers' entrypoints run as."),
        "runAsGroup": int64("GID the containers' entrypoints run as."),
        "runAsNonRoot": boolean("Refuse to start containers that would run as root."),
        "supplementalGroups": array(
            int64(), "Extra groups for the first process of every container."
        ),
        "supplementalGroupsPolicy": string(
            "Merge with or ignore the image's groups: Merge or Strict.", enum=("Merge", "Strict")
        ),
        "fsGroup": int64("Group that owns the pod's volumes and is added to every container."),
        "sysctls": array(SYSCTL, "Namespaced kernel parameters for the pod."),
        "fsGroupChangePolicy": string(
            "When volume ownership is changed: OnRootMismatch or Always.",
            enum=("OnRootMismatch", "Always"),
        ),
        "seccompProfile": SECCOMP_PROFILE.describe("Seccomp profile for all containers."),
        "appArmorProfile": APP_ARMOR_PROFILE.describe("AppArmor profile for all containers."),
        "seLinuxChangePolicy": string(
            "How SELinux labels are applied to volumes: Recursive or MountOption."
        ),
    },
    description="Pod-level security settings; some are defaults for every container.",
)

NODE_SELECTOR_REQUIREMENT = obj(
    "io.k8s.api.core.v1.NodeSelectorRequirement",
    {
        "key": string("Label key or field name."),
        "operator": string(
            "In, NotIn, Exists, DoesNotExist, Gt or Lt.",
            enum=("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"),
        ),
        "values": array(string(), "Values to compare with; one integer for Gt and Lt."),
    },
    required=("key", "operator"),
    description="One requirement on a node label or field.",
)

NODE_SELECTOR_TERM = obj(
    "io.k8s.api.core.v1.NodeSelectorTerm",
    {
        "matchExpressions": array(NODE_SELECTOR_REQUIREMENT, "Requirements on node labels."),
        "matchFields": array(
            NODE_SELECTOR_REQUIREMENT, "Requirements on node fields, e.g. metadata.name."
        ),
    },
    description="Requirements that must all hold for a node.",
)

NODE_SELECTOR = obj(
    "io.k8s.api.core.v1.NodeSelector",
    {
        "nodeSelectorTerms": array(NODE_SELECTOR_TERM, "Terms, ORed together."),
    },
    required=("nodeSelectorTerms",),
    description="A node query: the union of its terms.",
)

PREFERRED_SCHEDULING_TERM = obj(
    "io.k8s.api.core.v1.PreferredSchedulingTerm",
    {
        "weight": integer("Weight of the preference, 1 to 100."),
        "preference": NODE_SELECTOR_TERM.describe("The node selector term to prefer."),
    },
    required=("weight", "preference"),
    description="A weighted node preference.",
)

NODE_AFFINITY = obj(
    "io.k8s.api.core.v1.NodeAffinity",
    {
        "requiredDuringSchedulingIgnoredDuringExecution": NODE_SELECTOR.describe(
            "Node selector the node must match at scheduling time."
        ),
        "preferredDuringSchedulingIgnoredDuringExecution": array(
            PREFERRED_SCHEDULING_TERM, "Weighted node preferences; the highest total wins."
        ),
    },
    description="Node affinity rules.",
)

POD_AFFINITY_TERM = obj(
    "io.k8s.api.core.v1.PodAffinityTerm",
    {
        "labelSelector": LABEL_SELECTOR.describe("Label query over pods."),
        "namespaces": array(string(), "Namespaces to look in; the pod's own when empty."),
        "topologyKey": string("Node label whose value defines the topology domain."),
        "namespaceSelector": LABEL_SELECTOR.describe("Label query over namespaces to look in."),
        "matchLabelKeys": array(string(), "Pod label keys whose values are added to the selector."),
        "mismatchLabelKeys": array(string(), "Pod label keys whose values must differ."),
    },
    required=("topologyKey",),
    description="Pods that a pod should (not) share a topology domain with.",
)

WEIGHTED_POD_AFFINITY_TERM = obj(
    "io.k8s.api.core.v1.WeightedPodAffinityTerm",
    {
        "weight": integer("Weight of the term, 1 to 100."),
        "podAffinityTerm": POD_AFFINITY_TERM.describe("The affinity term."),
    },
    required=("weight", "podAffinityTerm"),
    description="A weighted pod affinity term.",
)

POD_AFFINITY = obj(
    "io.k8s.api.core.v1.PodAffinity",
    {
        "requiredDuringSchedulingIgnoredDuringExecution": array(
            POD_AFFINITY_TERM, "Terms that must all hold at scheduling time."
        ),
        "preferredDuringSchedulingIgnoredDuringExecution": array(
            WEIGHTED_POD_AFFINITY_TERM, "Weighted terms; the highest total wins."
        ),
    },
    description="Rules to co-locate a pod with others.",
)

POD_ANTI_AFFINITY = obj(
    "io.k8s.api.core.v1.PodAntiAffinity",
    {
        "requiredDuringSchedulingIgnoredDuringExecution": array(
            POD_AFFINITY_TERM, "Terms that must all hold at scheduling time."
        ),
        "preferredDuringSchedulingIgnoredDuringExecution": array(
            WEIGHTED_POD_AFFINITY_TERM, "Weighted terms; the highest total wins."
        ),
    },
    description="Rules to keep a pod away from others.",
)

AFFINITY = obj(
    "io.k8s.api.core.v1.Affinity",
    {
        "nodeAffinity": NODE_AFFINITY.describe("Rules about the nodes the pod runs on."),
        "podAffinity": POD_AFFINITY.describe("Rules to run near pods that match."),
        "podAntiAffinity": POD_ANTI_AFFINITY.describe("Rules to stay away from pods that match."),
    },
    description="Scheduling affinity rules of a pod.",
)

TOLERATION = obj(
    "io.k8s.api.core.v1.Toleration",
    {
        "key": string("Taint key to match; empty with Exists matches every taint."),
        "operator": string(
            "Equal (the default), Exists, Lt or Gt.", enum=("Exists", "Equal", "Lt", "Gt")
        ),
        "value": string("Taint value to match."),
        "effect": string(
            "Taint effect to match; empty matches all effects.",
            enum=("NoSchedule", "PreferNoSchedule", "NoExecute"),
        ),
        "tolerationSeconds": int64(
            "For NoExecute, how long the pod stays bound after the taint appears."
        ),
    },
    description="Lets a pod tolerate taints that match it.",
)

HOST_ALIAS = obj(
    "io.k8s.api.core.v1.HostAlias",
    {
        "ip": string("IP address of the entry."),
        "hostnames": array(string(), "Host names for the address."),
    },
    required=("ip",),
    description="An extra /etc/hosts entry.",
)

POD_DNS_CONFIG_OPTION = obj(
    "io.k8s.api.core.v1.PodDNSConfigOption",
    {
        "name": string("Name of the option, e.g. ndots."),
        "value": string("Value of the option."),
    },
    description="One resolver option.",
)

POD_DNS_CONFIG = obj(
    "io.k8s.api.core.v1.PodDNSConfig",
    {
        "nameservers": array(string(), "Extra name server IP addresses."),
        "searches": array(string(), "Extra search domains."),
        "options": array(POD_DNS_CONFIG_OPTION, "Extra resolver options."),
    },
    description="DNS settings of a pod.",
)

POD_READINESS_GATE = obj(
    "io.k8s.api.core.v1.PodReadinessGate",
    {
        "conditionType": string("Type of the pod condition to wait for."),
    },
    required=("conditionType",),
    description="An extra condition a pod needs to be ready.",
)

TOPOLOGY_SPREAD_CONSTRAINT = obj(
    "io.k8s.api.core.v1.TopologySpreadConstraint",
    {
        "maxSkew": integer("Most the count of matching pods may differ between domains."),
        "topologyKey": string("Node label whose value defines the domain."),
        "whenUnsatisfiable": string(
            "DoNotSchedule or ScheduleAnyway.", enum=("DoNotSchedule", "ScheduleAnyway")
        ),
        "labelSelector": LABEL_SELECTOR.describe("Label query over the pods to count."),
        "minDomains": integer("Minimum number of eligible domains."),
        "nodeAffinityPolicy": string(
            "Whether node affinity limits the domains: Honor or Ignore.", enum=("Ignore", "Honor")
        ),
        "nodeTaintsPolicy": string(
            "Whether node taints limit the domains: Honor or Ignore.", enum=("Ignore", "Honor")
        ),
        "matchLabelKeys": array(string(), "Pod label keys whose values are added to the selector."),
    },
    required=("maxSkew", "topologyKey", "whenUnsatisfiable"),
    description="How matching pods are spread over a topology.",
)

POD_OS = obj(
    "io.k8s.api.core.v1.PodOS",
    {
        "name": string("linux or windows."),
    },
    required=("name",),
    description="Operating system of a pod.",
)

POD_SCHEDULING_GATE = obj(
    "io.k8s.api.core.v1.PodSchedulingGate",
    {
        "name": string("Name of the gate, unique in the pod."),
    },
    required=("name",),
    description="A gate that blocks scheduling until removed.",
)

POD_RESOURCE_CLAIM = obj(
    "io.k8s.api.core.v1.PodResourceClaim",
    {
        "name": string("Name of the claim inside the pod."),
        "resourceClaimName": string("Existing ResourceClaim to use."),
        "resourceClaimTemplateName": string("ResourceClaimTemplate to make a claim from."),
    },
    required=("name",),
    description="A dynamic resource claim of the pod, by claim or by template.",
)

POD_SCHEDULING_GROUP = obj(
    "io.k8s.api.core.v1.PodSchedulingGroup",
    {
        "podGroupName": string("Name of the PodGroup object."),
    },
    description="The scheduling group a pod belongs to.",
)

POD_SPEC = obj(
    "io.k8s.api.core.v1.PodSpec",
    {
        "volumes": array(
            VOLUME,
            "Volumes the pod's containers can mount.",
            merge_key="name",
            strategy="merge,retainKeys",
        ),
        "initContainers": array(
            CONTAINER,
            "Containers run one after another to completion before the app containers.",
            merge_key="name",
        ),
        "containers": array(
            CONTAINER, "The pod's application containers; at least one.", merge_key="name"
        ),
        "ephemeralContainers": array(
            EPHEMERAL_CONTAINER, "Debugging containers added to a running pod.", merge_key="name"
        ),
        "restartPolicy": string(
            "When containers are restarted: Always, OnFailure or Never.",
            enum=("Always", "OnFailure", "Never"),
        ),
        "terminationGracePeriodSeconds": int64(
            "Seconds between the stop signal and the kill; defaults to 30."
        ),
        "activeDeadlineSeconds": int64("Seconds the pod may be active before it is failed."),
        "dnsPolicy": string(
            "How the pod's DNS is configured.",
            enum=("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"),
        ),
        "nodeSelector": string_map("Labels a node must carry for the pod to run there."),
        "serviceAccountName": string("ServiceAccount the pod runs as."),
        "serviceAccount": string("Deprecated alias of serviceAccountName."),
        "automountServiceAccountToken": boolean("Whether the service account token is mounted."),
        "nodeName": string("Node the pod is bound to; set by the scheduler."),
        "hostNetwork": boolean("Use the node's network namespace."),
        "hostPID": boolean("Use the node's process namespace."),
        "hostIPC": boolean("Use the node's IPC namespace."),
        "shareProcessNamespace": boolean("Let the containers see each other's processes."),
        "securityContext": POD_SECURITY_CONTEXT.describe(
            "Pod-level security settings and container defaults."
        ),
        "imagePullSecrets": array(
            LOCAL_OBJECT_REFERENCE,
            "Secrets with registry credentials for pulling images.",
            merge_key="name",
        ),
        "hostname": string("Host name of the pod; defaults to the pod name."),
        "subdomain": string("Subdomain that, with a headless Service, gives the pod a DNS name."),
        "affinity": AFFINITY.describe("Node and pod affinity and anti-affinity rules."),
        "schedulerName": string("Scheduler that places the pod; the default scheduler when empty."),
        "tolerations": array(TOLERATION, "Taints the pod tolerates."),
        "hostAliases": array(HOST_ALIAS, "Extra entries for the pod's /etc/hosts.", merge_key="ip"),
        "priorityClassName": string("PriorityClass giving the pod's priority."),
        "priority": integer("Priority value, filled in from priorityClassName."),
        "dnsConfig": POD_DNS_CONFIG.describe("DNS settings merged with those of dnsPolicy."),
        "readinessGates": array(
            POD_READINESS_GATE, "Extra conditions that must be True for the pod to be ready."
        ),
        "runtimeClassName": string("RuntimeClass to run the pod with."),
        "enableServiceLinks": boolean("Inject environment variables for the namespace's Services."),
        "preemptionPolicy": string(
            "Whether the pod may preempt lower-priority pods.",
            enum=("PreemptLowerPriority", "Never"),
        ),
        "overhead": map_of(
            quantity(), "Resources used by the pod sandbox, on top of the containers'."
        ),
        "topologySpreadConstraints": array(
            TOPOLOGY_SPREAD_CONSTRAINT,
            "How matching pods are spread over topology domains.",
            merge_key="topologyKey",
            map_keys=("topologyKey", "whenUnsatisfiable"),
        ),
        "setHostnameAsFQDN": boolean("Set the host name to the pod's fully qualified domain name."),
        "os": POD_OS.describe("Operating system the pod's containers need."),
        "hostUsers": boolean("Use the node's user namespace; false gives the pod its own."),
        "schedulingGates": array(
            POD_SCHEDULING_GATE,
            "Gates that keep the pod unscheduled while any remains.",
            merge_key="name",
        ),
        "resourceClaims": array(
            POD_RESOURCE_CLAIM,
            "Dynamic resource claims the pod needs.",
            merge_key="name",
            strategy="merge,retainKeys",
        ),
        "resources": RESOURCE_REQUIREMENTS.describe(
            "Pod-level resource requests and limits shared by all containers."
        ),
        "hostnameOverride": string("Host name to use instead of the one from name and subdomain."),
        "schedulingGroup": POD_SCHEDULING_GROUP.describe(
            "Scheduling group (gang) the pod belongs to."
        ),
    },
    required=("containers",),
    description="Desired state of a pod: its containers, volumes and scheduling constraints.",
)

POD_CONDITION = obj(
    "io.k8s.api.core.v1.PodCondition",
    {
        "type": string("Kind of condition, e.g. Ready or PodScheduled."),
        "observedGeneration": int64("The metadata.generation this condition was computed from."),
        "status": string("Whether the condition holds: True, False or Unknown."),
        "lastProbeTime": timestamp("When the condition was last checked."),
        "lastTransitionTime": timestamp("When the status last changed."),
        "reason": string("One-word CamelCase cause of the last transition."),
        "message": string("Human-readable details of the last transition."),
    },
    required=("type", "status"),
    description="One condition of a pod.",
)

HOST_IP = obj(
    "io.k8s.api.core.v1.HostIP",
    {
        "ip": string("The address."),
    },
    required=("ip",),
    description="One IP address of the node.",
)

POD_IP = obj(
    "io.k8s.api.core.v1.PodIP",
    {
        "ip": string("The address."),
    },
    required=("ip",),
    description="One IP address of the pod.",
)

CONTAINER_STATE_WAITING = obj(
    "io.k8s.api.core.v1.ContainerStateWaiting",
    {
        "reason": string("Why it waits, e.g. ContainerCreating or CrashLoopBackOff."),
        "message": string("Details of why it waits."),
    },
    description="A container that is not running yet.",
)

CONTAINER_STATE_RUNNING = obj(
    "io.k8s.api.core.v1.ContainerStateRunning",
    {
        "startedAt": timestamp("When it last (re)started."),
    },
    description="A running container.",
)

CONTAINER_STATE_TERMINATED = obj(
    "io.k8s.api.core.v1.ContainerStateTerminated",
    {
        "exitCode": integer("Exit status."),
        "signal": integer("Signal that ended it, if any."),
        "reason": string("Why it ended, e.g. Completed, Error or OOMKilled."),
        "message": string("Details of why it ended."),
        "startedAt": timestamp("When the run started."),
        "finishedAt": timestamp("When the run ended."),
        "containerID": string("ID of the container, as <runtime>://<id>."),
    },
    required=("exitCode",),
    description="An exited container.",
)

CONTAINER_STATE = obj(
    "io.k8s.api.core.v1.ContainerState",
    {
        "waiting": CONTAINER_STATE_WAITING.describe("The container is not running yet."),
        "running": CONTAINER_STATE_RUNNING.describe("The container is running."),
        "terminated": CONTAINER_STATE_TERMINATED.describe("The container has exited."),
    },
    description="State of a container; exactly one field is set.",
)

IMAGE_VOLUME_STATUS = obj(
    "io.k8s.api.core.v1.ImageVolumeStatus",
    {
        "imageRef": string("Digest of the image that was mounted."),
    },
    required=("imageRef",),
    description="Status of an image volume.",
)

VOLUME_STATUS = obj(
    "io.k8s.api.core.v1.VolumeStatus",
    {
        "image": IMAGE_VOLUME_STATUS.describe("Status of an image volume."),
    },
    description="Status of a mounted volume by volume type.",
)

VOLUME_MOUNT_STATUS = obj(
    "io.k8s.api.core.v1.VolumeMountStatus",
    {
        "name": string("Name of the mount."),
        "mountPath": string("Path of the mount."),
        "readOnly": boolean("Whether the mount is read-only."),
        "recursiveReadOnly": string(
            "Whether read-only applies to sub-mounts: Disabled or Enabled."
        ),
        "volumeStatus": VOLUME_STATUS.describe("Status specific to the volume type."),
    },
    required=("name", "mountPath"),
    description="Status of one volume mount.",
)

LINUX_CONTAINER_USER = obj(
    "io.k8s.api.core.v1.LinuxContainerUser",
    {
        "uid": int64("Primary UID."),
        "gid": int64("Primary GID."),
        "supplementalGroups": array(int64(), "Supplemental GIDs."),
    },
    required=("uid", "gid"),
    description="Linux identity of a container's first process.",
)

CONTAINER_USER = obj(
    "io.k8s.api.core.v1.ContainerUser",
    {
        "linux": LINUX_CONTAINER_USER.describe("Linux identity."),
    },
    description="Identity of a container's first process.",
)

RESOURCE_HEALTH = obj(
    "io.k8s.api.core.v1.ResourceHealth",
    {
        "resourceID": string("Identifier of the device."),
        "health": string("Healthy, Unhealthy or Unknown."),
        "message": string("Details about the health."),
    },
    required=("resourceID",),
    description="Health of one device.",
)

RESOURCE_STATUS = obj(
    "io.k8s.api.core.v1.ResourceStatus",
    {
        "name": string("Name of the resource."),
        "resources": array(
            RESOURCE_HEALTH, "Health of each device.", list_type="map", map_keys=("resourceID",)
        ),
    },
    required=("name",),
    description="Health of one resource allocated to a container.",
)

CONTAINER_STATUS = obj(
    "io.k8s.api.core.v1.ContainerStatus",
    {
        "name": string("Name of the container."),
        "state": CONTAINER_STATE.describe("Current state."),
        "lastState": CONTAINER_STATE.describe("State of the previous run, for debugging restarts."),
        "ready": boolean("Whether the container passes its readiness probe."),
        "restartCount": integer("How many times the container has been restarted."),
        "image": string("Image the container runs."),
        "imageID": string("Resolved ID of the image."),
        "containerID": string("ID of the container, as <runtime>://<id>."),
        "started": boolean("Whether the startup probe and postStart hook have passed."),
        "allocatedResources": map_of(quantity(), "Resources the node allocated to the container."),
        "resources": RESOURCE_REQUIREMENTS.describe("Requests and limits the runtime applied."),
        "volumeMounts": array(
            VOLUME_MOUNT_STATUS, "Status of the container's volume mounts.", merge_key="mountPath"
        ),
        "user": CONTAINER_USER.describe("Identity of the container's first process."),
        "allocatedResourcesStatus": array(
            RESOURCE_STATUS, "Health of the devices allocated to the container.", merge_key="name"
        ),
        "stopSignal": string("Signal that stops the container.", enum=SIGNALS),
    },
    required=("name", "ready", "restartCount", "image", "imageID"),
    description="Observed state of one container.",
)

POD_RESOURCE_CLAIM_STATUS = obj(
    "io.k8s.api.core.v1.PodResourceClaimStatus",
    {
        "name": string("Name of the claim inside the pod."),
        "resourceClaimName": string("Name of the generated ResourceClaim."),
    },
    required=("name",),
    description="The ResourceClaim made for one of the pod's claims.",
)

POD_STATUS = obj(
    "io.k8s.api.core.v1.PodStatus",
    {
        "observedGeneration": int64("The pod's metadata.generation this status was computed from."),
        "phase": string(
            "Lifecycle phase: Pending, Running, Succeeded, Failed or Unknown.",
            enum=("Pending", "Running", "Succeeded", "Failed", "Unknown"),
        ),
        "conditions": array(
            POD_CONDITION, "Conditions of the pod, e.g. PodScheduled and Ready.", merge_key="type"
        ),
        "message": string("Human-readable reason for the pod's state."),
        "reason": string("CamelCase reason for the pod's state, e.g. Evicted."),
        "nominatedNodeName": string("Node on which preemption made room for the pod."),
        "hostIP": string("Primary IP address of the pod's node."),
        "hostIPs": array(
            HOST_IP, "IP addresses of the pod's node.", merge_key="ip", list_type="atomic"
        ),
        "podIP": string("Primary IP address of the pod."),
        "podIPs": array(POD_IP, "IP addresses of the pod, at most one per family.", merge_key="ip"),
        "startTime": timestamp("When the kubelet accepted the pod."),
        "initContainerStatuses": array(CONTAINER_STATUS, "Status of each init container."),
        "containerStatuses": array(CONTAINER_STATUS, "Status of each app container."),
        "qosClass": string(
            "Quality of service class from the containers' requests and limits.",
            enum=("Guaranteed", "Burstable", "BestEffort"),
        ),
        "ephemeralContainerStatuses": array(
            CONTAINER_STATUS, "Status of each ephemeral container."
        ),
        "resize": string("Deprecated state of an in-place resize."),
        "resourceClaimStatuses": array(
            POD_RESOURCE_CLAIM_STATUS,
            "Names of the ResourceClaims made for the pod's claims.",
            merge_key="name",
            strategy="merge,retainKeys",
        ),
        "extendedResourceClaimStatus": any_(
            "Claim made for extended resources backed by dynamic allocation."
        ),
        "allocatedResources": map_of(quantity(), "Requests the node has allocated to the pod."),
        "resources": RESOURCE_REQUIREMENTS.describe(
            "Requests and limits the runtime applied at pod level."
        ),
        "nodeAllocatableResourceClaimStatuses": array(
            any_(), "Node-allocatable resources from dynamic resource claims."
        ),
    },
    description="Observed state of a pod, written by the kubelet and the control plane.",
)

POD_TEMPLATE_SPEC = obj(
    "io.k8s.api.core.v1.PodTemplateSpec",
    {
        "metadata": OBJECT_META.describe("Labels and annotations of the pods."),
        "spec": POD_SPEC.describe("Spec of the pods."),
    },
    description="Template of the pods a controller creates.",
)
