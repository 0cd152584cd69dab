"""The Kubelet component: one per virtual node, hosted by the daemon or run on its own
(``minikube-py kubelet``).

It opens its node's container runtime, registers the Node (:mod:`.node`), and watches the pods
bound to it (an informer with ``fieldSelector=spec.nodeName=<node>``). Every pod change, runtime
event and relist difference becomes a sync of that pod on its pod worker (:mod:`.pod_workers`,
:mod:`.sync`). The pod lifecycle event generator (PLEG) is the runtime's event stream plus a
relist every ``relist_period`` seconds, so exits the kubelet did not cause are noticed even
if an event is lost. At start it adopts what runs already (containers carry their pod's uid
and restart attempt in labels) and removes containers of pods that no longer exist. Usage
statistics per container and for the node are sampled into :attr:`Kubelet.usage`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from minikube_py.api import podnetwork
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.events import EventRecorder
from minikube_py.client.informer import SharedInformerFactory, strip_managed_fields
from minikube_py.client.store import DeletedFinalStateUnknown
from minikube_py.util import progress
from minikube_py.util.tasks import TaskGroup

from .config import KubeletConfig
from .node import NodeAgent
from .pod_workers import PodWorkers
from .probes import ProbeManager
from .runtime import open_runtime
from .runtime.base import (
    ContainerId,
    ContainerRuntime,
    ContainerRuntimeError,
    ContainerState,
    ContainerStats,
    ContainerStatus,
)
from .sync import PodSyncer

log = logging.getLogger(__name__)

PODS = REGISTRY.by_path("", "v1", "pods")
SERVICES = REGISTRY.by_path("", "v1", "services")
Object = dict[str, Any]

#: node name -> the Kubelet this process hosts (pods/log and pods/exec find it here)
KUBELETS: dict[str, Kubelet] = {}


@dataclass(frozen=True)
class NodeUsage:
    cpu_usage_nanoseconds: int
    memory_working_set_bytes: int


class Kubelet:
    """A Component: the node agent, pod workers, PLEG and probes of one node."""

    def __init__(self, client: Client, config: KubeletConfig,
                 runtime: ContainerRuntime | None = None) -> None:
        self.config = config
        self.node_name = config.node_name
        self.name = f"kubelet[{self.node_name}]"
        self.client = client.with_user_agent(f"kubelet/{self.node_name}")
        self.runtime: ContainerRuntime | None = runtime
        self._tasks = TaskGroup(self.name)
        self._informers: SharedInformerFactory | None = None
        self.pods: dict[str, Object] = {}
        # The last two usage samples (kubelet/metrics.py rates CPU between them) and the
        # running containers they are of.
        self.usage: dict[ContainerId, ContainerStats] = {}
        self.previous_usage: dict[ContainerId, ContainerStats] = {}
        self.running: dict[ContainerId, ContainerStatus] = {}
        self.node_usage = NodeUsage(0, 0)
        self.workers = PodWorkers(self._sync, self._tasks)
        self._syncer: PodSyncer | None = None
        self._services: Any = None

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        if self.runtime is None:
            self.runtime = await open_runtime(self.config.runtime, node_name=self.node_name,
                                              pause_image=self.config.pause_image)
        runtime = self.runtime
        await self._ensure_pause_image(runtime)
        recorder = EventRecorder(self.client, "kubelet", host=self.node_name)
        self.recorder = recorder
        probes = ProbeManager(runtime, self._tasks, on_change=self.workers.update,
                              on_event=self._probe_event, on_unhealthy=self._unhealthy)
        self.agent = NodeAgent(self.client, self.config, runtime)
        await self.agent.register()
        await self.agent.renew_lease()
        assert PODS is not None and SERVICES is not None
        self._informers = SharedInformerFactory(self.client, transform=strip_managed_fields,
                                                name=f"{self.name}/informers")
        pods = self._informers.informer_for(
            PODS, field_selector=f"spec.nodeName={self.node_name}")
        services = self._informers.informer_for(SERVICES)
        self._services = lambda: list(services.get_indexer().list())
        self._syncer = PodSyncer(client=self.client, config=self.config, runtime=runtime,
                                 recorder=recorder, probes=probes, services=self._services)
        pods.add_event_handler(on_add=self._pod_changed,
                               on_update=lambda _old, new: self._pod_changed(new),
                               on_delete=self._pod_deleted)
        events = runtime.events()
        self._informers.start()
        await self._informers.wait_for_cache_sync()
        await self._remove_orphans()
        self._tasks.spawn(self._heartbeats(), name="node-status")
        self._tasks.spawn(self._runtime_events(events), name="pleg/events")
        self._tasks.spawn(self._relist(), name="pleg/relist")
        self._tasks.spawn(self._sample_usage(), name="usage")
        KUBELETS[self.node_name] = self

    async def _ensure_pause_image(self, runtime: ContainerRuntime) -> None:
        """Make the sandbox image now, saying so, rather than silently at the first pod."""
        pause = getattr(runtime, "pause_image", None)
        ensure = getattr(runtime, "_ensure_pause", None)
        if pause is None or ensure is None:
            return
        if await runtime.image_status(pause) is None:
            progress.step(f"creating the pause image {pause} from the local busybox (first "
                          "start; nothing is pulled)")
        await ensure()

    async def stop(self) -> None:
        """Stop watching; the containers keep running (a restarted kubelet adopts them)."""
        if KUBELETS.get(self.node_name) is self:
            del KUBELETS[self.node_name]
        if self._informers is not None:
            await self._informers.shutdown()
            self._informers = None
        await self._tasks.stop()
        if getattr(self, "recorder", None) is not None:
            await self.recorder.shutdown(timeout=2.0)
        if self.runtime is not None:
            await self.runtime.close()

    def health(self) -> str | None:
        return "; ".join(f"{n}: {e!r}" for n, e in self._tasks.failed) or None

    # -- pods -----------------------------------------------------------------------------

    def _pod_changed(self, pod: Object) -> None:
        uid = str(pod["metadata"].get("uid"))
        self.pods[uid] = pod
        self.workers.update(uid)

    def _pod_deleted(self, pod: Object | DeletedFinalStateUnknown) -> None:
        obj = pod.obj if isinstance(pod, DeletedFinalStateUnknown) else pod
        uid = str((obj or {}).get("metadata", {}).get("uid"))
        self.pods.pop(uid, None)
        self.workers.update(uid)

    def pod(self, namespace: str, name: str) -> Object | None:
        for pod in self.pods.values():
            meta = pod["metadata"]
            if meta.get("name") == name and meta.get("namespace") == namespace:
                return pod
        return None

    def dial_address(self, pod: Object, port: int) -> tuple[str, int]:
        """Where this node's agent connects for ``port`` of ``pod`` (port-forward): the pod's
        IP on a routed pod network, the port published on the host on a published one
        (api/podnetwork.py). LookupError when there is no such address."""
        if self.config.pod_network == podnetwork.PUBLISHED:
            published = podnetwork.published_ports(pod)
            if port not in published:
                raise LookupError(f"port {port} is not published on the host (the pod "
                                  "network is 'published': only declared containerPorts are)")
            return published[port]
        ip = (pod.get("status") or {}).get("podIP")
        if not ip:
            raise LookupError("the pod has no IP address yet")
        return str(ip), port

    async def _sync(self, uid: str) -> float:
        assert self._syncer is not None
        return await self._syncer.sync(uid, self.pods.get(uid))

    def _probe_event(self, uid: str, _container: str, message: str) -> None:
        pod = self.pods.get(uid)
        if pod is not None:
            self.recorder.event(pod, "Warning", "Unhealthy", message, resource_type=PODS)

    def _unhealthy(self, uid: str, name: str, cid: ContainerId) -> None:
        pod = self.pods.get(uid)
        if pod is not None and self._syncer is not None:
            self._syncer.liveness_failed(pod, name, cid)
            self.workers.update(uid)

    # -- PLEG, orphans, heartbeats, usage -------------------------------------------------

    async def _remove_orphans(self) -> None:
        assert self.runtime is not None and self._syncer is not None
        seen = {c.pod_uid for c in await self.runtime.list_containers()}
        seen |= {b.pod_uid for b in await self.runtime.list_sandboxes()}
        for uid in seen - set(self.pods):
            log.info("%s: removing containers of pod %s, which no longer exists", self.name,
                     uid)
            await self._syncer.remove_pod(uid)

    async def _runtime_events(self, events: Any) -> None:
        async with events:
            async for event in events:
                if event.pod_uid:
                    self.workers.update(event.pod_uid)

    async def _relist(self) -> None:
        assert self.runtime is not None
        before: dict[ContainerId, tuple[str, ContainerState]] = {}
        while True:
            await asyncio.sleep(self.config.relist_period)
            try:
                now = {cid: (uid, st) for cid, uid, st in await self.runtime.relist()}
            except ContainerRuntimeError as exc:
                log.warning("%s: relist failed: %s", self.name, exc)
                continue
            changed = {uid for cid, (uid, st) in now.items() if before.get(cid) != (uid, st)}
            changed |= {uid for cid, (uid, _) in before.items() if cid not in now}
            changed |= {uid for uid, _ in now.values() if uid not in self.pods}
            before = now
            for uid in changed:
                if uid:
                    self.workers.update(uid)

    async def _heartbeats(self) -> None:
        await self.agent.run()

    async def _sample_usage(self) -> None:
        assert self.runtime is not None
        while True:
            with contextlib.suppress(ContainerRuntimeError):
                running = [c for c in await self.runtime.list_containers()
                           if c.state is ContainerState.RUNNING]
                usage: dict[ContainerId, ContainerStats] = {}
                for c in running:
                    with contextlib.suppress(ContainerRuntimeError):
                        usage[c.id] = await self.runtime.stats(c.id)
                self.previous_usage, self.usage = self.usage, usage
                self.running = {c.id: c for c in running if c.id in usage}
                self.node_usage = NodeUsage(
                    sum(s.cpu_usage_nanoseconds for s in usage.values()),
                    sum(s.memory_working_set_bytes for s in usage.values()))
            await asyncio.sleep(self.config.stats_period)
