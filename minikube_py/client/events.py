"""Recording core/v1 Events about objects (client-go's ``tools/record``: the recorder, the
broadcaster's sink and the ``EventCorrelator``'s counting of repeats).

A controller calls ``recorder.event(pod, "Normal", "Scheduled", "...")`` and carries on:
recording never raises into the caller and never waits. The event goes into a bounded queue
(dropped, with a log line, when it is full) that a few named guarded writer tasks write out
(client-go's sink writes one at a time; a burst of 5,000 pods' ``Scheduled`` events then
overflowed the queue here). Events of one key are written one after another, in order, so
their aggregation stays exact; events of different keys go out concurrently.
The same event (involved object, reason, message, type and source) seen again within
``window`` seconds does not make a new Event: the existing one gets ``count + 1`` and a new
``lastTimestamp`` by PATCH, which is what ``kubectl get events`` shows as ``x3 over 2m``.

Event names are ``<object name>.<nanoseconds in hex>``, in the object's namespace (``default``
for cluster-scoped objects), as client-go makes them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from minikube_py.api.errors import NotFound
from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.client.base import Client
from minikube_py.util.clock import rfc3339
from minikube_py.util.tasks import spawn

log = logging.getLogger(__name__)

NORMAL = "Normal"
WARNING = "Warning"
QUEUE_SIZE = 1000  # client-go's broadcaster queue
CACHE_SIZE = 4096  # client-go's maxLruCacheEntries
WINDOW = 600.0  # seconds; client-go's defaultAggregateIntervalInSeconds
WRITERS = 8  # concurrent event writes

EventKey = tuple[str, ...]


def _events() -> ResourceType:
    rt = REGISTRY.by_path("", "v1", "events")
    if rt is None:  # pragma: no cover - the registry always has it
        raise RuntimeError("the registry has no v1 events")
    return rt


def reference_for(obj: dict[str, Any], resource_type: ResourceType | None = None,
                  ) -> dict[str, str]:
    """An ObjectReference to ``obj`` (client-go's ``reference.GetReference``); kind and
    apiVersion come from the object, else from ``resource_type``."""
    meta = obj.get("metadata") or {}
    ref = {
        "kind": obj.get("kind") or (resource_type.kind if resource_type else ""),
        "namespace": meta.get("namespace") or "",
        "name": meta.get("name") or "",
        "uid": meta.get("uid") or "",
        "apiVersion": obj.get("apiVersion") or (resource_type.api_version
                                                if resource_type else ""),
        "resourceVersion": meta.get("resourceVersion") or "",
    }
    return {k: str(v) for k, v in ref.items() if v}


@dataclass
class _Pending:
    ref: dict[str, str]
    event_type: str
    reason: str
    message: str
    at_ns: int


@dataclass
class _Seen:
    """The Event last written for one key (client-go's ``eventLog``)."""

    name: str
    namespace: str
    first_timestamp: str
    last_ns: int
    count: int


class EventRecorder:
    """Writes Events for ``component`` (client-go's ``EventRecorder`` with its broadcaster
    and sink). ``host`` is the node name, when the component runs per node."""

    def __init__(self, client: Client, component: str, host: str | None = None, *,
                 queue_size: int = QUEUE_SIZE, window: float = WINDOW,
                 cache_size: int = CACHE_SIZE, clock: Callable[[], int] = time.time_ns,
                 writers: int = WRITERS) -> None:
        self.client = client
        self.component = component
        self.host = host or ""
        self.window_ns = int(window * 1e9)
        self.cache_size = cache_size
        self._clock = clock
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue(maxsize=queue_size)
        self._seen: OrderedDict[EventKey, _Seen] = OrderedDict()
        self._tasks: list[asyncio.Task[None]] = []
        self._writers = max(1, writers)
        self._key_locks: dict[EventKey, tuple[asyncio.Lock, int]] = {}  # lock, users
        self._last_ns = 0
        self._events = _events()
        self.dropped = 0

    def event(self, obj: dict[str, Any], event_type: str, reason: str, message: str, *,
              resource_type: ResourceType | None = None) -> None:
        """Record that ``reason``/``message`` happened to ``obj``; returns at once."""
        if event_type not in (NORMAL, WARNING):
            log.error("event %s on %s dropped: unsupported event type %r", reason,
                      (obj.get("metadata") or {}).get("name"), event_type)
            return
        ref = reference_for(obj, resource_type)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            log.error("event %s on %s dropped: no running event loop", reason, ref.get("name"))
            return
        self._ensure_writer()
        try:
            self._queue.put_nowait(_Pending(ref, event_type, reason, message, self._clock()))
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning("event queue full: dropped %s %s on %s/%s", event_type, reason,
                        ref.get("namespace", ""), ref.get("name", ""))

    def eventf(self, obj: dict[str, Any], event_type: str, reason: str, fmt: str,
               *args: Any, resource_type: ResourceType | None = None) -> None:
        """:meth:`event` with a %-format message."""
        try:
            message = fmt % args if args else fmt
        except (TypeError, ValueError) as err:
            message = f"{fmt} (bad format: {err})"
        self.event(obj, event_type, reason, message, resource_type=resource_type)

    async def flush(self) -> None:
        """Wait until every event recorded so far is written (or failed and was logged)."""
        if self._tasks:
            await self._queue.join()

    async def shutdown(self, *, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Write what is queued (up to ``timeout`` seconds), then stop the writer."""
        if not self._tasks:
            return
        try:
            await asyncio.wait_for(self.flush(), timeout)
        except TimeoutError:
            log.warning("event recorder %s: %d events not written", self.component,
                        self._queue.qsize())
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def _ensure_writer(self) -> None:
        self._tasks = [t for t in self._tasks if not t.done()]
        while len(self._tasks) < self._writers:
            self._tasks.append(spawn(self._writer(),
                                     name=f"event-recorder/{self.component}/{len(self._tasks)}"))

    async def _writer(self) -> None:
        while True:
            pending = await self._queue.get()
            key = self._key(pending)
            lock, users = self._key_locks.get(key) or (asyncio.Lock(), 0)
            self._key_locks[key] = (lock, users + 1)
            try:
                async with lock:  # one key's events in order: its count stays exact
                    await self._write(pending, key)
            except Exception as err:
                log.warning("event %s on %s/%s not written: %r", pending.reason,
                            pending.ref.get("namespace", ""), pending.ref.get("name", ""), err)
            finally:
                lock, users = self._key_locks[key]
                if users <= 1:
                    del self._key_locks[key]
                else:
                    self._key_locks[key] = (lock, users - 1)
                self._queue.task_done()

    def _key(self, p: _Pending) -> EventKey:
        ref = p.ref
        return (self.component, self.host, ref.get("kind", ""), ref.get("namespace", ""),
                ref.get("name", ""), ref.get("uid", ""), ref.get("apiVersion", ""),
                p.event_type, p.reason, p.message)

    async def _write(self, p: _Pending, key: EventKey) -> None:
        seen = self._seen.get(key)
        if seen is not None and p.at_ns - seen.last_ns <= self.window_ns:
            seen.count += 1
            seen.last_ns = p.at_ns
            self._seen.move_to_end(key)
            patch = {"count": seen.count, "lastTimestamp": _timestamp(p.at_ns)}
            try:
                await self.client.patch(self._events, seen.name, patch, seen.namespace)
                return
            except NotFound:  # deleted or expired meanwhile: write it anew, keeping the count
                pass
        else:
            seen = _Seen(self._name(p), p.ref.get("namespace") or "default",
                         _timestamp(p.at_ns), p.at_ns, 1)
        await self.client.create(self._events, self._body(p, seen), seen.namespace)
        self._remember(key, seen)

    def _remember(self, key: EventKey, seen: _Seen) -> None:
        self._seen[key] = seen
        self._seen.move_to_end(key)
        while len(self._seen) > self.cache_size:
            self._seen.popitem(last=False)

    def _name(self, p: _Pending) -> str:
        ns = max(p.at_ns, self._last_ns + 1)  # two events in one tick get distinct names
        self._last_ns = ns
        return f"{p.ref.get('name', 'unknown')}.{ns:x}"

    def _body(self, p: _Pending, seen: _Seen) -> dict[str, Any]:
        source = {"component": self.component}
        if self.host:
            source["host"] = self.host
        return {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": seen.name, "namespace": seen.namespace},
            "involvedObject": p.ref, "reason": p.reason, "message": p.message,
            "source": source, "firstTimestamp": seen.first_timestamp,
            "lastTimestamp": _timestamp(p.at_ns), "count": seen.count, "type": p.event_type,
            "reportingComponent": self.component, "reportingInstance": self.host,
        }


def _timestamp(at_ns: int) -> str:
    return rfc3339(dt.datetime.fromtimestamp(at_ns / 1e9, dt.UTC))
