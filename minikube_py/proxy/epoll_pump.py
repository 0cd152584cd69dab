"""The Service proxy's pump on Linux: an epoll of its own, one read and one write per event.

:class:`~minikube_py.proxy.tcp.TcpForwarder` uses this pump wherever epoll and ``os.splice``
exist (:data:`AVAILABLE`); :mod:`~minikube_py.proxy.transport_pump` is the portable one. Both
keep the same behaviour (balancing, skipping, half-close, back-pressure, stop); this one goes
below asyncio's transports, to file descriptors, because that is where the time went:

- **Few Python frames per event.** One :class:`Reactor` per event loop owns an epoll; the
  loop's selector watches only that epoll's descriptor (``loop.add_reader``), and when it is
  ready the reactor polls it without waiting (a few times, :data:`POLL_ROUNDS`) and calls
  each ready descriptor's handler directly: no ``Handle``, no transport, no protocol callback
  per read. Handlers run on the loop's thread, so the counters, the balancer and the set of
  pairs need no lock.
- **Cheap connection setup.** A listening socket is non-blocking and registered with the
  reactor; when it is ready up to :data:`ACCEPT_BATCH` connections are accepted at once. The
  endpoint is dialed with a non-blocking ``connect`` (on loopback the handshake is complete
  when it returns, so the pair starts in the same callback); a dial still under way waits on
  the reactor for writability with one timer (``call_later``), no task.
- **Two ways to move the bytes** (``pump=`` of the forwarder): ``copy`` (the default),
  ``recv_into`` one buffer shared by the reactor and ``send`` from it at once, only what the
  destination did not take copied aside; ``splice``, ``splice(2)`` from the socket into a
  pipe of the flow's own and from the pipe into the other socket (``SPLICE_F_MOVE |
  SPLICE_F_NONBLOCK``; pipes of :data:`SPLICE_SIZE` from a pool that ended pairs give their
  empty pipes back to), so the bytes never enter user space. Splicing costs the proxy about a
  quarter less CPU per MiB, but on loopback the endpoints then receive the sender's own pages
  and the transfer as a whole was slower (docs/PERFORMANCE.md), hence not the default.

Per pair (``up`` is client → endpoint, ``down`` endpoint → client), each direction a
:class:`_Flow`:

- A flow reads its source (up to :data:`READ_SIZE` or :data:`SPLICE_SIZE` bytes) and writes
  what it read to its destination at once. What the destination did not take is kept
  (``pending``: in the pipe, or copied aside); then the flow stops reading its source and
  waits for the destination to be writable. So back-pressure is the kernel's: a slow reader
  holds at most one read (1 MiB) per direction in the proxy, the rest waits in the socket
  buffers and TCP's window slows the sender.
- A descriptor is registered with the epoll only while something is awaited on it
  (readable: its outgoing flow reads; writable: its incoming flow has pending bytes), so a
  descriptor that hung up is never reported over and over.
- Half-close: EOF on the source becomes ``shutdown(SHUT_WR)`` on the destination once nothing
  is pending, while the other direction keeps flowing; when both directions are done both
  sockets are closed. An error (reset, broken pipe) on either side resets both (``SO_LINGER``
  0, then close): the peer of a cut stream is told it was cut.
- Events are acted on by trying the operation: an event meant for a descriptor number that
  was closed and reused within one poll batch finds nothing to read (``EAGAIN``) or a
  handshake not finished, and is ignored.

TCP_NODELAY: set on the listening socket (Linux hands it down to accepted ones) and by
:func:`~minikube_py.proxy.sockets.start_connect` on dialed ones.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import logging
import os
import select
import socket
import struct
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from minikube_py.proxy.balancer import Endpoint
from minikube_py.proxy.sockets import connected, start_connect

if TYPE_CHECKING:
    from minikube_py.proxy.tcp import TcpForwarder

log = logging.getLogger(__name__)

AVAILABLE = hasattr(os, "splice") and hasattr(select, "epoll")
"""Whether this pump can run here (Linux)."""

SPLICE_SIZE = 1 << 20
"""Bytes one splice may move, the size asked for each pipe, and so the most one direction of
a pair holds in the proxy."""

READ_SIZE = 1 << 20
"""Bytes one ``recv_into`` of a copying flow may read (into the reactor's one buffer), and so
the most one direction of such a pair holds in the proxy."""

PIPE_POOL = 64
"""Empty pipes a reactor keeps for the next pairs."""

ACCEPT_BATCH = 64
"""Connections accepted from one listening socket per readiness event."""

MAX_EVENTS = 256
"""Descriptor events handled per poll."""

POLL_ROUNDS = 4
"""Polls per callback of the event loop: what became ready while the last batch was handled
is handled too, without a round of the loop (which costs more than a poll finding nothing);
bounded so the loop's other callbacks still get their turn."""

ACCEPT_RETRY = 1.0
"""Seconds a listener stops accepting when the process is out of descriptors or memory."""

_IN = getattr(select, "EPOLLIN", 1)
_OUT = getattr(select, "EPOLLOUT", 4)
_READABLE = _IN | getattr(select, "EPOLLERR", 8) | getattr(select, "EPOLLHUP", 16)
_WRITABLE = _OUT | getattr(select, "EPOLLERR", 8) | getattr(select, "EPOLLHUP", 16)
_FLAGS = getattr(os, "SPLICE_F_MOVE", 1) | getattr(os, "SPLICE_F_NONBLOCK", 2)
_LINGER_RESET = struct.pack("ii", 1, 0)
_SHORT_OF_RESOURCES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}

Handler = Callable[[int], None]


class Reactor:
    """The proxy's epoll on one event loop, its descriptors' handlers, and the pipe pool.

    The loop's selector watches the epoll's own descriptor; :meth:`_ready` then polls the
    epoll without waiting and calls the handler of every ready descriptor with its events.
    """

    __slots__ = ("__weakref__", "buffer", "epoll", "handlers", "loop", "pipes")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.epoll = select.epoll()
        self.handlers: dict[int, Handler] = {}
        self.pipes: list[tuple[int, int]] = []
        self.buffer = memoryview(bytearray(READ_SIZE))  # every copying flow reads into it
        weakref.finalize(self, _close_all, self.epoll, self.pipes)
        loop.add_reader(self.epoll.fileno(), self._ready)

    def _ready(self) -> None:
        handlers, poll = self.handlers, self.epoll.poll
        for _ in range(POLL_ROUNDS):
            ready = poll(0, MAX_EVENTS)
            if not ready:
                return
            for fd, events in ready:
                handler = handlers.get(fd)
                if handler is not None:
                    try:
                        handler(events)
                    except Exception:  # a bug: drop the descriptor rather than spin on it
                        log.exception("proxy: the handler of descriptor %d failed", fd)
                        self.forget(fd)

    def forget(self, fd: int) -> None:
        """Stop watching ``fd`` (its handler failed)."""
        self.handlers.pop(fd, None)
        try:
            self.epoll.unregister(fd)
        except OSError:
            pass

    def pipe(self) -> tuple[int, int]:
        """An empty pipe (read end, write end): from the pool, or a new one."""
        if self.pipes:
            return self.pipes.pop()
        read, write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, SPLICE_SIZE)
        except OSError:  # above /proc/sys/fs/pipe-max-size: the default size then (64 KiB)
            pass
        return read, write

    def give_back(self, pipe: tuple[int, int], *, empty: bool) -> None:
        """Return a pipe: pooled if it is empty and the pool has room, else closed."""
        if empty and len(self.pipes) < PIPE_POOL:
            self.pipes.append(pipe)
        else:
            os.close(pipe[0])
            os.close(pipe[1])


def _close_all(epoll: select.epoll, pipes: list[tuple[int, int]]) -> None:
    epoll.close()
    for read, write in pipes:
        os.close(read)
        os.close(write)
    pipes.clear()


_reactors: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Reactor] = (
    weakref.WeakKeyDictionary())


def reactor(loop: asyncio.AbstractEventLoop) -> Reactor:
    """The reactor of ``loop`` (made on first use)."""
    found = _reactors.get(loop)
    if found is None:
        found = _reactors[loop] = Reactor(loop)
    return found


class EpollListener:
    """A non-blocking listening socket whose connections become :class:`EpollPair`\\ s."""

    __slots__ = ("family", "forwarder", "port", "reactor", "sock")

    def __init__(self, forwarder: TcpForwarder, reactor: Reactor, sock: socket.socket) -> None:
        self.forwarder = forwarder
        self.reactor = reactor
        self.sock = sock
        self.family = sock.family
        self.port = int(sock.getsockname()[1])
        fd = sock.fileno()
        reactor.handlers[fd] = self._ready
        reactor.epoll.register(fd, _IN)

    def _ready(self, events: int) -> None:
        accept = self.sock._accept  # type: ignore[attr-defined]  # (fd, address)
        family, kind = self.family, socket.SOCK_STREAM
        forwarder, reactor = self.forwarder, self.reactor
        for _ in range(ACCEPT_BATCH):
            try:
                fd, address = accept()
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno in _SHORT_OF_RESOURCES:
                    log.warning("proxy %s: cannot accept (%s); pausing for %gs",
                                forwarder.name, exc.strerror, ACCEPT_RETRY)
                    self._pause()
                return  # ECONNABORTED and the like: that client is gone
            client = socket.socket(family, kind, 0, fd)  # (socket.accept would look up the
            client.setblocking(False)                   # family and type as enums each time)
            EpollPair(forwarder, reactor, client, address[0])

    def _pause(self) -> None:
        fd = self.sock.fileno()
        self.reactor.epoll.unregister(fd)
        self.reactor.loop.call_later(ACCEPT_RETRY, self._resume, fd)

    def _resume(self, fd: int) -> None:
        if self.sock.fileno() == fd:  # not closed meanwhile
            self.reactor.epoll.register(fd, _IN)

    def close(self) -> None:
        """Stop accepting (connections under way go on)."""
        fd = self.sock.fileno()
        if fd >= 0:
            self.reactor.handlers.pop(fd, None)
            self.sock.close()  # closing takes it out of the epoll


def listen(forwarder: TcpForwarder, host: str, port: int, backlog: int) -> EpollListener:
    """Accept connections for ``forwarder`` on ``host:port`` (an IP address; port 0: any)."""
    loop = asyncio.get_running_loop()
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM,
        flags=socket.AI_PASSIVE | socket.AI_NUMERICHOST)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited when accepted
        sock.setblocking(False)
        sock.bind(address)
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    except BaseException:
        sock.close()
        raise
    return EpollListener(forwarder, reactor(loop), sock)


class _Flow:
    """One direction of a pair: bytes read from ``src`` are written to ``dst``.

    The flow is also the handler of its source descriptor: readable means its own source can
    be read, writable means the opposite flow (``other``, whose destination that descriptor
    is) can write. ``mask`` is what the source descriptor is registered for (0: not at all).
    Subclasses move the bytes: :class:`_CopyFlow` through user space, :class:`_SpliceFlow`
    through a pipe.
    """

    __slots__ = ("dst", "dst_sock", "eof", "epoll", "mask", "other", "pair", "pending",
                 "reading", "shut", "src", "src_sock", "stats", "up")

    def __init__(self, pair: EpollPair, src: socket.socket, dst: socket.socket, *,
                 up: bool) -> None:
        self.pair = pair
        self.stats = pair.forwarder.stats
        self.epoll = pair.reactor.epoll
        self.src, self.dst = src.fileno(), dst.fileno()
        self.src_sock, self.dst_sock = src, dst
        self.up = up
        self.other: _Flow = self
        self.pending = 0  # bytes read from src and not yet taken by dst
        self.reading = True  # src is to be read: not at EOF and nothing pending
        self.eof = False
        self.shut = False  # dst's writing side shut down (after EOF, nothing pending)
        self.mask = 0

    def ready(self, events: int) -> None:
        if events & _READABLE and self.reading:
            self.pull()
        other = self.other
        if events & _WRITABLE and other.pending:
            other.push()

    def pull(self) -> None:
        """Read the source and write what was read to the destination."""
        raise NotImplementedError

    def push(self) -> None:
        """Write what is pending to the destination (it became writable)."""
        raise NotImplementedError

    def release(self, reactor: Reactor) -> None:
        """Give back what the flow holds (the pair ended); pending bytes are dropped."""
        self.pending = 0
        self.reading = False

    def _counted(self, n: int) -> None:
        if self.up:
            self.stats.bytes_from_clients += n
        else:
            self.stats.bytes_from_endpoints += n

    def _at_eof(self) -> None:
        self.eof = True
        self.reading = False
        self.rearm()
        self.pair.end_of(self)

    def _stalled(self, pending: int) -> None:
        """The destination did not take ``pending`` bytes: wait for it, read no more."""
        self.pending = pending
        self.reading = False
        self.rearm()
        self.other.rearm()

    def _drained(self) -> None:
        """Everything pending was written: read again (or pass the EOF on)."""
        if self.eof:
            self.other.rearm()
            self.pair.end_of(self)
        else:
            self.reading = True
            self.rearm()
            self.other.rearm()

    def rearm(self) -> None:
        """Register the source descriptor for what is now awaited on it (or take it out)."""
        new = (_IN if self.reading else 0) | (_OUT if self.other.pending else 0)
        old = self.mask
        if new != old:
            self.mask = new
            if not old:
                self.epoll.register(self.src, new)
            elif not new:
                self.epoll.unregister(self.src)
            else:
                self.epoll.modify(self.src, new)


class _CopyFlow(_Flow):
    """Reads into the reactor's shared buffer and sends from it at once; only what the
    destination did not take is copied aside (``backlog``, at most one read)."""

    __slots__ = ("backlog", "buffer")

    def __init__(self, pair: EpollPair, src: socket.socket, dst: socket.socket, *,
                 up: bool) -> None:
        super().__init__(pair, src, dst, up=up)
        self.buffer = pair.reactor.buffer
        self.backlog = bytearray()

    def pull(self) -> None:
        view = self.buffer
        try:
            n = self.src_sock.recv_into(view)
        except BlockingIOError:
            return
        except OSError as exc:
            self.pair.fail(exc)
            return
        if not n:
            self._at_eof()
            return
        self._counted(n)
        try:
            written = self.dst_sock.send(view[:n])
        except BlockingIOError:
            written = 0
        except OSError as exc:
            self.pair.fail(exc)
            return
        if written < n:
            self.backlog = bytearray(view[written:n])
            self._stalled(n - written)

    def push(self) -> None:
        try:
            written = self.dst_sock.send(self.backlog)
        except BlockingIOError:
            return
        except OSError as exc:
            self.pair.fail(exc)
            return
        del self.backlog[:written]
        self.pending -= written
        if not self.pending:
            self._drained()

    def release(self, reactor: Reactor) -> None:
        super().release(reactor)
        self.backlog = bytearray()


class _SpliceFlow(_Flow):
    """Splices the source into a pipe of its own and the pipe into the destination; what the
    destination did not take stays in the pipe."""

    __slots__ = ("pipe_r", "pipe_w")

    def __init__(self, pair: EpollPair, src: socket.socket, dst: socket.socket, *,
                 up: bool) -> None:
        super().__init__(pair, src, dst, up=up)
        self.pipe_r, self.pipe_w = pair.reactor.pipe()

    def pull(self) -> None:
        try:
            n = os.splice(self.src, self.pipe_w, SPLICE_SIZE, flags=_FLAGS)
        except BlockingIOError:
            return
        except OSError as exc:
            self.pair.fail(exc)
            return
        if not n:
            self._at_eof()
            return
        self._counted(n)
        try:
            written = os.splice(self.pipe_r, self.dst, n, flags=_FLAGS)
        except BlockingIOError:
            written = 0
        except OSError as exc:
            self.pair.fail(exc)
            return
        if written < n:
            self._stalled(n - written)

    def push(self) -> None:
        try:
            written = os.splice(self.pipe_r, self.dst, self.pending, flags=_FLAGS)
        except BlockingIOError:
            return
        except OSError as exc:
            self.pair.fail(exc)
            return
        self.pending -= written
        if not self.pending:
            self._drained()

    def release(self, reactor: Reactor) -> None:
        reactor.give_back((self.pipe_r, self.pipe_w), empty=not self.pending)
        super().release(reactor)


class EpollPair:
    """A client connection, the endpoint it is dialing or connected to, and their two flows."""

    __slots__ = ("candidates", "client", "client_ip", "closed", "dialing", "down", "endpoint",
                 "forwarder", "reactor", "timer", "up")

    def __init__(self, forwarder: TcpForwarder, reactor: Reactor, client: socket.socket,
                 client_ip: str) -> None:
        self.forwarder = forwarder
        self.reactor = reactor
        self.client = client
        self.client_ip = client_ip
        self.endpoint: socket.socket | None = None
        self.dialing: Endpoint | None = None  # the endpoint of a handshake under way
        self.up: _Flow | None = None
        self.down: _Flow | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.closed = False
        stats = forwarder.stats
        stats.accepted += 1
        stats.active += 1
        forwarder.pairs.add(self)
        self.candidates: Iterator[Endpoint] = forwarder.balancer.candidates(client_ip)
        try:
            self.dial()
        except BaseException:  # a bug: leave nothing half-open
            self.abort()
            raise

    # ---- dialing ---------------------------------------------------------------------------

    def dial(self) -> None:
        """Dial the next candidate; the client is closed when none is left."""
        forwarder = self.forwarder
        for endpoint in self.candidates:
            try:
                sock = start_connect(endpoint)
            except OSError as exc:
                self._dial_failed(endpoint, exc)
                continue
            try:
                done = connected(sock)
            except OSError as exc:
                sock.close()
                self._dial_failed(endpoint, exc)
                continue
            self.endpoint = sock
            if done:
                self._established()
                return
            fd = sock.fileno()  # a handshake under way (not loopback): wait for it
            self.dialing = endpoint
            self.reactor.handlers[fd] = self._dial_ready
            self.reactor.epoll.register(fd, _OUT)
            self.timer = self.reactor.loop.call_later(forwarder.connect_timeout,
                                                      self._dial_timeout)
            return
        self.candidates = iter(())
        forwarder.stats.no_endpoint += 1
        log.info("proxy %s: no endpoint accepted a connection from %s", forwarder.name,
                 self.client_ip)
        self.close()

    def _dial_ready(self, events: int) -> None:
        sock = self.endpoint
        assert sock is not None
        try:
            if not connected(sock):
                return  # an event for an earlier user of the descriptor number
        except OSError as exc:
            self._dial_failed(self.dialing, exc)
            self._drop_dial()
            self.dial()
            return
        fd = sock.fileno()
        self.reactor.epoll.unregister(fd)
        del self.reactor.handlers[fd]
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.dialing = None
        self._established()

    def _dial_timeout(self) -> None:
        self.timer = None
        self._dial_failed(self.dialing, TimeoutError("connect timed out"))
        self._drop_dial()
        self.dial()

    def _drop_dial(self) -> None:
        """Forget the dial under way (its socket closed, its timer cancelled)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        sock, self.endpoint, self.dialing = self.endpoint, None, None
        if sock is not None:
            self.reactor.handlers.pop(sock.fileno(), None)
            sock.close()

    def _dial_failed(self, endpoint: Endpoint | None, exc: OSError) -> None:
        self.forwarder.stats.dial_failures += 1
        log.debug("proxy %s: endpoint %s failed: %r", self.forwarder.name, endpoint, exc)

    def _established(self) -> None:
        """The endpoint accepted: both sockets are read from now on."""
        self.forwarder.stats.connected += 1
        endpoint = self.endpoint
        assert endpoint is not None
        reactor = self.reactor
        kind = _SpliceFlow if self.forwarder.pump == "splice" else _CopyFlow
        try:
            up = self.up = kind(self, self.client, endpoint, up=True)
            down = self.down = kind(self, endpoint, self.client, up=False)
        except OSError as exc:  # no pipe to be had (out of descriptors): this pair only
            log.warning("proxy %s: cannot pump a connection: %s", self.forwarder.name, exc)
            self.abort()
            return
        up.other, down.other = down, up
        reactor.handlers[up.src] = up.ready
        reactor.handlers[down.src] = down.ready
        up.rearm()
        down.rearm()

    # ---- the end ---------------------------------------------------------------------------

    def end_of(self, flow: _Flow) -> None:
        """``flow`` read EOF: once its pipe is drained, pass it on (or close when both are)."""
        if flow.pending or flow.shut:
            return
        flow.shut = True
        if flow.other.shut:
            self.close()
            return
        try:
            flow.dst_sock.shutdown(socket.SHUT_WR)
        except OSError as exc:
            self.fail(exc)

    def fail(self, exc: OSError) -> None:
        log.debug("proxy %s: connection cut: %r", self.forwarder.name, exc)
        self.abort()

    def close(self) -> None:
        """Close both sockets (every byte has been passed on)."""
        self._end(reset=False)

    def abort(self) -> None:
        """Reset both sockets now, bytes in the pipes dropped; stop dialing."""
        self._end(reset=True)

    def _end(self, *, reset: bool) -> None:
        if self.closed:
            return
        self.closed = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        reactor = self.reactor
        for flow in (self.up, self.down):
            if flow is not None:
                flow.release(reactor)
        for sock in (self.client, self.endpoint):
            if sock is not None:
                reactor.handlers.pop(sock.fileno(), None)
                if reset:
                    try:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
                    except OSError:
                        pass
                sock.close()  # closing also takes it out of the epoll
        stats = self.forwarder.stats
        stats.active -= 1
        self.forwarder.pairs.discard(self)

    # ---- introspection ---------------------------------------------------------------------

    def buffered(self) -> int:
        """Bytes this pair holds (in its pipes), waiting to be written."""
        return sum(flow.pending for flow in (self.up, self.down) if flow is not None)

    def sockets(self) -> list[socket.socket]:
        """The client's and (once connected) the endpoint's socket."""
        return [sock for sock in (self.client, self.endpoint) if sock is not None]
