"""Pod workers (pkg/kubelet/pod_workers.go): one sequential worker per pod, pods in parallel.

:meth:`PodWorkers.update` marks a pod (by uid) as needing a sync; its worker task, made on
first use, runs the kubelet's sync function one call at a time, so syncs of one pod never
overlap while any number of pods sync at once. Updates that arrive during a sync coalesce into
one more sync (a key-per-pod work queue). The sync returns when to look again: a delay in
seconds (back-off, probes, periodic resync), 0 for "when something changes", or
:data:`FORGET` once the pod is gone and its worker can end.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from minikube_py.util.tasks import TaskGroup

log = logging.getLogger(__name__)

FORGET = -1.0
ERROR_RETRY = 2.0


@dataclass
class _Worker:
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    timer: asyncio.TimerHandle | None = None
    due: float = 0.0


class PodWorkers:
    def __init__(self, sync: Callable[[str], Awaitable[float]], tasks: TaskGroup) -> None:
        self._sync = sync
        self._tasks = tasks
        self._workers: dict[str, _Worker] = {}

    def __contains__(self, uid: str) -> bool:
        return uid in self._workers

    def __len__(self) -> int:
        return len(self._workers)

    def update(self, uid: str) -> None:
        worker = self._workers.get(uid)
        if worker is None:
            worker = self._workers[uid] = _Worker()
            self._tasks.spawn(self._run(uid, worker), name=f"pod-worker/{uid}")
        worker.wake.set()

    def update_after(self, uid: str, delay: float) -> None:
        """Sync ``uid`` again in ``delay`` seconds (an earlier request wins)."""
        worker = self._workers.get(uid)
        if worker is None:
            return
        loop = asyncio.get_running_loop()
        due = loop.time() + delay
        if worker.timer is not None and worker.due <= due:
            return
        if worker.timer is not None:
            worker.timer.cancel()
        worker.due = due
        worker.timer = loop.call_at(due, self._fire, uid, worker)

    def _fire(self, uid: str, worker: _Worker) -> None:
        worker.timer = None
        worker.wake.set()

    async def _run(self, uid: str, worker: _Worker) -> None:
        try:
            while True:
                await worker.wake.wait()
                worker.wake.clear()
                try:
                    again = await self._sync(uid)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("sync of pod %s failed; retrying", uid)
                    again = ERROR_RETRY
                if again == FORGET and not worker.wake.is_set():
                    return
                if again > 0:
                    self.update_after(uid, again)
        finally:
            if worker.timer is not None:
                worker.timer.cancel()
            if self._workers.get(uid) is worker:
                del self._workers[uid]
