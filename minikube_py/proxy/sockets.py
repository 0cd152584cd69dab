"""What both pumps of the Service proxy share: the counters and the non-blocking dial.

:mod:`minikube_py.proxy.tcp` (the forwarder) chooses a pump:
:mod:`minikube_py.proxy.epoll_pump` (Linux) or
:mod:`minikube_py.proxy.transport_pump` (asyncio transports, anywhere). Both count into one
:class:`ProxyStats` per Service port and dial endpoints with :func:`start_connect` and
:func:`connected`, which let a loopback dial finish without waiting for the event loop.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
from dataclasses import dataclass

from minikube_py.proxy.balancer import Endpoint

CONNECT_TIMEOUT = 1.0
"""Seconds to wait for one endpoint to accept before the next one is tried."""

_SOCK_NONBLOCK = getattr(socket, "SOCK_NONBLOCK", 0)  # Linux: one syscall less than setblocking


@dataclass(slots=True)
class ProxyStats:
    """Counters of one Service port, for metrics. ``active`` counts pairs not yet closed."""

    accepted: int = 0
    active: int = 0
    connected: int = 0
    no_endpoint: int = 0
    dial_failures: int = 0
    bytes_from_clients: int = 0
    bytes_from_endpoints: int = 0


def start_connect(endpoint: Endpoint) -> socket.socket:
    """A non-blocking socket connecting to ``endpoint``; OSError if it failed at once."""
    family = socket.AF_INET6 if ":" in endpoint.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM | _SOCK_NONBLOCK)
    try:
        if not _SOCK_NONBLOCK:
            sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        err = sock.connect_ex(endpoint)
        if err and err != errno.EINPROGRESS:
            raise OSError(err, os.strerror(err))
    except BaseException:
        sock.close()
        raise
    return sock


def connected(sock: socket.socket) -> bool:
    """Whether the handshake of ``sock`` is done (False: still going); OSError if it failed."""
    try:
        sock.getpeername()
        return True
    except OSError:
        pass
    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err:
        raise OSError(err, os.strerror(err))
    return False


async def writable(sock: socket.socket) -> None:
    """Wait until ``sock`` is writable (its connect has finished, one way or the other)."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    fd = sock.fileno()
    loop.add_writer(fd, _resolve, ready)
    try:
        await ready
    finally:
        loop.remove_writer(fd)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
