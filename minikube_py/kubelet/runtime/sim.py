"""The simulated container runtime: no processes, scripted outcomes, fast enough for thousands.

The daemon uses :class:`SimRuntime` when told to (``--runtime sim``): for scale tests with
thousands of pods on hundreds of virtual nodes, and on machines without Docker. It keeps
sandboxes and containers in dictionaries; a started container is running at once, and its end
is a timer on the event loop (no task per container). Events, labels, statuses and errors are
those of :class:`~.docker.DockerRuntime`, which the contract tests hold both to.

What a container does is scripted through ``ContainerConfig.sim``, which the kubelet fills from
the pod annotation ``sim.minikube-py.io/<container name>`` holding a JSON object::

    sim.minikube-py.io/app: '{"exitCode": 1, "runSeconds": 0.5}'

Keys (all optional; unknown keys are an InvalidConfig error, so typos show):

``runSeconds``  how long it runs before it ends by itself; absent: until stopped, unless
                ``exitCode`` or ``oomKilled`` is given, then 0.
``exitCode``    its exit code when it ends by itself (default 0); a list gives one per restart
                attempt, the last one repeating: ``[1, 1, 0]`` fails twice, then succeeds.
``oomKilled``   it ends as the OOM killer's victim: reason OOMKilled, exit code 137.
``logs``        text it writes to stdout when it starts.
``termSeconds`` how long it takes to exit after SIGTERM (default 0, exit code 143); longer than
                the stop timeout means it is killed (137).
``exec``        ``{"<command joined by spaces>": {"exitCode": 0, "stdout": "", "stderr": ""}}``;
                an unscripted command exits 0 silently, ``echo`` prints its arguments and
                ``cat`` without arguments copies stdin.
``usage``       ``{"cpuMillicores": 100, "memoryBytes": 1048576}`` for :meth:`SimRuntime.stats`.

Images: those given at construction are present; a pull succeeds (and adds the image) unless
``pull_error(ref)`` returns a reason; by default references containing ``unpullable`` fail, so a
scale test can script ErrImagePull without a registry.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import itertools
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from .base import (
    KIND_CONTAINER,
    KIND_SANDBOX,
    LABEL_SANDBOX_ID,
    SANDBOX_CONTAINER_NAME,
    ContainerConfig,
    ContainerId,
    ContainerState,
    ContainerStats,
    ContainerStatus,
    EventKind,
    EventStream,
    ExecResult,
    ImageInfo,
    OutputStream,
    RuntimeEvent,
    SandboxConfig,
    SandboxId,
    SandboxState,
    SandboxStatus,
    exit_reason,
    matches,
    normalize_ref,
    runtime_labels,
)
from .errors import Conflict, ImageNotPresent, ImagePullError, InvalidConfig, NotFound
from .images import BUSYBOX_IMAGE, PAUSE_IMAGE

SIM_ANNOTATION_PREFIX = "sim.minikube-py.io/"
EXIT_SIGTERM, EXIT_SIGKILL = 143, 137
_SCRIPT_KEYS = {"runSeconds", "exitCode", "oomKilled", "logs", "termSeconds", "exec", "usage"}


def _default_pull_error(ref: str) -> str | None:
    return "simulated pull failure (the reference says unpullable)" if "unpullable" in ref else None


@dataclass(frozen=True)
class SimScript:
    """A parsed ``sim`` script (see the module docstring)."""

    run_seconds: float | None = None
    exit_code: int = 0
    oom_killed: bool = False
    logs: str = ""
    term_seconds: float = 0.0
    exec: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    cpu_millicores: int = 0
    memory_bytes: int = 0

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | None, *, attempt: int) -> SimScript:
        raw = raw or {}
        unknown = set(raw) - _SCRIPT_KEYS
        if unknown:
            raise InvalidConfig(f"unknown sim script keys {sorted(unknown)}")
        try:
            codes = raw.get("exitCode", 0)
            code = codes[min(attempt, len(codes) - 1)] if isinstance(codes, list) else codes
            ends = "exitCode" in raw or raw.get("oomKilled")
            run = raw.get("runSeconds", 0.0 if ends else None)
            usage = raw.get("usage", {})
            return cls(
                run_seconds=None if run is None else float(run), exit_code=int(code),
                oom_killed=bool(raw.get("oomKilled", False)), logs=str(raw.get("logs", "")),
                term_seconds=float(raw.get("termSeconds", 0.0)), exec=dict(raw.get("exec", {})),
                cpu_millicores=int(usage.get("cpuMillicores", 0)),
                memory_bytes=int(usage.get("memoryBytes", 0)),
            )
        except (TypeError, ValueError, IndexError, AttributeError) as exc:
            raise InvalidConfig(f"bad sim script {dict(raw)!r}: {exc}") from exc


@dataclass
class _Sandbox:
    status: SandboxStatus
    containers: set[ContainerId] = field(default_factory=set)


@dataclass
class _Container:
    status: ContainerStatus
    script: SimScript
    logs: list[tuple[datetime, bytes]] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None
    changed: asyncio.Event | None = None  # made on demand: by log followers and stoppers

    def notify(self) -> None:
        if self.changed is not None:
            self.changed.set()
            self.changed = None


def _now() -> datetime:
    return datetime.now(UTC)


class SimRuntime:
    """A :class:`~.base.ContainerRuntime` without processes (see the module docstring)."""

    name = "sim"

    def __init__(
        self,
        *,
        node_name: str,
        images: Iterable[str] = (PAUSE_IMAGE, BUSYBOX_IMAGE),
        pod_cidr: str = "10.88.0.0/16",
        pull_error: Callable[[str], str | None] = _default_pull_error,
    ) -> None:
        self.node_name = node_name
        self._images: dict[str, ImageInfo] = {}
        for ref in images:
            self._add_image(ref)
        self._pull_error = pull_error
        self._ips = itertools.islice(ipaddress.ip_network(pod_cidr).hosts(), 1, None)
        self._host_ports = itertools.count(32768)
        self._sandboxes: dict[SandboxId, _Sandbox] = {}
        self._by_pod: dict[tuple[str, int], SandboxId] = {}  # (pod uid, attempt) -> sandbox
        self._containers: dict[ContainerId, _Container] = {}
        self._subscribers: set[EventStream] = set()

    async def version(self) -> str:
        return "sim://0.1.0"

    # images

    def _add_image(self, ref: str) -> ImageInfo:
        ref = normalize_ref(ref)
        digest = hashlib.sha256(ref.encode()).hexdigest()
        info = ImageInfo(id=f"sha256:{digest}", tags=(ref,), size=1024 * 1024)
        self._images[ref] = info
        return info

    async def image_status(self, ref: str) -> ImageInfo | None:
        return self._images.get(normalize_ref(ref))

    async def pull_image(self, ref: str) -> ImageInfo:
        reason = self._pull_error(ref)
        if reason is not None:
            raise ImagePullError(ref, reason)
        return self._images.get(normalize_ref(ref)) or self._add_image(ref)

    async def list_images(self) -> list[ImageInfo]:
        return list(self._images.values())

    # sandboxes

    async def run_sandbox(self, config: SandboxConfig) -> SandboxStatus:
        key = (config.pod_uid, config.attempt)
        if key in self._by_pod:
            raise Conflict(f"sandbox of pod {config.pod_uid} attempt {config.attempt} exists")
        labels = runtime_labels(
            node_name=self.node_name, kind=KIND_SANDBOX, pod_uid=config.pod_uid,
            namespace=config.namespace, pod_name=config.name,
            container_name=SANDBOX_CONTAINER_NAME, attempt=config.attempt, extra=config.labels,
        )
        published = tuple(
            replace(p, host_port=p.host_port or next(self._host_ports)) for p in config.ports
        )
        status = SandboxStatus(
            id=SandboxId(secrets.token_hex(32)), pod_uid=config.pod_uid,
            namespace=config.namespace, name=config.name, attempt=config.attempt,
            state=SandboxState.READY, ip=str(next(self._ips)), created_at=_now(),
            labels=labels, published=published,
        )
        self._sandboxes[status.id] = _Sandbox(status)
        self._by_pod[key] = status.id
        self._emit(status.id, EventKind.STARTED, labels)
        return status

    def _sandbox(self, sandbox_id: SandboxId) -> _Sandbox:
        try:
            return self._sandboxes[sandbox_id]
        except KeyError:
            raise NotFound(f"no sandbox {sandbox_id}") from None

    async def stop_sandbox(self, sandbox_id: SandboxId) -> None:
        box = self._sandboxes.get(sandbox_id)
        if box is None:
            return
        for cid in list(box.containers):
            self._end(self._containers[cid], EXIT_SIGKILL)
        if box.status.state is SandboxState.READY:
            box.status = replace(box.status, state=SandboxState.NOTREADY, ip=None, published=())
            self._emit(sandbox_id, EventKind.DIED, box.status.labels, exit_code=0)

    async def remove_sandbox(self, sandbox_id: SandboxId) -> None:
        box = self._sandboxes.get(sandbox_id)
        if box is None:
            return
        for cid in list(box.containers):
            await self.remove_container(cid)
        await self.stop_sandbox(sandbox_id)
        del self._sandboxes[sandbox_id]
        del self._by_pod[(box.status.pod_uid, box.status.attempt)]
        self._emit(sandbox_id, EventKind.DESTROYED, box.status.labels)

    async def sandbox_status(self, sandbox_id: SandboxId) -> SandboxStatus:
        return self._sandbox(sandbox_id).status

    async def list_sandboxes(self, labels: Mapping[str, str] | None = None) -> list[SandboxStatus]:
        return [b.status for b in self._sandboxes.values() if matches(b.status.labels, labels)]

    # containers

    async def create_container(self, sandbox_id: SandboxId, config: ContainerConfig) -> ContainerId:
        box = self._sandbox(sandbox_id)
        image = await self.image_status(config.image)
        if image is None:
            raise ImageNotPresent(f"image {config.image!r} is not present")
        for cid in box.containers:
            other = self._containers[cid].status
            if (other.name, other.attempt) == (config.name, config.attempt):
                raise Conflict(f"container {config.name} attempt {config.attempt} exists")
        script = SimScript.parse(config.sim, attempt=config.attempt)
        labels = runtime_labels(
            node_name=self.node_name, kind=KIND_CONTAINER, pod_uid=box.status.pod_uid,
            namespace=box.status.namespace, pod_name=box.status.name,
            container_name=config.name, attempt=config.attempt, extra=config.labels,
        )
        labels[LABEL_SANDBOX_ID] = sandbox_id
        status = ContainerStatus(
            id=ContainerId(secrets.token_hex(32)), name=config.name, sandbox_id=sandbox_id,
            state=ContainerState.CREATED, image=config.image, image_id=image.id,
            labels=labels, attempt=config.attempt, created_at=_now(),
        )
        self._containers[status.id] = _Container(status, script)
        box.containers.add(status.id)
        return status.id

    def _container(self, container_id: ContainerId) -> _Container:
        try:
            return self._containers[container_id]
        except KeyError:
            raise NotFound(f"no container {container_id}") from None

    async def start_container(self, container_id: ContainerId) -> None:
        c = self._container(container_id)
        if c.status.state is not ContainerState.CREATED:
            raise Conflict(f"container {container_id} is {c.status.state.value}, not created")
        if self._sandbox(c.status.sandbox_id).status.state is not SandboxState.READY:
            raise Conflict(f"the sandbox of container {container_id} is not running")
        now = _now()
        c.status = replace(c.status, state=ContainerState.RUNNING, started_at=now)
        if c.script.logs:
            c.logs.extend((now, line) for line in c.script.logs.encode().splitlines(True))
        self._emit(container_id, EventKind.STARTED, c.status.labels)
        if c.script.run_seconds is not None:
            code = EXIT_SIGKILL if c.script.oom_killed else c.script.exit_code
            loop = asyncio.get_running_loop()
            c.timer = loop.call_later(c.script.run_seconds, self._end, c, code, c.script.oom_killed)

    def _end(self, c: _Container, exit_code: int, oom_killed: bool = False) -> None:
        """The container's process ends now (by itself, a signal or the OOM killer)."""
        if c.status.state is not ContainerState.RUNNING:
            return
        if c.timer is not None:
            c.timer.cancel()
            c.timer = None
        c.status = replace(
            c.status, state=ContainerState.EXITED, finished_at=_now(), exit_code=exit_code,
            reason=exit_reason(exit_code, oom_killed=oom_killed),
        )
        if oom_killed:
            self._emit(c.status.id, EventKind.OOM, c.status.labels)
        self._emit(c.status.id, EventKind.DIED, c.status.labels, exit_code=exit_code)
        c.notify()

    async def stop_container(self, container_id: ContainerId, timeout_seconds: float) -> None:
        c = self._container(container_id)
        if c.status.state is not ContainerState.RUNNING:
            return
        term = c.script.term_seconds
        if timeout_seconds > 0 and term <= timeout_seconds:
            if term > 0:
                await asyncio.sleep(term)
            self._end(c, EXIT_SIGTERM)
        else:
            await asyncio.sleep(max(timeout_seconds, 0))
            self._end(c, EXIT_SIGKILL)

    async def remove_container(self, container_id: ContainerId) -> None:
        c = self._containers.get(container_id)
        if c is None:
            return
        self._end(c, EXIT_SIGKILL)
        del self._containers[container_id]
        box = self._sandboxes.get(c.status.sandbox_id)
        if box is not None:
            box.containers.discard(container_id)
        self._emit(container_id, EventKind.DESTROYED, c.status.labels)
        c.notify()

    async def container_status(self, container_id: ContainerId) -> ContainerStatus:
        return self._container(container_id).status

    async def list_containers(
        self, labels: Mapping[str, str] | None = None
    ) -> list[ContainerStatus]:
        return [c.status for c in self._containers.values() if matches(c.status.labels, labels)]

    # streams

    async def relist(self) -> list[tuple[ContainerId, str, ContainerState]]:
        return [(cid, c.status.pod_uid, c.status.state) for cid, c in self._containers.items()]

    async def logs(
        self, container_id: ContainerId, *, follow: bool = False, tail_lines: int | None = None,
        since: datetime | None = None, timestamps: bool = False,
    ) -> AsyncIterator[bytes]:
        c = self._container(container_id)
        lines = [(t, line) for t, line in c.logs if since is None or t >= since]
        if tail_lines is not None:
            lines = lines[-tail_lines:] if tail_lines > 0 else []
        for t, line in lines:
            yield _stamp(t, line) if timestamps else line
        seen = len(c.logs)
        while follow and c.status.state is not ContainerState.EXITED:
            if container_id not in self._containers:
                return
            c.changed = c.changed or asyncio.Event()
            await c.changed.wait()
            for t, line in c.logs[seen:]:
                yield _stamp(t, line) if timestamps else line
            seen = len(c.logs)

    async def exec(
        self, container_id: ContainerId, command: Sequence[str], *, stdin: bool = False,
        tty: bool = False,
    ) -> SimExec:
        c = self._container(container_id)
        if c.status.state is not ContainerState.RUNNING:
            raise Conflict(f"container {container_id} is not running")
        line = " ".join(command)
        scripted = c.script.exec.get(line)
        if scripted is not None:
            result = ExecResult(int(scripted.get("exitCode", 0)),
                                str(scripted.get("stdout", "")).encode(),
                                str(scripted.get("stderr", "")).encode())
        elif command and command[0] == "echo":
            result = ExecResult(0, (" ".join(command[1:]) + "\n").encode(), b"")
        else:
            result = ExecResult(0, b"", b"")
        echo = scripted is None and stdin and list(command) == ["cat"]
        return SimExec(result, echo_stdin=echo, tty=tty)

    async def stats(self, container_id: ContainerId) -> ContainerStats:
        c = self._container(container_id)
        now = _now()
        started, finished = c.status.started_at, c.status.finished_at
        seconds = ((finished or now) - started).total_seconds() if started else 0.0
        running = c.status.state is ContainerState.RUNNING
        return ContainerStats(
            container_id=container_id,
            cpu_usage_nanoseconds=int(c.script.cpu_millicores * 1_000_000 * seconds),
            memory_working_set_bytes=c.script.memory_bytes if running else 0,
            timestamp=now,
        )

    def events(self) -> EventStream:
        stream = EventStream(self._subscribers.discard)
        self._subscribers.add(stream)
        return stream

    def _emit(
        self, object_id: str, kind: EventKind, labels: Mapping[str, str], *,
        exit_code: int | None = None,
    ) -> None:
        event = RuntimeEvent(object_id, kind, labels, _now(), exit_code)
        for stream in self._subscribers:
            stream.put(event)

    async def close(self) -> None:
        for c in self._containers.values():
            if c.timer is not None:
                c.timer.cancel()
        for stream in list(self._subscribers):
            stream.end()
        self._subscribers.clear()


def _stamp(t: datetime, line: bytes) -> bytes:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f000Z ").encode() + line


class SimExec:
    """A scripted exec session: its output is known in advance (``cat`` echoes stdin)."""

    def __init__(self, result: ExecResult, *, echo_stdin: bool, tty: bool) -> None:
        self._result = result
        self._echo = echo_stdin
        self._tty = tty
        self._stdin = bytearray()
        self._stdin_closed = asyncio.Event()

    async def write(self, data: bytes) -> None:
        if self._stdin_closed.is_set():
            raise Conflict("stdin of this exec session is closed")
        self._stdin += data

    async def close_stdin(self) -> None:
        self._stdin_closed.set()

    async def output(self) -> AsyncIterator[tuple[OutputStream, bytes]]:
        err = OutputStream.STDOUT if self._tty else OutputStream.STDERR
        if self._result.stdout:
            yield OutputStream.STDOUT, self._result.stdout
        if self._result.stderr:
            yield err, self._result.stderr
        if self._echo:
            await self._stdin_closed.wait()
            if self._stdin:
                yield OutputStream.STDOUT, bytes(self._stdin)

    async def wait(self) -> int:
        return self._result.exit_code

    async def close(self) -> None:
        self._stdin_closed.set()
