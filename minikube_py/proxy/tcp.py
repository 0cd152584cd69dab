"""The byte pump of the Service proxy: accept a client, dial an endpoint, copy bytes both ways.

This is kube-proxy's old userspace mode (``proxysocket.go``). A :class:`TcpForwarder` belongs
to one Service port (its balancer, its counters, its live connections);
:meth:`TcpForwarder.listen` opens one listening socket for it, and
:class:`~minikube_py.proxy.serviceport.ServicePortProxy` uses that for each address the
Service port is reachable on (127.0.0.1, a Docker bridge gateway, ...).

Two pumps do the copying, with the same behaviour:

- :mod:`~minikube_py.proxy.epoll_pump` (Linux, the default there): the proxy's own epoll,
  watched by the event loop as one descriptor, calls each ready socket's handler directly; a
  handler is one read and one write. It goes below asyncio's transports to the loop's
  descriptor callbacks because transports cost several Python frames and objects per event and
  per connection, and the proxy is on every request's path. It moves bytes either through one
  shared buffer (``pump="copy"``, the default) or with ``splice(2)`` through a pipe per
  direction (``pump="splice"``: no copy through user space, about a quarter less proxy CPU per
  MiB, but on loopback lower end-to-end throughput, measured in docs/PERFORMANCE.md).
- :mod:`~minikube_py.proxy.transport_pump`: asyncio protocols and transports (not streams),
  where epoll and ``os.splice`` do not exist (macOS), or with ``pump="transport"``.

What every pump guarantees, per accepted connection:

- Endpoints are dialed in the order :meth:`Balancer.candidates` yields them, each with a
  connect timeout; one that refuses, is unreachable or times out is skipped. The client's
  bytes wait (in the kernel) until an endpoint accepted. When none accepts, the client is
  closed at once.
- Back-pressure: a slow reader makes the proxy stop reading the other side once a bounded
  amount (about 1 MiB) is waiting for it; the rest stays in the kernel's socket buffers and
  TCP's window slows the sender down.
- Half-close: EOF from one side becomes a FIN on the other while the other direction keeps
  flowing; when both sides have sent EOF, both sockets are closed once everything is passed
  on. An error (reset, broken pipe) on either side resets both.
- Endpoint changes (:meth:`Balancer.update`) affect only new connections.
- Closing a listener (the Service or the port was deleted) stops accepting; connections that
  are established (or still dialing) go on until their ends close them, as they did in the
  userspace kube-proxy, whose listener ``Close`` left the copying goroutines alone.
  :meth:`TcpForwarder.abort_connections` cuts them when the daemon shuts down.
- TCP_NODELAY is on for both sockets, so small requests and replies are not held back.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal, Protocol

from minikube_py.proxy import epoll_pump, transport_pump
from minikube_py.proxy.balancer import Balancer
from minikube_py.proxy.sockets import (
    CONNECT_TIMEOUT,
    ProxyStats,
    connected,
    start_connect,
)

__all__ = ["CONNECT_TIMEOUT", "Listener", "ProxyStats", "Pump", "TcpForwarder", "connected",
           "server_port", "start_connect"]

Pump = Literal["copy", "splice", "transport"]


class Listener(Protocol):
    """A listening socket of one Service port; closing it stops accepting."""

    port: int

    def close(self) -> None: ...


class _Connection(Protocol):
    def abort(self) -> None: ...

    def buffered(self) -> int: ...

    def sockets(self) -> list[Any]: ...


def default_pump() -> Pump:
    """``copy`` (the epoll pump) where it can run (Linux), else ``transport``."""
    return "copy" if epoll_pump.AVAILABLE else "transport"


class TcpForwarder:
    """The data path of one Service port: its listeners' connections, pumped to endpoints.

    ``name`` names log lines (``namespace/service:port``); ``balancer`` chooses the endpoints;
    ``connect_timeout`` bounds each dial; ``pump`` picks the copying machinery (default:
    :func:`default_pump`).
    """

    def __init__(self, balancer: Balancer, *, name: str,
                 connect_timeout: float = CONNECT_TIMEOUT, pump: Pump | None = None) -> None:
        self.balancer = balancer
        self.name = name
        self.connect_timeout = connect_timeout
        self.pump: Pump = pump or default_pump()
        if self.pump != "transport" and not epoll_pump.AVAILABLE:
            raise ValueError(f"the {self.pump} pump needs Linux (select.epoll, os.splice)")
        self.stats = ProxyStats()
        self.pairs: set[_Connection] = set()

    async def listen(self, host: str, port: int = 0, *, backlog: int = 1024) -> Listener:
        """Accept connections on ``host:port`` (0: any free port) until the listener is closed."""
        if self.pump != "transport":
            return epoll_pump.listen(self, host, port, backlog)
        return await transport_pump.listen(self, host, port, backlog)

    def buffered(self) -> int:
        """Bytes this Service port's connections hold in the proxy, waiting to be written
        (in user space, or in the pipes of the splice pump)."""
        return sum(pair.buffered() for pair in self.pairs)

    def abort_connections(self) -> None:
        """Cut (reset) every connection of this Service port (daemon shutdown)."""
        for pair in list(self.pairs):
            pair.abort()


def server_port(server: asyncio.Server) -> int:
    """The port a server listens on (its first socket's)."""
    sockets: Any = server.sockets
    return int(sockets[0].getsockname()[1])
