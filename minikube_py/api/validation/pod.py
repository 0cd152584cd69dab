"""PodSpec validation, shared by Pods and by every kind with a pod template.

Kubernetes' ValidatePodSpec and its helpers (containers, volumes, env, probes, resources),
with a path prefix so that a Deployment's errors read
``spec.template.spec.containers[0].image: Required value``. ``core.py`` calls it for Pods,
``apps.py`` and ``batch.py`` for their templates; tolerations and affinity, built on the label
grammar, are checked by ``meta.py``. Objects arrive defaulted, so enums the defaulters fill
(restartPolicy, imagePullPolicy, ...) are only checked when present.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation import names
from minikube_py.api.validation.base import (
    duplicate,
    forbidden,
    invalid,
    not_supported,
    required,
)
from minikube_py.api.validation.meta import (
    validate_affinity,
    validate_annotations,
    validate_labels,
    validate_tolerations,
    validate_topology_spread,
)

NEGATIVE = "must be greater than or equal to 0"
MAX_INT32 = 2**31 - 1
RESTART_POLICIES = ["Always", "OnFailure", "Never"]
DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
PROTOCOLS = ["SCTP", "TCP", "UDP"]
PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
TERMINATION_MESSAGE_POLICIES = ["File", "FallbackToLogsOnError"]
FILE_MODE_ERROR = "must be a number between 0 and 0777 (octal), both inclusive"
# The order in which Kubernetes looks at a volume's sources (the second one found is the error).
VOLUME_SOURCES = (
    "emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret",
    "nfs", "iscsi", "glusterfs", "flocker", "persistentVolumeClaim", "rbd", "cinder", "cephfs",
    "quobyte", "downwardAPI", "fc", "flexVolume", "configMap", "azureFile", "vsphereVolume",
    "photonPersistentDisk", "portworxVolume", "azureDisk", "storageos", "projected", "scaleIO",
    "csi", "ephemeral", "image",
)
ENV_FIELD_PATHS = ["metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
                   "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP",
                   "status.podIPs"]
RESOURCE_FIELD_PATHS = ["limits.cpu", "limits.ephemeral-storage", "limits.memory",
                        "requests.cpu", "requests.ephemeral-storage", "requests.memory"]


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def nonnegative(value: Any, path: str) -> list[Cause]:
    number = as_int(value)
    return [invalid(path, number, NEGATIVE)] if number is not None and number < 0 else []


def not_found(path: str, value: Any) -> Cause:
    return Cause(path, f"Not found: {json.dumps(value)}", "FieldValueNotFound")


def enum(value: Any, allowed: list[str], path: str) -> list[Cause]:
    """An enum that defaulting fills: absent is fine, anything else must be allowed."""
    if value is None or value in allowed:
        return []
    if value == "":
        return [required(path)]
    return [not_supported(path, value, allowed)]


def dns_label(value: Any, path: str) -> list[Cause]:
    return [invalid(path, value, msg) for msg in names.is_dns1123_label(str(value))]


def dns_subdomain(value: Any, path: str) -> list[Cause]:
    return [invalid(path, value, msg) for msg in names.is_dns1123_subdomain(str(value))]


# --- pod templates ---------------------------------------------------------------------------

def validate_pod_template(template: Any, path: str, *,
                          extra_volumes: Iterable[str] = ()) -> list[Cause]:
    """A PodTemplateSpec at ``path`` (e.g. ``spec.template``): metadata and spec."""
    template = as_dict(template)
    meta = as_dict(template.get("metadata"))
    causes = validate_labels(meta.get("labels"), f"{path}.labels")
    causes += validate_annotations(meta.get("annotations"), f"{path}.annotations")
    causes += validate_pod_spec(template.get("spec"), f"{path}.spec",
                                extra_volumes=extra_volumes)
    if as_list(as_dict(template.get("spec")).get("ephemeralContainers")):
        causes.append(forbidden(f"{path}.spec.ephemeralContainers",
                                "ephemeral containers not allowed in pod template"))
    return causes


def validate_template_restart_policy(template: Any, path: str, allowed: list[str]) -> list[Cause]:
    """Controllers accept only some restart policies (``Always`` for apps, a Job's two)."""
    policy = as_dict(as_dict(template).get("spec")).get("restartPolicy", "Always")
    if policy in allowed:
        return []
    return [not_supported(f"{path}.spec.restartPolicy", policy, allowed)]


# --- the pod spec ----------------------------------------------------------------------------

def validate_pod_spec(spec: Any, path: str, *, extra_volumes: Iterable[str] = (),
                      is_pod: bool = False) -> list[Cause]:
    """All field errors of a PodSpec at ``path`` (``spec`` for a Pod)."""
    spec = as_dict(spec)
    grace = as_int(spec.get("terminationGracePeriodSeconds"))
    causes = nonnegative(grace, f"{path}.terminationGracePeriodSeconds")
    volumes, volume_causes = _validate_volumes(spec.get("volumes"), f"{path}.volumes")
    causes += volume_causes
    known = volumes | set(extra_volumes)
    causes += _validate_containers(spec.get("containers"), known, grace, f"{path}.containers")
    causes += _validate_init_containers(spec.get("initContainers"), spec.get("containers"), known,
                                        grace, f"{path}.initContainers")
    if is_pod:
        for kind in ("containers", "initContainers"):
            for i, ctr in enumerate(as_list(spec.get(kind))):
                image = as_dict(ctr).get("image")
                if isinstance(image, str) and image != image.strip():
                    causes.append(invalid(f"{path}.{kind}[{i}].image", image,
                                          "must not have leading or trailing whitespace"))
    causes += enum(spec.get("restartPolicy"), RESTART_POLICIES, f"{path}.restartPolicy")
    causes += enum(spec.get("dnsPolicy"), DNS_POLICIES, f"{path}.dnsPolicy")
    causes += _validate_dns_config(spec, f"{path}.dnsConfig")
    causes += validate_labels(spec.get("nodeSelector"), f"{path}.nodeSelector")
    causes += _validate_pod_security_context(spec.get("securityContext"),
                                             f"{path}.securityContext")
    causes += validate_affinity(spec.get("affinity"), f"{path}.affinity")
    causes += validate_tolerations(spec.get("tolerations"), f"{path}.tolerations")
    causes += _validate_spec_names(spec, path)
    deadline = as_int(spec.get("activeDeadlineSeconds"))
    if deadline is not None and not 1 <= deadline <= MAX_INT32:
        causes.append(invalid(f"{path}.activeDeadlineSeconds", deadline,
                              names.inclusive_range_error(1, MAX_INT32)))
    causes += validate_topology_spread(spec.get("topologySpreadConstraints"),
                                        f"{path}.topologySpreadConstraints")
    for i, alias in enumerate(as_list(spec.get("hostAliases"))):
        ip = str(as_dict(alias).get("ip") or "")
        causes += [invalid(f"{path}.hostAliases[{i}].ip", ip, m) for m in names.is_valid_ip(ip)]
    return causes


def _validate_spec_names(spec: dict[str, Any], path: str) -> list[Cause]:
    causes = []
    for key in ("serviceAccountName", "nodeName", "priorityClassName"):
        if isinstance(spec.get(key), str) and spec[key]:
            causes += dns_subdomain(spec[key], f"{path}.{key}")
    for key in ("hostname", "subdomain"):
        if isinstance(spec.get(key), str) and spec[key]:
            causes += dns_label(spec[key], f"{path}.{key}")
    return causes


def _validate_dns_config(spec: dict[str, Any], path: str) -> list[Cause]:
    config = spec.get("dnsConfig")
    if spec.get("dnsPolicy") == "None":
        if not isinstance(config, dict):
            return [required(path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not as_list(config.get("nameservers")):
            return [required(f"{path}.nameservers", "must provide at least one DNS nameserver "
                             "when `dnsPolicy` is None")]
    config = as_dict(config)
    servers = as_list(config.get("nameservers"))
    causes = []
    if len(servers) > 3:
        causes.append(invalid(f"{path}.nameservers", servers, "must not have more than 3 "
                              "nameservers"))
    for i, server in enumerate(servers):
        causes += [invalid(f"{path}.nameservers[{i}]", server, m)
                   for m in names.is_valid_ip(str(server))]
    return causes


# --- containers ------------------------------------------------------------------------------

def _validate_containers(containers: Any, volumes: set[str], grace: int | None,
                         path: str) -> list[Cause]:
    containers = as_list(containers)
    if not containers:
        return [required(path)]
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, ctr in enumerate(containers):
        ctr, here = as_dict(ctr), f"{path}[{i}]"
        causes += _validate_container(ctr, volumes, here)
        name = ctr.get("name")
        if name in seen:
            causes.append(duplicate(f"{here}.name", name))
        elif isinstance(name, str):
            seen.add(name)
        causes += _validate_lifecycle_and_probes(ctr, grace, here)
        if "restartPolicy" in ctr:
            causes.append(forbidden(f"{here}.restartPolicy",
                                    "may not be set for non-init containers"))
    return causes + _host_port_conflicts(containers, path)


def _validate_init_containers(inits: Any, regular: Any, volumes: set[str], grace: int | None,
                              path: str) -> list[Cause]:
    seen = {as_dict(c).get("name") for c in as_list(regular)}
    causes: list[Cause] = []
    for i, ctr in enumerate(as_list(inits)):
        ctr, here = as_dict(ctr), f"{path}[{i}]"
        causes += _validate_container(ctr, volumes, here)
        policy = ctr.get("restartPolicy")
        if policy is not None and policy != "Always":
            causes.append(not_supported(f"{here}.restartPolicy", policy, ["Always"]))
        name = ctr.get("name")
        if name in seen:
            causes.append(duplicate(f"{here}.name", name))
        elif name:
            seen.add(name)
        causes += _host_port_conflicts([ctr], path, first=i)
        if policy == "Always":
            causes += _validate_lifecycle_and_probes(ctr, grace, here)
            continue
        for key in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
            if key in ctr:
                causes.append(forbidden(f"{here}.{key}", "may not be set for init containers "
                                        "without restartPolicy=Always"))
    return causes


def _validate_container(ctr: dict[str, Any], volumes: set[str], path: str) -> list[Cause]:
    name = ctr.get("name")
    causes = [required(f"{path}.name")] if not name else dns_label(name, f"{path}.name")
    if not ctr.get("image"):
        causes.append(required(f"{path}.image"))
    causes += enum(ctr.get("terminationMessagePolicy"), TERMINATION_MESSAGE_POLICIES,
                   f"{path}.terminationMessagePolicy")
    causes += enum(ctr.get("imagePullPolicy"), PULL_POLICIES, f"{path}.imagePullPolicy")
    causes += _validate_ports(ctr.get("ports"), f"{path}.ports")
    causes += _validate_env(ctr.get("env"), f"{path}.env")
    causes += _validate_env_from(ctr.get("envFrom"), f"{path}.envFrom")
    causes += _validate_volume_mounts(ctr.get("volumeMounts"), volumes, f"{path}.volumeMounts")
    causes += validate_resources(ctr.get("resources"), f"{path}.resources")
    security = as_dict(ctr.get("securityContext"))
    for key in ("runAsUser", "runAsGroup"):
        uid = as_int(security.get(key))
        if uid is not None:
            causes += [invalid(f"{path}.securityContext.{key}", uid, m)
                       for m in names.is_valid_user_id(uid)]
    return causes


def _validate_ports(ports: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, port in enumerate(as_list(ports)):
        port, here = as_dict(port), f"{path}[{i}]"
        name = port.get("name")
        if isinstance(name, str) and name:
            msgs = names.is_valid_port_name(name)
            causes += [invalid(f"{here}.name", name, m) for m in msgs]
            if not msgs and name in seen:
                causes.append(duplicate(f"{here}.name", name))
            seen.add(name)
        number = as_int(port.get("containerPort"))
        if not number:
            causes.append(required(f"{here}.containerPort"))
        else:
            causes += [invalid(f"{here}.containerPort", number, m)
                       for m in names.is_valid_port_num(number)]
        host = as_int(port.get("hostPort"))
        if host:
            causes += [invalid(f"{here}.hostPort", host, m) for m in names.is_valid_port_num(host)]
        causes += enum(port.get("protocol"), PROTOCOLS, f"{here}.protocol")
    return causes


def _host_port_conflicts(containers: list[Any], path: str, *, first: int = 0) -> list[Cause]:
    seen: set[str] = set()
    causes = []
    for ci, ctr in enumerate(containers, start=first):
        for pi, port in enumerate(as_list(as_dict(ctr).get("ports"))):
            port = as_dict(port)
            if not as_int(port.get("hostPort")):
                continue
            key = f"{port.get('protocol', 'TCP')}/{port.get('hostIP', '')}/{port['hostPort']}"
            if key in seen:
                causes.append(duplicate(f"{path}[{ci}].ports[{pi}].hostPort", key))
            seen.add(key)
    return causes


def _validate_env(env: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for i, var in enumerate(as_list(env)):
        var, here = as_dict(var), f"{path}[{i}]"
        name = var.get("name")
        if not name:
            causes.append(required(f"{here}.name"))
        else:
            causes += [invalid(f"{here}.name", name, m) for m in names.is_env_var_name(str(name))]
        if "valueFrom" in var:
            causes += _validate_value_from(var, f"{here}.valueFrom")
    return causes


def _validate_value_from(var: dict[str, Any], path: str) -> list[Cause]:
    source = as_dict(var.get("valueFrom"))
    causes = []
    kinds = [k for k in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef")
             if isinstance(source.get(k), dict)]
    for kind in kinds:
        ref, here = source[kind], f"{path}.{kind}"
        if kind == "fieldRef":
            causes += _validate_field_ref(ref, here)
        elif kind == "resourceFieldRef":
            resource = ref.get("resource")
            if not resource:
                causes.append(required(f"{here}.resource"))
            elif resource not in RESOURCE_FIELD_PATHS and not str(resource).startswith(
                    ("requests.hugepages-", "limits.hugepages-")):
                causes.append(not_supported(f"{here}.resource", resource, RESOURCE_FIELD_PATHS))
        else:
            causes += _validate_key_selector(ref, here)
    if not kinds:
        causes.append(invalid(path, "", "must specify one of: `fieldRef`, `resourceFieldRef`, "
                              "`configMapKeyRef` or `secretKeyRef`"))
    elif var.get("value"):
        causes.append(invalid(path, "", "may not be specified when `value` is not empty"))
    elif len(kinds) > 1:
        causes.append(invalid(path, "", "may not have more than one field specified at a time"))
    return causes


def _validate_field_ref(ref: dict[str, Any], path: str) -> list[Cause]:
    if not ref.get("apiVersion"):
        return [required(f"{path}.apiVersion")]
    field_path = ref.get("fieldPath")
    if not field_path:
        return [required(f"{path}.fieldPath")]
    for prefix in ("metadata.labels", "metadata.annotations"):
        if str(field_path).startswith(prefix + "['") and str(field_path).endswith("']"):
            key = str(field_path)[len(prefix) + 2:-2]
            key = key.lower() if prefix == "metadata.annotations" else key
            return [invalid(path, key, m) for m in names.is_qualified_name(key)]
    if field_path not in ENV_FIELD_PATHS:
        return [not_supported(f"{path}.fieldPath", field_path, ENV_FIELD_PATHS)]
    return []


def _validate_key_selector(ref: dict[str, Any], path: str) -> list[Cause]:
    name = ref.get("name") or ""
    causes = dns_subdomain(name, f"{path}.name")
    key = ref.get("key")
    if not key:
        causes.append(required(f"{path}.key"))
    else:
        causes += [invalid(f"{path}.key", key, m) for m in names.is_config_map_key(str(key))]
    return causes


def _validate_env_from(sources: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for i, source in enumerate(as_list(sources)):
        source, here = as_dict(source), f"{path}[{i}]"
        prefix = source.get("prefix")
        if isinstance(prefix, str) and prefix:
            causes += [invalid(f"{here}.prefix", prefix, m) for m in names.is_env_var_name(prefix)]
        kinds = [k for k in ("configMapRef", "secretRef") if isinstance(source.get(k), dict)]
        for kind in kinds:
            name = source[kind].get("name")
            if not name:
                causes.append(required(f"{here}.{kind}.name"))
            else:
                causes += dns_subdomain(name, f"{here}.{kind}.name")
        if not kinds:
            causes.append(invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif len(kinds) > 1:
            causes.append(invalid(path, "", "may not have more than one field specified at a "
                                  "time"))
    return causes


def _validate_volume_mounts(mounts: Any, volumes: set[str], path: str) -> list[Cause]:
    causes: list[Cause] = []
    points: set[str] = set()
    for i, mount in enumerate(as_list(mounts)):
        mount, here = as_dict(mount), f"{path}[{i}]"
        name = mount.get("name") or ""
        if not name:
            causes.append(required(f"{here}.name"))
        if name not in volumes:
            causes.append(not_found(f"{here}.name", name))
        mount_path = mount.get("mountPath") or ""
        if not mount_path:
            causes.append(required(f"{here}.mountPath"))
        if mount_path in points:
            causes.append(invalid(f"{here}.mountPath", mount_path, "must be unique"))
        points.add(mount_path)
        for key in ("subPath", "subPathExpr"):
            if isinstance(mount.get(key), str) and mount[key]:
                causes += _local_descending_path(mount[key], f"{path}.{key}")
        if mount.get("subPath") and mount.get("subPathExpr"):
            causes.append(invalid(f"{here}.subPathExpr", mount["subPathExpr"],
                                  "subPathExpr and subPath are mutually exclusive"))
    return causes


def _local_descending_path(value: str, path: str) -> list[Cause]:
    causes = []
    if value.startswith("/"):
        causes.append(invalid(path, value, "must be a relative path"))
    if ".." in value.replace("\\", "/").split("/"):
        causes.append(invalid(path, value, "must not contain '..'"))
    return causes


# --- resources -------------------------------------------------------------------------------

def validate_resources(requirements: Any, path: str) -> list[Cause]:
    """A container's resources: valid names and quantities, requests within limits."""
    requirements = as_dict(requirements)
    limits, requests = as_dict(requirements.get("limits")), as_dict(requirements.get("requests"))
    causes: list[Cause] = []
    for kind, values in (("limits", limits), ("requests", requests)):
        for name, text in values.items():
            causes += resource_name(str(name), f"{path}.{kind}[{name}]", container=True)
            causes += resource_quantity(str(name), text, f"{path}.{kind}[{name}]")
    for name, text in requests.items():
        request = names.parse_quantity(text)
        if name not in limits:
            if not names.is_overcommit_allowed(name):
                causes.append(required(f"{path}.limits",
                                       "Limit must be set for non overcommitable resources"))
            continue
        limit = names.parse_quantity(limits[name])
        if request is None or limit is None:
            continue
        if request != limit and not names.is_overcommit_allowed(name):
            causes.append(invalid(f"{path}.requests", str(text),
                                  f"must be equal to {name} limit of {limits[name]}"))
        elif request > limit:
            causes.append(invalid(f"{path}.requests", str(text),
                                  f"must be less than or equal to {name} limit of {limits[name]}"))
    used = set(limits) | set(requests)
    if any(names.is_hugepages_resource(n) for n in used) and not used & {"cpu", "memory"}:
        causes.append(forbidden(path, "HugePages require cpu or memory"))
    return causes


def resource_name(name: str, path: str, *, container: bool = False) -> list[Cause]:
    """A resource name: standard (``cpu``, ``memory``...) or fully qualified."""
    msgs = names.is_qualified_name(name)
    if msgs:
        return [invalid(path, name, m) for m in msgs]
    hugepages = names.is_hugepages_resource(name) or name.startswith("requests.hugepages-")
    causes = []
    if "/" not in name:
        if name not in names.STANDARD_RESOURCES and not hugepages:
            causes.append(invalid(path, name, "must be a standard resource type or fully "
                                  "qualified"))
        if container and name not in names.STANDARD_CONTAINER_RESOURCES and not hugepages:
            causes.append(invalid(path, name, "must be a standard resource for containers"))
    elif container and not names.is_native_resource(name) and not names.is_extended_resource(
            name):
        causes.append(invalid(path, name, "doesn't follow extended resource name standard"))
    return causes


def resource_quantity(name: str, text: Any, path: str) -> list[Cause]:
    """Never negative; extended resources (``nvidia.com/gpu``) are whole numbers."""
    value = names.parse_quantity(text)
    if value is None:
        return []
    causes = []
    if value < 0:
        causes.append(invalid(path, str(text), NEGATIVE))
    if names.is_extended_resource(name) and value.denominator != 1:
        causes.append(invalid(path, str(text), "must be an integer"))
    return causes


# --- probes and lifecycle --------------------------------------------------------------------

def _validate_lifecycle_and_probes(ctr: dict[str, Any], grace: int | None,
                                   path: str) -> list[Cause]:
    causes = []
    lifecycle = as_dict(ctr.get("lifecycle"))
    for hook in ("postStart", "preStop"):
        if isinstance(lifecycle.get(hook), dict):
            causes += _validate_handler(lifecycle[hook], f"{path}.lifecycle.{hook}",
                                        ("exec", "httpGet", "tcpSocket", "sleep"), grace)
    for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = ctr.get(kind)
        if not isinstance(probe, dict):
            continue
        here = f"{path}.{kind}"
        causes += _validate_handler(probe, here, ("exec", "httpGet", "tcpSocket", "grpc"), grace)
        for key in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
                    "failureThreshold"):
            causes += nonnegative(probe.get(key), f"{here}.{key}")
        success = as_int(probe.get("successThreshold"))
        if kind != "readinessProbe" and success is not None and success != 1:
            causes.append(invalid(f"{here}.successThreshold", success, "must be 1"))
        probe_grace = as_int(probe.get("terminationGracePeriodSeconds"))
        if kind == "readinessProbe" and probe_grace is not None:
            causes.append(invalid(f"{here}.terminationGracePeriodSeconds", probe_grace,
                                  "must not be set for readinessProbes"))
        elif probe_grace is not None and probe_grace <= 0:
            causes.append(invalid(f"{here}.terminationGracePeriodSeconds", probe_grace,
                                  "must be greater than 0"))
    return causes


def _validate_handler(handler: dict[str, Any], path: str, kinds: tuple[str, ...],
                      grace: int | None) -> list[Cause]:
    causes: list[Cause] = []
    found = 0
    for kind in kinds:
        action = handler.get(kind)
        if not isinstance(action, dict):
            continue
        if found:
            causes.append(forbidden(f"{path}.{kind}", "may not specify more than 1 handler type"))
            continue
        found += 1
        causes += _validate_action(kind, action, f"{path}.{kind}", grace)
    if not found:
        causes.append(required(path, "must specify a handler type"))
    return causes


def _validate_action(kind: str, action: dict[str, Any], path: str,
                     grace: int | None) -> list[Cause]:
    if kind == "exec":
        return [] if as_list(action.get("command")) else [required(f"{path}.command")]
    if kind == "sleep":
        seconds = as_int(action.get("seconds")) or 0
        if grace is not None and not 0 < seconds <= grace:
            return [invalid(f"{path}.seconds", seconds, "must be greater than 0 and less than "
                            f"terminationGracePeriodSeconds ({grace})")]
        return []
    causes = port_num_or_name(action.get("port"), f"{path}.port")
    if kind == "httpGet":
        if action.get("path") == "":
            causes.append(required(f"{path}.path"))
        causes += enum(action.get("scheme"), ["HTTP", "HTTPS"], f"{path}.scheme")
        for header in as_list(action.get("httpHeaders")):
            header_name = str(as_dict(header).get("name") or "")
            causes += [invalid(f"{path}.httpHeaders", header_name, m)
                       for m in names.is_http_header_name(header_name)]
    return causes


def port_num_or_name(port: Any, path: str) -> list[Cause]:
    """An int-or-string port: a number in 1-65535 or an IANA service name."""
    if isinstance(port, str):
        return [invalid(path, port, m) for m in names.is_valid_port_name(port)]
    number = as_int(port)
    if number is None:
        return []
    return [invalid(path, number, m) for m in names.is_valid_port_num(number)]


# --- volumes ---------------------------------------------------------------------------------

def _validate_volumes(volumes: Any, path: str) -> tuple[set[str], list[Cause]]:
    """The names of the valid volumes, and the errors of the others."""
    known: set[str] = set()
    causes: list[Cause] = []
    for i, volume in enumerate(as_list(volumes)):
        volume, here = as_dict(volume), f"{path}[{i}]"
        errs = _validate_volume_source(volume, here)
        name = volume.get("name")
        if not name:
            errs.append(required(f"{here}.name"))
        else:
            errs += dns_label(name, f"{here}.name")
        if name in known:
            errs.append(duplicate(f"{here}.name", name))
        if errs:
            causes += errs
        else:
            known.add(str(name))
    return known, causes


def _validate_volume_source(volume: dict[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    found = 0
    for kind in VOLUME_SOURCES:
        if not isinstance(volume.get(kind), dict):
            continue
        if found:
            causes.append(forbidden(f"{path}.{kind}", "may not specify more than 1 volume type"))
            continue
        found += 1
        causes += _validate_source(kind, volume[kind], f"{path}.{kind}")
    if not found:
        causes.append(required(path, "must specify a volume type"))
    return causes


_REQUIRED_SOURCE_FIELDS = {
    "hostPath": ("path",), "secret": ("secretName",), "configMap": ("name",),
    "persistentVolumeClaim": ("claimName",), "nfs": ("server", "path"), "csi": ("driver",),
}


def _validate_source(kind: str, source: dict[str, Any], path: str) -> list[Cause]:
    causes = [required(f"{path}.{key}") for key in _REQUIRED_SOURCE_FIELDS.get(kind, ())
              if not source.get(key)]
    mode = as_int(source.get("defaultMode"))
    if mode is not None and not 0 <= mode <= 0o777:
        causes.append(invalid(f"{path}.defaultMode", mode, FILE_MODE_ERROR))
    for i, item in enumerate(as_list(source.get("items"))):
        item, here = as_dict(item), f"{path}.items[{i}]"
        if kind in ("secret", "configMap") and not item.get("key"):
            causes.append(required(f"{here}.key"))
        if not item.get("path"):
            causes.append(required(f"{here}.path"))
        else:
            causes += _local_descending_path(str(item["path"]), f"{here}.path")
        item_mode = as_int(item.get("mode"))
        if item_mode is not None and not 0 <= item_mode <= 0o777:
            causes.append(invalid(f"{here}.mode", item_mode, FILE_MODE_ERROR))
    if kind == "nfs" and source.get("path") and not str(source["path"]).startswith("/"):
        causes.append(invalid(f"{path}.path", source["path"], "must be an absolute path"))
    if kind == "emptyDir" and source.get("sizeLimit") is not None:
        limit = names.parse_quantity(source["sizeLimit"])
        if limit is not None and limit < 0:
            causes.append(forbidden(f"{path}.sizeLimit",
                                    "SizeLimit field must be a valid resource quantity"))
    return causes


# --- scheduling ------------------------------------------------------------------------------

def _validate_pod_security_context(context: Any, path: str) -> list[Cause]:
    context = as_dict(context)
    causes = []
    for key in ("runAsUser", "runAsGroup", "fsGroup"):
        uid = as_int(context.get(key))
        if uid is not None:
            causes += [invalid(f"{path}.{key}", uid, m) for m in names.is_valid_user_id(uid)]
    for i, gid in enumerate(as_list(context.get("supplementalGroups"))):
        if as_int(gid) is not None:
            causes += [invalid(f"{path}.supplementalGroups[{i}]", gid, m)
                       for m in names.is_valid_user_id(gid)]
    return causes
