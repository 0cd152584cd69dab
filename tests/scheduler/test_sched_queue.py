"""The scheduling queue: priority order, back-off, and retries driven by cluster events."""

from __future__ import annotations

import asyncio

import pytest

from minikube_py.scheduler import clusterevents as ce
from minikube_py.scheduler.queue import SchedulingQueue
from tests.scheduler.builders import info, pod


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


REGISTRATIONS = {
    "NodeResourcesFit": [ce.Registration(ce.ClusterEvent(ce.NODE, ce.ActionType.ADD)),
                         ce.Registration(ce.ASSIGNED_POD_DELETE)],
    "NodeAffinity": [ce.Registration(ce.ClusterEvent(
        ce.NODE, ce.ActionType.ADD | ce.ActionType.UPDATE_NODE_LABEL),
        lambda p, _old, new: bool(new and new["metadata"]["labels"].get("disktype") == "ssd"))],
}


def queue(clock: Clock | None = None) -> SchedulingQueue:
    return SchedulingQueue(REGISTRATIONS, now=clock or Clock())


async def pop_keys(q: SchedulingQueue, n: int) -> list[str]:
    out = []
    for _ in range(n):
        qpi = await asyncio.wait_for(q.pop(), 1)
        assert qpi is not None
        out.append(qpi.key)
        q.done(qpi.key)
    return out


async def test_priority_then_age() -> None:
    """activeQ pops higher priority first, and among equals the older pod first."""
    clock = Clock()
    q = queue(clock)
    for name, prio in (("old-low", 0), ("mid", 10), ("high", 100), ("new-low", 0)):
        q.add(info(pod(name, priority=prio)))
        clock.t += 1
    assert await pop_keys(q, 4) == ["default/high", "default/mid", "default/old-low",
                                    "default/new-low"]


@pytest.mark.parametrize(("attempts", "seconds"), [
    pytest.param(1, 1.0, id="first-failure-1s"),
    pytest.param(2, 2.0, id="second-2s"),
    pytest.param(4, 8.0, id="fourth-8s"),
    pytest.param(5, 10.0, id="capped-at-10s"),
    pytest.param(9, 10.0, id="stays-capped"),
])
async def test_backoff_duration(attempts: int, seconds: float) -> None:
    """Back-off doubles from 1 s per attempt and stops at 10 s."""
    q = queue()
    q.add(info(pod()))
    qpi = await q.pop()
    assert qpi is not None
    qpi.attempts = attempts
    assert q.backoff_duration(qpi) == seconds


async def test_error_goes_to_backoff_then_active() -> None:
    """A pod that failed with an error waits out its back-off, then is popped again."""
    clock = Clock()
    q = queue(clock)
    q.add(info(pod()))
    qpi = await q.pop()
    assert qpi is not None
    q.add_unschedulable_if_not_present(qpi, rejected_by=set())
    assert q.pending()["backoff"] == ["default/p"]
    clock.t += 0.5
    q.flush_backoff_completed()
    assert q.pending()["backoff"] == ["default/p"]
    clock.t += 0.6
    assert await pop_keys(q, 1) == ["default/p"]


async def test_unschedulable_moves_only_on_relevant_event() -> None:
    """A pod rejected by NodeResourcesFit waits for a node or a freed pod, not a label."""
    clock = Clock()
    q = queue(clock)
    q.add(info(pod()))
    qpi = await q.pop()
    assert qpi is not None
    q.add_unschedulable_if_not_present(qpi, rejected_by={"NodeResourcesFit"})
    assert q.pending()["unschedulable"] == ["default/p"]
    label = ce.ClusterEvent(ce.NODE, ce.ActionType.UPDATE_NODE_LABEL)
    assert q.move_all_to_active_or_backoff(label) == 0
    clock.t += 20  # past its back-off: straight to activeQ
    assert q.move_all_to_active_or_backoff(ce.ASSIGNED_POD_DELETE) == 1
    assert q.pending()["active"] == ["default/p"]


async def test_queueing_hint_filters_events() -> None:
    """NodeAffinity's hint moves the pod only for a node that has the wanted label."""
    q = queue()
    q.add(info(pod()))
    qpi = await q.pop()
    assert qpi is not None
    q.add_unschedulable_if_not_present(qpi, rejected_by={"NodeAffinity"})
    hdd = {"metadata": {"name": "x", "labels": {"disktype": "hdd"}}}
    ssd = {"metadata": {"name": "y", "labels": {"disktype": "ssd"}}}
    assert q.move_all_to_active_or_backoff(ce.NODE_ADD, None, hdd) == 0
    assert q.move_all_to_active_or_backoff(ce.NODE_ADD, None, ssd) == 1


async def test_moved_while_backing_off_goes_to_backoff() -> None:
    """An event right after a failure moves the pod to backoffQ, not past its back-off."""
    clock = Clock()
    q = queue(clock)
    q.add(info(pod()))
    qpi = await q.pop()
    assert qpi is not None
    q.add_unschedulable_if_not_present(qpi, rejected_by={"NodeResourcesFit"})
    q.move_all_to_active_or_backoff(ce.NODE_ADD)
    assert q.pending() == {"active": [], "backoff": ["default/p"], "unschedulable": []}


async def test_event_during_cycle_sends_pod_to_backoff() -> None:
    """A node added while the pod was being scheduled may have cured it: backoffQ."""
    q = queue()
    q.add(info(pod()))
    qpi = await q.pop()
    assert qpi is not None
    q.move_all_to_active_or_backoff(ce.NODE_ADD)  # arrives in flight
    q.add_unschedulable_if_not_present(qpi, rejected_by={"NodeResourcesFit"})
    assert q.pending()["backoff"] == ["default/p"]


async def test_unschedulable_flushed_after_five_minutes() -> None:
    """Without any event, an unschedulable pod is retried after five minutes."""
    clock = Clock()
    q = queue(clock)
    q.add(info(pod()))
    qpi = await q.pop()
    assert qpi is not None
    q.add_unschedulable_if_not_present(qpi, rejected_by={"NodeResourcesFit"})
    clock.t += 200
    assert q.flush_unschedulable_left_over() == 0
    clock.t += 101
    assert q.flush_unschedulable_left_over() == 1
    assert q.pending()["active"] == ["default/p"]


async def test_update_of_unschedulable_pod_retries_it() -> None:
    """Changing an unschedulable pod's spec gives it another try; a status change does not."""
    clock = Clock()
    q = queue(clock)
    q.add(info(pod(cpu="8")))
    qpi = await q.pop()
    assert qpi is not None
    q.add_unschedulable_if_not_present(qpi, rejected_by={"NodeResourcesFit"})
    clock.t += 20
    same = pod(cpu="8")
    same["status"]["conditions"] = [{"type": "PodScheduled", "status": "False"}]
    q.update(info(same))
    assert q.pending()["unschedulable"] == ["default/p"]
    q.update(info(pod(cpu="1")))
    assert q.pending()["active"] == ["default/p"]


async def test_delete_removes_everywhere_and_pop_waits() -> None:
    """A deleted pod leaves the queue; pop then waits until a pod comes."""
    q = queue()
    q.add(info(pod("a")))
    q.delete("default/a")
    waiter = asyncio.ensure_future(q.pop())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    q.add(info(pod("b")))
    qpi = await asyncio.wait_for(waiter, 1)
    assert qpi is not None and qpi.key == "default/b"
    q.close()
    assert await q.pop() is None
