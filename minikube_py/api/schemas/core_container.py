"""Schemas of a container: image, command, env, ports, probes, lifecycle, resources, security.

``CONTAINER`` and ``EPHEMERAL_CONTAINER`` are read by ``core_pod`` (``PodSpec``); the kubelet,
the scheduler and defaulting read the same field names through these schemas.
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
)
from minikube_py.api.schemas.core_volume import OBJECT_FIELD_SELECTOR, RESOURCE_FIELD_SELECTOR

# Signal names a container may be stopped with (core/v1 Signal).
SIGNALS = (
    *"SIGABRT SIGALRM SIGBUS SIGCHLD SIGCLD SIGCONT SIGFPE SIGHUP SIGILL SIGINT SIGIO".split(),
    *"SIGIOT SIGKILL SIGPIPE SIGPOLL SIGPROF SIGPWR SIGQUIT SIGSEGV SIGSTKFLT SIGSTOP".split(),
    *"SIGSYS SIGTERM SIGTRAP SIGTSTP SIGTTIN SIGTTOU SIGURG SIGUSR1 SIGUSR2 SIGVTALRM".split(),
    *"SIGWINCH SIGXCPU SIGXFSZ SIGRTMIN".split(),
    *(f"SIGRTMIN+{n}" for n in range(1, 16)),
    *(f"SIGRTMAX-{n}" for n in range(14, 0, -1)),
    "SIGRTMAX",
)

CONTAINER_PORT = obj(
    "io.k8s.api.core.v1.ContainerPort",
    {
        "name": string("IANA service name of the port, unique within the pod."),
        "hostPort": integer("Port of the node to forward to this port."),
        "containerPort": integer("Port number the container listens on."),
        "protocol": string("Protocol of the port: TCP, UDP or SCTP.", enum=("TCP", "UDP", "SCTP")),
        "hostIP": string("Node IP to bind the host port to."),
    },
    required=("containerPort",),
    description="A network port of a container.",
)

CONFIG_MAP_ENV_SOURCE = obj(
    "io.k8s.api.core.v1.ConfigMapEnvSource",
    {
        "name": string("Name of the ConfigMap."),
        "optional": boolean("Do not fail if the ConfigMap is missing."),
    },
    description="A ConfigMap whose keys become environment variables.",
)

SECRET_ENV_SOURCE = obj(
    "io.k8s.api.core.v1.SecretEnvSource",
    {
        "name": string("Name of the Secret."),
        "optional": boolean("Do not fail if the Secret is missing."),
    },
    description="A Secret whose keys become environment variables.",
)

ENV_FROM_SOURCE = obj(
    "io.k8s.api.core.v1.EnvFromSource",
    {
        "prefix": string("Text prepended to each variable name."),
        "configMapRef": CONFIG_MAP_ENV_SOURCE.describe("The ConfigMap to read."),
        "secretRef": SECRET_ENV_SOURCE.describe("The Secret to read."),
    },
    description="A ConfigMap or Secret whose keys all become environment variables.",
)

CONFIG_MAP_KEY_SELECTOR = obj(
    "io.k8s.api.core.v1.ConfigMapKeySelector",
    {
        "name": string("Name of the ConfigMap."),
        "key": string("Key to read."),
        "optional": boolean("Do not fail if the ConfigMap or key is missing."),
    },
    required=("key",),
    description="One key of a ConfigMap.",
)

SECRET_KEY_SELECTOR = obj(
    "io.k8s.api.core.v1.SecretKeySelector",
    {
        "name": string("Name of the Secret."),
        "key": string("Key to read."),
        "optional": boolean("Do not fail if the Secret or key is missing."),
    },
    required=("key",),
    description="One key of a Secret.",
)

FILE_KEY_SELECTOR = obj(
    "io.k8s.api.core.v1.FileKeySelector",
    {
        "volumeName": string("Volume holding the env file."),
        "path": string("Relative path of the env file in the volume."),
        "key": string("Key to read."),
        "optional": boolean("Do not fail if the file or key is missing."),
    },
    required=("volumeName", "path", "key"),
    description="One key of an env file in a volume.",
)

ENV_VAR_SOURCE = obj(
    "io.k8s.api.core.v1.EnvVarSource",
    {
        "fieldRef": OBJECT_FIELD_SELECTOR.describe(
            "A field of the pod, e.g. metadata.name or status.podIP."
        ),
        "resourceFieldRef": RESOURCE_FIELD_SELECTOR.describe(
            "A resource limit or request of the container."
        ),
        "configMapKeyRef": CONFIG_MAP_KEY_SELECTOR.describe("A key of a ConfigMap."),
        "secretKeyRef": SECRET_KEY_SELECTOR.describe("A key of a Secret."),
        "fileKeyRef": FILE_KEY_SELECTOR.describe("A key of an env file in a volume."),
    },
    description="Where an environment variable's value comes from; exactly one field is set.",
)

ENV_VAR = obj(
    "io.k8s.api.core.v1.EnvVar",
    {
        "name": string("Name of the variable."),
        "value": string("Literal value; $(VAR) references to earlier variables are expanded."),
        "valueFrom": ENV_VAR_SOURCE.describe("Where to read the value from, instead of value."),
    },
    required=("name",),
    description="One environment variable.",
)

RESOURCE_CLAIM = obj(
    "io.k8s.api.core.v1.ResourceClaim",
    {
        "name": string("Name of an entry in the pod's spec.resourceClaims."),
        "request": string("Name of one request in the claim; all requests when empty."),
    },
    required=("name",),
    description="Names one resource claim of the pod.",
)

RESOURCE_REQUIREMENTS = obj(
    "io.k8s.api.core.v1.ResourceRequirements",
    {
        "limits": map_of(quantity(), "Most of each resource that may be used, e.g. cpu: 500m."),
        "requests": map_of(
            quantity(), "Amount of each resource reserved for scheduling; defaults to limits."
        ),
        "claims": array(
            RESOURCE_CLAIM,
            "Dynamically allocated resources, from spec.resourceClaims, that are used.",
            list_type="map",
            map_keys=("name",),
        ),
    },
    description="Compute resources a container (or pod) requests and is limited to.",
)

CONTAINER_RESIZE_POLICY = obj(
    "io.k8s.api.core.v1.ContainerResizePolicy",
    {
        "resourceName": string("Resource the policy is for: cpu or memory."),
        "restartPolicy": string("NotRequired or RestartContainer."),
    },
    required=("resourceName", "restartPolicy"),
    description="What happens when one resource of a container is resized.",
)

CONTAINER_RESTART_RULE_ON_EXIT_CODES = obj(
    "io.k8s.api.core.v1.ContainerRestartRuleOnExitCodes",
    {
        "operator": string("In or NotIn."),
        "values": array(integer(), "The exit codes.", list_type="set"),
    },
    required=("operator",),
    description="Exit codes a restart rule matches.",
)

CONTAINER_RESTART_RULE = obj(
    "io.k8s.api.core.v1.ContainerRestartRule",
    {
        "action": string("What to do when the rule matches; Restart is the only action."),
        "exitCodes": CONTAINER_RESTART_RULE_ON_EXIT_CODES.describe("Exit codes the rule matches."),
    },
    required=("action",),
    description="A rule deciding whether an exited container restarts.",
)

VOLUME_MOUNT = obj(
    "io.k8s.api.core.v1.VolumeMount",
    {
        "name": string("Name of the pod volume."),
        "readOnly": boolean("Mount read-only."),
        "recursiveReadOnly": string(
            "Whether read-only also applies to sub-mounts: Disabled, IfPossible or Enabled."
        ),
        "mountPath": string("Path in the container to mount at."),
        "subPath": string("Sub-path of the volume to mount instead of its root."),
        "mountPropagation": string(
            "How mounts propagate between host and container.",
            enum=("None", "HostToContainer", "Bidirectional"),
        ),
        "subPathExpr": string(
            "Like subPath, with $(VAR) references expanded from the environment."
        ),
    },
    required=("name", "mountPath"),
    description="Where a pod volume is mounted in a container.",
)

VOLUME_DEVICE = obj(
    "io.k8s.api.core.v1.VolumeDevice",
    {
        "name": string("Name of the pod volume backed by a claim."),
        "devicePath": string("Path of the device in the container."),
    },
    required=("name", "devicePath"),
    description="A raw block device mapped into a container.",
)

EXEC_ACTION = obj(
    "io.k8s.api.core.v1.ExecAction",
    {
        "command": array(string(), "Command line, not run in a shell; exit status 0 is success."),
    },
    description="Runs a command in the container.",
)

HTTP_HEADER = obj(
    "io.k8s.api.core.v1.HTTPHeader",
    {
        "name": string("Header name."),
        "value": string("Header value."),
    },
    required=("name", "value"),
    description="One HTTP header.",
)

HTTP_GET_ACTION = obj(
    "io.k8s.api.core.v1.HTTPGetAction",
    {
        "path": string("Path to request."),
        "port": int_or_string("Port number or name on the container."),
        "host": string("Host to connect to; defaults to the pod IP."),
        "scheme": string("HTTP or HTTPS.", enum=("HTTP", "HTTPS")),
        "httpHeaders": array(HTTP_HEADER, "Extra request headers."),
    },
    required=("port",),
    description="An HTTP GET request.",
)

TCP_SOCKET_ACTION = obj(
    "io.k8s.api.core.v1.TCPSocketAction",
    {
        "port": int_or_string("Port number or name on the container."),
        "host": string("Host to connect to; defaults to the pod IP."),
    },
    required=("port",),
    description="A TCP connection attempt.",
)

GRPC_ACTION = obj(
    "io.k8s.api.core.v1.GRPCAction",
    {
        "port": integer("Port of the gRPC service."),
        "service": string("Service name put in the health check request."),
    },
    required=("port",),
    description="A gRPC health check.",
)

PROBE = obj(
    "io.k8s.api.core.v1.Probe",
    {
        "exec": EXEC_ACTION.describe("Run a command in the container."),
        "httpGet": HTTP_GET_ACTION.describe("Send an HTTP GET request."),
        "tcpSocket": TCP_SOCKET_ACTION.describe("Open a TCP connection."),
        "grpc": GRPC_ACTION.describe("Call the gRPC health checking service."),
        "initialDelaySeconds": integer("Seconds after container start before the first check."),
        "timeoutSeconds": integer("Seconds before one check times out; defaults to 1."),
        "periodSeconds": integer("Seconds between checks; defaults to 10."),
        "successThreshold": integer("Consecutive successes needed after a failure; defaults to 1."),
        "failureThreshold": integer("Consecutive failures that count as failed; defaults to 3."),
        "terminationGracePeriodSeconds": int64(
            "Grace period used when a failure kills the container."
        ),
    },
    description="A periodic health check of a container.",
)

SLEEP_ACTION = obj(
    "io.k8s.api.core.v1.SleepAction",
    {
        "seconds": int64("Seconds to sleep."),
    },
    required=("seconds",),
    description="Sleep for a number of seconds.",
)

LIFECYCLE_HANDLER = obj(
    "io.k8s.api.core.v1.LifecycleHandler",
    {
        "exec": EXEC_ACTION.describe("Run a command in the container."),
        "httpGet": HTTP_GET_ACTION.describe("Send an HTTP GET request."),
        "tcpSocket": TCP_SOCKET_ACTION.describe("Deprecated; kept for compatibility and not run."),
        "sleep": SLEEP_ACTION.describe("Sleep for a while."),
    },
    description="One lifecycle hook action; exactly one field is set.",
)

LIFECYCLE = obj(
    "io.k8s.api.core.v1.Lifecycle",
    {
        "postStart": LIFECYCLE_HANDLER.describe("Runs right after the container is created."),
        "preStop": LIFECYCLE_HANDLER.describe("Runs before the container is stopped."),
        "stopSignal": string(
            "Signal that stops the container, instead of the image's.", enum=SIGNALS
        ),
    },
    description="Actions run around the container's start and stop.",
)

CAPABILITIES = obj(
    "io.k8s.api.core.v1.Capabilities",
    {
        "add": array(string(), "Capabilities to add."),
        "drop": array(string(), "Capabilities to drop."),
    },
    description="POSIX capabilities to add to or drop from a container.",
)

SE_LINUX_OPTIONS = obj(
    "io.k8s.api.core.v1.SELinuxOptions",
    {
        "user": string("SELinux user label."),
        "role": string("SELinux role label."),
        "type": string("SELinux type label."),
        "level": string("SELinux level label."),
    },
    description="SELinux labels for a container.",
)

WINDOWS_SECURITY_CONTEXT_OPTIONS = obj(
    "io.k8s.api.core.v1.WindowsSecurityContextOptions",
    {
        "gmsaCredentialSpecName": string("Name of the GMSA credential spec to use."),
        "gmsaCredentialSpec": string("Content of the GMSA credential spec."),
        "runAsUserName": string("Windows user name the entrypoint runs as."),
        "hostProcess": boolean("Run as a Windows host process container."),
    },
    description="Windows-specific security options.",
)

SECCOMP_PROFILE = obj(
    "io.k8s.api.core.v1.SeccompProfile",
    {
        "type": string(
            "Unconfined, RuntimeDefault or Localhost.",
            enum=("Unconfined", "RuntimeDefault", "Localhost"),
        ),
        "localhostProfile": string("Path of a profile file on the node, for type Localhost."),
    },
    required=("type",),
    description="A seccomp profile choice.",
)

APP_ARMOR_PROFILE = obj(
    "io.k8s.api.core.v1.AppArmorProfile",
    {
        "type": string(
            "Unconfined, RuntimeDefault or Localhost.",
            enum=("Unconfined", "RuntimeDefault", "Localhost"),
        ),
        "localhostProfile": string("Name of a profile loaded on the node, for type Localhost."),
    },
    required=("type",),
    description="An AppArmor profile choice.",
)

SECURITY_CONTEXT = obj(
    "io.k8s.api.core.v1.SecurityContext",
    {
        "capabilities": CAPABILITIES.describe("POSIX capabilities to add and drop."),
        "privileged": boolean("Run privileged, with the host's devices and capabilities."),
        "seLinuxOptions": SE_LINUX_OPTIONS.describe("SELinux context of the container."),
        "windowsOptions": WINDOWS_SECURITY_CONTEXT_OPTIONS.describe("Windows-specific options."),
        "runAsUser": int64("UID the entrypoint runs as."),
        "runAsGroup": int64("GID the entrypoint runs as."),
        "runAsNonRoot": boolean("Refuse to start if the container would run as root."),
        "readOnlyRootFilesystem": boolean("Mount the root filesystem read-only."),
        "allowPrivilegeEscalation": boolean(
            "Whether a process may gain more privileges than its parent."
        ),
        "procMount": string(
            "Kind of /proc mount: Default or Unmasked.", enum=("Default", "Unmasked")
        ),
        "seccompProfile": SECCOMP_PROFILE.describe("Seccomp profile of the container."),
        "appArmorProfile": APP_ARMOR_PROFILE.describe("AppArmor profile of the container."),
    },
    description="Security options of a container; they override the pod's.",
)

CONTAINER = obj(
    "io.k8s.api.core.v1.Container",
    {
        "name": string("Name of the container, a DNS label unique within the pod."),
        "image": string("Image reference to run, e.g. nginx:1.27."),
        "command": array(
            string(), "Entrypoint argv, not run in a shell; the image's ENTRYPOINT when empty."
        ),
        "args": array(string(), "Arguments to the entrypoint; the image's CMD when empty."),
        "workingDir": string("Working directory; the runtime's default when empty."),
        "ports": array(
            CONTAINER_PORT,
            "Ports the container listens on, informational except for hostPort.",
            merge_key="containerPort",
            map_keys=("containerPort", "protocol"),
        ),
        "envFrom": array(
            ENV_FROM_SOURCE, "ConfigMaps and Secrets whose keys become environment variables."
        ),
        "env": array(ENV_VAR, "Environment variables to set.", merge_key="name"),
        "resources": RESOURCE_REQUIREMENTS.describe(
            "Compute resources requested and limited for the container."
        ),
        "resizePolicy": array(
            CONTAINER_RESIZE_POLICY, "How the container reacts when a resource is resized in place."
        ),
        "restartPolicy": string(
            "Per-container restart policy; Always makes an init container a sidecar."
        ),
        "restartPolicyRules": array(
            CONTAINER_RESTART_RULE,
            "Rules that decide, from the exit code, whether the container restarts.",
        ),
        "volumeMounts": array(
            VOLUME_MOUNT,
            "Pod volumes mounted into the container's filesystem.",
            merge_key="mountPath",
        ),
        "volumeDevices": array(
            VOLUME_DEVICE,
            "Raw block devices from claims mapped into the container.",
            merge_key="devicePath",
        ),
        "livenessProbe": PROBE.describe("Check that restarts the container when it fails."),
        "readinessProbe": PROBE.describe(
            "Check that decides whether the container receives traffic."
        ),
        "startupProbe": PROBE.describe("Check that must succeed before the other probes start."),
        "lifecycle": LIFECYCLE.describe("Hooks run after start and before stop."),
        "terminationMessagePath": string("File whose content becomes the termination message."),
        "terminationMessagePolicy": string(
            "Where the termination message comes from: File or FallbackToLogsOnError.",
            enum=("File", "FallbackToLogsOnError"),
        ),
        "imagePullPolicy": string(
            "When to pull the image: Always, Never or IfNotPresent.",
            enum=("Always", "Never", "IfNotPresent"),
        ),
        "securityContext": SECURITY_CONTEXT.describe("Security options of this container."),
        "stdin": boolean("Keep a stdin buffer open for the container."),
        "stdinOnce": boolean("Close stdin after the first attach session ends."),
        "tty": boolean("Allocate a TTY; needs stdin."),
    },
    required=("name",),
    description="An application container of a pod.",
)

EPHEMERAL_CONTAINER = obj(
    "io.k8s.api.core.v1.EphemeralContainer",
    {
        "name": string("Name of the ephemeral container, unique among all the pod's containers."),
        "image": string("Image reference to run, e.g. nginx:1.27."),
        "command": array(
            string(), "Entrypoint argv, not run in a shell; the image's ENTRYPOINT when empty."
        ),
        "args": array(string(), "Arguments to the entrypoint; the image's CMD when empty."),
        "workingDir": string("Working directory; the runtime's default when empty."),
        "ports": array(
            CONTAINER_PORT,
            "Not allowed for ephemeral containers.",
            merge_key="containerPort",
            map_keys=("containerPort", "protocol"),
        ),
        "envFrom": array(
            ENV_FROM_SOURCE, "ConfigMaps and Secrets whose keys become environment variables."
        ),
        "env": array(ENV_VAR, "Environment variables to set.", merge_key="name"),
        "resources": RESOURCE_REQUIREMENTS.describe("Not allowed for ephemeral containers."),
        "resizePolicy": array(CONTAINER_RESIZE_POLICY, "Not allowed for ephemeral containers."),
        "restartPolicy": string("Not allowed for ephemeral containers."),
        "restartPolicyRules": array(
            CONTAINER_RESTART_RULE, "Not allowed for ephemeral containers."
        ),
        "volumeMounts": array(
            VOLUME_MOUNT,
            "Pod volumes mounted into the container's filesystem.",
            merge_key="mountPath",
        ),
        "volumeDevices": array(
            VOLUME_DEVICE,
            "Raw block devices from claims mapped into the container.",
            merge_key="devicePath",
        ),
        "livenessProbe": PROBE.describe("Not allowed for ephemeral containers."),
        "readinessProbe": PROBE.describe("Not allowed for ephemeral containers."),
        "startupProbe": PROBE.describe("Not allowed for ephemeral containers."),
        "lifecycle": LIFECYCLE.describe("Not allowed for ephemeral containers."),
        "terminationMessagePath": string("File whose content becomes the termination message."),
        "terminationMessagePolicy": string(
            "Where the termination message comes from: File or FallbackToLogsOnError.",
            enum=("File", "FallbackToLogsOnError"),
        ),
        "imagePullPolicy": string(
            "When to pull the image: Always, Never or IfNotPresent.",
            enum=("Always", "Never", "IfNotPresent"),
        ),
        "securityContext": SECURITY_CONTEXT.describe("Security options of this container."),
        "stdin": boolean("Keep a stdin buffer open for the container."),
        "stdinOnce": boolean("Close stdin after the first attach session ends."),
        "tty": boolean("Allocate a TTY; needs stdin."),
        "targetContainerName": string("Container whose namespaces (e.g. process) this one joins."),
    },
    required=("name",),
    description="A temporary container added to a running pod, for debugging.",
)
