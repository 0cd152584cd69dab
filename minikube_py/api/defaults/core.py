"""Defaulting of the core/v1 kinds, as pkg/apis/core/v1/defaults.go.

Registered in ``base.DEFAULTERS`` and applied by ``defaults/__init__.py`` before validation on
every create and update. A field the client set is kept; "unset" means absent, null, or (for
Go strings, and the probe numbers Kubernetes treats the same way) the zero value.
:func:`default_pod_spec` is shared with the workload kinds in ``apps.py`` and ``batch.py``.
"""

from __future__ import annotations

from typing import Any

DEFAULT_MODE = 0o644  # 420: configMap, secret, downwardAPI and projected volumes
PROBE_DEFAULTS = (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1),
                  ("failureThreshold", 3))
VOLUME_SOURCE_KEYS = ("emptyDir", "hostPath", "gitRepo", "gcePersistentDisk",
                      "awsElasticBlockStore", "secret", "nfs", "iscsi", "glusterfs", "flocker",
                      "persistentVolumeClaim", "rbd", "cinder", "cephfs", "quobyte",
                      "downwardAPI", "fc", "flexVolume", "configMap", "azureFile",
                      "vsphereVolume", "photonPersistentDisk", "portworxVolume", "azureDisk",
                      "storageos", "projected", "scaleIO", "csi", "ephemeral", "image")


def default(obj: dict[str, Any], key: str, value: Any) -> None:
    """Set ``obj[key]`` unless the client gave it a value (an empty string counts as unset)."""
    if obj.get(key) is None or obj.get(key) == "":
        obj[key] = value


def section(obj: dict[str, Any], key: str) -> dict[str, Any]:
    """``obj[key]`` as a dict, created when absent (as Go's non-pointer structs always are)."""
    value = obj.get(key)
    if not isinstance(value, dict):
        value = {}
        obj[key] = value
    return value


def dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def image_pull_policy(image: Any) -> str:
    """Always for ``:latest`` or no tag (unless pinned by digest), else IfNotPresent."""
    if not isinstance(image, str) or not image:
        return "IfNotPresent"
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.partition(":")[2]
    if not tag and not digest:
        tag = "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


# --- pod specs -------------------------------------------------------------------------------

def default_pod_spec(spec: dict[str, Any]) -> None:
    """SetDefaults_PodSpec and the defaults of everything inside it (containers, volumes)."""
    if not isinstance(spec, dict):
        return
    default(spec, "dnsPolicy", "ClusterFirst")
    default(spec, "restartPolicy", "Always")
    default(spec, "terminationGracePeriodSeconds", 30)
    default(spec, "schedulerName", "default-scheduler")
    section(spec, "securityContext")
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        for container in dicts(spec.get(kind)):
            _default_container(container)
    for volume in dicts(spec.get("volumes")):
        _default_volume(volume)


def _default_container(container: dict[str, Any]) -> None:
    default(container, "imagePullPolicy", image_pull_policy(container.get("image")))
    default(container, "terminationMessagePath", "/dev/termination-log")
    default(container, "terminationMessagePolicy", "File")
    section(container, "resources")
    for port in dicts(container.get("ports")):
        default(port, "protocol", "TCP")
    for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
        if isinstance(container.get(kind), dict):
            _default_probe(container[kind])
    lifecycle = container.get("lifecycle")
    for hook in ("postStart", "preStop"):
        if isinstance(lifecycle, dict) and isinstance(lifecycle.get(hook), dict):
            _default_http_get(lifecycle[hook].get("httpGet"))
    for var in dicts(container.get("env")):
        value_from = var.get("valueFrom")
        if isinstance(value_from, dict):
            _default_field_ref(value_from.get("fieldRef"))


def _default_probe(probe: dict[str, Any]) -> None:
    # Go int32 fields: Kubernetes cannot tell 0 from unset, so 0 is defaulted too.
    for key, value in PROBE_DEFAULTS:
        if probe.get(key) in (None, 0):
            probe[key] = value
    _default_http_get(probe.get("httpGet"))


def _default_http_get(action: Any) -> None:
    if isinstance(action, dict):
        default(action, "path", "/")
        default(action, "scheme", "HTTP")


def _default_field_ref(ref: Any) -> None:
    if isinstance(ref, dict):
        default(ref, "apiVersion", "v1")


def _default_volume(volume: dict[str, Any]) -> None:
    if not any(isinstance(volume.get(k), dict) for k in VOLUME_SOURCE_KEYS):
        volume["emptyDir"] = {}
    for kind in ("secret", "configMap", "downwardAPI", "projected"):
        if isinstance(volume.get(kind), dict):
            default(volume[kind], "defaultMode", DEFAULT_MODE)
    if isinstance(volume.get("hostPath"), dict):
        volume["hostPath"].setdefault("type", "")
    for item in dicts((volume.get("downwardAPI") or {}).get("items")):
        _default_field_ref(item.get("fieldRef"))
    projected = volume.get("projected")
    for source in dicts(projected.get("sources") if isinstance(projected, dict) else None):
        for item in dicts((source.get("downwardAPI") or {}).get("items")):
            _default_field_ref(item.get("fieldRef"))
        if isinstance(source.get("serviceAccountToken"), dict):
            default(source["serviceAccountToken"], "expirationSeconds", 3600)


# --- Pod and ReplicationController -----------------------------------------------------------

def default_pod(pod: dict[str, Any]) -> None:
    spec = section(pod, "spec")
    default_pod_spec(spec)
    default(spec, "enableServiceLinks", True)
    for kind in ("initContainers", "containers"):
        for container in dicts(spec.get(kind)):
            _requests_from_limits(container)
            if spec.get("hostNetwork") is True:
                for port in dicts(container.get("ports")):
                    if not port.get("hostPort"):
                        port["hostPort"] = port.get("containerPort")


def _requests_from_limits(container: dict[str, Any]) -> None:
    """A limit without a request makes the request equal to the limit (Pods only)."""
    resources = container.get("resources")
    limits = resources.get("limits") if isinstance(resources, dict) else None
    if not isinstance(limits, dict) or not limits:
        return
    requests = section(resources if isinstance(resources, dict) else {}, "requests")
    for name, quantity in limits.items():
        requests.setdefault(name, quantity)


def default_replication_controller(rc: dict[str, Any]) -> None:
    spec = section(rc, "spec")
    default(spec, "replicas", 1)
    template = spec.get("template")
    if not isinstance(template, dict):
        return
    labels = (template.get("metadata") or {}).get("labels")
    if isinstance(labels, dict) and labels:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        meta = section(rc, "metadata")
        if not meta.get("labels"):
            meta["labels"] = dict(labels)
    default_pod_spec(template.get("spec"))  # type: ignore[arg-type]


# --- Service and Endpoints -------------------------------------------------------------------

def default_service(service: dict[str, Any]) -> None:
    spec = section(service, "spec")
    default(spec, "type", "ClusterIP")
    default(spec, "sessionAffinity", "None")
    kind = spec["type"]
    for port in dicts(spec.get("ports")):
        default(port, "protocol", "TCP")
        if port.get("targetPort") in (None, 0, "") and port.get("port") is not None:
            port["targetPort"] = port["port"]
    if spec["sessionAffinity"] == "ClientIP":
        client_ip = section(section(spec, "sessionAffinityConfig"), "clientIP")
        default(client_ip, "timeoutSeconds", 10800)
    if kind in ("NodePort", "LoadBalancer"):
        default(spec, "externalTrafficPolicy", "Cluster")
    if kind in ("ClusterIP", "NodePort", "LoadBalancer"):
        default(spec, "internalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        default(spec, "allocateLoadBalancerNodePorts", True)
    _drop_type_dependent_fields(spec)
    if kind != "ExternalName":
        _default_ip_families(spec)


def _default_ip_families(spec: dict[str, Any]) -> None:
    """Single-stack IPv4; cluster IPs kept in step (allocation itself is the apiserver's)."""
    if spec.get("clusterIP") and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]
    elif isinstance(spec.get("clusterIPs"), list) and spec["clusterIPs"] and not spec.get(
            "clusterIP"):
        spec["clusterIP"] = spec["clusterIPs"][0]
    headless_without_selector = spec.get("clusterIP") == "None" and not spec.get("selector")
    default(spec, "ipFamilyPolicy",
            "RequireDualStack" if headless_without_selector else "SingleStack")
    if not spec.get("ipFamilies"):
        spec["ipFamilies"] = ["IPv4"]


def _drop_type_dependent_fields(spec: dict[str, Any]) -> None:
    """Fields the type does not use are cleared, as the Service strategy does when a type
    changes (so ``kubectl apply`` can turn a NodePort Service back into a ClusterIP one)."""
    kind = spec.get("type")
    if kind in ("ClusterIP", "ExternalName"):
        for port in dicts(spec.get("ports")):
            port.pop("nodePort", None)
        if not spec.get("externalIPs"):
            spec.pop("externalTrafficPolicy", None)
    if kind != "LoadBalancer":
        for key in ("allocateLoadBalancerNodePorts", "loadBalancerClass", "healthCheckNodePort"):
            spec.pop(key, None)
    if kind == "ExternalName":
        for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
            spec.pop(key, None)


def default_endpoints(endpoints: dict[str, Any]) -> None:
    for subset in dicts(endpoints.get("subsets")):
        for port in dicts(subset.get("ports")):
            default(port, "protocol", "TCP")


# --- namespaces, nodes, config ---------------------------------------------------------------

def default_namespace(namespace: dict[str, Any]) -> None:
    meta = section(namespace, "metadata")
    if meta.get("name"):
        # Kubernetes keeps this label equal to the name, whatever the client sent.
        section(meta, "labels")["kubernetes.io/metadata.name"] = meta["name"]
    deleting = bool(meta.get("deletionTimestamp"))
    if not deleting and not meta.get("resourceVersion"):  # a create: the strategy's finalizer
        spec = section(namespace, "spec")
        if spec.get("finalizers") is None:
            spec["finalizers"] = ["kubernetes"]
    default(section(namespace, "status"), "phase", "Terminating" if deleting else "Active")


def default_node(node: dict[str, Any]) -> None:
    status = node.get("status")
    if isinstance(status, dict) and isinstance(status.get("capacity"), dict):
        if status.get("allocatable") is None:
            status["allocatable"] = dict(status["capacity"])


def default_secret(secret: dict[str, Any]) -> None:
    # stringData is folded into data by the apiserver's Secret strategy, before defaulting.
    default(secret, "type", "Opaque")


def default_limit_range(limit_range: dict[str, Any]) -> None:
    """For Container limits: default limit from max, default request from the default limit,
    then from min."""
    for item in dicts((limit_range.get("spec") or {}).get("limits")):
        if item.get("type") != "Container":
            continue
        defaults, requests = dict(item.get("default") or {}), dict(item.get("defaultRequest") or {})
        for name, value in (item.get("max") or {}).items():
            defaults.setdefault(name, value)
        for source in (defaults, item.get("min") or {}):
            for name, value in source.items():
                requests.setdefault(name, value)
        if defaults:
            item["default"] = defaults
        if requests:
            item["defaultRequest"] = requests


# --- storage ---------------------------------------------------------------------------------

def default_claim(claim: dict[str, Any]) -> None:
    """A PersistentVolumeClaim, or a StatefulSet's claim template."""
    default(section(claim, "spec"), "volumeMode", "Filesystem")
    default(section(claim, "status"), "phase", "Pending")


def default_persistent_volume_claim(claim: dict[str, Any]) -> None:
    default_claim(claim)


def default_persistent_volume(volume: dict[str, Any]) -> None:
    spec = section(volume, "spec")
    default(spec, "persistentVolumeReclaimPolicy", "Retain")
    default(spec, "volumeMode", "Filesystem")
    if isinstance(spec.get("hostPath"), dict):
        spec["hostPath"].setdefault("type", "")
    default(section(volume, "status"), "phase", "Pending")
