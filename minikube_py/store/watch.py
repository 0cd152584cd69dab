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
from collections import deque
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


@dataclass(eq=False)
class Subscription:
    """One watcher's inbox: events appended by the broadcaster, drained in bulk by the
    watcher. A future wakes the watcher; no per-event queue operations."""

    prefix: str
    max_pending: int
    pending: deque[Event] = field(default_factory=deque)
    waiter: asyncio.Future[None] | None = None
    closed: bool = False
    overflowed: bool = False

    def offer(self, events: list[Event]) -> None:
        if self.closed or not events:
            return
        self.pending.extend(events)
        if len(self.pending) > self.max_pending:
            self.overflowed = True
            self.closed = True
        self.wake()

    def close(self) -> None:
        self.closed = True
        self.wake()

    def wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


@dataclass
class Broadcaster:
    """Delivers committed events to the subscriptions whose key prefix they fall under."""

    max_pending: int = 100_000
    _subs: set[Subscription] = field(default_factory=set)

    def subscribe(self, prefix: str) -> Subscription:
        sub = Subscription(prefix, self.max_pending)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)
        sub.close()

    def publish(self, events: list[Event]) -> None:
        for sub in list(self._subs):
            prefix = sub.prefix
            sub.offer([e for e in events if e.key.startswith(prefix)])

    def close_all(self) -> None:
        for sub in list(self._subs):
            self.unsubscribe(sub)

    @property
    def watchers(self) -> int:
        return len(self._subs)


class Watcher:
    """An async iterator of events with revision > ``after``: replayed ones first, then live.

    Built by ``Store.watch``; iteration ends when the watcher is closed (by its owner or the
    store) and raises :class:`WatchOverflow` if it fell behind. :meth:`next_batch` hands out
    everything ready at once, for streams that send bursts as one chunk.
    """

    def __init__(self, broadcaster: Broadcaster, sub: Subscription, replay: list[Event],
                 after: int) -> None:
        self._broadcaster = broadcaster
        self._sub = sub
        self._replay = replay
        self.last_rev = after
        self._ready: deque[Event] = deque()

    def __aiter__(self) -> Watcher:
        return self

    async def __anext__(self) -> Event:
        while not self._ready:
            batch = await self.next_batch(None)
            if batch is None:
                raise StopAsyncIteration
            self._ready.extend(batch)
        return self._ready.popleft()

    async def next_batch(self, wait: float | None) -> list[Event] | None:
        """Every event ready now (waiting up to ``wait`` seconds for the first): one wake-up
        serves a burst. ``[]`` when the wait passed, ``None`` when the watcher is closed."""
        if self._replay:
            batch = [e for e in self._replay if e.rev > self.last_rev]
            self._replay = []
            if batch:
                self.last_rev = batch[-1].rev
                return batch
        sub = self._sub
        while True:
            if sub.overflowed:
                raise WatchOverflow(f"watch fell behind after revision {self.last_rev}")
            if sub.pending:
                # Live events replayed from the log already are dropped here.
                batch = [e for e in sub.pending if e.rev > self.last_rev]
                sub.pending.clear()
                if batch:
                    self.last_rev = batch[-1].rev
                    return batch
                continue
            if sub.closed:
                return None
            sub.waiter = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(wait):
                    await sub.waiter
            except TimeoutError:
                return []
            finally:
                sub.waiter = None

    def pending(self) -> int:
        return len(self._replay) + len(self._ready) + len(self._sub.pending)

    def close(self) -> None:
        self._broadcaster.unsubscribe(self._sub)
