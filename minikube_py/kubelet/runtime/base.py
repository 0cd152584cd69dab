"""The kubelet's container runtime seam: a small, CRI-shaped protocol and the data it speaks.

The kubelet (pod workers, probes, the pod lifecycle event generator, ``kubectl logs/exec``, the
metrics and eviction managers) talks to containers only through :class:`ContainerRuntime`.
Two implementations ship: :class:`~.docker.DockerRuntime` (real containers through aiodocker)
and :class:`~.sim.SimRuntime` (no processes, for scale tests and machines without Docker). The
daemon picks one explicitly; there is never a silent fallback.

As in the CRI, a pod is a *sandbox* (it owns the pod's network namespace and IP) plus
*containers* created inside it. One runtime instance serves one node: everything it creates
carries the labels below (pod uid, namespace, name, container name, node, attempt and
``io.minikube-py.managed=true``), its lists and events cover only its node, and a restarted
kubelet rebuilds its state from those labels.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, NewType, Protocol

from .errors import (
    Conflict,
    ContainerRuntimeError,
    ImageNotPresent,
    ImagePullError,
    InvalidConfig,
    NotFound,
    RuntimeUnavailable,
)

__all__ = [
    "Conflict", "ContainerRuntimeError", "ImageNotPresent", "ImagePullError", "InvalidConfig",
    "NotFound", "RuntimeUnavailable",
]

SandboxId = NewType("SandboxId", str)
ContainerId = NewType("ContainerId", str)

# Labels on every sandbox and container a runtime creates.
LABEL_MANAGED = "io.minikube-py.managed"  # always "true"
LABEL_NODE = "io.minikube-py.node"
LABEL_KIND = "io.minikube-py.kind"  # KIND_SANDBOX or KIND_CONTAINER
LABEL_POD_UID = "io.minikube-py.pod.uid"
LABEL_POD_NAMESPACE = "io.minikube-py.pod.namespace"
LABEL_POD_NAME = "io.minikube-py.pod.name"
LABEL_CONTAINER_NAME = "io.minikube-py.container.name"  # "POD" on a sandbox
LABEL_SANDBOX_ID = "io.minikube-py.sandbox.id"  # on containers only
LABEL_ATTEMPT = "io.minikube-py.attempt"  # restart attempt, from 0
KIND_SANDBOX, KIND_CONTAINER = "sandbox", "container"
SANDBOX_CONTAINER_NAME = "POD"
RESERVED_PREFIX = "io.minikube-py."  # callers' labels may not use it


class SandboxState(enum.Enum):
    READY = "ready"  # its process runs: the network namespace exists
    NOTREADY = "notready"


class ContainerState(enum.Enum):
    CREATED = "created"
    RUNNING = "running"
    EXITED = "exited"
    UNKNOWN = "unknown"


class OutputStream(enum.IntEnum):
    STDOUT = 1
    STDERR = 2


class EventKind(enum.Enum):
    STARTED = "started"
    DIED = "died"
    OOM = "oom"  # sent before the DIED of a container the OOM killer ended
    DESTROYED = "destroyed"


# Reasons of an exited container, as Kubernetes writes them in containerStatuses.
REASON_COMPLETED, REASON_ERROR, REASON_OOM_KILLED = "Completed", "Error", "OOMKilled"


@dataclass(frozen=True)
class ImageInfo:
    id: str
    tags: tuple[str, ...]
    size: int  # bytes


@dataclass(frozen=True)
class PortMapping:
    """A pod port, published on the host when the runtime runs in "published" mode."""

    container_port: int
    protocol: str = "tcp"
    host_ip: str = "127.0.0.1"
    host_port: int = 0  # 0: the engine picks a free port; the status tells which


@dataclass(frozen=True)
class DnsConfig:
    servers: tuple[str, ...] = ()
    searches: tuple[str, ...] = ()
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class SandboxConfig:
    pod_uid: str
    namespace: str
    name: str
    hostname: str
    attempt: int = 0
    labels: Mapping[str, str] = field(default_factory=dict)
    dns: DnsConfig | None = None
    ports: tuple[PortMapping, ...] = ()


@dataclass(frozen=True)
class SandboxStatus:
    id: SandboxId
    pod_uid: str
    namespace: str
    name: str
    attempt: int
    state: SandboxState
    ip: str | None
    created_at: datetime
    labels: Mapping[str, str]
    published: tuple[PortMapping, ...] = ()  # host_port filled in


@dataclass(frozen=True)
class Mount:
    host_path: str
    container_path: str
    read_only: bool = False


@dataclass(frozen=True)
class Resources:
    """Limits become engine limits; the request only weighs CPU time between containers."""

    cpu_limit_nanos: int | None = None  # 1e9 = one CPU (Docker NanoCpus; CFS quota)
    cpu_shares: int | None = None  # from the CPU request: 1024 per CPU, at least 2
    memory_limit_bytes: int | None = None  # over it the OOM killer ends the container


@dataclass(frozen=True)
class ContainerConfig:
    name: str
    image: str
    command: tuple[str, ...] = ()  # replaces the image's entrypoint (and its CMD)
    args: tuple[str, ...] = ()  # replaces the image's CMD
    env: tuple[tuple[str, str], ...] = ()
    working_dir: str | None = None
    mounts: tuple[Mount, ...] = ()
    resources: Resources = Resources()
    labels: Mapping[str, str] = field(default_factory=dict)
    attempt: int = 0
    tty: bool = False
    stdin: bool = False
    stdin_once: bool = False
    # Script for the sim runtime (see :mod:`.sim`); the Docker runtime ignores it.
    sim: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ContainerStatus:
    id: ContainerId
    name: str
    sandbox_id: SandboxId
    state: ContainerState
    image: str
    image_id: str
    labels: Mapping[str, str]
    attempt: int
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    exit_code: int | None = None  # set once exited
    reason: str = ""  # Completed | Error | OOMKilled once exited
    message: str = ""

    @property
    def pod_uid(self) -> str:
        return self.labels.get(LABEL_POD_UID, "")


@dataclass(frozen=True)
class ContainerStats:
    container_id: ContainerId
    cpu_usage_nanoseconds: int  # cumulative
    memory_working_set_bytes: int
    timestamp: datetime


@dataclass(frozen=True)
class RuntimeEvent:
    container_id: str  # a ContainerId or a SandboxId (see ``labels[LABEL_KIND]``)
    kind: EventKind
    labels: Mapping[str, str]
    timestamp: datetime
    exit_code: int | None = None  # on DIED

    @property
    def pod_uid(self) -> str:
        return self.labels.get(LABEL_POD_UID, "")

    @property
    def is_sandbox(self) -> bool:
        return self.labels.get(LABEL_KIND) == KIND_SANDBOX


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    stdout: bytes
    stderr: bytes


class ExecSession(Protocol):
    """A command running in a container: feed its stdin, read its output, wait for its end."""

    async def write(self, data: bytes) -> None: ...

    async def close_stdin(self) -> None: ...

    def output(self) -> AsyncIterator[tuple[OutputStream, bytes]]:
        """Chunks of stdout and stderr as they come (all stdout when it has a tty)."""
        ...

    async def wait(self) -> int:
        """The exit code; output not read by then is dropped."""
        ...

    async def close(self) -> None: ...


class ContainerRuntime(Protocol):
    """What the kubelet needs from a container engine (a small subset of the CRI)."""

    name: str  # "docker" | "sim"
    node_name: str

    async def version(self) -> str:
        """``engine://version`` for Node.status.nodeInfo; RuntimeUnavailable when none answers."""
        ...

    # images
    async def image_status(self, ref: str) -> ImageInfo | None: ...
    async def pull_image(self, ref: str) -> ImageInfo: ...
    async def list_images(self) -> list[ImageInfo]: ...

    # sandboxes
    async def run_sandbox(self, config: SandboxConfig) -> SandboxStatus: ...
    async def stop_sandbox(self, sandbox_id: SandboxId) -> None:
        """Kill the sandbox's containers, then the sandbox; idempotent."""
        ...

    async def remove_sandbox(self, sandbox_id: SandboxId) -> None:
        """Remove the sandbox and its containers by force; a missing one is no error."""
        ...

    async def sandbox_status(self, sandbox_id: SandboxId) -> SandboxStatus: ...
    async def list_sandboxes(
        self, labels: Mapping[str, str] | None = None
    ) -> list[SandboxStatus]: ...

    # containers
    async def create_container(
        self, sandbox_id: SandboxId, config: ContainerConfig
    ) -> ContainerId: ...
    async def start_container(self, container_id: ContainerId) -> None: ...
    async def stop_container(self, container_id: ContainerId, timeout_seconds: float) -> None:
        """SIGTERM, then SIGKILL once ``timeout_seconds`` have passed; returns once it exited."""
        ...

    async def remove_container(self, container_id: ContainerId) -> None:
        """Remove it, by force if it runs; a missing one is no error."""
        ...

    async def container_status(self, container_id: ContainerId) -> ContainerStatus: ...
    async def list_containers(
        self, labels: Mapping[str, str] | None = None
    ) -> list[ContainerStatus]: ...

    async def relist(self) -> list[tuple[ContainerId, str, ContainerState]]:
        """(id, pod uid, state) of every container of this node, cheaply: the pod lifecycle
        event generator's periodic relist (no inspect per container)."""
        ...

    # streams
    def logs(
        self,
        container_id: ContainerId,
        *,
        follow: bool = False,
        tail_lines: int | None = None,
        since: datetime | None = None,
        timestamps: bool = False,
    ) -> AsyncIterator[bytes]:
        """What the container wrote to stdout and stderr, interleaved as a user sees it."""
        ...

    async def exec(
        self,
        container_id: ContainerId,
        command: Sequence[str],
        *,
        stdin: bool = False,
        tty: bool = False,
    ) -> ExecSession: ...

    async def stats(self, container_id: ContainerId) -> ContainerStats: ...

    def events(self) -> EventStream:
        """Events of this node's sandboxes and containers from now on."""
        ...

    async def close(self) -> None: ...


class EventStream:
    """One subscriber's runtime events: buffers from the moment it is made, iterate to read.

    The runtime calls :meth:`put` (and :meth:`end` when it shuts down); the consumer iterates,
    and closes it (or leaves an ``async with`` block) to unsubscribe.
    """

    def __init__(self, on_close: Callable[[EventStream], None]) -> None:
        self._queue: asyncio.Queue[RuntimeEvent | BaseException | None] = asyncio.Queue()
        self._on_close = on_close
        self._closed = False

    def put(self, event: RuntimeEvent) -> None:
        if not self._closed:
            self._queue.put_nowait(event)

    def end(self, error: BaseException | None = None) -> None:
        """No more events: iteration stops, or raises ``error``."""
        if not self._closed:
            self._queue.put_nowait(error)

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> RuntimeEvent:
        if self._closed:
            raise StopAsyncIteration
        item = await self._queue.get()
        if isinstance(item, RuntimeEvent):
            return item
        self._closed = True
        if item is None:
            raise StopAsyncIteration
        raise item

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._on_close(self)

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def runtime_labels(
    *, node_name: str, kind: str, pod_uid: str, namespace: str, pod_name: str,
    container_name: str, attempt: int, extra: Mapping[str, str],
) -> dict[str, str]:
    """The labels of a new sandbox or container: the caller's, then ours (which win)."""
    reserved = [key for key in extra if key.startswith(RESERVED_PREFIX)]
    if reserved:
        raise InvalidConfig(f"labels {reserved} use the reserved prefix {RESERVED_PREFIX!r}")
    return {
        **extra,
        LABEL_MANAGED: "true",
        LABEL_NODE: node_name,
        LABEL_KIND: kind,
        LABEL_POD_UID: pod_uid,
        LABEL_POD_NAMESPACE: namespace,
        LABEL_POD_NAME: pod_name,
        LABEL_CONTAINER_NAME: container_name,
        LABEL_ATTEMPT: str(attempt),
    }


def split_ref(ref: str) -> tuple[str, str]:
    """``repo[:tag]`` -> (repo, tag), ``latest`` when no tag; a registry's port is no tag.

    A reference by digest (``repo@sha256:...``) has no tag: ``(ref, "")``.
    """
    if "@" in ref:
        return ref, ""
    repo, sep, tag = ref.rpartition(":")
    if not sep or "/" in tag:
        return ref, "latest"
    return repo, tag


def normalize_ref(ref: str) -> str:
    """The reference as an image store lists it: ``busybox`` -> ``busybox:latest``."""
    repo, tag = split_ref(ref)
    return f"{repo}:{tag}" if tag else repo


def matches(labels: Mapping[str, str], selector: Mapping[str, str] | None) -> bool:
    return not selector or all(labels.get(k) == v for k, v in selector.items())


def exit_reason(exit_code: int, *, oom_killed: bool) -> str:
    if oom_killed:
        return REASON_OOM_KILLED
    return REASON_COMPLETED if exit_code == 0 else REASON_ERROR


async def exec_sync(
    runtime: ContainerRuntime, container_id: ContainerId, command: Sequence[str], *,
    timeout_seconds: float,
) -> ExecResult:
    """Run ``command`` to its end and collect its output (exec probes, non-interactive exec).

    Raises ``TimeoutError`` after ``timeout_seconds`` (the command may go on running).
    """
    session = await runtime.exec(container_id, command)
    out: dict[OutputStream, bytearray] = {OutputStream.STDOUT: bytearray(),
                                          OutputStream.STDERR: bytearray()}
    try:
        async with asyncio.timeout(timeout_seconds):
            async for stream, chunk in session.output():
                out[stream] += chunk
            code = await session.wait()
    finally:
        await session.close()
    return ExecResult(code, bytes(out[OutputStream.STDOUT]), bytes(out[OutputStream.STDERR]))
