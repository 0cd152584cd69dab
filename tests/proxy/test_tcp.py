"""The data path on real loopback sockets: balancing, skipping, half-close, back-pressure, stop.

Every behaviour is checked with every pump (the epoll pump's ``copy`` and ``splice`` on Linux,
the portable ``transport`` one); what only the epoll pump has is tested in
``test_epoll_pump.py``.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import socket
import sys
from collections.abc import AsyncIterator

import pytest

from minikube_py.proxy import epoll_pump, sockets, transport_pump
from minikube_py.proxy.balancer import Balancer
from minikube_py.proxy.serviceport import ServicePortProxy
from minikube_py.proxy.tcp import Pump, TcpForwarder
from minikube_py.proxy.transport_pump import HIGH_WATER, READ_SIZE, _Pair, _ReadBuffer
from tests.proxy.conftest import Backend, BackendFactory, closed_port, eventually

GUARD = 10.0  # seconds before a test that would hang fails instead


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


LINUX_ONLY = pytest.mark.skipif(not epoll_pump.AVAILABLE, reason="epoll, splice(2): Linux only")
PUMPS = [pytest.param("copy", marks=LINUX_ONLY), pytest.param("splice", marks=LINUX_ONLY),
         "transport"]


@pytest.fixture(params=PUMPS)
def pump(request: pytest.FixtureRequest) -> Pump:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def proxy(pump: Pump) -> AsyncIterator[ServicePortProxy]:
    p = ServicePortProxy("default/web:http", pump=pump)
    yield p
    await p.stop(abort_connections=True)


async def fetch(port: int, send: bytes = b"") -> bytes:
    """Connect, send ``send`` and EOF, read until EOF (a reset counts as EOF, also one that
    came before the client's own EOF could be sent)."""
    async with asyncio.timeout(GUARD):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            if send:
                writer.write(send)
            writer.write_eof()
            return await reader.read()
        except OSError as exc:
            if exc.errno not in (errno.ENOTCONN, errno.ECONNRESET):
                raise
            return b""
        except ConnectionResetError:
            return b""
        finally:
            writer.close()


async def echo(backend: Backend, reader: asyncio.StreamReader,
               writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


async def test_round_robin_across_three_backends(proxy: ServicePortProxy,
                                                  backend: BackendFactory) -> None:
    """Six connections go to three backends in turn."""
    backends = [await backend(name) for name in "abc"]
    proxy.update(b.endpoint for b in backends)
    port = await proxy.start("127.0.0.1")
    assert [await fetch(port) for _ in range(6)] == [b"a", b"b", b"c", b"a", b"b", b"c"]
    assert proxy.stats.accepted == proxy.stats.connected == 6


async def test_dial_without_sock_nonblock(proxy: ServicePortProxy, backend: BackendFactory,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Where socket.SOCK_NONBLOCK does not exist (macOS), dialing still works."""
    monkeypatch.setattr(sockets, "_SOCK_NONBLOCK", 0)
    proxy.update([(await backend("a")).endpoint])
    port = await proxy.start("127.0.0.1")
    assert await fetch(port) == b"a"


async def test_client_ip_affinity_sticks_and_expires(backend: BackendFactory,
                                                     pump: Pump) -> None:
    """Connections from one client IP stay on one backend until it idles past the timeout."""
    clock = FakeClock()
    proxy = ServicePortProxy("default/web:http", affinity_timeout=60, clock=clock, pump=pump)
    backends = [await backend(name) for name in "abc"]
    proxy.update(b.endpoint for b in backends)
    port = await proxy.start("127.0.0.1")
    try:
        stuck = [await fetch(port) for _ in range(3)]
        clock.now += 59
        stuck.append(await fetch(port))
        assert stuck == [b"a"] * 4
        clock.now += 61
        assert await fetch(port) == b"b"
        assert await fetch(port) == b"b"
    finally:
        await proxy.stop(abort_connections=True)


async def test_refused_endpoint_is_skipped(proxy: ServicePortProxy,
                                           backend: BackendFactory) -> None:
    """An endpoint that refuses is skipped and the connection goes to the next one."""
    live = await backend("live")
    proxy.update([("127.0.0.1", closed_port()), live.endpoint])
    port = await proxy.start("127.0.0.1")
    assert await fetch(port) == b"live"
    assert proxy.stats.dial_failures == 1


async def test_endpoint_that_does_not_answer_is_skipped_after_the_timeout(
        backend: BackendFactory, pump: Pump) -> None:
    """An endpoint whose accept queue is full (its SYNs are dropped) is given up on in time."""
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    fillers = []
    for _ in range(4):  # a queue of length 0 still takes one or two; then SYNs are dropped
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(full.getsockname())
        fillers.append(filler)
    live = await backend("live")
    proxy = ServicePortProxy("default/web:http", connect_timeout=0.2, pump=pump)
    proxy.update([full.getsockname(), live.endpoint])
    port = await proxy.start("127.0.0.1")
    try:
        assert await fetch(port) == b"live"
        assert proxy.stats.dial_failures == 1
    finally:
        await proxy.stop()
        for sock in (full, *fillers):
            sock.close()


@pytest.mark.parametrize("endpoints", [
    pytest.param(2, id="all-refuse"),
    pytest.param(0, id="no-endpoints"),
])
async def test_client_closed_when_no_endpoint_accepts(endpoints: int, pump: Pump) -> None:
    """With every endpoint refusing (or none), the client is closed at once, not left hanging."""
    proxy = ServicePortProxy("default/web:http", connect_timeout=3600, pump=pump)
    proxy.update(("127.0.0.1", closed_port()) for _ in range(endpoints))
    port = await proxy.start("127.0.0.1")
    try:
        assert await fetch(port, b"hello") == b""
        assert proxy.stats.no_endpoint == 1
        assert proxy.stats.dial_failures == endpoints
        await eventually(lambda: proxy.stats.active == 0)
    finally:
        await proxy.stop()


async def test_client_half_close_still_gets_the_reply(proxy: ServicePortProxy,
                                                      backend: BackendFactory) -> None:
    """The client shuts down writing; the backend sees EOF, replies, and the reply arrives."""
    async def reply_after_eof(b: Backend, reader: asyncio.StreamReader,
                              writer: asyncio.StreamWriter) -> None:
        request = await reader.read()  # until the client's EOF
        writer.write(b"got " + request)
        await writer.drain()
        writer.close()

    proxy.update([(await backend("x", reply_after_eof)).endpoint])
    port = await proxy.start("127.0.0.1")
    assert await fetch(port, b"hello") == b"got hello"
    assert proxy.stats.bytes_from_clients == 5
    assert proxy.stats.bytes_from_endpoints == 9
    await eventually(lambda: proxy.stats.active == 0)


async def test_backend_half_close_keeps_client_direction_open(proxy: ServicePortProxy,
                                                              backend: BackendFactory) -> None:
    """The backend sends EOF first; the client sees it and can still send to the backend."""
    received: list[bytes] = []

    async def banner_then_listen(b: Backend, reader: asyncio.StreamReader,
                                 writer: asyncio.StreamWriter) -> None:
        writer.write(b"banner")
        writer.write_eof()
        received.append(await reader.read())
        writer.close()

    proxy.update([(await backend("x", banner_then_listen)).endpoint])
    port = await proxy.start("127.0.0.1")
    async with asyncio.timeout(GUARD):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await reader.read() == b"banner"  # EOF arrived
        writer.write(b"after your eof")
        writer.write_eof()
        await eventually(lambda: received == [b"after your eof"])
        writer.close()
    await eventually(lambda: proxy.stats.active == 0)


async def test_client_reset_closes_the_backend_connection(proxy: ServicePortProxy,
                                                          backend: BackendFactory) -> None:
    """A client that aborts its connection makes the proxy close the backend side too."""
    ended = asyncio.Event()

    async def wait_for_end(b: Backend, reader: asyncio.StreamReader,
                           writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read()
        finally:
            ended.set()
            writer.close()

    proxy.update([(await backend("x", wait_for_end)).endpoint])
    port = await proxy.start("127.0.0.1")
    async with asyncio.timeout(GUARD):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"x")
        await eventually(lambda: proxy.stats.connected == 1)
        writer.transport.abort()
        await ended.wait()
    await eventually(lambda: proxy.stats.active == 0)


def pattern(size: int) -> bytes:
    return hashlib.shake_256(b"proxy").digest(size)


async def test_long_transfer_survives_endpoint_update(proxy: ServicePortProxy,
                                                      backend: BackendFactory) -> None:
    """A transfer under way completes intact while the endpoints change; new ones go to B."""
    payload = pattern(16 << 20)
    go_on = asyncio.Event()

    async def stream(b: Backend, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        writer.write(payload[: 1 << 20])
        await go_on.wait()
        writer.write(payload[1 << 20:])
        await writer.drain()
        writer.close()

    a = await backend("a", stream)
    b = await backend("b")
    proxy.update([a.endpoint])
    port = await proxy.start("127.0.0.1")
    async with asyncio.timeout(GUARD):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = await reader.readexactly(1 << 20)
        proxy.update([b.endpoint])
        assert await fetch(port) == b"b"
        go_on.set()
        rest = await reader.read()
        writer.close()
    assert head + rest == payload


@pytest.mark.parametrize(("pump", "keeps_views"), [
    pytest.param("copy", False, id="copy", marks=LINUX_ONLY),
    pytest.param("splice", False, id="splice", marks=LINUX_ONLY),
    pytest.param("transport", False, id="transport-copies-the-rest", marks=pytest.mark.skipif(
        sys.version_info >= (3, 12), reason="stdlib transports keep views from 3.12 on")),
    pytest.param("transport", True, id="transport-keeps-a-view"),
])
async def test_slow_reader_does_not_make_the_proxy_buffer_the_transfer(
        proxy: ServicePortProxy, backend: BackendFactory, pump: Pump,
        keeps_views: bool) -> None:
    """With a client that does not read, the proxy holds a bounded amount, the backend waits,
    and every byte arrives intact once the client reads (for the transport pump: whether or
    not the transport keeps the shared read buffer when a write stalls)."""
    transport_pump._buffers[asyncio.get_running_loop()] = _ReadBuffer(
        READ_SIZE, keeps_views=keeps_views)
    bound = {"copy": epoll_pump.READ_SIZE, "splice": epoll_pump.SPLICE_SIZE}.get(
        pump, HIGH_WATER + READ_SIZE)
    payload = pattern(64 << 20)
    sent = [0]

    async def flood(b: Backend, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter) -> None:
        view = memoryview(payload)
        while sent[0] < len(payload):
            writer.write(view[sent[0]:sent[0] + (1 << 20)])
            await writer.drain()
            sent[0] += 1 << 20
        writer.close()

    proxy.update([(await backend("flood", flood)).endpoint])
    port = await proxy.start("127.0.0.1")
    async with asyncio.timeout(GUARD * 3):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        peak, last, still = 0, -1, 0
        while still < 5:  # until the backend has been stuck for five samples
            await asyncio.sleep(0.02)
            peak = max(peak, proxy.forwarder.buffered())
            still, last = (still + 1, last) if sent[0] == last else (0, sent[0])
        assert sent[0] < len(payload)
        assert 0 < peak <= bound
        received = hashlib.sha256()
        while data := await reader.read(1 << 20):
            received.update(data)
            peak = max(peak, proxy.forwarder.buffered())
        writer.close()
    assert received.digest() == hashlib.sha256(payload).digest()
    assert peak <= bound


async def test_both_sockets_use_tcp_nodelay(proxy: ServicePortProxy,
                                            backend: BackendFactory) -> None:
    """Nagle is off on the client and the endpoint socket of a proxied connection."""
    proxy.update([(await backend("echo", echo)).endpoint])
    port = await proxy.start("127.0.0.1")
    async with asyncio.timeout(GUARD):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"ping")
        assert await reader.readexactly(4) == b"ping"
        (pair,) = proxy.forwarder.pairs
        both = pair.sockets()
        assert len(both) == 2
        for sock in both:
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        writer.close()


async def test_stop_stops_accepting_but_keeps_established(proxy: ServicePortProxy,
                                                          backend: BackendFactory) -> None:
    """After stop() new connections are refused; one already established keeps flowing."""
    proxy.update([(await backend("echo", echo)).endpoint])
    port = await proxy.start("127.0.0.1")
    async with asyncio.timeout(GUARD):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"one")
        assert await reader.readexactly(3) == b"one"
        await proxy.stop()
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"two")
        assert await reader.readexactly(3) == b"two"
        writer.close()


async def test_stop_with_abort_cuts_established(proxy: ServicePortProxy,
                                                backend: BackendFactory) -> None:
    """stop(abort_connections=True) also ends the connections under way."""
    proxy.update([(await backend("echo", echo)).endpoint])
    port = await proxy.start("127.0.0.1")
    async with asyncio.timeout(GUARD):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"one")
        assert await reader.readexactly(3) == b"one"
        await proxy.stop(abort_connections=True)
        try:
            assert await reader.read() == b""
        except ConnectionResetError:
            pass
        writer.close()
    assert proxy.stats.active == 0


async def test_one_service_port_on_two_listeners(proxy: ServicePortProxy,
                                                 backend: BackendFactory) -> None:
    """Two listeners of one Service port (as on 127.0.0.1 and a bridge) share one balancer."""
    backends = [await backend(name) for name in "ab"]
    proxy.update(b.endpoint for b in backends)
    first = await proxy.start("127.0.0.1")
    second = await proxy.start("127.0.0.1")
    assert sorted(proxy.addresses) == sorted([("127.0.0.1", first), ("127.0.0.1", second)])
    got = [await fetch(port) for port in (first, second, first)]
    assert got == [b"a", b"b", b"a"]
    await proxy.stop()
    for port in (first, second):
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)


class FakeTransport(asyncio.Transport):
    """Records what the pump does to a socket, for paths real sockets cannot force."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.eof = False
        self.reading = True

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("10.0.0.9", 40000) if name == "peername" else default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def write_eof(self) -> None:
        self.eof = True

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


async def test_bytes_read_before_the_endpoint_accepts_are_forwarded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Transport pump: a loop that reads a paused socket anyway (uvloop does): early bytes and
    EOF still arrive. (The splice pump does not register the client before it is connected.)"""
    forwarder = TcpForwarder(Balancer(), name="default/web:http", pump="transport")
    hold = asyncio.Event()

    async def dial(forwarder: object, pair: object) -> None:
        await hold.wait()

    monkeypatch.setattr(transport_pump, "dial", dial)
    pair = _Pair(forwarder, _ReadBuffer(64, keeps_views=True))
    client, endpoint = FakeTransport(), FakeTransport()
    pair.client.connection_made(client)
    for chunk in (b"hello ", b"world"):
        pair.client.get_buffer(-1)[: len(chunk)] = chunk
        pair.client.buffer_updated(len(chunk))
    assert not client.reading
    pair.client.eof_received()
    pair.endpoint.connection_made(endpoint)
    assert (bytes(endpoint.written), endpoint.eof) == (b"hello world", True)
    assert not client.reading  # the client already ended its direction
    hold.set()
    pair.abort()
