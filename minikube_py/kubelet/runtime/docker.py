"""The Docker runtime: pods as real containers, through aiodocker.

:class:`DockerRuntime` is the real :class:`~.base.ContainerRuntime` behind each kubelet. A
sandbox is a container of the pause image (:mod:`.pause`, imported on first use) on the
default bridge network, with the pod's hostname, DNS and (in "published" mode) host ports; the
pod IP is its bridge IP. App containers join it with ``NetworkMode: container:<sandbox>`` (and
its IPC namespace), so the containers of a pod share localhost, as in Kubernetes. The JSON of
the Engine API is built and read by :mod:`.docker_specs`.

aiodocker and aiohttp errors are translated into :mod:`.errors` here and nowhere else
(:func:`_translate`), chained with ``from``. The only background task is the event pump, a
named task of the runtime's :class:`~minikube_py.util.tasks.TaskGroup`: one ``/events`` stream
per runtime, fanned out to every :class:`~.base.EventStream`, resumed from the last event seen
when the stream breaks. Several runtimes (virtual nodes) can share one engine: each sees only
what carries its node label.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import aiodocker
import aiohttp
from aiodocker.stream import Stream

from minikube_py.util.tasks import TaskGroup

from . import docker_specs as specs
from .base import (
    KIND_CONTAINER,
    KIND_SANDBOX,
    LABEL_KIND,
    LABEL_MANAGED,
    LABEL_NODE,
    LABEL_POD_UID,
    LABEL_SANDBOX_ID,
    SANDBOX_CONTAINER_NAME,
    ContainerConfig,
    ContainerId,
    ContainerState,
    ContainerStats,
    ContainerStatus,
    EventStream,
    ImageInfo,
    OutputStream,
    SandboxConfig,
    SandboxId,
    SandboxStatus,
    runtime_labels,
)
from .errors import (
    Conflict,
    ContainerRuntimeError,
    ImageNotPresent,
    ImagePullError,
    InvalidConfig,
    NotFound,
    RuntimeUnavailable,
)
from .images import PAUSE_IMAGE, ensure_pause_image

log = logging.getLogger(__name__)

_NO_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_read=None)
_INSPECT_CONCURRENCY = 16
_SANDBOX_STOP_SECONDS = 2  # the pause program exits on SIGTERM at once
_EVENTS_RETRY_FIRST, _EVENTS_RETRY_MAX = 0.5, 10.0  # seconds between reconnects, doubling


@contextlib.contextmanager
def _translate(what: str) -> Iterator[None]:
    """The one boundary where aiodocker's and aiohttp's errors become the runtime's."""
    try:
        yield
    except aiodocker.DockerError as exc:
        raise _runtime_error(exc, what) from exc
    except aiohttp.ClientError as exc:
        raise RuntimeUnavailable(f"{what}: {exc}") from exc


def _runtime_error(exc: aiodocker.DockerError, what: str) -> ContainerRuntimeError:
    message = f"{what}: {exc.message}"
    if exc.status == 900:  # aiodocker: cannot connect to the engine
        return RuntimeUnavailable(exc.message)
    if exc.status == 404:
        return ImageNotPresent(message) if "image" in exc.message.lower() else NotFound(message)
    if exc.status == 409:
        return Conflict(message)
    if exc.status == 400:
        return InvalidConfig(message)
    return ContainerRuntimeError(message)


@contextlib.asynccontextmanager
async def _streaming(
    docker: aiodocker.Docker, path: str, params: Mapping[str, str]
) -> AsyncIterator[aiohttp.ClientResponse]:
    """A raw GET whose response is closed however the reader ends (aiodocker's is not)."""
    async with docker._query(path, params=dict(params), timeout=_NO_TIMEOUT) as response:
        try:
            yield response
        finally:
            response.close()


def _connect(docker_host: str | None) -> aiodocker.Docker:
    url = docker_host or os.environ.get("DOCKER_HOST")
    try:
        return aiodocker.Docker(url) if url else aiodocker.Docker()
    except (AssertionError, ValueError) as exc:  # aiodocker asserts when it finds no socket
        raise RuntimeUnavailable(
            f"no Docker socket found ({exc or 'none of the usual paths'})"
        ) from exc


class DockerRuntime:
    """A :class:`~.base.ContainerRuntime` on a Docker Engine. Make it inside a running loop."""

    name = "docker"

    def __init__(
        self,
        *,
        node_name: str,
        pause_image: str = PAUSE_IMAGE,
        docker_host: str | None = None,
        pull_timeout: float = 600.0,
    ) -> None:
        self.node_name = node_name
        self.pause_image = pause_image
        self._pull_timeout = pull_timeout
        self._docker = _connect(docker_host)
        self._pause_ready = False
        self._pause_lock = asyncio.Lock()
        self._inspect_slots = asyncio.Semaphore(_INSPECT_CONCURRENCY)
        self._tasks = TaskGroup(f"docker-runtime[{node_name}]")
        self._subscribers: set[EventStream] = set()
        self._pump: asyncio.Task[None] | None = None
        self._since_nanos = 0

    async def version(self) -> str:
        with _translate("ask the engine its version"):
            info = await self._docker.version()
        return f"docker://{info['Version']}"

    # images

    async def image_status(self, ref: str) -> ImageInfo | None:
        try:
            with _translate(f"inspect image {ref}"):
                info = await self._docker.images.inspect(ref)
        except NotFound:
            return None
        return ImageInfo(id=info["Id"], tags=tuple(info.get("RepoTags") or ()), size=info["Size"])

    async def pull_image(self, ref: str) -> ImageInfo:
        try:
            async with asyncio.timeout(self._pull_timeout):
                async for message in self._docker.images.pull(ref, stream=True):
                    if "error" in message:
                        raise ImagePullError(ref, str(message["error"]))
        except TimeoutError:
            raise ImagePullError(ref, f"no answer within {self._pull_timeout:g}s") from None
        except aiodocker.DockerError as exc:
            if exc.status == 900:
                raise RuntimeUnavailable(exc.message) from exc
            raise ImagePullError(ref, exc.message) from exc
        info = await self.image_status(ref)
        if info is None:
            raise ImagePullError(ref, "the engine reported success but has no such image")
        return info

    async def list_images(self) -> list[ImageInfo]:
        with _translate("list images"):
            images = await self._docker.images.list()
        return [ImageInfo(i["Id"], tuple(i.get("RepoTags") or ()), i["Size"]) for i in images]

    async def _ensure_pause(self) -> None:
        if self._pause_ready:
            return
        async with self._pause_lock:
            if not self._pause_ready:
                with _translate(f"make the pause image {self.pause_image}"):
                    await ensure_pause_image(self._docker, self.pause_image)
                self._pause_ready = True

    # sandboxes

    async def run_sandbox(self, config: SandboxConfig) -> SandboxStatus:
        await self._ensure_pause()
        labels = runtime_labels(
            node_name=self.node_name, kind=KIND_SANDBOX, pod_uid=config.pod_uid,
            namespace=config.namespace, pod_name=config.name,
            container_name=SANDBOX_CONTAINER_NAME, attempt=config.attempt, extra=config.labels,
        )
        name = specs.container_name(
            container=SANDBOX_CONTAINER_NAME, pod=config.name, namespace=config.namespace,
            uid=config.pod_uid, attempt=config.attempt,
        )
        spec = specs.sandbox_spec(config, image=self.pause_image, labels=labels)
        sandbox_id = await self._create(spec, name=name)
        try:
            with _translate(f"start sandbox {name}"):
                await self._docker.containers.container(sandbox_id).start()
        except ContainerRuntimeError:
            await self._force_remove(sandbox_id)
            raise
        return await self.sandbox_status(SandboxId(sandbox_id))

    async def _create(self, spec: Mapping[str, Any], *, name: str) -> str:
        with _translate(f"create {name}"):
            container = await self._docker.containers.create(dict(spec), name=name)
        return container.id

    async def stop_sandbox(self, sandbox_id: SandboxId) -> None:
        if not await self._owns(sandbox_id, kind=KIND_SANDBOX):
            return
        for c in await self.list_containers({LABEL_SANDBOX_ID: sandbox_id}):
            if c.state is ContainerState.RUNNING:
                with contextlib.suppress(NotFound):
                    await self.stop_container(c.id, 0)
        with contextlib.suppress(NotFound), _translate(f"stop sandbox {sandbox_id}"):
            await self._docker.containers.container(sandbox_id).stop(t=_SANDBOX_STOP_SECONDS)

    async def remove_sandbox(self, sandbox_id: SandboxId) -> None:
        if not await self._owns(sandbox_id, kind=KIND_SANDBOX):
            return
        for c in await self.list_containers({LABEL_SANDBOX_ID: sandbox_id}):
            await self._force_remove(c.id)
        await self._force_remove(sandbox_id)

    async def _owns(self, object_id: str, *, kind: str) -> bool:
        """Whether ``object_id`` is this node's; idempotent calls treat others as gone."""
        try:
            await self._inspect(object_id, kind=kind)
        except NotFound:
            return False
        return True

    async def sandbox_status(self, sandbox_id: SandboxId) -> SandboxStatus:
        return specs.sandbox_status(await self._inspect(sandbox_id, kind=KIND_SANDBOX))

    async def list_sandboxes(self, labels: Mapping[str, str] | None = None) -> list[SandboxStatus]:
        infos = await self._list(KIND_SANDBOX, labels)
        return [specs.sandbox_status(info) for info in infos]

    async def _inspect(self, object_id: str, *, kind: str) -> dict[str, Any]:
        """``docker inspect`` of one of our own sandboxes or containers (others: NotFound)."""
        with _translate(f"inspect {kind} {object_id}"):
            info: dict[str, Any] = await self._docker.containers.container(object_id).show()
        labels = info["Config"].get("Labels") or {}
        if labels.get(LABEL_KIND) != kind or labels.get(LABEL_NODE) != self.node_name:
            raise NotFound(f"no {kind} {object_id} on node {self.node_name}")
        return info

    async def _list(self, kind: str, selector: Mapping[str, str] | None) -> list[dict[str, Any]]:
        wanted = {LABEL_MANAGED: "true", LABEL_NODE: self.node_name, LABEL_KIND: kind,
                  **(selector or {})}
        filters = json.dumps({"label": [f"{k}={v}" for k, v in wanted.items()]})
        with _translate(f"list {kind}s"):
            found = await self._docker.containers.list(all=True, filters=filters)

        async def inspect(object_id: str) -> dict[str, Any] | None:
            async with self._inspect_slots:
                with contextlib.suppress(NotFound):  # removed since the list
                    return await self._inspect(object_id, kind=kind)
            return None

        infos = await asyncio.gather(*(inspect(c.id) for c in found))
        return [info for info in infos if info is not None]

    # containers

    async def create_container(self, sandbox_id: SandboxId, config: ContainerConfig) -> ContainerId:
        box = specs.sandbox_status(await self._inspect(sandbox_id, kind=KIND_SANDBOX))
        labels = runtime_labels(
            node_name=self.node_name, kind=KIND_CONTAINER, pod_uid=box.pod_uid,
            namespace=box.namespace, pod_name=box.name, container_name=config.name,
            attempt=config.attempt, extra=config.labels,
        )
        labels[LABEL_SANDBOX_ID] = sandbox_id
        name = specs.container_name(
            container=config.name, pod=box.name, namespace=box.namespace, uid=box.pod_uid,
            attempt=config.attempt,
        )
        return ContainerId(await self._create(specs.container_spec(
            sandbox_id, config, labels=labels), name=name))

    async def start_container(self, container_id: ContainerId) -> None:
        status = await self.container_status(container_id)
        if status.state is not ContainerState.CREATED:
            raise Conflict(f"container {container_id} is {status.state.value}, not created")
        with _translate(f"start container {container_id}"):
            await self._docker.containers.container(container_id).start()

    async def stop_container(self, container_id: ContainerId, timeout_seconds: float) -> None:
        await self._inspect(container_id, kind=KIND_CONTAINER)
        with _translate(f"stop container {container_id}"):
            container = self._docker.containers.container(container_id)
            await container.stop(t=specs.stop_seconds(timeout_seconds))

    async def remove_container(self, container_id: ContainerId) -> None:
        if await self._owns(container_id, kind=KIND_CONTAINER):
            await self._force_remove(container_id)

    async def _force_remove(self, object_id: str) -> None:
        """Kill and remove; gone already (or being removed) is fine."""
        try:
            with _translate(f"remove {object_id}"):
                await self._docker.containers.container(object_id).delete(force=True, v=True)
        except (NotFound, Conflict):  # Conflict: "removal already in progress"
            pass

    async def container_status(self, container_id: ContainerId) -> ContainerStatus:
        return specs.container_status(await self._inspect(container_id, kind=KIND_CONTAINER))

    async def list_containers(
        self, labels: Mapping[str, str] | None = None
    ) -> list[ContainerStatus]:
        return [specs.container_status(info) for info in await self._list(KIND_CONTAINER, labels)]

    async def relist(self) -> list[tuple[ContainerId, str, ContainerState]]:
        wanted = {LABEL_MANAGED: "true", LABEL_NODE: self.node_name, LABEL_KIND: KIND_CONTAINER}
        filters = json.dumps({"label": [f"{k}={v}" for k, v in wanted.items()]})
        with _translate("list containers"):
            found = await self._docker.containers.list(all=True, filters=filters)
        out = []
        for c in found:
            raw: dict[str, Any] = c._container  # the list entry: Id, Labels, State
            state = specs.list_state(str(raw.get("State") or ""))
            uid = str((raw.get("Labels") or {}).get(LABEL_POD_UID, ""))
            out.append((ContainerId(c.id), uid, state))
        return out

    # streams

    async def logs(
        self, container_id: ContainerId, *, follow: bool = False, tail_lines: int | None = None,
        since: datetime | None = None, timestamps: bool = False,
    ) -> AsyncIterator[bytes]:
        info = await self._inspect(container_id, kind=KIND_CONTAINER)
        params = {"stdout": "1", "stderr": "1", "follow": "1" if follow else "0",
                  "timestamps": "1" if timestamps else "0",
                  "tail": "all" if tail_lines is None else str(max(tail_lines, 0))}
        if since is not None:
            params["since"] = f"{since.timestamp():.9f}"
        # aiodocker's own log() decodes to str; the raw request keeps the bytes as written.
        with _translate(f"logs of {container_id}"):
            async with _streaming(
                self._docker, f"containers/{container_id}/logs", params
            ) as response:
                chunks = _raw(response) if info["Config"].get("Tty") else _frames(response)
                async for _stream, chunk in chunks:
                    yield chunk

    async def exec(
        self, container_id: ContainerId, command: Sequence[str], *, stdin: bool = False,
        tty: bool = False,
    ) -> DockerExec:
        await self._inspect(container_id, kind=KIND_CONTAINER)
        with _translate(f"exec in {container_id}"):
            container = self._docker.containers.container(container_id)
            execution = await container.exec(list(command), stdin=stdin, tty=tty)
            session = DockerExec(execution, execution.start(detach=False))
            await session.attach()
        return session

    async def stats(self, container_id: ContainerId) -> ContainerStats:
        await self._inspect(container_id, kind=KIND_CONTAINER)
        with _translate(f"stats of {container_id}"):
            # one-shot: no second sample for a CPU percentage, which we do not need.
            raw = await self._docker._query_json(
                f"containers/{container_id}/stats", params={"stream": "0", "one-shot": "1"}
            )
        return specs.container_stats(container_id, raw)

    def events(self) -> EventStream:
        stream = EventStream(self._subscribers.discard)
        self._subscribers.add(stream)
        if self._pump is None or self._pump.done():
            self._since_nanos = time.time_ns()  # a late start of the pump still sees these
            self._pump = self._tasks.spawn(self._event_pump(), name="event-pump")
        return stream

    async def _event_pump(self) -> None:
        """Keep one ``/events`` stream open; after a break, resume from the last event."""
        delay = _EVENTS_RETRY_FIRST
        while True:
            try:
                await self._pump_once()
                delay = _EVENTS_RETRY_FIRST
            except (ContainerRuntimeError, aiohttp.ClientError, ValueError) as exc:
                log.warning("%s: docker events stream broke (%s); retrying in %.1fs",
                            self.node_name, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, _EVENTS_RETRY_MAX)

    async def _pump_once(self) -> None:
        filters = {
            "type": ["container"],
            "event": list(specs.EVENT_ACTIONS),
            "label": [f"{LABEL_MANAGED}=true", f"{LABEL_NODE}={self.node_name}"],
        }
        since = f"{self._since_nanos // 10**9}.{self._since_nanos % 10**9:09d}"
        params = {"since": since, "filters": json.dumps(filters)}
        with _translate("watch events"):
            async with _streaming(self._docker, "events", params) as response:
                async for line in response.content:
                    self._dispatch(json.loads(line))

    def _dispatch(self, message: Mapping[str, Any]) -> None:
        nanos = int(message.get("timeNano", 0))
        self._since_nanos = max(self._since_nanos, nanos + 1)
        event = specs.runtime_event(message)
        if event is not None:
            for stream in self._subscribers:
                stream.put(event)

    async def close(self) -> None:
        await self._tasks.stop()
        for stream in list(self._subscribers):
            stream.end()
        self._subscribers.clear()
        await self._docker.close()


async def _frames(response: aiohttp.ClientResponse) -> AsyncIterator[tuple[OutputStream, bytes]]:
    """Docker's multiplexed stream: 8-byte headers (stream, 0, 0, 0, big-endian length)."""
    while True:
        try:
            header = await response.content.readexactly(8)
            data = await response.content.readexactly(int.from_bytes(header[4:], "big"))
        except asyncio.IncompleteReadError:
            return
        if data:
            yield OutputStream.STDERR if header[0] == 2 else OutputStream.STDOUT, data


async def _raw(response: aiohttp.ClientResponse) -> AsyncIterator[tuple[OutputStream, bytes]]:
    async for chunk in response.content.iter_any():
        yield OutputStream.STDOUT, chunk


class DockerExec:
    """An exec session over Docker's hijacked connection (see :class:`~.base.ExecSession`)."""

    def __init__(self, execution: aiodocker.execs.Exec, stream: Stream) -> None:
        self._exec = execution
        self._stream = stream
        self._drained = False

    async def attach(self) -> None:
        await self._stream.__aenter__()  # opens the connection now, so errors show here

    async def write(self, data: bytes) -> None:
        with _translate("write to exec stdin"):
            await self._stream.write_in(data)

    async def close_stdin(self) -> None:
        # Half-close: the command sees EOF on stdin and we can still read its output.
        # (Stream.close() would end the whole connection.)
        response = self._stream._resp
        transport = response.connection.transport if response and response.connection else None
        if transport is not None and transport.can_write_eof():
            transport.write_eof()

    async def output(self) -> AsyncIterator[tuple[OutputStream, bytes]]:
        while True:
            with _translate("read exec output"):
                message = await self._stream.read_out()
            if message is None:
                self._drained = True
                return
            yield OutputStream(message.stream), message.data

    async def wait(self) -> int:
        if not self._drained:
            async for _ in self.output():
                pass
        delay = 0.005
        while True:
            with _translate("inspect exec"):
                info = await self._exec.inspect()
            if not info.get("Running") and info.get("ExitCode") is not None:
                return int(info["ExitCode"])
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)

    async def close(self) -> None:
        await self._stream.close()
