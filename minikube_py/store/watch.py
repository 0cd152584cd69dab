"""Watch fan-out: the in-memory broadcaster and the watchers it feeds.

The store publishes each committed batch of events here, in revision order, after the commit
(an event is never seen before its write is durable). A watcher subscribes *before* it replays
the log, then drops live events it already replayed, so there is no gap and no duplicate at
the seam between replay and live.

A watcher that falls more than ``max_pending`` events behind is closed with an overflow error
(the client re-watches from its last revision), so one stuck client cannot grow memory without
bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from minikube_py.util import jsonutil

ADDED = "ADDED"
MODIFIED = "MODIFIED"
DELETED = "DELETED"


@dataclass(frozen=True)
class Event:
    """One row of the log: ``value`` is the object after the change (for DELETED, the last
    state, stamped with the deletion's revision); ``prev`` the state before."""

    rev: int
    type: str
    key: str
    value: bytes
    prev: bytes | None = None

    @cached_property
    def object(self) -> dict[str, Any]:
        """The decoded object, shared by every watcher: read-only, copy before changing."""
        result: dict[str, Any] = jsonutil.loads(self.value)
        return result

    @cached_property
    def wire(self) -> bytes:
        """The watch-stream line for this event, built once from the stored bytes."""
        return b'{"type":"' + self.type.encode() + b'","object":' + self.value + b"}\n"


class WatchOverflow(Exception):
    """The watcher fell too far behind and was closed; re-watch from the last revision seen."""


_CLOSED = object()


@dataclass(eq=False)
class Subscription:
    prefix: str
    queue: asyncio.Queue[Any]
    max_pending: int
    closed: bool = False
    overflowed: bool = False

    def offer(self, event: Event) -> None:
        if self.closed:
            return
        if self.queue.qsize() >= self.max_pending:
            self.overflowed = True
            self.closed = True
            self.queue.put_nowait(_CLOSED)
            return
        self.queue.put_nowait(event)


@dataclass
class Broadcaster:
    """Delivers committed events to the subscriptions whose key prefix they fall under."""

    max_pending: int = 100_000
    _subs: set[Subscription] = field(default_factory=set)

    def subscribe(self, prefix: str) -> Subscription:
        sub = Subscription(prefix, asyncio.Queue(), self.max_pending)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)
        if not sub.closed:
            sub.closed = True
            sub.queue.put_nowait(_CLOSED)

    def publish(self, events: Iterable[Event]) -> None:
        subs = list(self._subs)
        for event in events:
            for sub in subs:
                if event.key.startswith(sub.prefix):
                    sub.offer(event)

    def close_all(self) -> None:
        for sub in list(self._subs):
            self.unsubscribe(sub)

    @property
    def watchers(self) -> int:
        return len(self._subs)


class Watcher:
    """An async iterator of events with revision > ``after``: replayed ones first, then live.

    Built by ``Store.watch``; iteration ends when the watcher is closed (by its owner or the
    store) and raises :class:`WatchOverflow` if it fell behind.
    """

    def __init__(self, broadcaster: Broadcaster, sub: Subscription, replay: list[Event],
                 after: int) -> None:
        self._broadcaster = broadcaster
        self._sub = sub
        self._replay = replay
        self._replay.reverse()  # pop() from the end yields them in revision order
        self.last_rev = after
        self._done = False

    def __aiter__(self) -> Watcher:
        return self

    async def __anext__(self) -> Event:
        while self._replay:
            event = self._replay.pop()
            if event.rev > self.last_rev:
                self.last_rev = event.rev
                return event
        while True:
            item = await self._sub.queue.get()
            if item is _CLOSED:
                if self._sub.overflowed:
                    raise WatchOverflow(f"watch fell behind after revision {self.last_rev}")
                raise StopAsyncIteration
            if item.rev <= self.last_rev:
                continue  # already replayed from the log
            self.last_rev = item.rev
            return item  # type: ignore[no-any-return]

    async def next_batch(self, wait: float | None) -> list[Event] | None:
        """Every event ready now (waiting up to ``timeout`` for the first): one wake-up serves
        a burst. ``[]`` when ``wait`` seconds passed, ``None`` when the watcher is closed."""
        if self._done:
            return None
        batch: list[Event] = []
        while self._replay:
            event = self._replay.pop()
            if event.rev > self.last_rev:
                self.last_rev = event.rev
                batch.append(event)
        if batch:
            return batch
        queue = self._sub.queue
        if queue.empty():
            try:
                async with asyncio.timeout(wait):
                    first = await queue.get()
            except TimeoutError:
                return []
            items = [first]
        else:
            items = []
        while not queue.empty():
            items.append(queue.get_nowait())
        for item in items:
            if item is _CLOSED:
                self._done = True
                if self._sub.overflowed:
                    raise WatchOverflow(f"watch fell behind after revision {self.last_rev}")
                return batch or None
            if item.rev > self.last_rev:
                self.last_rev = item.rev
                batch.append(item)
        return batch

    def pending(self) -> int:
        return len(self._replay) + self._sub.queue.qsize()

    def close(self) -> None:
        self._broadcaster.unsubscribe(self._sub)
