"""List then watch one collection and mirror it into a store (client-go's
``tools/cache/reflector.go``, with ``tools/pager`` for the paginated list).

A :class:`SharedInformer` runs one :class:`Reflector`; the reflector calls the store's
``replace(items, resource_version)`` after every (re)list and ``add/update/delete`` for every
watch event. What it does on each way a watch can end:

- ends normally or hits its ``timeoutSeconds`` (randomised 5-10 min, as client-go): watch
  again from the last resourceVersion seen (event or bookmark), **no relist**;
- ``410 Gone`` (an ERROR event, or raised by the watch or the list), any other ERROR event,
  or a stream that breaks mid-way: back off, **relist** and ``replace()``;
- the watch cannot be opened (server down, 429): back off and watch again from where it was.

Every failure waits an exponential, jittered, capped back-off (:class:`Backoff`, client-go's
``ExponentialBackoffManager`` 800 ms .. 30 s), so a server that is down is never hammered.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from minikube_py.api.errors import Gone, ServiceUnavailable, StatusError, TooManyRequests
from minikube_py.api.registry import ResourceType
from minikube_py.client.base import Client

log = logging.getLogger(__name__)

Object = dict[str, Any]

MIN_WATCH_TIMEOUT = 300.0  # seconds; each watch asks for 1-2x this (client-go: 5 minutes)
PAGE_SIZE = 500  # client-go's pager default
SHORT_WATCH = 1.0  # a watch that ends sooner, having delivered nothing, counts as a failure


class ListerWatcher(Protocol):
    """The two calls a Reflector needs (client-go's ``ListerWatcher``)."""

    async def list(self, *, limit: int | None, continue_token: str) -> Object:
        """One page of the collection (a ``*List`` object with ``metadata.continue``)."""
        ...

    def watch(self, *, resource_version: str, timeout_seconds: int,
              allow_bookmarks: bool) -> AsyncIterator[Object]:
        """Watch events after ``resource_version`` until the server ends the stream."""
        ...


class ReflectorStore(Protocol):
    """Where a Reflector writes (an :class:`~minikube_py.client.store.Indexer`, or an
    informer that also tells its handlers)."""

    def add(self, obj: Object) -> None: ...

    def update(self, obj: Object) -> None: ...

    def delete(self, obj: Object) -> None: ...

    def replace(self, items: list[Object], resource_version: str) -> None: ...


class ClientListerWatcher:
    """A :class:`ListerWatcher` over a :class:`Client`, for one resource, namespace and
    selectors (client-go's ``NewFilteredListWatchFromClient``)."""

    def __init__(self, client: Client, resource_type: ResourceType, *,
                 namespace: str | None = None, label_selector: str = "",
                 field_selector: str = "") -> None:
        self.client = client
        self.resource_type = resource_type
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector

    async def list(self, *, limit: int | None, continue_token: str) -> Object:
        rt = self.resource_type
        page: Object = await self.client.list(
            rt, self.namespace, label_selector=self.label_selector,
            field_selector=self.field_selector, limit=limit, continue_token=continue_token)
        for item in page.get("items") or []:
            # Kubernetes leaves kind/apiVersion out of list items; the cache keeps them whole.
            item.setdefault("kind", rt.kind)
            item.setdefault("apiVersion", rt.api_version)
        return page

    def watch(self, *, resource_version: str, timeout_seconds: int,
              allow_bookmarks: bool) -> AsyncIterator[Object]:
        return self.client.watch(
            self.resource_type, self.namespace, resource_version=resource_version,
            label_selector=self.label_selector, field_selector=self.field_selector,
            timeout_seconds=timeout_seconds, allow_bookmarks=allow_bookmarks)


class Backoff:
    """Exponential back-off with jitter and a cap (client-go's
    ``wait.NewExponentialBackoffManager(800ms, 30s, 2m, 2.0, 1.0)``): each call to
    :meth:`next_delay` doubles the delay, a random ``jitter`` fraction is added on top, the
    result never exceeds ``cap``; after ``reset_after`` seconds without a failure it starts
    over from ``initial``."""

    def __init__(self, *, initial: float = 0.8, cap: float = 30.0, factor: float = 2.0,
                 jitter: float = 1.0, reset_after: float = 120.0,
                 clock: Callable[[], float] = time.monotonic,
                 rng: Callable[[], float] = random.random) -> None:
        self.initial, self.cap, self.factor = initial, cap, factor
        self.jitter, self.reset_after = jitter, reset_after
        self._clock, self._rng = clock, rng
        self._steps = 0
        self._last: float | None = None

    def next_delay(self) -> float:
        now = self._clock()
        if self._last is not None and now - self._last > self.reset_after:
            self._steps = 0
        self._last = now
        base = min(self.cap, self.initial * self.factor ** min(self._steps, 64))
        self._steps += 1
        return min(self.cap, base * (1 + self.jitter * self._rng()))


class _Relist(Exception):
    """The watch ended in a way that needs a fresh list (Gone, ERROR, broken stream)."""


class Reflector:
    """Keeps ``store`` equal to the collection ``lister_watcher`` serves (client-go's
    ``Reflector``). Run it with :meth:`run` (until cancelled)."""

    def __init__(self, lister_watcher: ListerWatcher, store: ReflectorStore, *,
                 name: str = "reflector", page_size: int | None = PAGE_SIZE,
                 min_watch_timeout: float = MIN_WATCH_TIMEOUT,
                 backoff: Backoff | None = None,
                 transform: Callable[[Object], Object] | None = None) -> None:
        self.lister_watcher = lister_watcher
        self.store = store
        self.name = name
        self.page_size = page_size
        self.min_watch_timeout = min_watch_timeout
        self.backoff = backoff or Backoff()
        # Applied to each object as it is decoded, page by page: what it trims is never
        # held for the whole list at once.
        self.transform = transform
        self._last_rv = ""
        self._synced = asyncio.Event()

    @property
    def last_sync_resource_version(self) -> str:
        """The resourceVersion the next watch resumes from (the last list, event or bookmark)."""
        return self._last_rv

    @property
    def has_synced(self) -> bool:
        """True once the first list has been handed to ``store.replace``."""
        return self._synced.is_set()

    async def wait_for_sync(self) -> None:
        await self._synced.wait()

    async def run(self) -> None:
        """List and watch until cancelled; never returns otherwise."""
        need_list = True
        while True:
            try:
                if need_list:
                    await self.list_and_replace()
                    need_list = False
                if await self._watch_once():
                    continue  # a normal end or timeout: resume at once, no relist
            except _Relist as why:
                log.info("%s: relisting: %s", self.name, why)
                need_list = True
            except (StatusError, OSError) as err:
                log.warning("%s: %s failed: %s", self.name, "list" if need_list else "watch",
                            _describe(err))
                need_list = need_list or isinstance(err, Gone)
            except Exception:  # a bug below us (a store, an index function): start over
                log.exception("%s: unexpected failure; relisting", self.name)
                need_list = True
            if _cancelling():  # an error raised during a cancel must not swallow the cancel
                raise asyncio.CancelledError
            await asyncio.sleep(self.backoff.next_delay())

    async def list_and_replace(self) -> None:
        """List the whole collection (paginated) and hand it to ``store.replace``."""
        items, rv = await self._list_all()
        self.store.replace(items, rv)
        self._last_rv = rv
        self._synced.set()

    async def _list_all(self) -> tuple[list[Object], str]:
        """Every page of one list (client-go's pager: on an expired continue token, fall
        back to one unpaginated list)."""
        items: list[Object] = []
        token = ""
        while True:
            try:
                page = await self.lister_watcher.list(limit=self.page_size, continue_token=token)
            except Gone:
                if not token:
                    raise
                log.info("%s: continue token expired; listing in one piece", self.name)
                page = await self.lister_watcher.list(limit=None, continue_token="")
                items = []
            page_items = page.get("items") or []
            items.extend(map(self.transform, page_items) if self.transform else page_items)
            meta = page.get("metadata") or {}
            token = meta.get("continue") or ""
            if not token:
                return items, str(meta.get("resourceVersion") or "")

    def _watch_timeout(self) -> int:
        return max(1, int(self.min_watch_timeout * (1.0 + random.random())))

    async def _watch_once(self) -> bool:
        """One watch from the last resourceVersion. True when it ended normally after doing
        something; False for a suspiciously short empty watch (the caller backs off)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        delivered = 0
        stream = self.lister_watcher.watch(resource_version=self._last_rv,
                                           timeout_seconds=self._watch_timeout(),
                                           allow_bookmarks=True)
        iterator = aiter(stream)
        try:
            while True:
                try:
                    event = await anext(iterator)
                except StopAsyncIteration:
                    break
                except (Gone, TooManyRequests, ServiceUnavailable) as err:
                    if delivered or isinstance(err, Gone):
                        raise _Relist(_describe(err)) from err
                    raise  # the watch never started: back off and watch again from here
                except (StatusError, OSError, ValueError) as err:
                    raise _Relist(f"watch stream broke: {_describe(err)}") from err
                self._handle(event)
                delivered += 1
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()
        if delivered == 0 and loop.time() - started < SHORT_WATCH:
            log.warning("%s: watch closed at once without events", self.name)
            return False
        return True

    def _handle(self, event: Object) -> None:
        kind = event.get("type")
        obj = event.get("object")
        if not isinstance(obj, dict):
            raise _Relist(f"watch event without an object: {kind}")
        if kind == "ERROR":
            code = obj.get("code")
            reason = "410 Gone" if code == 410 else f"{code} {obj.get('reason', '')}"
            raise _Relist(f"watch ERROR {reason}: {obj.get('message', '')}")
        rv = str((obj.get("metadata") or {}).get("resourceVersion") or "")
        if self.transform is not None and kind in ("ADDED", "MODIFIED", "DELETED"):
            obj = self.transform(obj)
        if kind == "ADDED":
            self.store.add(obj)
        elif kind == "MODIFIED":
            self.store.update(obj)
        elif kind == "DELETED":
            self.store.delete(obj)
        elif kind != "BOOKMARK":
            log.warning("%s: unknown watch event type %r", self.name, kind)
            return
        if rv:
            self._last_rv = rv


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _describe(err: BaseException) -> str:
    if isinstance(err, StatusError):
        return f"{err.code} {err.reason}: {err.message}"
    return f"{err.__class__.__name__}: {err}"
