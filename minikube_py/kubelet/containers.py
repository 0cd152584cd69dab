"""From a pod's container spec to the runtime's ContainerConfig (kuberuntime_container.go's
generateContainerConfig): command and args, workingDir, env, mounts, resource limits, and
the sim runtime's script from the pod annotation ``sim.minikube-py.io/<container>``.
Also the image pull policy Kubernetes defaults (Always for ``:latest`` or no tag).
"""

from __future__ import annotations

import json
from typing import Any

from minikube_py.api.validation.names import parse_quantity

from .runtime.base import ContainerConfig, Mount, Resources, split_ref
from .runtime.sim import SIM_ANNOTATION_PREFIX

Object = dict[str, Any]


def pull_policy(container: Object) -> str:
    policy = container.get("imagePullPolicy")
    if policy:
        return str(policy)
    _, tag = split_ref(str(container.get("image") or ""))
    return "Always" if tag in ("latest", "") and "@" not in str(container.get("image")) \
        else "IfNotPresent"


def resources(container: Object) -> Resources:
    res = container.get("resources") or {}
    limits, requests = res.get("limits") or {}, res.get("requests") or {}
    cpu_limit = parse_quantity(limits["cpu"]) if "cpu" in limits else None
    cpu_request = parse_quantity(requests.get("cpu", limits.get("cpu"))) \
        if "cpu" in requests or "cpu" in limits else None
    memory = parse_quantity(limits["memory"]) if "memory" in limits else None
    return Resources(
        cpu_limit_nanos=int(cpu_limit * 1_000_000_000) if cpu_limit else None,
        cpu_shares=max(2, int(cpu_request * 1024)) if cpu_request is not None else None,
        memory_limit_bytes=int(memory) if memory else None)


def sim_script(pod: Object, name: str) -> dict[str, Any] | None:
    raw = ((pod.get("metadata") or {}).get("annotations") or {}).get(
        SIM_ANNOTATION_PREFIX + name)
    if not raw:
        return None
    script = json.loads(raw)
    if not isinstance(script, dict):
        raise ValueError(f"annotation {SIM_ANNOTATION_PREFIX}{name} is not a JSON object")
    return script


def container_config(pod: Object, container: Object, *, env: list[tuple[str, str]],
                     mounts: tuple[Mount, ...], attempt: int) -> ContainerConfig:
    return ContainerConfig(
        name=str(container["name"]), image=str(container["image"]),
        command=tuple(str(c) for c in container.get("command") or ()),
        args=tuple(str(a) for a in container.get("args") or ()),
        env=tuple(env), working_dir=container.get("workingDir") or None, mounts=mounts,
        resources=resources(container), attempt=attempt, tty=bool(container.get("tty")),
        stdin=bool(container.get("stdin")), stdin_once=bool(container.get("stdinOnce")),
        sim=sim_script(pod, str(container["name"])))
