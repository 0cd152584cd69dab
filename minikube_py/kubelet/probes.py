"""Container probes (pkg/kubelet/prober): startup, liveness and readiness workers.

One worker per (container, probe kind) runs while the container runs: it waits
``initialDelaySeconds``, then probes every ``periodSeconds`` with ``timeoutSeconds``, and turns
``successThreshold`` successes / ``failureThreshold`` failures in a row into a result. A startup
probe gates the other two (they wait until it succeeded). Results: :attr:`ProbeManager.ready`
(readiness; a container without a readiness probe is ready once started), ``started`` (startup)
and, on a liveness or startup failure, the kubelet's ``on_unhealthy`` callback, which restarts
the container. Each failed probe is an ``Unhealthy`` event. httpGet and tcpSocket probes
connect to the pod IP: a container this project started.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from minikube_py.util.tasks import TaskGroup

from .runtime.base import ContainerId, ContainerRuntime, exec_sync

Object = dict[str, Any]
KINDS = ("startupProbe", "livenessProbe", "readinessProbe")
LABELS = {"startupProbe": "Startup", "livenessProbe": "Liveness",
          "readinessProbe": "Readiness"}


def _port(value: Any, container: Object) -> int:
    if isinstance(value, int) or str(value).isdigit():
        return int(value)
    for port in container.get("ports") or []:
        if port.get("name") == value:
            return int(port["containerPort"])
    raise ValueError(f"port {value!r} is not a port of the container")


async def run_probe(runtime: ContainerRuntime, probe: Object, container: Object,
                    container_id: ContainerId, pod_ip: str) -> tuple[bool, str]:
    """One probe: (success, what failed)."""
    timeout = float(probe.get("timeoutSeconds") or 1)
    try:
        if "exec" in probe:
            result = await exec_sync(runtime, container_id,
                                     list(probe["exec"].get("command") or []),
                                     timeout_seconds=timeout)
            if result.exit_code == 0:
                return True, ""
            out = (result.stdout + result.stderr).decode(errors="replace").strip()
            return False, out or f"command exited with {result.exit_code}"
        if "httpGet" in probe:
            get = probe["httpGet"]
            scheme = str(get.get("scheme") or "HTTP").lower()
            host = get.get("host") or pod_ip
            url = f"{scheme}://{host}:{_port(get.get('port'), container)}{get.get('path', '/')}"
            headers = {h["name"]: h["value"] for h in get.get("httpHeaders") or []}
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as s, \
                    s.get(url, headers=headers, ssl=False, allow_redirects=False) as resp:
                if 200 <= resp.status < 400:
                    return True, ""
                return False, f"HTTP probe failed with statuscode: {resp.status}"
        if "tcpSocket" in probe:
            sock = probe["tcpSocket"]
            port = _port(sock.get("port"), container)
            async with asyncio.timeout(timeout):
                _, writer = await asyncio.open_connection(sock.get("host") or pod_ip, port)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return True, ""
        if "grpc" in probe:
            return False, "grpc probes are not supported"
    except TimeoutError:
        return False, f"timeout: no answer within {timeout:g}s"
    except (OSError, aiohttp.ClientError, ValueError) as exc:
        return False, str(exc) or type(exc).__name__
    except Exception as exc:  # a probe's failure is a result, never a crash
        return False, repr(exc)
    return True, ""


@dataclass
class _Worker:
    task: asyncio.Task[Any]
    pod_uid: str


@dataclass
class ProbeManager:
    runtime: ContainerRuntime
    tasks: TaskGroup
    on_change: Callable[[str], None]  # pod uid: a result changed, sync the pod
    on_event: Callable[[str, str, str], None]  # pod uid, container name, Unhealthy message
    on_unhealthy: Callable[[str, str, ContainerId], None]  # liveness/startup failed
    ready: dict[ContainerId, bool] = field(default_factory=dict)
    started: dict[ContainerId, bool] = field(default_factory=dict)
    _workers: dict[tuple[ContainerId, str], _Worker] = field(default_factory=dict)

    def is_ready(self, container: Object, cid: ContainerId) -> bool:
        if not self.is_started(container, cid):
            return False
        return self.ready.get(cid, False) if container.get("readinessProbe") else True

    def is_started(self, container: Object, cid: ContainerId) -> bool:
        return self.started.get(cid, False) if container.get("startupProbe") else True

    def ensure(self, pod_uid: str, container: Object, cid: ContainerId, pod_ip: str) -> None:
        """Run the probes of a running container (once per container id)."""
        for kind in KINDS:
            probe = container.get(kind)
            if probe and (cid, kind) not in self._workers:
                task = self.tasks.spawn(
                    self._work(pod_uid, container, cid, kind, probe, pod_ip),
                    name=f"probe/{pod_uid}/{container['name']}/{kind}")
                self._workers[(cid, kind)] = _Worker(task, pod_uid)

    def forget(self, pod_uid: str, keep: set[ContainerId]) -> None:
        """Stop the probes of the pod's containers that no longer run."""
        for key, worker in list(self._workers.items()):
            if worker.pod_uid == pod_uid and key[0] not in keep:
                worker.task.cancel()
                del self._workers[key]
                self.ready.pop(key[0], None)
                self.started.pop(key[0], None)

    async def _work(self, pod_uid: str, container: Object, cid: ContainerId, kind: str,
                    probe: Object, pod_ip: str) -> None:
        period = float(probe.get("periodSeconds") or 10)
        success_needed = int(probe.get("successThreshold") or 1)
        failure_needed = int(probe.get("failureThreshold") or 3)
        await asyncio.sleep(float(probe.get("initialDelaySeconds") or 0))
        successes = failures = 0
        name = str(container["name"])
        while True:
            if kind != "startupProbe" and not self.is_started(container, cid):
                await asyncio.sleep(min(period, 0.5))
                continue
            ok, message = await run_probe(self.runtime, probe, container, cid, pod_ip)
            if ok:
                successes, failures = successes + 1, 0
            else:
                successes, failures = 0, failures + 1
                self.on_event(pod_uid, name, f"{LABELS[kind]} probe failed: {message}")
            if kind == "readinessProbe":
                before = self.ready.get(cid)
                if ok and successes >= success_needed:
                    self.ready[cid] = True
                elif not ok and failures >= failure_needed:
                    self.ready[cid] = False
                if self.ready.get(cid) != before:
                    self.on_change(pod_uid)
            elif kind == "startupProbe" and ok:
                self.started[cid] = True
                self.on_change(pod_uid)
                return
            elif kind == "livenessProbe" and ok:
                pass
            if not ok and failures >= failure_needed and kind != "readinessProbe":
                self.on_unhealthy(pod_uid, name, cid)
                return
            await asyncio.sleep(period)
