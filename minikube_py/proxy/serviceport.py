"""One Service port as the proxy serves it: a balancer, a forwarder and its listeners.

The proxier (which watches Services and Endpoints) makes one :class:`ServicePortProxy` per
port of every non-headless Service, calls :meth:`ServicePortProxy.start` for each address the
port must be reachable on (127.0.0.1 for the host, later a Docker bridge gateway for pods),
feeds ``balancer.update`` from the Endpoints object, and calls :meth:`ServicePortProxy.stop`
when the Service or the port goes away. The data path itself lives in
:mod:`minikube_py.proxy.tcp`, the choice of endpoint in :mod:`minikube_py.proxy.balancer`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from minikube_py.proxy.balancer import Balancer, Endpoint
from minikube_py.proxy.tcp import CONNECT_TIMEOUT, Listener, ProxyStats, Pump, TcpForwarder


class ServicePortProxy:
    """Listeners of one Service port on one or more addresses, forwarding to its endpoints.

    ``name`` is ``namespace/service:port`` (for task names and logs); ``affinity_timeout`` is
    ``None`` for ``sessionAffinity: None`` or the ClientIP timeout in seconds; ``pump`` picks
    the data path's machinery (:func:`~minikube_py.proxy.tcp.default_pump` when not given).
    """

    def __init__(self, name: str, *, affinity_timeout: float | None = None,
                 connect_timeout: float = CONNECT_TIMEOUT,
                 clock: Callable[[], float] = time.monotonic, pump: Pump | None = None) -> None:
        self.name = name
        self.balancer = Balancer(name=name, affinity_timeout=affinity_timeout, clock=clock)
        self.forwarder = TcpForwarder(self.balancer, name=name,
                                      connect_timeout=connect_timeout, pump=pump)
        self._servers: dict[tuple[str, int], Listener] = {}

    @property
    def stats(self) -> ProxyStats:
        return self.forwarder.stats

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """The (host, port) pairs listened on."""
        return list(self._servers)

    def update(self, endpoints: Iterable[tuple[str, int]]) -> None:
        """Replace the endpoints (new connections only; established ones keep theirs)."""
        self.balancer.update(endpoints)

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        return self.balancer.endpoints

    def set_affinity(self, timeout: float | None) -> None:
        """``sessionAffinity``: ``None`` for None, else ClientIP with this timeout (seconds)."""
        self.balancer.set_affinity(timeout)

    async def start(self, host: str, port: int = 0) -> int:
        """Listen on ``host:port`` too (``port`` 0: any free port); return the bound port."""
        listener = await self.forwarder.listen(host, port)
        self._servers[(host, listener.port)] = listener
        return listener.port

    async def stop(self, *, abort_connections: bool = False) -> None:
        """Stop accepting on every address.

        Established connections go on until their ends close them (as in kube-proxy's
        userspace mode), unless ``abort_connections`` cuts them too (daemon shutdown).
        """
        servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.close()
        if abort_connections:
            self.forwarder.abort_connections()
        # (asyncio's Server.wait_closed() is not awaited for the transport pump: from Python
        # 3.12 on it also waits for every accepted connection to end, and stopping must not
        # wait for clients.)
