"""A scripted in-memory collection served as a ``ListerWatcher``: the test double of
:class:`~minikube_py.client.reflector.ClientListerWatcher` (as client-go ships
``tools/cache/testing.FakeControllerSource``).

Unit tests of a Reflector or a SharedInformer drive it: write objects (each write gets the next
resourceVersion and goes into an event log that open watches read), compact the log, end open
watches normally (as a server-side timeout does), expire them with a 410 ERROR event, break
them with an exception, send bookmarks, make the next lists or watches fail; and count what
the reflector asked for (``list_calls``, ``watch_resource_versions``).
"""

from __future__ import annotations

import asyncio
import bisect
import copy
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from minikube_py.api.errors import Gone
from minikube_py.client.store import meta_namespace_key

Object = dict[str, Any]


class _OpenWatch:
    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.actions: deque[tuple[str, Any]] = deque()

    def push(self, action: str, arg: Any = None) -> None:
        self.actions.append((action, arg))
        self.wake.set()


class FakeListerWatcher:
    """An in-memory ``ListerWatcher`` with an event log, for tests."""

    def __init__(self, *, kind: str = "ConfigMap", api_version: str = "v1",
                 revision: int = 1) -> None:
        self.kind = kind
        self.api_version = api_version
        self.revision = revision
        self.objects: dict[str, Object] = {}
        self._log: list[tuple[int, str, Object]] = []
        self._compacted = 0
        self._open: list[_OpenWatch] = []
        self.list_calls = 0  # whole lists (first pages)
        self.page_calls = 0  # every list request, pages included
        self.watch_resource_versions: list[str] = []
        self.watch_timeouts: list[int] = []
        self.list_errors: list[Exception] = []  # raised by the next list requests, in order
        self.watch_errors: list[Exception] = []  # raised by the next watches before any event

    # -- writes ----------------------------------------------------------------------------

    def _write(self, event_type: str, obj: Object) -> Object:
        self.revision += 1
        stored = copy.deepcopy(obj)
        stored.setdefault("kind", self.kind)
        stored.setdefault("apiVersion", self.api_version)
        stored.setdefault("metadata", {})["resourceVersion"] = str(self.revision)
        key = meta_namespace_key(stored)
        if event_type == "DELETED":
            self.objects.pop(key, None)
        else:
            self.objects[key] = stored
        self._log.append((self.revision, event_type, stored))
        for watch in self._open:
            watch.wake.set()
        return copy.deepcopy(stored)

    def create(self, obj: Object) -> Object:
        return self._write("ADDED", obj)

    def update(self, obj: Object) -> Object:
        return self._write("MODIFIED", obj)

    def delete(self, key: str) -> Object:
        return self._write("DELETED", self.objects[key])

    def compact(self) -> None:
        """Forget the log up to now: watches from older resourceVersions get 410."""
        self._compacted = self.revision
        self._log.clear()

    # -- controls of open watches -----------------------------------------------------------

    @property
    def open_watches(self) -> int:
        return len(self._open)

    def end_watches(self) -> None:
        """End every open watch normally at once, as a server-side timeout does."""
        for watch in self._open:
            watch.push("end")

    def expire_watches(self) -> None:
        """Send every open watch a 410 ERROR at once (its log is gone), then end it."""
        self.compact()
        for watch in self._open:
            watch.push("gone")

    def break_watches(self, error: Exception) -> None:
        """Make every open watch raise ``error`` at once (a broken stream)."""
        for watch in self._open:
            watch.push("raise", error)

    def bookmark(self) -> None:
        """Send every open watch a BOOKMARK at the current revision, after pending events."""
        for watch in self._open:
            watch.push("bookmark")

    # -- the ListerWatcher -----------------------------------------------------------------

    async def list(self, *, limit: int | None, continue_token: str) -> Object:
        self.page_calls += 1
        if not continue_token:
            self.list_calls += 1
        if self.list_errors:
            raise self.list_errors.pop(0)
        keys = sorted(self.objects)
        start = 0
        if continue_token:
            rev, _, after = continue_token.partition("|")
            if int(rev) < self._compacted:
                raise Gone("The provided continue parameter is too old")
            start = next((i for i, k in enumerate(keys) if k > after), len(keys))
        end = len(keys) if not limit else min(len(keys), start + limit)
        meta: Object = {"resourceVersion": str(self.revision)}
        if end < len(keys):
            meta["continue"] = f"{self.revision}|{keys[end - 1]}"
        items = [copy.deepcopy(self.objects[k]) for k in keys[start:end]]
        return {"kind": f"{self.kind}List", "apiVersion": self.api_version,
                "metadata": meta, "items": items}

    def watch(self, *, resource_version: str, timeout_seconds: int,
              allow_bookmarks: bool) -> AsyncIterator[Object]:
        self.watch_resource_versions.append(resource_version)
        self.watch_timeouts.append(timeout_seconds)
        return self._watch(resource_version)

    async def _watch(self, resource_version: str) -> AsyncIterator[Object]:
        if self.watch_errors:
            raise self.watch_errors.pop(0)
        cursor = int(resource_version) if resource_version else self.revision
        if cursor < self._compacted:
            yield _gone(cursor)
            return
        watch = _OpenWatch()
        self._open.append(watch)
        try:
            while True:
                if watch.actions and watch.actions[0][0] != "bookmark":
                    action, arg = watch.actions.popleft()
                    if action == "raise":
                        raise arg
                    if action == "gone":
                        yield _gone(cursor)
                    return
                at = bisect.bisect_right(self._log, cursor, key=lambda e: e[0])
                if at < len(self._log):
                    rev, event_type, obj = self._log[at]
                    cursor = rev
                    yield {"type": event_type, "object": copy.deepcopy(obj)}
                    continue
                if watch.actions:  # a bookmark, now that every event is out
                    watch.actions.popleft()
                    cursor = self.revision
                    yield {"type": "BOOKMARK", "object": {
                        "kind": self.kind, "apiVersion": self.api_version,
                        "metadata": {"resourceVersion": str(self.revision)}}}
                    continue
                watch.wake.clear()
                await watch.wake.wait()
        finally:
            self._open.remove(watch)


def _gone(cursor: int) -> Object:
    status = Gone(f"too old resource version: {cursor}").to_status()
    return {"type": "ERROR", "object": status}
