"""A container's environment as the kubelet builds it (pkg/kubelet's makeEnvironmentVariables).

Order: the service variables (:mod:`.envvars`) of Services existing at start, then ``envFrom``
sources in order, then ``env`` entries in order (later ones win), with ``$(VAR)`` references to
earlier variables expanded. ``valueFrom`` reads fieldRef, resourceFieldRef, configMapKeyRef and
secretKeyRef; a missing, non-optional source is :class:`EnvError` (the container then waits
with reason CreateContainerConfigError, as in Kubernetes).
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from minikube_py.api.validation.names import parse_quantity

from .envvars import service_env

Object = dict[str, Any]
# (kind "configmaps"|"secrets", namespace, name) -> object or None when missing
Lookup = Callable[[str, str, str], Awaitable[Object | None]]
_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


class EnvError(Exception):
    """A referenced ConfigMap, Secret or key is missing; the message says which."""


def _data(kind: str, obj: Object) -> dict[str, str]:
    if kind == "secrets":
        out = {k: base64.b64decode(v).decode(errors="replace")
               for k, v in (obj.get("data") or {}).items()}
        out.update({k: str(v) for k, v in (obj.get("stringData") or {}).items()})
        return out
    return {k: str(v) for k, v in (obj.get("data") or {}).items()}


def field_value(pod: Object, path: str, host_ip: str, pod_ip: str) -> str:
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    simple = {"metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
              "metadata.uid": meta.get("uid"), "spec.nodeName": spec.get("nodeName"),
              "spec.serviceAccountName": spec.get("serviceAccountName"),
              "status.hostIP": host_ip, "status.podIP": pod_ip, "status.hostIPs": host_ip,
              "status.podIPs": pod_ip}
    if path in simple:
        return str(simple[path] or "")
    match = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if match:
        return str((meta.get(match.group(1)) or {}).get(match.group(2), ""))
    if path in ("metadata.labels", "metadata.annotations"):
        items = sorted((meta.get(path.split(".")[1]) or {}).items())
        return "\n".join(f'{k}="{v}"' for k, v in items)
    raise EnvError(f"unsupported fieldRef {path!r}")


def resource_value(container: Object, resource: str, divisor: str | None) -> str:
    kind, _, name = resource.partition(".")
    res = container.get("resources") or {}
    raw = (res.get(kind) or {}).get(name)
    if raw is None and kind == "requests":
        raw = (res.get("limits") or {}).get(name)
    if raw is None:
        raw = "0" if kind == "requests" else ("1" if name == "cpu" else "0")
    value = parse_quantity(raw) or 0
    div = parse_quantity(divisor or "1") or 1
    return str(math.ceil(value / div))


async def container_env(pod: Object, container: Object, *, services: list[Object],
                        lookup: Lookup, host_ip: str, pod_ip: str) -> list[tuple[str, str]]:
    namespace = str((pod.get("metadata") or {}).get("namespace") or "default")
    if (pod.get("spec") or {}).get("enableServiceLinks", True):
        env: dict[str, str] = dict(service_env(services))
    else:
        env = dict(service_env(s for s in services if s["metadata"]["name"] == "kubernetes"))
    for source in container.get("envFrom") or []:
        prefix = str(source.get("prefix") or "")
        for kind, key in (("configmaps", "configMapRef"), ("secrets", "secretRef")):
            ref = source.get(key)
            if not ref:
                continue
            obj = await lookup(kind, namespace, str(ref.get("name")))
            if obj is None:
                if ref.get("optional"):
                    continue
                raise EnvError(f'{kind[:-1]} "{ref.get("name")}" not found')
            for k, v in _data(kind, obj).items():
                env[prefix + k] = v
    for var in container.get("env") or []:
        name = str(var["name"])
        if "valueFrom" not in var:
            env[name] = _REF.sub(lambda m: env.get(m.group(1), m.group(0)),
                                 str(var.get("value") or ""))
            continue
        source = var["valueFrom"] or {}
        if "fieldRef" in source:
            env[name] = field_value(pod, str(source["fieldRef"].get("fieldPath")), host_ip,
                                    pod_ip)
        elif "resourceFieldRef" in source:
            ref = source["resourceFieldRef"]
            target = container
            if ref.get("containerName"):
                all_containers = [*(pod["spec"].get("initContainers") or []),
                                  *pod["spec"]["containers"]]
                target = next((c for c in all_containers if c["name"] == ref["containerName"]),
                              container)
            env[name] = resource_value(target, str(ref.get("resource")), ref.get("divisor"))
        else:
            for kind, key in (("configmaps", "configMapKeyRef"), ("secrets", "secretKeyRef")):
                ref = source.get(key)
                if not ref:
                    continue
                obj = await lookup(kind, namespace, str(ref.get("name")))
                data = _data(kind, obj) if obj is not None else None
                if data is None or str(ref.get("key")) not in data:
                    if ref.get("optional"):
                        break
                    what = f'{kind[:-1]} "{ref.get("name")}"'
                    raise EnvError(f"{what} not found" if data is None
                                   else f'couldn\'t find key {ref.get("key")} in {what}')
                env[name] = data[str(ref["key"])]
    return list(env.items())


def as_mapping(env: list[tuple[str, str]]) -> Mapping[str, str]:
    return dict(env)
