"""Work queues of keys for controllers (client-go's ``util/workqueue``: queue.go,
delaying_queue.go, rate_limiting_queue.go, default_rate_limiters.go).

An informer's handlers ``add`` keys (``namespace/name``); a controller's workers ``get`` a key,
reconcile it, and report back: success ``forget(key)``, failure ``add_rate_limited(key)``,
always ``done(key)`` (:func:`run_worker` is that loop). Because the queue holds keys, not
events, ten changes to one object while it waits are one reconcile.

Invariants of :class:`Queue` (they hold between any two awaits):

- a key is queued at most once: every key in the queue is in the dirty set and not in the
  processing set;
- a key is never handed to two workers at once: ``get`` moves it from the queue to the
  processing set, and an ``add`` of a key being processed only marks it dirty;
- a key added while it is being processed is processed again: ``done`` puts a dirty key back
  in the queue;
- after ``shut_down`` no key is accepted; ``get`` still hands out what is queued, then raises
  :class:`ShutDown`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, Protocol, TypeVar

from minikube_py.api.errors import StatusError

log = logging.getLogger(__name__)

T = TypeVar("T", bound=Hashable)


class ShutDown(Exception):
    """``get()`` on a queue that is shut down and empty: the worker should return."""


class Queue(Generic[T]):
    """The de-duplicating FIFO with processing tracking (client-go's ``workqueue.Type``)."""

    def __init__(self, *, name: str = "") -> None:
        self.name = name
        self._queue: deque[T] = deque()
        self._dirty: set[T] = set()
        self._processing: set[T] = set()
        self._getters: deque[asyncio.Future[None]] = deque()
        self._idle = asyncio.Event()
        self._idle.set()
        self._shutting_down = False

    def add(self, item: T) -> None:
        """Queue ``item`` unless it is queued already; if it is being processed, it will be
        queued again when its worker calls ``done``. Ignored after shut-down."""
        if self._shutting_down or item in self._dirty:
            return
        self._dirty.add(item)
        if item in self._processing:
            return
        self._queue.append(item)
        self._wake_one()

    def __len__(self) -> int:
        """Keys waiting (not those being processed)."""
        return len(self._queue)

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    async def get(self) -> T:
        """The next key (waits for one); raises :class:`ShutDown` once shut down and empty.
        The caller owns the key until it calls :meth:`done`."""
        while not self._queue and not self._shutting_down:
            waiter = asyncio.get_running_loop().create_future()
            self._getters.append(waiter)
            try:
                await waiter
            except BaseException:
                waiter.cancel()
                with contextlib.suppress(ValueError):
                    self._getters.remove(waiter)
                if self._queue and not waiter.cancelled():
                    self._wake_one()  # we were woken, but will not take it: pass it on
                raise
        if not self._queue:
            raise ShutDown(self.name)
        item = self._queue.popleft()
        self._processing.add(item)
        self._dirty.discard(item)
        self._idle.clear()
        return item

    def done(self, item: T) -> None:
        """The worker finished ``item``; if it was added meanwhile, it is queued again."""
        self._processing.discard(item)
        if item in self._dirty:
            self._queue.append(item)
            self._wake_one()
        if not self._processing:
            self._idle.set()

    def shut_down(self) -> None:
        """Accept no more keys; waiting workers get what is left, then :class:`ShutDown`."""
        self._shutting_down = True
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    async def shut_down_with_drain(self) -> None:
        """:meth:`shut_down`, then wait until no key is being processed. Workers that keep
        calling ``get`` receive the keys still queued, so those are finished too."""
        self.shut_down()
        while self._processing:
            await self._idle.wait()

    def _wake_one(self) -> None:
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


class DelayingQueue(Queue[T]):
    """A :class:`Queue` that can add a key later (client-go's ``DelayingInterface``). A key
    waiting for several delays waits for the earliest."""

    def __init__(self, *, name: str = "") -> None:
        super().__init__(name=name)
        self._waiting: dict[T, tuple[float, asyncio.TimerHandle]] = {}

    def add_after(self, item: T, delay: float) -> None:
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(item)
            return
        loop = asyncio.get_running_loop()
        ready = loop.time() + delay
        current = self._waiting.get(item)
        if current is not None:
            if current[0] <= ready:
                return
            current[1].cancel()
        self._waiting[item] = (ready, loop.call_at(ready, self._ready, item))

    def _ready(self, item: T) -> None:
        self._waiting.pop(item, None)
        self.add(item)

    @property
    def waiting(self) -> int:
        """Keys scheduled by ``add_after`` and not yet added."""
        return len(self._waiting)

    def shut_down(self) -> None:
        for _, handle in self._waiting.values():
            handle.cancel()
        self._waiting.clear()
        super().shut_down()


class RateLimiter(Protocol):
    """How long a key waits before its next retry (client-go's ``RateLimiter``)."""

    def when(self, item: Hashable) -> float:
        """The delay for ``item`` now (and count one more failure of it)."""
        ...

    def forget(self, item: Hashable) -> None:
        """``item`` succeeded: stop tracking it."""
        ...

    def num_requeues(self, item: Hashable) -> int:
        ...


class ItemExponentialFailureRateLimiter:
    """``base * 2**failures`` for each key, at most ``max_delay`` (client-go: 5 ms .. 1000 s)."""

    def __init__(self, base_delay: float, max_delay: float) -> None:
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._failures: dict[Hashable, int] = {}

    def when(self, item: Hashable) -> float:
        exp = self._failures.get(item, 0)
        self._failures[item] = exp + 1
        if exp > 64:  # 2**64 * anything is past any cap; do not build huge numbers
            return self.max_delay
        return float(min(self.base_delay * 2**exp, self.max_delay))

    def forget(self, item: Hashable) -> None:
        self._failures.pop(item, None)

    def num_requeues(self, item: Hashable) -> int:
        return self._failures.get(item, 0)


class ItemFastSlowRateLimiter:
    """``fast_delay`` for the first ``max_fast_attempts`` failures of a key, then
    ``slow_delay`` (client-go's ``ItemFastSlowRateLimiter``)."""

    def __init__(self, fast_delay: float, slow_delay: float, max_fast_attempts: int) -> None:
        self.fast_delay = fast_delay
        self.slow_delay = slow_delay
        self.max_fast_attempts = max_fast_attempts
        self._failures: dict[Hashable, int] = {}

    def when(self, item: Hashable) -> float:
        self._failures[item] = self._failures.get(item, 0) + 1
        fast = self._failures[item] <= self.max_fast_attempts
        return self.fast_delay if fast else self.slow_delay

    def forget(self, item: Hashable) -> None:
        self._failures.pop(item, None)

    def num_requeues(self, item: Hashable) -> int:
        return self._failures.get(item, 0)


class BucketRateLimiter:
    """An overall token bucket, whatever the key (client-go's ``BucketRateLimiter`` over
    ``rate.NewLimiter(qps, burst)``): ``burst`` retries at once, then ``qps`` per second.
    Each ``when`` reserves a token, so delays grow as retries pile up."""

    def __init__(self, qps: float, burst: int, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if qps <= 0 or burst < 1:
            raise ValueError("a bucket needs qps > 0 and burst >= 1")
        self.qps = qps
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()

    def when(self, item: Hashable) -> float:
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def forget(self, item: Hashable) -> None:
        return None

    def num_requeues(self, item: Hashable) -> int:
        return 0


class MaxOfRateLimiter:
    """The longest delay of several limiters (client-go's ``MaxOfRateLimiter``); every one of
    them counts each failure."""

    def __init__(self, *limiters: RateLimiter) -> None:
        if not limiters:
            raise ValueError("MaxOfRateLimiter needs at least one limiter")
        self.limiters = limiters

    def when(self, item: Hashable) -> float:
        return max([limiter.when(item) for limiter in self.limiters])

    def forget(self, item: Hashable) -> None:
        for limiter in self.limiters:
            limiter.forget(item)

    def num_requeues(self, item: Hashable) -> int:
        return max(limiter.num_requeues(item) for limiter in self.limiters)


def default_controller_rate_limiter() -> MaxOfRateLimiter:
    """Per key 5 ms doubling to 1000 s, and overall 10 retries/s with a burst of 100
    (client-go's ``DefaultControllerRateLimiter``)."""
    return MaxOfRateLimiter(ItemExponentialFailureRateLimiter(0.005, 1000.0),
                            BucketRateLimiter(qps=10, burst=100))


class RateLimitingQueue(DelayingQueue[T]):
    """The queue controllers use (client-go's ``RateLimitingInterface``)."""

    def __init__(self, rate_limiter: RateLimiter | None = None, *, name: str = "") -> None:
        super().__init__(name=name)
        self.rate_limiter: RateLimiter = rate_limiter or default_controller_rate_limiter()

    def add_rate_limited(self, item: T) -> None:
        """Add ``item`` after the delay its failures so far earn it."""
        self.add_after(item, self.rate_limiter.when(item))

    def forget(self, item: T) -> None:
        """``item`` succeeded: its next failure starts from the shortest delay again."""
        self.rate_limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        return self.rate_limiter.num_requeues(item)


async def run_worker(queue: RateLimitingQueue[T], reconcile: Callable[[T], Awaitable[None]],
                     *, name: str = "worker") -> None:
    """One worker (sample-controller's ``runWorker``): reconcile keys until the queue shuts
    down. Success forgets the key; an error re-adds it rate-limited; always ``done``."""
    while True:
        try:
            key = await queue.get()
        except ShutDown:
            return
        try:
            await reconcile(key)
        except StatusError as err:
            log.info("%s: %r failed (%d requeues): %s %s", name, key,
                     queue.num_requeues(key), err.reason, err.message)
            queue.add_rate_limited(key)
        except Exception:
            log.exception("%s: %r failed (%d requeues)", name, key, queue.num_requeues(key))
            queue.add_rate_limited(key)
        else:
            queue.forget(key)
        finally:
            queue.done(key)
