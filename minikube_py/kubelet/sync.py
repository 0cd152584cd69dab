"""sync_pod: make the runtime match one pod, then report its status (kuberuntime_manager's
SyncPod and the kubelet's syncPod/syncTerminatingPod).

A live pod gets, in order: its volumes, a sandbox (the pod's network namespace and IP), its
init containers one at a time, each to completion, then its app containers. Image pull
policies, CrashLoopBackOff (per container, doubling from ``backoff`` to ``max_backoff``, reset
after ``backoff_reset`` seconds of running), liveness restarts and restart policies are decided
here; the probes run in :mod:`.probes`. A pod with a deletionTimestamp is terminated (preStop,
SIGTERM, SIGKILL after the grace period) and then deleted from the API with grace period 0; a
pod gone from the API has whatever is left of it removed. Status goes out through
``pods/status`` only when it changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from minikube_py.api import podnetwork
from minikube_py.api.errors import Conflict, NotFound, StatusError
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.events import EventRecorder

from . import volumes
from .config import KubeletConfig
from .containers import container_config, pull_policy
from .env import EnvError, container_env
from .envvars import via_gateway
from .pod_workers import FORGET
from .probes import ProbeManager
from .projected import ProjectionError
from .runtime.base import (
    LABEL_POD_UID,
    ContainerId,
    ContainerRuntime,
    ContainerRuntimeError,
    ContainerState,
    ContainerStatus,
    ImagePullError,
    PortMapping,
    SandboxConfig,
    SandboxState,
    SandboxStatus,
    exec_sync,
)
from .status import Observed, container_status, pod_status
from .tokens import TokenManager

log = logging.getLogger(__name__)

PODS = REGISTRY.by_path("", "v1", "pods")
FINISHED = ("Succeeded", "Failed")
RESYNC = 60.0  # a live pod is looked at again this often (Kubernetes' syncFrequency) ...
RESYNC_VOLUMES = 10.0  # ... or this often when it has configMap/secret files to refresh
CONFIG_RETRY = 2.0
Object = dict[str, Any]


@dataclass
class PodState:
    """What the kubelet remembers about a pod between syncs (lost on restart, as upstream)."""

    backoff: dict[str, float] = field(default_factory=dict)  # container -> current back-off
    pull_backoff: dict[str, tuple[float, float]] = field(default_factory=dict)
    waiting: dict[str, tuple[str, str]] = field(default_factory=dict)
    unhealthy: set[ContainerId] = field(default_factory=set)
    last_status: Object | None = None
    backoff_noted: dict[str, float] = field(default_factory=dict)


def _fmt(seconds: float) -> str:
    return f"{seconds:g}s" if seconds < 60 else f"{int(seconds // 60)}m{int(seconds % 60)}s"


def _key(pod: Object) -> str:
    meta = pod["metadata"]
    return f"{meta.get('name')}_{meta.get('namespace')}({meta.get('uid')})"


class PodSyncer:
    def __init__(self, *, client: Client, config: KubeletConfig, runtime: ContainerRuntime,
                 recorder: EventRecorder, probes: ProbeManager,
                 services: Any, host_ip: str = "127.0.0.1") -> None:
        self.client = client
        self.config = config
        self.runtime = runtime
        self.recorder = recorder
        self.probes = probes
        self.services = services  # () -> list of Service objects
        self.host_ip = host_ip
        self.states: dict[str, PodState] = {}
        self.tokens = TokenManager(client)

    # -- lookups --------------------------------------------------------------------------

    async def lookup(self, plural: str, namespace: str, name: str) -> Object | None:
        rt = REGISTRY.resolve(plural)
        assert rt is not None
        try:
            return await self.client.get(rt, name, namespace or None)
        except NotFound:
            return None

    async def token(self, pod: Object, audience: str, expiration_seconds: int) -> str:
        """A service account token bound to ``pod`` for its projected volumes."""
        try:
            return await self.tokens.token(pod, audience=audience,
                                           expiration_seconds=expiration_seconds)
        except StatusError as err:
            raise ProjectionError(f"failed to fetch token: {err.message}") from err

    def _services_for(self, namespace: str) -> list[Object]:
        out = []
        for svc in self.services():
            ns = svc["metadata"].get("namespace")
            if ns == namespace or (ns == "default" and svc["metadata"]["name"] == "kubernetes"):
                out.append(svc)
        gateway = self.config.service_gateway
        gateway = gateway() if callable(gateway) else gateway
        return [via_gateway(svc, gateway) for svc in out] if gateway else out

    def event(self, pod: Object, kind: str, reason: str, message: str) -> None:
        self.recorder.event(pod, kind, reason, message, resource_type=PODS)

    # -- the sync -------------------------------------------------------------------------

    async def sync(self, uid: str, pod: Object | None) -> float:
        if pod is None:
            await self.remove_pod(uid)
            return FORGET
        meta = pod["metadata"]
        if meta.get("deletionTimestamp"):
            await self.terminate(pod)
            assert PODS is not None
            with contextlib.suppress(NotFound, Conflict):
                await self.client.delete(PODS, meta["name"], meta.get("namespace"),
                                         grace_period_seconds=0, preconditions={"uid": uid})
            return 0.0
        if (pod.get("status") or {}).get("phase") in FINISHED:
            for box in await self.runtime.list_sandboxes({LABEL_POD_UID: uid}):
                if box.state is SandboxState.READY:
                    await self.runtime.stop_sandbox(box.id)
            self.probes.forget(uid, set())
            return 0.0
        state = self.states.setdefault(uid, PodState())
        return await self._sync_live(pod, state)

    async def _sync_live(self, pod: Object, state: PodState) -> float:
        uid = pod["metadata"]["uid"]
        spec = pod["spec"]
        projected = any("configMap" in v or "secret" in v or "projected" in v
                        for v in spec.get("volumes") or [])
        delays: list[float] = [RESYNC_VOLUMES if projected else RESYNC]
        try:
            paths = await volumes.prepare(pod, self.config.pod_dir(uid), self.lookup,
                                          self.token)
        except volumes.VolumeError as exc:
            self.event(pod, "Warning", "FailedMount", f"MountVolume.SetUp failed: {exc}")
            # A running pod keeps its containers and its status (its files stay as they
            # were); only a pod not started yet shows that it waits for its volumes.
            if not any(box.state is SandboxState.READY for box in
                       await self.runtime.list_sandboxes({LABEL_POD_UID: uid})):
                await self._write_status(pod, state, None, {})
            return CONFIG_RETRY
        box, fresh = await self._ensure_sandbox(pod)
        if box is None:
            await self._write_status(pod, state, None, {})
            return CONFIG_RETRY
        if fresh:  # ContainerCreating, as a watcher of a real cluster sees it
            await self._write_status(pod, state, box, {})
        by_name: dict[str, list[ContainerStatus]] = {}
        for c in await self.runtime.list_containers({LABEL_POD_UID: uid}):
            by_name.setdefault(c.name, []).append(c)
        for items in by_name.values():
            items.sort(key=lambda c: (c.attempt, c.created_at))
        policy = spec.get("restartPolicy") or "Always"
        init_done, stopped = True, False
        for c in spec.get("initContainers") or []:
            latest = by_name.get(c["name"], [None])[-1]
            if latest and latest.state is ContainerState.EXITED and latest.exit_code == 0:
                continue
            init_done = False
            if latest is not None and latest.state is ContainerState.RUNNING:
                break
            if latest is not None and latest.state is ContainerState.EXITED:
                if policy != "Never":
                    delays.append(await self._restart(pod, state, box, c, latest, paths))
                break
            delays.append(await self._start(pod, state, box, c, 0, paths, latest))
            break
        if init_done:
            for c in spec["containers"]:
                latest = by_name.get(c["name"], [None])[-1]
                if latest is not None and latest.state is ContainerState.RUNNING:
                    if latest.id not in state.unhealthy:
                        self.probes.ensure(uid, c, latest.id, box.ip or "")
                        continue
                    await self._stop(pod, c, latest.id, self._grace(pod), "")
                    stopped = True
                    latest = await self.runtime.container_status(latest.id)
                if latest is None or latest.state is ContainerState.CREATED:
                    delays.append(await self._start(pod, state, box, c, 0, paths, latest))
                elif latest.state is ContainerState.EXITED:
                    if policy == "Always" or (policy == "OnFailure" and latest.exit_code != 0):
                        delays.append(await self._restart(pod, state, box, c, latest, paths))
                    else:
                        state.waiting.pop(c["name"], None)
        if stopped or len(delays) > 1:  # something was started or stopped: look again
            by_name = {}
            for cs in await self.runtime.list_containers({LABEL_POD_UID: uid}):
                by_name.setdefault(cs.name, []).append(cs)
            for items in by_name.values():
                items.sort(key=lambda c: (c.attempt, c.created_at))
        live = {items[-1].id for items in by_name.values()
                if items[-1].state is ContainerState.RUNNING}
        self.probes.forget(uid, live)
        await self._write_status(pod, state, box, by_name, init_done=init_done)
        return min(d for d in delays if d > 0)

    async def _ensure_sandbox(self, pod: Object) -> tuple[SandboxStatus | None, bool]:
        """The pod's ready sandbox, and whether it was made just now."""
        meta, spec = pod["metadata"], pod["spec"]
        uid = meta["uid"]
        boxes = await self.runtime.list_sandboxes({LABEL_POD_UID: uid})
        ready = sorted((b for b in boxes if b.state is SandboxState.READY),
                       key=lambda b: b.attempt)
        if ready:
            for extra in ready[:-1]:
                await self.runtime.remove_sandbox(extra.id)
            if self.config.pod_network == podnetwork.PUBLISHED:
                await self._record_published(pod, ready[-1])  # e.g. adopted after a restart
            return ready[-1], False
        attempt = max((b.attempt for b in boxes), default=-1) + 1
        if boxes:
            self.event(pod, "Normal", "SandboxChanged",
                       "Pod sandbox changed, it will be killed and re-created.")
        for old in boxes:
            await self.runtime.remove_sandbox(old.id)
        try:
            box = await self.runtime.run_sandbox(SandboxConfig(
                pod_uid=uid, namespace=meta.get("namespace") or "default", name=meta["name"],
                hostname=spec.get("hostname") or meta["name"][:63], attempt=attempt,
                ports=self._sandbox_ports(spec)))
        except ContainerRuntimeError as exc:
            self.event(pod, "Warning", "FailedCreatePodSandBox",
                       f"Failed to create pod sandbox: {exc}")
            return None, False
        if self.config.pod_network == podnetwork.PUBLISHED:
            await self._record_published(pod, box)
        return box, True

    def _sandbox_ports(self, spec: Object) -> tuple[PortMapping, ...]:
        """The ports the sandbox publishes on the host: hostPorts; on a published pod network
        every declared TCP containerPort too (Docker picks the host port)."""
        every = self.config.pod_network == podnetwork.PUBLISHED
        return tuple(
            PortMapping(int(p["containerPort"]), str(p.get("protocol") or "TCP").lower(),
                        host_port=int(p.get("hostPort") or 0))
            for c in spec["containers"] for p in c.get("ports") or []
            if p.get("hostPort") or (every and (p.get("protocol") or "TCP") == "TCP"))

    async def _record_published(self, pod: Object, box: SandboxStatus) -> None:
        """Where the sandbox's ports answer on the host, as the pod's annotation."""
        published = {m.container_port: (m.host_ip or "127.0.0.1", m.host_port)
                     for m in box.published if m.protocol == "tcp" and m.host_port}
        meta = pod["metadata"]
        if podnetwork.published_ports(pod) == published:
            return
        assert PODS is not None
        try:
            await self.client.patch(PODS, meta["name"], {"metadata": {"annotations": {
                podnetwork.PUBLISHED_PORTS: podnetwork.encode(published)}}},
                meta.get("namespace"))
        except (NotFound, Conflict):
            return
        except StatusError as exc:
            log.warning("published ports of %s/%s: %s", meta.get("namespace"), meta["name"],
                        exc)

    async def _restart(self, pod: Object, state: PodState, box: SandboxStatus, c: Object,
                       latest: ContainerStatus, paths: dict[str, str]) -> float:
        name = c["name"]
        now = dt.datetime.now(dt.UTC)
        finished = latest.finished_at or now
        started = latest.started_at or finished
        delay = state.backoff.get(name)
        if delay is not None and (finished - started).total_seconds() >= \
                self.config.backoff_reset:
            delay = None
        if delay is not None:
            remaining = (finished - now).total_seconds() + delay
            if remaining > 0:
                state.waiting[name] = ("CrashLoopBackOff", f"back-off {_fmt(delay)} restarting "
                                       f"failed container={name} pod={_key(pod)}")
                if state.backoff_noted.get(name) != finished.timestamp():
                    state.backoff_noted[name] = finished.timestamp()
                    self.event(pod, "Warning", "BackOff",
                               f"Back-off restarting failed container {name} in pod "
                               f"{_key(pod)}")
                return remaining
        state.backoff[name] = self.config.backoff if delay is None else \
            min(delay * 2, self.config.max_backoff)
        out = await self._start(pod, state, box, c, latest.attempt + 1, paths, None)
        # keep the newest exited attempt (lastState, logs --previous); drop older ones
        for old in await self.runtime.list_containers({LABEL_POD_UID: pod["metadata"]["uid"]}):
            if old.name == name and old.attempt < latest.attempt:
                await self.runtime.remove_container(old.id)
        return out

    async def _ensure_image(self, pod: Object, state: PodState, c: Object) -> float | None:
        """None when the image is there; else the delay before trying again."""
        image, name = str(c["image"]), c["name"]
        policy = pull_policy(c)
        present = await self.runtime.image_status(image)
        if policy == "Never":
            if present is None:
                msg = f'Container image "{image}" is not present with pull policy of Never'
                state.waiting[name] = ("ErrImageNeverPull", msg)
                self.event(pod, "Warning", "ErrImageNeverPull", msg)
                return CONFIG_RETRY * 5
            return None
        if policy == "IfNotPresent" and present is not None:
            self.event(pod, "Normal", "Pulled",
                       f'Container image "{image}" already present on machine')
            return None
        now = time.monotonic()
        due, delay = state.pull_backoff.get(image, (0.0, 0.0))
        if now < due:
            state.waiting[name] = ("ImagePullBackOff", f'Back-off pulling image "{image}"')
            self.event(pod, "Normal", "BackOff", f'Back-off pulling image "{image}"')
            return due - now
        self.event(pod, "Normal", "Pulling", f'Pulling image "{image}"')
        began = time.monotonic()
        try:
            await self.runtime.pull_image(image)
        except ImagePullError as exc:
            if present is not None:  # Always, no registry to ask: the local image stands
                log.info("pull of %s failed (%s); using the local image", image, exc)
                self.event(pod, "Normal", "Pulled",
                           f'Container image "{image}" already present on machine')
                return None
            delay = min(max(delay * 2, self.config.backoff), self.config.max_backoff)
            state.pull_backoff[image] = (time.monotonic() + delay, delay)
            state.waiting[name] = ("ErrImagePull", str(exc))
            self.event(pod, "Warning", "Failed", f'Failed to pull image "{image}": {exc}')
            self.event(pod, "Warning", "Failed", "Error: ErrImagePull")
            return delay
        state.pull_backoff.pop(image, None)
        self.event(pod, "Normal", "Pulled", f'Successfully pulled image "{image}" in '
                   f"{time.monotonic() - began:.3f}s")
        return None

    async def _start(self, pod: Object, state: PodState, box: SandboxStatus, c: Object,
                     attempt: int, paths: dict[str, str], created: ContainerStatus | None,
                     ) -> float:
        name = c["name"]
        wait = await self._ensure_image(pod, state, c)
        if wait is not None:
            return wait
        try:
            env = await container_env(pod, c, services=self._services_for(
                pod["metadata"].get("namespace") or "default"), lookup=self.lookup,
                host_ip=self.host_ip, pod_ip=box.ip or "")
        except EnvError as exc:
            state.waiting[name] = ("CreateContainerConfigError", str(exc))
            self.event(pod, "Warning", "Failed", f"Error: {exc}")
            return CONFIG_RETRY
        try:
            if created is not None:
                await self.runtime.remove_container(created.id)
            config = container_config(pod, c, env=env, mounts=volumes.mounts(c, paths),
                                      attempt=attempt)
            cid = await self.runtime.create_container(box.id, config)
        except (ContainerRuntimeError, ValueError) as exc:
            state.waiting[name] = ("CreateContainerError", str(exc))
            self.event(pod, "Warning", "Failed", f"Error: {exc}")
            return CONFIG_RETRY
        self.event(pod, "Normal", "Created", f"Created container {name}")
        try:
            await self.runtime.start_container(cid)
        except ContainerRuntimeError as exc:
            state.waiting[name] = ("RunContainerError", str(exc))
            self.event(pod, "Warning", "Failed", f"Error: {exc}")
            return CONFIG_RETRY
        state.waiting.pop(name, None)
        self.event(pod, "Normal", "Started", f"Started container {name}")
        return 0.0

    # -- status ---------------------------------------------------------------------------

    async def _write_status(self, pod: Object, state: PodState, box: SandboxStatus | None,
                            by_name: dict[str, list[ContainerStatus]], *,
                            init_done: bool = False) -> None:
        spec = pod["spec"]
        prefix = self.runtime.name

        def observed(c: Object) -> Observed:
            items = by_name.get(c["name"], [])
            latest = items[-1] if items else None
            previous = items[-2] if len(items) > 1 else None
            running = latest is not None and latest.state is ContainerState.RUNNING
            waiting = state.waiting.get(c["name"])
            if running or (latest is not None and latest.state is ContainerState.EXITED
                           and waiting is None):
                waiting = None
            return Observed(latest, previous,
                            running and latest is not None and self.probes.is_ready(c, latest.id),
                            running and latest is not None and self.probes.is_started(
                                c, latest.id), waiting)

        init = [container_status(c, observed(c), prefix, default_waiting="PodInitializing")
                for c in spec.get("initContainers") or []]
        default = "ContainerCreating" if init_done or not init else "PodInitializing"
        app = [container_status(c, observed(c), prefix, default_waiting=default)
               for c in spec["containers"]]
        for s in init:
            s["ready"] = s["state"].get("terminated", {}).get("exitCode") == 0
        status = pod_status(pod, init_statuses=init, statuses=app,
                            pod_ip=box.ip if box is not None else None, host_ip=self.host_ip)
        if status == state.last_status:
            return
        current = pod.get("status") or {}
        patch: Object = dict(status)
        for key in current:
            if key not in patch:
                patch[key] = None
        assert PODS is not None
        meta = pod["metadata"]
        try:
            await self.client.patch(PODS, meta["name"], {"status": patch},
                                    meta.get("namespace"), subresource="status")
        except NotFound:
            return
        except StatusError as exc:
            log.warning("status of %s/%s: %s", meta.get("namespace"), meta["name"], exc)
            return
        state.last_status = status
        if status["phase"] in FINISHED:
            self.probes.forget(meta["uid"], set())

    # -- termination ----------------------------------------------------------------------

    def _grace(self, pod: Object) -> float:
        meta, spec = pod["metadata"], pod.get("spec") or {}
        grace = meta.get("deletionGracePeriodSeconds")
        if grace is None:
            grace = spec.get("terminationGracePeriodSeconds")
        return float(30 if grace is None else grace)

    async def _pre_stop(self, pod: Object, c: Object, cid: ContainerId, pod_ip: str,
                        budget: float) -> None:
        hook = ((c.get("lifecycle") or {}).get("preStop")) or {}
        try:
            if "exec" in hook:
                await exec_sync(self.runtime, cid, list(hook["exec"].get("command") or []),
                                timeout_seconds=max(budget, 0.1))
            elif "httpGet" in hook:
                get = hook["httpGet"]
                url = f"http://{get.get('host') or pod_ip}:{get.get('port')}" \
                      f"{get.get('path', '/')}"
                async with aiohttp.ClientSession(
                        timeout=aiohttp.ClientTimeout(total=max(budget, 0.1))) as s, \
                        s.get(url):
                    pass
            elif "sleep" in hook:
                await asyncio.sleep(min(float(hook["sleep"].get("seconds") or 0), budget))
        except (TimeoutError, OSError, aiohttp.ClientError, ContainerRuntimeError) as exc:
            self.event(pod, "Warning", "FailedPreStopHook",
                       f"PreStopHook failed for container {c['name']}: {exc}")

    async def _stop(self, pod: Object, c: Object, cid: ContainerId, grace: float,
                    pod_ip: str) -> None:
        uid = pod["metadata"]["uid"]
        state = self.states.get(uid)
        if state is not None and cid in state.unhealthy:
            state.unhealthy.discard(cid)
        began = time.monotonic()
        if (c.get("lifecycle") or {}).get("preStop"):
            await self._pre_stop(pod, c, cid, pod_ip, grace)
        remaining = max(grace - (time.monotonic() - began), 0.0)
        with contextlib.suppress(ContainerRuntimeError):
            await self.runtime.stop_container(cid, remaining)

    async def terminate(self, pod: Object) -> None:
        uid = pod["metadata"]["uid"]
        grace = self._grace(pod)
        specs = {c["name"]: c for c in [*(pod["spec"].get("initContainers") or []),
                                        *pod["spec"]["containers"]]}
        boxes = await self.runtime.list_sandboxes({LABEL_POD_UID: uid})
        pod_ip = next((b.ip for b in boxes if b.ip), None) or ""
        stops = []
        for cs in await self.runtime.list_containers({LABEL_POD_UID: uid}):
            if cs.state is ContainerState.RUNNING:
                self.event(pod, "Normal", "Killing", f"Stopping container {cs.name}")
                stops.append(self._stop(pod, specs.get(cs.name, {"name": cs.name}), cs.id,
                                        grace, pod_ip))
        await asyncio.gather(*stops)
        self.probes.forget(uid, set())
        for box in boxes:
            await self.runtime.stop_sandbox(box.id)

    async def remove_pod(self, uid: str) -> None:
        """The pod is gone from the API: remove whatever of it the runtime still has."""
        self.probes.forget(uid, set())
        for cs in await self.runtime.list_containers({LABEL_POD_UID: uid}):
            if cs.state is ContainerState.RUNNING:
                with contextlib.suppress(ContainerRuntimeError):
                    await self.runtime.stop_container(cs.id, 0)
        for box in await self.runtime.list_sandboxes({LABEL_POD_UID: uid}):
            await self.runtime.remove_sandbox(box.id)
        for cs in await self.runtime.list_containers({LABEL_POD_UID: uid}):
            await self.runtime.remove_container(cs.id)
        await asyncio.to_thread(volumes.remove, self.config.pod_dir(uid))
        self.tokens.forget(uid)
        self.states.pop(uid, None)

    def liveness_failed(self, pod: Object, name: str, cid: ContainerId) -> None:
        state = self.states.setdefault(pod["metadata"]["uid"], PodState())
        state.unhealthy.add(cid)
        self.event(pod, "Normal", "Killing",
                   f"Container {name} failed liveness probe, will be restarted")
