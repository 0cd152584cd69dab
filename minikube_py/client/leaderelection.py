"""Leader election on a ``coordination.k8s.io/v1`` Lease (client-go's
``tools/leaderelection``: leaderelection.go with the LeaseLock of resourcelock).

When the controller manager or the scheduler runs as several processes, each runs a
:class:`LeaderElector` on the same Lease and only the leader runs ``on_started_leading``.
The Lease's spec is the record: ``holderIdentity``, ``leaseDurationSeconds``,
``acquireTime``/``renewTime`` (MicroTime), ``leaseTransitions``.

- A candidate takes the lease when it is absent, expired (``renewTime +
  leaseDurationSeconds < now``), released (no holder) or already its own; every write carries
  the resourceVersion it read, so of two candidates racing, one gets 409 and stays follower.
- The leader renews every ``retry_period``. If no renew succeeds within ``renew_deadline`` of
  the last good one, it steps down: the leading coroutine is cancelled, then
  ``on_stopped_leading`` is called. ``renew_deadline < lease_duration`` is what makes that
  safe: it has stopped before anyone else may take over.
- On a clean stop (:meth:`LeaderElector.stop`, or cancelling :meth:`LeaderElector.run`) with
  ``release_on_cancel`` the leader clears ``holderIdentity`` and sets
  ``leaseDurationSeconds: 1``, so a waiting candidate takes over at its next try.

Unlike client-go, ``on_stopped_leading`` is called only by an elector that did lead, and a
leading coroutine that returns (or crashes) ends the leadership: the lease is released.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import logging
import math
import random
from collections.abc import Awaitable, Callable
from typing import Any

from minikube_py.api.errors import NotFound, StatusError
from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.client.base import Client
from minikube_py.client.events import NORMAL, EventRecorder
from minikube_py.util.clock import parse_rfc3339
from minikube_py.util.tasks import spawn

log = logging.getLogger(__name__)

JITTER_FACTOR = 1.2  # client-go's: a follower retries after retry_period * (1 + 0..1.2)


def _leases() -> ResourceType:
    rt = REGISTRY.by_path("coordination.k8s.io", "v1", "leases")
    if rt is None:  # pragma: no cover - the registry always has it
        raise RuntimeError("the registry has no coordination.k8s.io/v1 leases")
    return rt


def micro_time(when: dt.datetime) -> str:
    """Kubernetes' MicroTime: ``2026-12-03T10:00:00.123456Z``."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LeaderElector:
    """Campaign for one Lease; lead while renewing it (client-go's ``LeaderElector``).

    ``on_started_leading`` is a coroutine function run as a task while this elector leads;
    ``on_stopped_leading`` (plain or async) is called once leadership ends. ``clock`` gives
    the wall-clock time written into and compared with the Lease."""

    def __init__(self, client: Client, *, lock_namespace: str, lock_name: str, identity: str,
                 on_started_leading: Callable[[], Awaitable[None]],
                 on_stopped_leading: Callable[[], Awaitable[None] | None] | None = None,
                 on_new_leader: Callable[[str], None] | None = None,
                 lease_duration: float = 15.0, renew_deadline: float = 10.0,
                 retry_period: float = 2.0, release_on_cancel: bool = True,
                 clock: Callable[[], dt.datetime] = _utcnow) -> None:
        _validate(identity, lease_duration, renew_deadline, retry_period)
        self.client = client
        self.lock_namespace, self.lock_name, self.identity = lock_namespace, lock_name, identity
        self.on_started_leading = on_started_leading
        self.on_stopped_leading = on_stopped_leading
        self.on_new_leader = on_new_leader
        self.lease_duration, self.renew_deadline = lease_duration, renew_deadline
        self.retry_period, self.release_on_cancel = retry_period, release_on_cancel
        self.clock = clock
        self._leases = _leases()
        self._lease: dict[str, Any] | None = None  # the last Lease we read or wrote
        self._leader = ""  # the holder we last observed
        self._is_leader = False
        self._renewed_at = 0.0  # loop time before the last successful write of the lease
        self._stop = asyncio.Event()

    @property
    def is_leader(self) -> bool:
        return self._is_leader

    @property
    def leader(self) -> str:
        """The holder identity last seen on the lease ("" if none)."""
        return self._leader

    def stop(self) -> None:
        """End :meth:`run`: stop leading (releasing the lease) or stop campaigning."""
        self._stop.set()

    async def run(self) -> None:
        """Campaign until leading, lead until leadership is lost or :meth:`stop` is called."""
        if not await self._acquire():
            return
        leading = spawn(self._lead(), name=f"leader/{self.lock_namespace}/{self.lock_name}")
        released = False
        try:
            lost = await self._renew_loop(leading)
            released = not lost and self.release_on_cancel
        except asyncio.CancelledError:
            released = self.release_on_cancel
            raise
        finally:
            leading.cancel()
            await asyncio.gather(leading, return_exceptions=True)
            if released:
                await self._release()
            self._is_leader = False
            await self._stopped_leading()

    async def _lead(self) -> None:
        log.info("%s: started leading %s/%s", self.identity, self.lock_namespace,
                 self.lock_name)
        await self.on_started_leading()

    async def _stopped_leading(self) -> None:
        log.info("%s: stopped leading %s/%s", self.identity, self.lock_namespace,
                 self.lock_name)
        if self.on_stopped_leading is not None:
            try:
                result = self.on_stopped_leading()
                if result is not None:
                    await result
            except Exception:
                log.exception("%s: on_stopped_leading failed", self.identity)

    async def _sleep(self, seconds: float) -> bool:
        """Sleep, waking early on stop(); True if stop was requested."""
        try:
            await asyncio.wait_for(self._stop.wait(), max(seconds, 0.0))
        except TimeoutError:
            return False
        return True

    async def _acquire(self) -> bool:
        """Try until the lease is ours (True) or stop() is called (False)."""
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            started = loop.time()
            if await self._attempt(self.renew_deadline):
                self._is_leader = True
                self._renewed_at = started
                return True
            if await self._sleep(self.retry_period * (1 + random.random() * JITTER_FACTOR)):
                break
        return False

    async def _renew_loop(self, leading: asyncio.Task[None]) -> bool:
        """Renew until stop() or the end of ``leading`` (False), or until no renew succeeds
        within renew_deadline of the last good one (True: leadership lost)."""
        loop = asyncio.get_running_loop()
        last_renew = self._renewed_at
        stop = asyncio.ensure_future(self._stop.wait())
        try:
            while True:
                deadline = last_renew + self.renew_deadline
                wait = min(self.retry_period, max(0.0, deadline - loop.time()))
                await asyncio.wait([stop, leading], timeout=wait,
                                   return_when=asyncio.FIRST_COMPLETED)
                if stop.done() or leading.done():
                    return False
                started = loop.time()
                if started < deadline and await self._attempt(deadline - started):
                    last_renew = started  # measured from before the write: err on the safe side
                    continue
                if loop.time() >= deadline or self._leader not in ("", self.identity):
                    log.warning("%s: could not renew %s/%s within %.1f s (holder now %r); "
                                "stepping down", self.identity, self.lock_namespace,
                                self.lock_name, self.renew_deadline, self._leader)
                    return True
        finally:
            stop.cancel()

    async def _attempt(self, within: float) -> bool:
        try:
            return await asyncio.wait_for(self._try_acquire_or_renew(), within)
        except TimeoutError:
            log.info("%s: lease request timed out", self.identity)
            return False

    async def _try_acquire_or_renew(self) -> bool:
        """One round of client-go's ``tryAcquireOrRenew``: True if we hold the lease now."""
        now = self.clock()
        if self._is_leader and self._lease is not None:
            try:  # the fast path: update what we wrote last
                self._observe(await self.client.update(self._leases, self._renewed(now)))
                return True
            except Exception as err:
                log.info("%s: optimistic renew failed (%s); reading the lease", self.identity,
                         _describe(err))
        try:
            lease = await self.client.get(self._leases, self.lock_name, self.lock_namespace)
        except NotFound:
            return await self._create(now)
        except Exception as err:
            log.info("%s: cannot read the lease: %s", self.identity, _describe(err))
            return False
        self._observe(lease)
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        if holder and holder != self.identity and not self._expired(spec, now):
            self._is_leader = False
            return False
        try:
            self._observe(await self.client.update(self._leases, self._taken(lease, now)))
        except Exception as err:  # a 409: another candidate wrote first
            log.info("%s: cannot take the lease: %s", self.identity, _describe(err))
            return False
        return True

    async def _create(self, now: dt.datetime) -> bool:
        body = {"apiVersion": self._leases.api_version, "kind": self._leases.kind,
                "metadata": {"name": self.lock_name, "namespace": self.lock_namespace},
                "spec": self._spec(now, acquired=now, transitions=0)}
        try:
            self._observe(await self.client.create(self._leases, body))
        except Exception as err:  # AlreadyExists: another candidate created it first
            log.info("%s: cannot create the lease: %s", self.identity, _describe(err))
            return False
        return True

    def _spec(self, now: dt.datetime, *, acquired: dt.datetime | str,
              transitions: int) -> dict[str, Any]:
        return {"holderIdentity": self.identity,
                "leaseDurationSeconds": max(1, math.ceil(self.lease_duration)),
                "acquireTime": acquired if isinstance(acquired, str) else micro_time(acquired),
                "renewTime": micro_time(now), "leaseTransitions": transitions}

    def _renewed(self, now: dt.datetime) -> dict[str, Any]:
        assert self._lease is not None
        return self._taken(self._lease, now)

    def _taken(self, lease: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
        """``lease`` (with its resourceVersion) held by us, renewed at ``now``."""
        spec = lease.get("spec") or {}
        transitions = int(spec.get("leaseTransitions") or 0)
        ours = spec.get("holderIdentity") == self.identity
        new = copy.deepcopy(lease)
        new["spec"] = self._spec(now, acquired=(spec.get("acquireTime") or now) if ours else now,
                                 transitions=transitions if ours else transitions + 1)
        return new

    def _expired(self, spec: dict[str, Any], now: dt.datetime) -> bool:
        renewed = spec.get("renewTime")
        if not renewed:
            return True
        try:
            renew_time = parse_rfc3339(str(renewed))
        except ValueError:
            return True
        duration = dt.timedelta(seconds=int(spec.get("leaseDurationSeconds") or 0))
        return renew_time + duration < now

    def _observe(self, lease: dict[str, Any]) -> None:
        self._lease = lease
        holder = (lease.get("spec") or {}).get("holderIdentity") or ""
        if holder != self._leader:
            self._leader = holder
            if self.on_new_leader is not None and holder:
                try:
                    self.on_new_leader(holder)
                except Exception:
                    log.exception("%s: on_new_leader failed", self.identity)

    async def _release(self) -> None:
        """Give the lease up so another candidate need not wait for it to expire."""
        if self._lease is None:
            return
        now = self.clock()
        released = copy.deepcopy(self._lease)
        spec = dict(released.get("spec") or {})
        spec.pop("holderIdentity", None)
        spec.update(leaseDurationSeconds=1, renewTime=micro_time(now), acquireTime=micro_time(now))
        released["spec"] = spec
        try:
            self._observe(await asyncio.wait_for(
                self.client.update(self._leases, released), self.renew_deadline))
            log.info("%s: released %s/%s", self.identity, self.lock_namespace, self.lock_name)
        except Exception as err:
            log.warning("%s: failed to release the lease: %s", self.identity, _describe(err))


def _validate(identity: str, lease_duration: float, renew_deadline: float,
              retry_period: float) -> None:
    """client-go's checks in ``NewLeaderElector``."""
    if not identity:
        raise ValueError("leader election needs an identity")
    if lease_duration <= renew_deadline:
        raise ValueError("lease_duration must be greater than renew_deadline")
    if renew_deadline <= JITTER_FACTOR * retry_period:
        raise ValueError("renew_deadline must be greater than retry_period * 1.2")
    if min(lease_duration, renew_deadline, retry_period) <= 0:
        raise ValueError("lease_duration, renew_deadline and retry_period must be positive")


def _describe(err: BaseException) -> str:
    if isinstance(err, StatusError):
        return f"{err.code} {err.reason}: {err.message}"
    return f"{err.__class__.__name__}: {err}"


class Campaign:
    """A component led under a Lease for as long as it runs (client-go's ``RunOrDie`` in the
    loop kube-controller-manager and kube-scheduler put around it): campaign; on winning run
    ``start`` and record a ``LeaderElection`` event on the Lease, as Kubernetes' components
    do; on losing run ``stop``; then campaign again, until :meth:`stop`."""

    def __init__(self, client: Client, *, namespace: str, name: str, identity: str,
                 events: EventRecorder, start: Callable[[], Awaitable[None]],
                 stop: Callable[[], Awaitable[None]], lease_duration: float = 15.0,
                 renew_deadline: float = 10.0, retry_period: float = 2.0) -> None:
        self.client = client
        self.namespace, self.name, self.identity = namespace, name, identity
        self.events = events
        self._start, self._stop = start, stop
        self.timing = (lease_duration, renew_deadline, retry_period)
        self._elector: LeaderElector | None = None
        self._stopping = False

    @property
    def is_leader(self) -> bool:
        return self._elector is not None and self._elector.is_leader

    def stop(self) -> None:
        self._stopping = True
        if self._elector is not None:
            self._elector.stop()

    async def run(self) -> None:
        while not self._stopping:
            duration, deadline, retry = self.timing
            self._elector = LeaderElector(
                self.client, lock_namespace=self.namespace, lock_name=self.name,
                identity=self.identity, on_started_leading=self._lead,
                on_stopped_leading=self._stop, lease_duration=duration,
                renew_deadline=deadline, retry_period=retry)
            await self._elector.run()
            if not self._stopping:
                log.warning("%s lost the lease %s/%s; campaigning again", self.identity,
                            self.namespace, self.name)
                await asyncio.sleep(retry)

    async def _lead(self) -> None:
        await self._start()
        leases = _leases()
        try:
            lease = await self.client.get(leases, self.name, self.namespace)
            self.events.event(lease, NORMAL, "LeaderElection", f"{self.identity} became leader",
                              resource_type=leases)
        except StatusError:  # the event is a courtesy; leading goes on without it
            log.exception("could not record the LeaderElection event")
        await asyncio.Event().wait()  # lead until cancelled
