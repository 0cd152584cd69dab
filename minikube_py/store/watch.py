"""Watch fan-out: the in-memory broadcaster and the watchers it feeds.

The store publishes each committed batch of events here, in revision order, after the commit
(an event is never seen before its write is durable). A watcher subscribes *before* it replays
the log, then drops live events it already replayed, so there is no gap and no duplicate at
the seam between replay and live.

A watcher that stops taking its events is dropped, as Kubernetes' watch cache drops an
unresponsive watcher: when the bytes waiting for it pass ``max_pending_bytes``, or when events
have waited for it longer than ``stall_seconds``. Its queue is freed at once and its stream
ends; the client watches again from the last revision it saw. So one stuck client costs a
bounded amount of memory, and never slows the others.
"""

from __future__ import annotations

import asyncio
import time
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
    max_pending_bytes: int
    stall_seconds: float
    pending: deque[Event] = field(default_factory=deque)
    pending_bytes: int = 0
    waiting_since: float = 0.0  # when the oldest pending event arrived
    waiter: asyncio.Future[None] | None = None
    closed: bool = False
    overflowed: bool = False

    def offer(self, events: list[Event]) -> None:
        if self.closed or not events:
            return
        now = time.monotonic()
        if not self.pending:
            self.waiting_since = now
        elif now - self.waiting_since > self.stall_seconds:
            self.drop()
            return
        self.pending.extend(events)
        self.pending_bytes += sum(len(e.value) for e in events)
        if self.pending_bytes > self.max_pending_bytes:
            self.drop()
            return
        self.wake()

    def take(self) -> list[Event]:
        """Everything pending, now; the subscription is empty afterwards."""
        events = list(self.pending)
        self.pending.clear()
        self.pending_bytes = 0
        return events

    def drop(self) -> None:
        """Stop feeding an unresponsive watcher and free what waited for it."""
        self.pending.clear()
        self.pending_bytes = 0
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

    max_pending_bytes: int = 16 * 1024 * 1024
    stall_seconds: float = 10.0
    _subs: set[Subscription] = field(default_factory=set)
    dropped: int = 0  # watchers dropped for not reading (for metrics)

    def subscribe(self, prefix: str) -> Subscription:
        sub = Subscription(prefix, self.max_pending_bytes, self.stall_seconds)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)
        sub.close()

    def publish(self, events: list[Event]) -> None:
        for sub in list(self._subs):
            prefix = sub.prefix
            sub.offer([e for e in events if e.key.startswith(prefix)])
            if sub.overflowed:
                self.dropped += 1
                self._subs.discard(sub)

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
                batch = [e for e in sub.take() if e.rev > self.last_rev]
                if batch:
                    self.last_rev = batch[-1].rev
                    return batch
                continue
            if sub.closed:
                return None
            if wait is not None and wait <= 0:
                return []  # only what is ready: no wait (a reader that drains as it reads)
            sub.waiter = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(wait):
                    await sub.waiter
            except TimeoutError:
                return []
            finally:
                sub.waiter = None

    def take_ready(self) -> list[Event]:
        """Every event ready now, without waiting (``[]`` if none): for a reader that must
        see committed writes before it answers (the apiserver's RBAC index), not for streams."""
        sub = self._sub
        if sub.overflowed:
            raise WatchOverflow(f"watch fell behind after revision {self.last_rev}")
        if not (sub.pending or self._replay or self._ready):
            return []
        ready = [*self._replay, *self._ready, *sub.take()]
        self._replay = []
        self._ready.clear()
        batch = [e for e in ready if e.rev > self.last_rev]
        if batch:
            self.last_rev = batch[-1].rev
        return batch

    def pending(self) -> int:
        return len(self._replay) + len(self._ready) + len(self._sub.pending)

    def close(self) -> None:
        self._broadcaster.unsubscribe(self._sub)
