"""A stand-in for the kubelet in controller tests: it marks pods Running and Ready by writing
their status through the API, as a kubelet reports a started pod (there is no kubelet
component yet). It watches pods through a shared informer and, for every pod that is not
ready and not being deleted, writes ``phase: Running`` with a Ready condition.

``ready`` can be switched off (new pods then stay Pending), pods labelled
``fake-kubelet: never-ready`` are left Pending (a rollout that cannot progress), and a pod can
be made ready by hand with :meth:`FakeKubelet.mark_ready`. Not part of the daemon.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from pathlib import Path
from typing import Any

from minikube_py.api.errors import Conflict, NotFound
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.controllers.controller_utils import is_pod_ready
from minikube_py.util.clock import rfc3339
from minikube_py.util.tasks import TaskGroup

log = logging.getLogger(__name__)

PODS = REGISTRY.by_path("", "v1", "pods")
assert PODS is not None

Object = dict[str, Any]
NEVER_READY_LABEL = "fake-kubelet"


def running_status(pod: Object, *, ready: bool = True) -> Object:
    """The status a kubelet writes for a pod whose containers all started."""
    now = rfc3339()
    state = "True" if ready else "False"
    containers = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
    status = copy.deepcopy(pod.get("status") or {})
    status.update(
        phase="Running", startTime=status.get("startTime") or now, podIP="127.0.0.1",
        conditions=[{"type": kind, "status": state if kind in ("Ready", "ContainersReady")
                     else "True", "lastTransitionTime": now}
                    for kind in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
        containerStatuses=[{"name": name, "ready": ready, "restartCount": 0, "image": "x",
                            "imageID": "", "started": True,
                            "state": {"running": {"startedAt": now}}}
                           for name in containers])
    return status


class FakeKubelet:
    """Marks every new pod Running and Ready (while :attr:`ready` is True)."""

    def __init__(self, client: Client, *, ready: bool = True) -> None:
        self.client = client
        self.ready = ready
        self.informers = SharedInformerFactory(client, name="fake-kubelet")
        self.informer = self.informers.informer_for(PODS)
        self.informer.add_event_handler(on_add=self._seen,
                                        on_update=lambda _old, new: self._seen(new))
        self._queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._tasks = TaskGroup("fake-kubelet")
        self.marked = 0

    def _seen(self, pod: Object) -> None:
        meta = pod["metadata"]
        if (meta.get("labels") or {}).get(NEVER_READY_LABEL) == "never-ready":
            return
        if self.ready and not meta.get("deletionTimestamp") and not is_pod_ready(pod):
            self._queue.put_nowait((meta["namespace"], meta["name"]))

    async def start(self) -> None:
        self.informers.start()
        await self.informers.wait_for_cache_sync()
        for i in range(4):
            self._tasks.spawn(self._worker(), name=f"worker-{i}")

    async def stop(self) -> None:
        await self._tasks.stop()
        await self.informers.shutdown()

    async def _worker(self) -> None:
        while True:
            namespace, name = await self._queue.get()
            await self.mark_ready(namespace, name)

    async def mark_ready(self, namespace: str, name: str, *, ready: bool = True) -> None:
        """Write Running (and Ready) status for one pod; a pod that went away is skipped."""
        for _ in range(5):
            try:
                pod = await self.client.get(PODS, name, namespace)
                if pod["metadata"].get("deletionTimestamp") or is_pod_ready(pod) == ready:
                    return
                pod["status"] = running_status(pod, ready=ready)
                await self.client.update_status(PODS, pod)
                self.marked += 1
                return
            except Conflict:
                continue
            except NotFound:
                return


async def _main(kubeconfig_path: str) -> None:
    from minikube_py.client import kubeconfig
    from minikube_py.client.http import HttpTransport

    client = Client(HttpTransport(kubeconfig.load(Path(kubeconfig_path))))
    fake = FakeKubelet(client)
    await fake.start()
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()
        await client.close()


if __name__ == "__main__":  # python -m tests.helpers.fake_kubelet KUBECONFIG
    import signal
    import sys

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    asyncio.run(_main(sys.argv[1]))
