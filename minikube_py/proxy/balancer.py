"""Which endpoint a new connection of one Service port goes to: round robin, ClientIP affinity.

One :class:`Balancer` per Service port, as in kube-proxy's userspace ``LoadBalancerRR``. The
proxier (which watches Services and Endpoints) calls :meth:`Balancer.update` with the ready
endpoints and :meth:`Balancer.set_affinity` with the Service's ``sessionAffinity``; the byte
pump (:mod:`minikube_py.proxy.tcp`) calls :meth:`Balancer.candidates` once per accepted client
connection and dials what it yields, in order, until one endpoint accepts.

Invariants: the endpoint list is an immutable tuple replaced whole, so a ``candidates`` walk
that is under way keeps the snapshot it started with; every affinity entry names an endpoint
of the current list (``update`` drops the others); the round-robin cursor always indexes the
current list.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

DEFAULT_AFFINITY_TIMEOUT = 10800.0
"""``sessionAffinityConfig.clientIP.timeoutSeconds`` when the Service does not set it (3 h)."""


class Endpoint(NamedTuple):
    """An address the proxy dials: a pod IP and port, or a port published on 127.0.0.1."""

    host: str
    port: int


def _ip(host: str) -> str:
    """The canonical text of an IP address; ValueError for a name (endpoints are never names,
    and resolving one would block the event loop)."""
    return str(ipaddress.ip_address(host))


@dataclass(slots=True)
class _Sticky:
    endpoint: Endpoint
    last_used: float


class Balancer:
    """Endpoints of one Service port, handed out round robin, optionally sticky per client IP.

    ``affinity_timeout`` is ``None`` for ``sessionAffinity: None``; otherwise the seconds a
    client IP may stay idle (no new connection) before it loses its endpoint. ``clock`` returns
    seconds (monotonic); tests pass a fake one.
    """

    def __init__(self, *, name: str = "", affinity_timeout: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._clock = clock
        self._endpoints: tuple[Endpoint, ...] = ()
        self._members: frozenset[Endpoint] = frozenset()
        self._cursor = 0
        self._affinity_timeout = affinity_timeout
        self._sticky: dict[str, _Sticky] = {}
        self._last_sweep = clock()

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        return self._endpoints

    @property
    def sticky_clients(self) -> int:
        """How many client IPs have an affinity entry (expired ones until they are swept)."""
        return len(self._sticky)

    @property
    def affinity_timeout(self) -> float | None:
        return self._affinity_timeout

    def update(self, endpoints: Iterable[tuple[str, int]]) -> None:
        """Replace the endpoint list at once (duplicates dropped, order kept).

        Connections already established are not touched; affinity entries for endpoints that
        are gone are dropped, so their clients are balanced afresh.
        """
        fresh = tuple(dict.fromkeys(Endpoint(_ip(host), int(port)) for host, port in endpoints))
        if fresh == self._endpoints:
            return
        self._endpoints = fresh
        self._members = frozenset(fresh)
        self._cursor = self._cursor % len(fresh) if fresh else 0
        self._sticky = {ip: s for ip, s in self._sticky.items() if s.endpoint in self._members}

    def set_affinity(self, timeout: float | None) -> None:
        """``None`` turns ClientIP affinity off (and forgets it); a number turns it on."""
        if timeout is None:
            self._sticky.clear()
        self._affinity_timeout = timeout

    def candidates(self, client_ip: str) -> Iterator[Endpoint]:
        """Endpoints to dial for a new connection from ``client_ip``, best first.

        First the endpoint the client is stuck to (if affinity is on and the entry is fresh),
        else the next one in round robin; then every other endpoint in round-robin order, for
        the caller to try when the one before refused. With affinity on, each endpoint handed
        out becomes the client's, so the one that finally accepts is the one it sticks to.
        """
        endpoints = self._endpoints
        if not endpoints:
            return
        now = self._clock()
        preferred = self._stuck_endpoint(client_ip, now)
        if preferred is not None:
            yield preferred
        start = self._cursor
        count = len(endpoints)
        for i in range(count):
            position = (start + i) % count
            endpoint = endpoints[position]
            if endpoint == preferred:
                continue
            if self._endpoints is endpoints:
                self._cursor = (position + 1) % count
            self._stick(client_ip, endpoint, now)
            yield endpoint

    def _stuck_endpoint(self, client_ip: str, now: float) -> Endpoint | None:
        timeout = self._affinity_timeout
        if timeout is None:
            return None
        if now - self._last_sweep > min(timeout, 60.0):
            self.expire(now)
        sticky = self._sticky.get(client_ip)
        if sticky is None or now - sticky.last_used > timeout:
            return None
        sticky.last_used = now
        return sticky.endpoint

    def _stick(self, client_ip: str, endpoint: Endpoint, now: float) -> None:
        if self._affinity_timeout is not None and endpoint in self._members:
            self._sticky[client_ip] = _Sticky(endpoint, now)

    def expire(self, now: float | None = None) -> None:
        """Forget the clients idle past the affinity timeout (also done lazily as time passes)."""
        now = self._clock() if now is None else now
        self._last_sweep = now
        timeout = self._affinity_timeout
        if timeout is None:
            return
        self._sticky = {ip: s for ip, s in self._sticky.items() if now - s.last_used <= timeout}

    def affinity(self, client_ip: str) -> Endpoint | None:
        """The endpoint ``client_ip`` is stuck to now, if any (for tests and debugging)."""
        sticky = self._sticky.get(client_ip)
        if sticky is None or self._affinity_timeout is None:
            return None
        if self._clock() - sticky.last_used > self._affinity_timeout:
            return None
        return sticky.endpoint
