"""Pure translations between the runtime's dataclasses and the Docker Engine API's JSON.

:mod:`.docker` sends what :func:`sandbox_spec` and :func:`container_spec` build to
``POST /containers/create`` and reads ``GET /containers/{id}/json``, ``/stats`` and ``/events``
through the parsers below. Nothing here does I/O, so it is tested without an engine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .base import (
    LABEL_ATTEMPT,
    LABEL_CONTAINER_NAME,
    LABEL_POD_NAME,
    LABEL_POD_NAMESPACE,
    LABEL_POD_UID,
    LABEL_SANDBOX_ID,
    ContainerConfig,
    ContainerId,
    ContainerState,
    ContainerStats,
    ContainerStatus,
    EventKind,
    PortMapping,
    RuntimeEvent,
    SandboxConfig,
    SandboxId,
    SandboxState,
    SandboxStatus,
    exit_reason,
)

NAME_PREFIX = "mkpy"
_STATES = {
    "created": ContainerState.CREATED,
    "running": ContainerState.RUNNING,
    "paused": ContainerState.RUNNING,
    "restarting": ContainerState.RUNNING,
    "exited": ContainerState.EXITED,
    "dead": ContainerState.EXITED,
}


def list_state(state: str) -> ContainerState:
    """A container's state from a list entry's ``State`` (``running``, ``exited`` ...)."""
    return _STATES.get(state, ContainerState.UNKNOWN)


EVENT_ACTIONS = {
    "start": EventKind.STARTED,
    "die": EventKind.DIED,
    "oom": EventKind.OOM,
    "destroy": EventKind.DESTROYED,
}


def container_name(*, container: str, pod: str, namespace: str, uid: str, attempt: int) -> str:
    """Docker's name for it, unique per pod uid, container and attempt (as dockershim did)."""
    return f"{NAME_PREFIX}_{container}_{pod}_{namespace}_{uid}_{attempt}"


def sandbox_spec(config: SandboxConfig, *, image: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """The create body of a sandbox: the pause image on the default bridge network."""
    host: dict[str, Any] = {"NetworkMode": "bridge", "IpcMode": "shareable"}
    if config.dns is not None:
        host |= {"Dns": list(config.dns.servers), "DnsSearch": list(config.dns.searches),
                 "DnsOptions": list(config.dns.options)}
    spec: dict[str, Any] = {"Image": image, "Hostname": config.hostname, "Labels": dict(labels)}
    if config.ports:
        spec["ExposedPorts"] = {_port_key(p): {} for p in config.ports}
        host["PortBindings"] = {
            _port_key(p): [{"HostIp": p.host_ip, "HostPort": str(p.host_port or "")}]
            for p in config.ports
        }
    spec["HostConfig"] = host
    return spec


def container_spec(
    sandbox_id: SandboxId, config: ContainerConfig, *, labels: Mapping[str, str]
) -> dict[str, Any]:
    """The create body of an app container, in the sandbox's network and IPC namespaces."""
    res = config.resources
    host: dict[str, Any] = {
        "NetworkMode": f"container:{sandbox_id}",
        "IpcMode": f"container:{sandbox_id}",
        "Binds": [_bind(m.host_path, m.container_path, m.read_only) for m in config.mounts],
    }
    if res.memory_limit_bytes is not None:
        # Swap equal to the limit means no swap: over the limit is an OOM kill, as in Kubernetes.
        host |= {"Memory": res.memory_limit_bytes, "MemorySwap": res.memory_limit_bytes}
    if res.cpu_limit_nanos is not None:
        host["NanoCpus"] = res.cpu_limit_nanos
    if res.cpu_shares is not None:
        host["CpuShares"] = max(res.cpu_shares, 2)
    spec: dict[str, Any] = {
        "Image": config.image,
        "Env": [f"{k}={v}" for k, v in config.env],
        "Labels": dict(labels),
        "Tty": config.tty,
        "OpenStdin": config.stdin,
        "StdinOnce": config.stdin_once,
        "AttachStdin": False, "AttachStdout": False, "AttachStderr": False,
        "HostConfig": host,
    }
    if config.command:
        spec["Entrypoint"] = list(config.command)
    if config.args:
        spec["Cmd"] = list(config.args)
    if config.working_dir:
        spec["WorkingDir"] = config.working_dir
    return spec


def _bind(host_path: str, container_path: str, read_only: bool) -> str:
    return f"{host_path}:{container_path}:{'ro' if read_only else 'rw'}"


def _port_key(port: PortMapping) -> str:
    return f"{port.container_port}/{port.protocol.lower()}"


def parse_time(value: str | None) -> datetime | None:
    """Docker's RFC 3339 time with nanoseconds; its zero time ("0001-01-01...") is None."""
    if not value or value.startswith("0001-01-01"):
        return None
    head, _, frac = value.rstrip("Z").partition(".")
    stamp = f"{head}.{(frac + '000000')[:6]}" if frac else head
    parsed = datetime.fromisoformat(stamp)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def sandbox_status(info: Mapping[str, Any]) -> SandboxStatus:
    """A sandbox's status from ``docker inspect`` of its pause container."""
    labels = info["Config"].get("Labels") or {}
    state = info["State"]
    running = bool(state.get("Running"))
    networks = (info.get("NetworkSettings") or {}).get("Networks") or {}
    ip = next((n.get("IPAddress") for n in networks.values() if n.get("IPAddress")), None)
    return SandboxStatus(
        id=SandboxId(info["Id"]),
        pod_uid=labels.get(LABEL_POD_UID, ""),
        namespace=labels.get(LABEL_POD_NAMESPACE, ""),
        name=labels.get(LABEL_POD_NAME, ""),
        attempt=int(labels.get(LABEL_ATTEMPT, "0")),
        state=SandboxState.READY if running else SandboxState.NOTREADY,
        ip=ip if running else None,
        created_at=parse_time(info.get("Created")) or datetime.now(UTC),
        labels=labels,
        published=published_ports(info) if running else (),
    )


def published_ports(info: Mapping[str, Any]) -> tuple[PortMapping, ...]:
    ports = (info.get("NetworkSettings") or {}).get("Ports") or {}
    out = []
    for key, bindings in ports.items():
        number, _, protocol = key.partition("/")
        for b in bindings or ():
            out.append(PortMapping(int(number), protocol or "tcp", b["HostIp"], int(b["HostPort"])))
    return tuple(sorted(out, key=lambda p: (p.container_port, p.host_ip)))


def container_status(info: Mapping[str, Any]) -> ContainerStatus:
    """A container's status from ``docker inspect``."""
    config, state = info["Config"], info["State"]
    labels = config.get("Labels") or {}
    phase = _STATES.get(state.get("Status", ""), ContainerState.UNKNOWN)
    exit_code = int(state.get("ExitCode", 0)) if phase is ContainerState.EXITED else None
    oom = bool(state.get("OOMKilled"))
    reason = exit_reason(exit_code, oom_killed=oom) if exit_code is not None else ""
    return ContainerStatus(
        id=ContainerId(info["Id"]),
        name=labels.get(LABEL_CONTAINER_NAME, info.get("Name", "").lstrip("/")),
        sandbox_id=SandboxId(labels.get(LABEL_SANDBOX_ID, "")),
        state=phase,
        image=config.get("Image", ""),
        image_id=info.get("Image", ""),
        labels=labels,
        attempt=int(labels.get(LABEL_ATTEMPT, "0")),
        created_at=parse_time(info.get("Created")) or datetime.now(UTC),
        started_at=parse_time(state.get("StartedAt")),
        finished_at=parse_time(state.get("FinishedAt")) if exit_code is not None else None,
        exit_code=exit_code,
        reason=reason,
        message=state.get("Error", ""),
    )


def runtime_event(message: Mapping[str, Any]) -> RuntimeEvent | None:
    """A RuntimeEvent from one ``/events`` message, or None for actions we do not report."""
    kind = EVENT_ACTIONS.get(str(message.get("Action", message.get("status", ""))))
    if kind is None or message.get("Type", "container") != "container":
        return None
    actor = message.get("Actor") or {}
    attributes = dict(actor.get("Attributes") or {})
    exit_code = attributes.pop("exitCode", None)
    for key in ("image", "name", "signal", "execDuration"):  # keep only the labels
        attributes.pop(key, None)
    nanos = int(message.get("timeNano") or int(message.get("time", 0)) * 1_000_000_000)
    return RuntimeEvent(
        container_id=str(actor.get("ID") or message.get("id", "")),
        kind=kind,
        labels=attributes,
        timestamp=datetime.fromtimestamp(nanos / 1e9, UTC),
        exit_code=int(exit_code) if exit_code is not None else None,
    )


def container_stats(container_id: ContainerId, raw: Mapping[str, Any]) -> ContainerStats:
    """Usage from ``/containers/{id}/stats``; working set = usage minus inactive file cache."""
    memory = raw.get("memory_stats") or {}
    detail = memory.get("stats") or {}
    inactive = detail.get("total_inactive_file", detail.get("inactive_file", 0))  # v1, v2
    usage = int(memory.get("usage", 0))
    cpu = int(((raw.get("cpu_stats") or {}).get("cpu_usage") or {}).get("total_usage", 0))
    return ContainerStats(
        container_id=container_id,
        cpu_usage_nanoseconds=cpu,
        memory_working_set_bytes=max(usage - int(inactive), 0),
        timestamp=parse_time(raw.get("read")) or datetime.now(UTC),
    )


def stop_seconds(timeout_seconds: float) -> int:
    """Docker's stop timeout is whole seconds: round a grace period up, never below 0."""
    return max(math.ceil(timeout_seconds), 0)
