"""Leader election on a Lease, against the real in-process apiserver: one leader, prompt
hand-over on release, stepping down when renewals fail, takeover of expired leases."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import TYPE_CHECKING, Any

import pytest

from minikube_py.api.errors import NotFound
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.leaderelection import LeaderElector, micro_time

if TYPE_CHECKING:
    from conftest import Eventually, FlakyTransport

LEASES = REGISTRY.resolve("leases")
MICRO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
NS, NAME = "kube-system", "controller-manager"


class Candidate:
    """One elector plus the record of what its callbacks saw."""

    def __init__(self, client: Client, identity: str, log: list[str], **timing: Any) -> None:
        self.identity = identity
        self.log = log
        self.cancelled = False
        timing = {"lease_duration": 2.0, "renew_deadline": 1.0, "retry_period": 0.1, **timing}
        self.elector = LeaderElector(
            client, lock_namespace=NS, lock_name=NAME, identity=identity,
            on_started_leading=self.lead, on_stopped_leading=self.stopped, **timing)
        self.task: asyncio.Task[None] | None = None

    async def lead(self) -> None:
        self.log.append(f"{self.identity} started")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise

    def stopped(self) -> None:
        self.log.append(f"{self.identity} stopped")

    def start(self) -> Candidate:
        self.task = asyncio.create_task(self.elector.run())
        return self

    async def finish(self) -> None:
        self.elector.stop()
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)


async def lease(client: Client) -> dict[str, Any]:
    assert LEASES is not None
    return await client.get(LEASES, NAME, NS)


async def test_exactly_one_of_two_leads(client: Client, eventually: Eventually) -> None:
    """Two candidates on one lease: one leads, the other stays follower through renewals;
    the lease names the leader and its times are MicroTime."""
    log: list[str] = []
    a = Candidate(client, "a", log).start()
    b = Candidate(client, "b", log).start()
    try:
        await eventually(lambda: a.elector.is_leader or b.elector.is_leader)
        versions = {(await lease(client))["metadata"]["resourceVersion"]}
        while len(versions) < 4:  # several renewals, each a write of the leader's
            await asyncio.sleep(0.05)
            versions.add((await lease(client))["metadata"]["resourceVersion"])
        spec = (await lease(client))["spec"]
        assert [a.elector.is_leader, b.elector.is_leader].count(True) == 1
        leader = a if a.elector.is_leader else b
        assert log == [f"{leader.identity} started"]
        assert spec["holderIdentity"] == leader.identity
        assert spec["leaseDurationSeconds"] == 2 and spec["leaseTransitions"] == 0
        assert MICRO_TIME.match(spec["renewTime"]) and MICRO_TIME.match(spec["acquireTime"])
        assert b.elector.leader == a.elector.leader == leader.identity
    finally:
        await a.finish()
        await b.finish()


async def test_stopped_leader_releases_and_the_other_takes_over(client: Client,
                                                                 eventually: Eventually,
                                                                 ) -> None:
    """Stopping the leader releases the lease, so the follower leads at its next retry even
    though the lease had half a minute left; the transition is counted."""
    log: list[str] = []
    slow = {"lease_duration": 30.0, "renew_deadline": 20.0, "retry_period": 0.1}
    a = Candidate(client, "a", log, **slow).start()
    await eventually(lambda: a.elector.is_leader)
    b = Candidate(client, "b", log, **slow).start()
    try:
        await eventually(lambda: b.elector.leader == "a")
        await a.finish()
        assert a.cancelled and log == ["a started", "a stopped"]
        await eventually(lambda: b.elector.is_leader)
        spec = (await lease(client))["spec"]
        assert spec["holderIdentity"] == "b" and spec["leaseTransitions"] == 1
        assert log == ["a started", "a stopped", "b started"]
    finally:
        await b.finish()
    released = (await lease(client))["spec"]
    assert "holderIdentity" not in released and released["leaseDurationSeconds"] == 1


async def test_leader_that_cannot_renew_steps_down_before_takeover(
        client: Client, flaky: FlakyTransport, eventually: Eventually) -> None:
    """A leader cut off from the apiserver stops leading (its work is cancelled) within
    renew_deadline, which is before the lease expires and the other candidate takes over."""
    log: list[str] = []
    a = Candidate(Client(flaky), "a", log, lease_duration=2.0, renew_deadline=1.0).start()
    await eventually(lambda: a.elector.is_leader)
    b = Candidate(client, "b", log, lease_duration=2.0, renew_deadline=1.0).start()
    try:
        flaky.go_down()
        await eventually(lambda: b.elector.is_leader)
        assert a.cancelled and not a.elector.is_leader
        assert log == ["a started", "a stopped", "b started"]
        assert a.task is not None and a.task.done()  # run() returns when leadership is lost
        spec = (await lease(client))["spec"]
        assert spec["holderIdentity"] == "b" and spec["leaseTransitions"] == 1
    finally:
        flaky.go_up()
        await a.finish()
        await b.finish()


async def test_expired_lease_of_another_holder_is_taken(client: Client) -> None:
    """A lease whose holder stopped renewing long ago is taken over (clock injected)."""
    assert LEASES is not None
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    await client.create(LEASES, {"metadata": {"name": NAME, "namespace": NS}, "spec": {
        "holderIdentity": "gone", "leaseDurationSeconds": 15, "acquireTime": micro_time(old),
        "renewTime": micro_time(old), "leaseTransitions": 4}})
    started = asyncio.Event()

    async def lead() -> None:
        started.set()
        await asyncio.Event().wait()

    elector = LeaderElector(client, lock_namespace=NS, lock_name=NAME, identity="new",
                            on_started_leading=lead, lease_duration=2, renew_deadline=1,
                            retry_period=0.1)
    task = asyncio.create_task(elector.run())
    try:
        await asyncio.wait_for(started.wait(), 10)
        spec = (await lease(client))["spec"]
        assert spec["holderIdentity"] == "new" and spec["leaseTransitions"] == 5
    finally:
        elector.stop()
        await task


async def test_valid_lease_of_another_holder_is_respected(client: Client,
                                                          eventually: Eventually) -> None:
    """A lease renewed recently by someone else is not taken; once the injected clock moves
    past renewTime + leaseDurationSeconds, it is."""
    assert LEASES is not None
    now = dt.datetime.now(dt.UTC)
    await client.create(LEASES, {"metadata": {"name": NAME, "namespace": NS}, "spec": {
        "holderIdentity": "other", "leaseDurationSeconds": 60, "acquireTime": micro_time(now),
        "renewTime": micro_time(now), "leaseTransitions": 0}})
    offset = dt.timedelta(0)
    attempts: list[str] = []

    def clock() -> dt.datetime:
        attempts.append("x")
        return dt.datetime.now(dt.UTC) + offset

    elector = LeaderElector(client, lock_namespace=NS, lock_name=NAME, identity="me",
                            on_started_leading=asyncio.Event().wait, lease_duration=2,
                            renew_deadline=1, retry_period=0.05, clock=clock)
    task = asyncio.create_task(elector.run())
    try:
        await eventually(lambda: len(attempts) >= 3)
        assert not elector.is_leader and elector.leader == "other"
        offset = dt.timedelta(seconds=61)
        await eventually(lambda: elector.is_leader)
    finally:
        elector.stop()
        await asyncio.wait_for(task, 10)


async def test_absent_lease_is_created(client: Client, eventually: Eventually) -> None:
    """With no Lease yet, the first candidate creates it holding it."""
    with pytest.raises(NotFound):
        await lease(client)
    a = Candidate(client, "a", []).start()
    try:
        await eventually(lambda: a.elector.is_leader)
        assert (await lease(client))["spec"]["holderIdentity"] == "a"
    finally:
        await a.finish()


@pytest.mark.parametrize(("timing", "message"), [
    pytest.param({"lease_duration": 10, "renew_deadline": 10}, "lease_duration",
                 id="renew-deadline-not-below-lease-duration"),
    pytest.param({"renew_deadline": 2, "retry_period": 2}, "retry_period",
                 id="retry-period-too-long-for-renew-deadline"),
    pytest.param({"identity": ""}, "identity", id="no-identity"),
])
def test_inconsistent_timings_are_refused(client: Client, timing: dict[str, Any],
                                          message: str) -> None:
    """The constructor refuses timings that could let two leaders overlap."""
    args: dict[str, Any] = {"identity": "a", "lease_duration": 15, "renew_deadline": 10,
                            "retry_period": 2, **timing}
    with pytest.raises(ValueError, match=message):
        LeaderElector(client, lock_namespace=NS, lock_name=NAME,
                      on_started_leading=asyncio.Event().wait, **args)


async def test_leading_work_that_ends_releases_the_lease(client: Client) -> None:
    """When on_started_leading returns, the elector stops leading and releases the lease."""
    stopped: list[str] = []

    async def short_work() -> None:
        return None

    elector = LeaderElector(client, lock_namespace=NS, lock_name=NAME, identity="a",
                            on_started_leading=short_work,
                            on_stopped_leading=lambda: stopped.append("a"),
                            lease_duration=2, renew_deadline=1, retry_period=0.1)
    await asyncio.wait_for(elector.run(), 10)
    assert stopped == ["a"] and not elector.is_leader
    spec = (await lease(client))["spec"]
    assert "holderIdentity" not in spec and spec["leaseDurationSeconds"] == 1
