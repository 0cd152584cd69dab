"""Watchers that stop reading: bounded in bytes and in time, dropped without slowing others."""

from __future__ import annotations

import time

import pytest

from minikube_py.store.sqlite import SqliteStorage as Store
from minikube_py.store.watch import ADDED, Broadcaster, Event, WatchOverflow


def event(rev: int, size: int = 1000) -> Event:
    return Event(rev, ADDED, f"/registry/configmaps/default/c{rev}", b"x" * size)


async def test_a_watcher_past_its_byte_budget_is_dropped_and_freed() -> None:
    """Past max_pending_bytes the subscription is closed, its queue emptied, and its reader
    told it fell behind; a reading watcher beside it keeps every event."""
    hub = Broadcaster(max_pending_bytes=10_000, stall_seconds=60)
    stuck, reading = hub.subscribe("/registry/"), hub.subscribe("/registry/")
    for rev in range(1, 30):
        hub.publish([event(rev)])
        assert len(reading.take()) == 1
    assert stuck.overflowed and stuck.closed
    assert len(stuck.pending) == 0 and stuck.pending_bytes == 0
    assert hub.watchers == 1 and hub.dropped == 1
    assert not reading.overflowed


async def test_a_watcher_that_takes_nothing_for_too_long_is_dropped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Events that wait longer than stall_seconds for a watcher drop it, even under the
    byte budget."""
    hub = Broadcaster(max_pending_bytes=1 << 30, stall_seconds=5)
    sub = hub.subscribe("/registry/")
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    hub.publish([event(1)])
    now[0] += 4
    hub.publish([event(2)])
    assert not sub.overflowed, "within the budget"
    now[0] += 2
    hub.publish([event(3)])
    assert sub.overflowed and hub.watchers == 0


async def test_the_store_watch_of_a_dropped_watcher_ends(store: Store) -> None:
    """A store watcher that overflowed raises WatchOverflow to its stream (which then ends)."""
    store.broadcaster.max_pending_bytes = 2_000
    watcher = await store.watch("/registry/configmaps/", store.revision)
    for i in range(10):
        await store.create(f"/registry/configmaps/default/c{i}",
                           {"metadata": {"name": f"c{i}"}, "data": {"k": "v" * 500}})
    with pytest.raises(WatchOverflow):
        await watcher.next_batch(0.1)
    watcher.close()
