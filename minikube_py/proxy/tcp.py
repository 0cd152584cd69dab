"""The byte pump of the Service proxy: accept a client, dial an endpoint, copy bytes both ways.

This is kube-proxy's old userspace mode (``proxysocket.go``) on asyncio protocols and
transports (not streams: no coroutine per read, no intermediate queue). A
:class:`TcpForwarder` belongs to one Service port (its balancer, its counters, its live
connections); :meth:`TcpForwarder.listen` opens one listening socket for it, and
:class:`~minikube_py.proxy.serviceport.ServicePortProxy` uses that for each address the
Service port is reachable on (127.0.0.1, a Docker bridge gateway, ...).

Per accepted connection:

- The client socket is paused at once (nothing is read) while a task dials the endpoints in
  the order :meth:`Balancer.candidates` yields them, each with a short connect timeout; an
  endpoint that refuses, is unreachable or times out is skipped. When none accepts, the
  client is closed at once.
- Then both sockets read into one receive buffer shared by every connection of the event loop
  (large reads without a large buffer per connection) and write straight to the other socket;
  the transport keeps only what the kernel did not take.
- Back-pressure: when a socket's write buffer passes its high-water mark, reading from the
  other socket pauses until that buffer drains (``pause_writing``/``resume_writing``), so a
  slow reader holds at most about one read plus the high-water mark in the proxy; the rest
  stays in the kernel's socket buffers and TCP's window slows the sender down.
- Half-close: EOF from one side becomes ``write_eof`` (a FIN) on the other while the other
  direction keeps flowing; when both sides have sent EOF, both sockets are closed once their
  buffers are flushed. An error (reset, broken pipe) on either side aborts both.
- Endpoint changes (:meth:`Balancer.update`) affect only new connections.
- Closing a listener (the Service or the port was deleted) stops accepting; connections that
  are established (or still dialing) go on until their ends close them, as they did in the
  userspace kube-proxy, whose listener ``Close`` left the copying goroutines alone.
  :meth:`TcpForwarder.abort_connections` cuts them when the daemon shuts down.

TCP_NODELAY is on for both sockets of every connection (asyncio sets it on accepted sockets,
:func:`start_connect` on dialed ones), so small requests and replies are not held back by Nagle.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import sys
import weakref
from dataclasses import dataclass
from typing import Any, cast

from minikube_py.proxy.balancer import Balancer, Endpoint
from minikube_py.util.tasks import spawn

log = logging.getLogger(__name__)

READ_SIZE = 1024 * 1024
"""Bytes one ``recv_into`` may read; one buffer of this size serves a whole event loop."""

CONNECT_TIMEOUT = 1.0
"""Seconds to wait for one endpoint to accept before the next one is tried."""

HIGH_WATER = 256 * 1024
"""A socket's buffered bytes above which reading from its peer pauses (resumes at a quarter)."""

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


class _ReadBuffer:
    """The receive buffer of one event loop: filled by ``recv_into``, drained by ``write``.

    Sharing it is safe because a read is written on before the next read starts, and the
    stdlib transports of Python 3.11 copy what the kernel did not take at once. Transports
    that keep a view of it instead (Python >= 3.12, uvloop) set ``keeps_views``: then a
    write they could not finish leaves them this buffer and the next read gets a new one.
    """

    __slots__ = ("data", "keeps_views", "view")

    def __init__(self, size: int, *, keeps_views: bool) -> None:
        self.data = bytearray(size)
        self.view = memoryview(self.data)
        self.keeps_views = keeps_views

    def release(self, transport: asyncio.WriteTransport) -> None:
        """Take a fresh buffer if ``transport`` kept (a view of) this one."""
        if transport.get_write_buffer_size():
            self.data = bytearray(len(self.data))
            self.view = memoryview(self.data)


_buffers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _ReadBuffer] = (
    weakref.WeakKeyDictionary())


def _loop_buffer(loop: asyncio.AbstractEventLoop) -> _ReadBuffer:
    buffer = _buffers.get(loop)
    if buffer is None:
        copies = (sys.version_info < (3, 12)
                  and isinstance(loop, asyncio.selector_events.BaseSelectorEventLoop))
        buffer = _buffers[loop] = _ReadBuffer(READ_SIZE, keeps_views=not copies)
    return buffer


class _Half(asyncio.BufferedProtocol):
    """One socket of a proxied pair: what it reads goes to ``peer``, the other socket."""

    __slots__ = ("buffer", "eof", "other", "pair", "peer", "stats", "transport")

    def __init__(self, pair: _Pair, buffer: _ReadBuffer) -> None:
        self.pair = pair
        self.buffer = buffer
        self.stats = pair.forwarder.stats
        self.transport: asyncio.Transport | None = None
        self.peer: asyncio.Transport | None = None  # the other half's transport, once open
        self.other: _Half = self
        self.eof = False

    def get_buffer(self, sizehint: int) -> bytearray:
        return self.buffer.data

    def eof_received(self) -> bool:
        self.eof = True
        self.pair.half_closed(self)
        return True  # keep our sending direction open

    def pause_writing(self) -> None:
        # Our socket's write buffer is full: stop reading what would be written to it.
        if self.other.transport is not None:
            self.other.transport.pause_reading()

    def resume_writing(self) -> None:
        other = self.other
        if other.transport is not None and not other.eof:
            other.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.pair.lost(self, exc)


class _ClientHalf(_Half):
    __slots__ = ("early",)

    def __init__(self, pair: _Pair, buffer: _ReadBuffer) -> None:
        super().__init__(pair, buffer)
        self.early = bytearray()  # read before the endpoint accepted (uvloop reads at once)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop's is no asyncio.Transport
        transport.pause_reading()  # until an endpoint accepts
        self.transport = transport
        self.pair.accepted(transport)

    def buffer_updated(self, nbytes: int) -> None:
        peer = self.peer
        if peer is None:
            self.early += self.buffer.view[:nbytes]
            self.stats.bytes_from_clients += nbytes
            cast(asyncio.Transport, self.transport).pause_reading()
            return
        peer.write(self.buffer.view[:nbytes])
        self.stats.bytes_from_clients += nbytes
        if self.buffer.keeps_views:
            self.buffer.release(peer)


class _EndpointHalf(_Half):
    __slots__ = ()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)
        self.transport = transport
        self.pair.connected(transport)

    def buffer_updated(self, nbytes: int) -> None:
        peer = self.peer
        assert peer is not None
        peer.write(self.buffer.view[:nbytes])
        self.stats.bytes_from_endpoints += nbytes
        if self.buffer.keeps_views:
            self.buffer.release(peer)


class _Pair:
    """A client connection and the endpoint connection it is pumped to."""

    __slots__ = ("client", "client_ip", "closed", "dialer", "endpoint", "forwarder")

    def __init__(self, forwarder: TcpForwarder, buffer: _ReadBuffer) -> None:
        self.forwarder = forwarder
        self.client = _ClientHalf(self, buffer)
        self.endpoint = _EndpointHalf(self, buffer)
        self.client.other, self.endpoint.other = self.endpoint, self.client
        self.client_ip = ""
        self.dialer: asyncio.Task[None] | None = None
        self.closed = False

    def accepted(self, transport: asyncio.Transport) -> None:
        forwarder = self.forwarder
        forwarder.stats.accepted += 1
        forwarder.stats.active += 1
        forwarder.pairs.add(self)
        peer = transport.get_extra_info("peername")
        self.client_ip = peer[0] if peer else ""
        self.endpoint.peer = transport
        self.dialer = spawn(forwarder.dial(self), name=f"proxy/{forwarder.name}/dial")

    def connected(self, transport: asyncio.Transport) -> None:
        """The endpoint accepted: start pumping (the client's bytes waited in the kernel)."""
        self.forwarder.stats.connected += 1
        client = self.client
        if self.closed or client.transport is None:
            transport.abort()
            return
        transport.set_write_buffer_limits(HIGH_WATER)
        client.transport.set_write_buffer_limits(HIGH_WATER)
        client.peer = transport
        if client.early:
            transport.write(client.early)
            client.early = bytearray()
        if client.eof:
            transport.write_eof()
        else:
            client.transport.resume_reading()

    def half_closed(self, half: _Half) -> None:
        if half.other.eof:
            self.close()
        elif half.peer is not None:
            half.peer.write_eof()

    def lost(self, half: _Half, exc: Exception | None) -> None:
        other = half.other.transport
        if other is not None and not other.is_closing():
            if exc is None:
                other.close()
            else:
                other.abort()
        self._finish()

    def close(self) -> None:
        """Close both sockets once what they buffered has been sent."""
        for half in (self.client, self.endpoint):
            if half.transport is not None:
                half.transport.close()
        self._finish()

    def abort(self) -> None:
        """Cut both sockets now, buffered bytes dropped; stop dialing."""
        if self.dialer is not None:
            self.dialer.cancel()
        for half in (self.client, self.endpoint):
            if half.transport is not None:
                half.transport.abort()
        self._finish()

    def _finish(self) -> None:
        if not self.closed:
            self.closed = True
            self.forwarder.stats.active -= 1
            self.forwarder.pairs.discard(self)
            if self.dialer is not None and self.endpoint.transport is None:
                self.dialer.cancel()


class TcpForwarder:
    """The data path of one Service port: its listeners' connections, pumped to endpoints.

    ``name`` names tasks and log lines (``namespace/service:port``); ``balancer`` chooses the
    endpoints; ``connect_timeout`` bounds each dial.
    """

    def __init__(self, balancer: Balancer, *, name: str,
                 connect_timeout: float = CONNECT_TIMEOUT) -> None:
        self.balancer = balancer
        self.name = name
        self.connect_timeout = connect_timeout
        self.stats = ProxyStats()
        self.pairs: set[_Pair] = set()

    async def listen(self, host: str, port: int = 0, *,
                     backlog: int = 1024) -> asyncio.Server:
        """Accept connections on ``host:port`` (0: any free port) until the server is closed."""
        loop = asyncio.get_running_loop()
        buffer = _loop_buffer(loop)

        def factory() -> _ClientHalf:
            return _Pair(self, buffer).client

        return await loop.create_server(factory, host, port, backlog=backlog,
                                        reuse_address=True)

    async def dial(self, pair: _Pair) -> None:
        """Connect ``pair`` to the first endpoint that accepts; close the client if none does."""
        try:
            for endpoint in self.balancer.candidates(pair.client_ip):
                if await self._dial_one(pair, endpoint):
                    return
        except BaseException:  # cancelled (the client left) or a bug: leave nothing half-open
            pair.dialer = None
            pair.abort()
            raise
        self.stats.no_endpoint += 1
        log.info("proxy %s: no endpoint accepted a connection from %s", self.name,
                 pair.client_ip)
        pair.dialer = None  # done: closing must not cancel this very task
        pair.close()

    async def _dial_one(self, pair: _Pair, endpoint: Endpoint) -> bool:
        """Whether ``endpoint`` accepted and now pumps ``pair``."""

        def factory() -> _EndpointHalf:
            return pair.endpoint

        try:
            sock = await self.connect(endpoint)
            await asyncio.get_running_loop().create_connection(factory, sock=sock)
        except OSError as exc:  # refused, unreachable, timed out (TimeoutError)
            self.stats.dial_failures += 1
            log.debug("proxy %s: endpoint %s:%s failed: %r", self.name, endpoint.host,
                      endpoint.port, exc)
            return False
        return True

    async def connect(self, endpoint: Endpoint) -> socket.socket:
        """A connected socket to ``endpoint``, or OSError (refused, unreachable, timed out).

        A loopback handshake is complete when ``connect()`` returns (though it says
        EINPROGRESS), so such a dial does not wait for the event loop; a remote one does.
        """
        sock = start_connect(endpoint)
        try:
            if not connected(sock):
                async with asyncio.timeout(self.connect_timeout):
                    await writable(sock)
                if not connected(sock):
                    raise OSError(errno.ENOTCONN, "connect did not finish")
        except BaseException:
            sock.close()
            raise
        return sock

    def buffered(self) -> int:
        """Bytes this Service port's connections hold in user space (waiting to be written)."""
        total = 0
        for pair in self.pairs:
            for half in (pair.client, pair.endpoint):
                if half.transport is not None:
                    total += half.transport.get_write_buffer_size()
        return total

    def abort_connections(self) -> None:
        """Cut every connection of this Service port (daemon shutdown)."""
        for pair in list(self.pairs):
            pair.abort()


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


def server_port(server: asyncio.Server) -> int:
    """The port a server listens on (its first socket's)."""
    sockets: Any = server.sockets
    return int(sockets[0].getsockname()[1])
