"""The work queue's invariants, under many concurrent workers, and its shut-down modes."""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

import pytest

from minikube_py.api.errors import Conflict
from minikube_py.client.workqueue import (
    DelayingQueue,
    ItemExponentialFailureRateLimiter,
    Queue,
    RateLimitingQueue,
    ShutDown,
    run_worker,
)

if TYPE_CHECKING:
    from conftest import Eventually


async def test_add_deduplicates_waiting_keys() -> None:
    """A key added several times before a worker takes it is queued once."""
    q: Queue[str] = Queue()
    for key in ("a", "b", "a", "a", "b", "c"):
        q.add(key)
    assert len(q) == 3
    assert [await q.get() for _ in range(3)] == ["a", "b", "c"]


async def test_key_in_processing_is_not_handed_out_again_until_done() -> None:
    """While a key is processed, adding it only marks it; done() queues it once more."""
    q: Queue[str] = Queue()
    q.add("a")
    assert await q.get() == "a"
    q.add("a")
    q.add("a")
    assert len(q) == 0  # not queued while in flight
    q.add("b")
    assert await q.get() == "b"
    q.done("a")
    assert len(q) == 1
    assert await q.get() == "a"
    q.done("a")
    q.done("b")
    assert len(q) == 0


async def test_invariants_under_many_concurrent_workers() -> None:
    """With 16 workers and adds arriving while keys are processed: no key is ever held by
    two workers, a key added during its processing is processed again, and every add is
    followed by a processing that started after it."""
    q: Queue[int] = Queue()
    rng = random.Random(7)
    in_flight: set[int] = set()
    overlaps = 0
    tick = 0
    last_added: dict[int, int] = {}
    last_started: dict[int, int] = {}
    added_while_processing = 0

    def add(key: int) -> None:
        nonlocal tick, added_while_processing
        if q.shutting_down:
            return  # refused by the queue, so owed no processing
        tick += 1
        last_added[key] = tick
        added_while_processing += key in in_flight
        q.add(key)

    async def worker() -> None:
        nonlocal overlaps, tick
        while True:
            try:
                key = await q.get()
            except ShutDown:
                return
            overlaps += key in in_flight
            in_flight.add(key)
            tick += 1
            last_started[key] = tick
            for _ in range(rng.randint(0, 3)):
                await asyncio.sleep(0)
                if rng.random() < 0.3:
                    add(rng.randrange(40))
            in_flight.discard(key)
            q.done(key)

    workers = [asyncio.create_task(worker()) for _ in range(16)]
    for _ in range(2000):
        add(rng.randrange(40))
        if rng.random() < 0.5:
            await asyncio.sleep(0)
    await q.shut_down_with_drain()
    await asyncio.gather(*workers)
    assert overlaps == 0
    assert added_while_processing > 0  # the case the invariant is about did happen
    assert all(last_started[key] > added for key, added in last_added.items())


async def test_shut_down_hands_out_what_is_left_then_raises() -> None:
    """After shut_down no key is accepted; queued keys still come out, then ShutDown."""
    q: Queue[str] = Queue()
    q.add("a")
    q.shut_down()
    q.add("b")
    assert await q.get() == "a"
    with pytest.raises(ShutDown):
        await q.get()


async def test_shut_down_wakes_waiting_workers() -> None:
    """Workers blocked in get() end with ShutDown when the queue shuts down."""
    q: Queue[str] = Queue()
    getters = [asyncio.create_task(q.get()) for _ in range(3)]
    await asyncio.sleep(0)
    q.shut_down()
    results = await asyncio.gather(*getters, return_exceptions=True)
    assert all(isinstance(r, ShutDown) for r in results)


async def test_shut_down_with_drain_waits_for_in_flight_work() -> None:
    """shut_down_with_drain returns only after every key being processed is done."""
    q: Queue[str] = Queue()
    release = asyncio.Event()
    finished: list[str] = []

    async def worker() -> None:
        while True:
            try:
                key = await q.get()
            except ShutDown:
                return
            await release.wait()
            finished.append(key)
            q.done(key)

    workers = [asyncio.create_task(worker()) for _ in range(2)]
    for key in ("a", "b", "c"):
        q.add(key)
    await asyncio.sleep(0)
    drain = asyncio.create_task(q.shut_down_with_drain())
    await asyncio.sleep(0.01)
    assert not drain.done() and finished == []
    release.set()
    await drain
    assert sorted(finished) == ["a", "b", "c"]
    await asyncio.gather(*workers)


async def test_cancelled_getter_passes_its_wakeup_on() -> None:
    """A worker cancelled just as it was woken does not strand the key it was woken for."""
    q: Queue[str] = Queue()
    first = asyncio.create_task(q.get())
    second = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    q.add("a")  # wakes the first getter...
    first.cancel()  # ...which is cancelled before it runs
    assert await asyncio.wait_for(second, 5) == "a"


async def test_add_after_adds_later_and_keeps_the_earliest(eventually: Eventually) -> None:
    """add_after queues a key after its delay; of two delays for one key the earlier wins."""
    q: DelayingQueue[str] = DelayingQueue()
    q.add_after("a", 3600)
    q.add_after("a", 0.01)
    q.add_after("b", 0)
    assert len(q) == 1 and q.waiting == 1
    assert await q.get() == "b"
    assert await asyncio.wait_for(q.get(), 5) == "a"
    assert q.waiting == 0


async def test_shut_down_cancels_delayed_adds() -> None:
    """Keys still waiting for their delay are dropped at shut-down."""
    q: DelayingQueue[str] = DelayingQueue()
    q.add_after("a", 0.01)
    q.shut_down()
    await asyncio.sleep(0.02)
    assert len(q) == 0 and q.waiting == 0


async def test_rate_limited_retries_then_forget() -> None:
    """add_rate_limited counts requeues per key; forget resets them."""
    q: RateLimitingQueue[str] = RateLimitingQueue(ItemExponentialFailureRateLimiter(0.001, 1))
    for expected in (1, 2, 3):
        q.add_rate_limited("a")
        assert q.num_requeues("a") == expected
        key = await asyncio.wait_for(q.get(), 5)
        q.done(key)
    q.forget("a")
    assert q.num_requeues("a") == 0


async def test_run_worker_retries_failures_and_forgets_successes(eventually: Eventually,
                                                                 ) -> None:
    """The worker loop: an error requeues the key rate-limited, success forgets it."""
    q: RateLimitingQueue[str] = RateLimitingQueue(ItemExponentialFailureRateLimiter(0.001, 1))
    attempts: list[str] = []

    async def reconcile(key: str) -> None:
        attempts.append(key)
        if attempts.count(key) < 3:
            raise Conflict("the object has been modified")

    worker = asyncio.create_task(run_worker(q, reconcile, name="test"))
    q.add("a")
    await eventually(lambda: attempts.count("a") == 3)
    await q.shut_down_with_drain()
    await asyncio.wait_for(worker, 5)
    assert attempts == ["a", "a", "a"] and q.num_requeues("a") == 0
