"""The portable pump of the Service proxy: asyncio protocols and transports.

:class:`~minikube_py.proxy.tcp.TcpForwarder` uses it where :mod:`epoll_pump
<minikube_py.proxy.epoll_pump>` cannot run (no epoll or ``os.splice``: macOS; or when asked for,
``pump="transport"``). It is kube-proxy's old userspace mode (``proxysocket.go``) on asyncio
protocols and transports (not streams: no coroutine per read, no intermediate queue).

Per accepted connection:

- The client socket is paused at once (nothing is read) while a task dials the endpoints in
  the order :meth:`Balancer.candidates` yields them, each with the forwarder's connect
  timeout; an endpoint that refuses, is unreachable or times out is skipped. When none
  accepts, the client is closed at once.
- Then both sockets read into one receive buffer shared by every connection of the event loop
  (large reads without a large buffer per connection) and write straight to the other socket;
  the transport keeps only what the kernel did not take.
- Back-pressure: when a socket's write buffer passes :data:`HIGH_WATER`, reading from the
  other socket pauses until that buffer drains (``pause_writing``/``resume_writing``), so a
  slow reader holds at most about one read plus the high-water mark in the proxy.
- Half-close: EOF from one side becomes ``write_eof`` (a FIN) on the other while the other
  direction keeps flowing; when both sides have sent EOF, both sockets are closed once their
  buffers are flushed. An error (reset, broken pipe) on either side resets the other
  (``SO_LINGER`` 0, then abort).

TCP_NODELAY is on for both sockets (asyncio sets it on accepted sockets,
:func:`~minikube_py.proxy.sockets.start_connect` on dialed ones).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import struct
import sys
import weakref
from typing import TYPE_CHECKING, Any, cast

from minikube_py.proxy.balancer import Endpoint
from minikube_py.proxy.sockets import connected, start_connect, writable
from minikube_py.util.tasks import spawn

if TYPE_CHECKING:
    from minikube_py.proxy.tcp import TcpForwarder

log = logging.getLogger(__name__)

READ_SIZE = 1024 * 1024
"""Bytes one ``recv_into`` may read; one buffer of this size serves a whole event loop."""

HIGH_WATER = 256 * 1024
"""A socket's buffered bytes above which reading from its peer pauses (resumes at a quarter)."""

_LINGER_RESET = struct.pack("ii", 1, 0)


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
        self.dialer = spawn(dial(forwarder, self), name=f"proxy/{forwarder.name}/dial")

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
                _reset(other)
        self._finish()

    def close(self) -> None:
        """Close both sockets once what they buffered has been sent."""
        for half in (self.client, self.endpoint):
            if half.transport is not None:
                half.transport.close()
        self._finish()

    def abort(self) -> None:
        """Reset both sockets now, buffered bytes dropped; stop dialing."""
        if self.dialer is not None:
            self.dialer.cancel()
        for half in (self.client, self.endpoint):
            if half.transport is not None:
                _reset(half.transport)
        self._finish()

    def buffered(self) -> int:
        """Bytes this pair holds in user space, waiting to be written."""
        return sum(half.transport.get_write_buffer_size()
                   for half in (self.client, self.endpoint) if half.transport is not None)

    def sockets(self) -> list[Any]:
        """The client's and (once connected) the endpoint's socket."""
        return [half.transport.get_extra_info("socket")
                for half in (self.client, self.endpoint) if half.transport is not None]

    def _finish(self) -> None:
        if not self.closed:
            self.closed = True
            self.forwarder.stats.active -= 1
            self.forwarder.pairs.discard(self)
            if self.dialer is not None and self.endpoint.transport is None:
                self.dialer.cancel()


def _reset(transport: asyncio.Transport) -> None:
    """Abort ``transport`` with a reset (RST), not a FIN: its peer must not take the cut for
    a complete stream."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        except OSError:
            pass
    transport.abort()


class TransportListener:
    """A listening socket of the transport pump (an ``asyncio.Server``)."""

    def __init__(self, server: asyncio.Server) -> None:
        self.server = server
        sockets: Any = server.sockets
        self.port = int(sockets[0].getsockname()[1])

    def close(self) -> None:
        self.server.close()


async def listen(forwarder: TcpForwarder, host: str, port: int,
                 backlog: int) -> TransportListener:
    """Accept connections for ``forwarder`` on ``host:port`` until the listener is closed."""
    loop = asyncio.get_running_loop()
    buffer = _loop_buffer(loop)

    def factory() -> _ClientHalf:
        return _Pair(forwarder, buffer).client

    return TransportListener(await loop.create_server(factory, host, port, backlog=backlog,
                                                      reuse_address=True))


async def dial(forwarder: TcpForwarder, pair: _Pair) -> None:
    """Connect ``pair`` to the first endpoint that accepts; close the client if none does."""
    try:
        for endpoint in forwarder.balancer.candidates(pair.client_ip):
            if await _dial_one(forwarder, pair, endpoint):
                return
    except BaseException:  # cancelled (the client left) or a bug: leave nothing half-open
        pair.dialer = None
        pair.abort()
        raise
    forwarder.stats.no_endpoint += 1
    log.info("proxy %s: no endpoint accepted a connection from %s", forwarder.name,
             pair.client_ip)
    pair.dialer = None  # done: closing must not cancel this very task
    pair.close()


async def _dial_one(forwarder: TcpForwarder, pair: _Pair, endpoint: Endpoint) -> bool:
    """Whether ``endpoint`` accepted and now pumps ``pair``."""

    def factory() -> _EndpointHalf:
        return pair.endpoint

    try:
        sock = await connect(endpoint, forwarder.connect_timeout)
        await asyncio.get_running_loop().create_connection(factory, sock=sock)
    except OSError as exc:  # refused, unreachable, timed out (TimeoutError)
        forwarder.stats.dial_failures += 1
        log.debug("proxy %s: endpoint %s:%s failed: %r", forwarder.name, endpoint.host,
                  endpoint.port, exc)
        return False
    return True


async def connect(endpoint: Endpoint, connect_timeout: float) -> socket.socket:
    """A connected socket to ``endpoint``, or OSError (refused, unreachable, timed out).

    A loopback handshake is complete when ``connect()`` returns (though it says
    EINPROGRESS), so such a dial does not wait for the event loop; a remote one does.
    """
    sock = start_connect(endpoint)
    try:
        if not connected(sock):
            async with asyncio.timeout(connect_timeout):
                await writable(sock)
            if not connected(sock):
                raise OSError(errno.ENOTCONN, "connect did not finish")
    except BaseException:
        sock.close()
        raise
    return sock
