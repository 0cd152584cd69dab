"""What the epoll pump adds to the shared behaviour (``test_tcp.py`` runs that with every
pump): integrity of large transfers both ways at once, bounds in both directions, resets passed
on as resets, pipes and descriptors given back, stale events ignored, failing handlers dropped,
the choice of pump. Most run with both of its ways to move bytes (``copy``, ``splice``).
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import select
import socket
from collections.abc import AsyncIterator

import pytest

from minikube_py.proxy import epoll_pump
from minikube_py.proxy.balancer import Balancer
from minikube_py.proxy.epoll_pump import PIPE_POOL, READ_SIZE, SPLICE_SIZE, EpollPair
from minikube_py.proxy.serviceport import ServicePortProxy
from minikube_py.proxy.tcp import Pump, TcpForwarder, default_pump
from tests.proxy.conftest import Backend, BackendFactory, eventually

pytestmark = pytest.mark.skipif(not epoll_pump.AVAILABLE, reason="epoll, splice(2): Linux only")

GUARD = 20.0


@pytest.fixture(params=["copy", "splice"])
def pump(request: pytest.FixtureRequest) -> Pump:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def proxy(pump: Pump) -> AsyncIterator[ServicePortProxy]:
    p = ServicePortProxy("default/web:http", pump=pump)
    yield p
    await p.stop(abort_connections=True)


async def echo(backend: Backend, reader: asyncio.StreamReader,
               writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(1 << 20):
        writer.write(data)
        await writer.drain()
    writer.close()


def pattern(size: int, seed: bytes = b"splice") -> bytes:
    return hashlib.shake_256(seed).digest(size)


def the_pair(proxy: ServicePortProxy) -> EpollPair:
    (pair,) = proxy.forwarder.pairs
    assert isinstance(pair, EpollPair)
    return pair


async def test_default_pump_is_copy_on_linux() -> None:
    assert default_pump() == "copy"
    assert ServicePortProxy("default/web:http").forwarder.pump == "copy"


def test_epoll_pump_refused_where_it_cannot_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without epoll/os.splice the default is the transport pump, and asking for the epoll
    pump fails."""
    monkeypatch.setattr(epoll_pump, "AVAILABLE", False)
    assert default_pump() == "transport"
    assert TcpForwarder(Balancer(), name="x").pump == "transport"
    for pump in ("copy", "splice"):
        with pytest.raises(ValueError, match=pump):
            TcpForwarder(Balancer(), name="x", pump=pump)  # type: ignore[arg-type]


async def test_large_transfer_both_ways_at_once_arrives_intact(
        proxy: ServicePortProxy, backend: BackendFactory) -> None:
    """48 MiB up to an echo backend while its echo streams down: the checksums match."""
    payload = pattern(48 << 20)
    proxy.update([(await backend("echo", echo)).endpoint])
    port = await proxy.start("127.0.0.1")
    async with asyncio.timeout(GUARD):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)

        async def upload() -> None:
            view = memoryview(payload)
            for start in range(0, len(payload), 3 << 20):  # odd-sized writes
                writer.write(view[start:start + (3 << 20)])
                await writer.drain()
            writer.write_eof()

        sender = asyncio.create_task(upload())
        received = hashlib.sha256()
        total = 0
        while data := await reader.read(1 << 20):
            received.update(data)
            total += len(data)
        await sender
        writer.close()
    assert total == len(payload)
    assert received.digest() == hashlib.sha256(payload).digest()
    assert proxy.stats.bytes_from_clients == proxy.stats.bytes_from_endpoints == len(payload)
    await eventually(lambda: proxy.stats.active == 0)


async def test_slow_backend_bounds_what_the_proxy_holds_upstream(
        proxy: ServicePortProxy, backend: BackendFactory, pump: Pump) -> None:
    """A backend that does not read: the proxy holds at most one splice, the client is held
    back by TCP, and everything arrives intact once the backend reads."""
    payload = pattern(48 << 20, b"up")
    go = asyncio.Event()
    digest: list[bytes] = []

    async def late_reader(b: Backend, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        await go.wait()
        got = hashlib.sha256()
        while data := await reader.read(1 << 20):
            got.update(data)
        digest.append(got.digest())
        writer.close()

    proxy.update([(await backend("late", late_reader)).endpoint])
    port = await proxy.start("127.0.0.1")
    async with asyncio.timeout(GUARD):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(payload)  # the stream keeps what the kernel does not take
        peak, last, still = 0, -1, 0
        while still < 5:  # until the proxy has stopped taking bytes for five samples
            await asyncio.sleep(0.02)
            peak = max(peak, proxy.forwarder.buffered())
            moved = proxy.stats.bytes_from_clients
            still, last = (still + 1, last) if moved == last else (0, moved)
        assert proxy.stats.bytes_from_clients < len(payload)
        assert 0 < peak <= (SPLICE_SIZE if pump == "splice" else READ_SIZE)
        go.set()
        await writer.drain()
        writer.write_eof()
        await eventually(lambda: bool(digest))
        assert await reader.read() == b""
        writer.close()
    assert digest == [hashlib.sha256(payload).digest()]


@pytest.mark.parametrize("pump", ["copy", "splice", "transport"])
@pytest.mark.parametrize("who", ["client", "endpoint"])
async def test_a_reset_is_passed_on_as_a_reset(backend: BackendFactory, who: str,
                                               pump: Pump) -> None:
    """One side resets (RST): the other side's connection is reset too, not closed with a
    FIN (which would pass the cut stream off as complete). Both pumps do this."""
    proxy = ServicePortProxy("default/web:http", pump=pump)
    outcome: list[str] = []
    backend_writer: list[asyncio.StreamWriter] = []

    async def hold(b: Backend, reader: asyncio.StreamReader,
                   writer: asyncio.StreamWriter) -> None:
        backend_writer.append(writer)
        writer.write(b"hi")
        try:
            outcome.append("eof" if await reader.read() == b"" else "data")
        except ConnectionResetError:
            outcome.append("reset")
        writer.close()

    proxy.update([(await backend("hold", hold)).endpoint])
    port = await proxy.start("127.0.0.1")
    async with asyncio.timeout(GUARD):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await reader.readexactly(2) == b"hi"
        if who == "client":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            writer.transport.abort()
            await eventually(lambda: bool(outcome))
            assert outcome == ["reset"]
        else:
            sock = backend_writer[0].get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            backend_writer[0].transport.abort()
            with pytest.raises(ConnectionResetError):
                await reader.read()
            writer.close()
    await eventually(lambda: proxy.stats.active == 0)
    await proxy.stop()


@pytest.mark.parametrize("pump", ["splice"])
async def test_pipes_and_descriptors_are_given_back(proxy: ServicePortProxy,
                                                    backend: BackendFactory) -> None:
    """After many connections the reactor keeps a bounded pool of empty pipes and no handler
    but the listener's; the pairs' pipes were reused, not made anew each time."""
    proxy.update([(await backend("echo", echo)).endpoint])
    port = await proxy.start("127.0.0.1")
    reactor = epoll_pump.reactor(asyncio.get_running_loop())
    made = 0
    real_pipe2 = epoll_pump.os.pipe2

    def counting_pipe2(flags: int) -> tuple[int, int]:
        nonlocal made
        made += 1
        return real_pipe2(flags)

    epoll_pump.os.pipe2 = counting_pipe2  # type: ignore[attr-defined]
    try:
        async with asyncio.timeout(GUARD):
            for _round in range(3):
                opened = [await asyncio.open_connection("127.0.0.1", port) for _ in range(10)]
                for i, (_, writer) in enumerate(opened):
                    writer.write(b"x%d" % i)
                    writer.write_eof()
                for i, (reader, writer) in enumerate(opened):
                    assert await reader.read() == b"x%d" % i
                    writer.close()
                await eventually(lambda: proxy.stats.active == 0)
    finally:
        epoll_pump.os.pipe2 = real_pipe2  # type: ignore[attr-defined]
    assert made <= 20  # the first round's pipes served the next rounds
    assert len(reactor.pipes) <= PIPE_POOL
    assert list(reactor.handlers) == [fd for fd in reactor.handlers
                                      if any(fd == lst.sock.fileno()
                                             for lst in proxy._servers.values()
                                             if isinstance(lst, epoll_pump.EpollListener))]


async def test_stale_events_are_ignored(proxy: ServicePortProxy,
                                        backend: BackendFactory) -> None:
    """Events for a descriptor with nothing to do (as for a number reused within one poll
    batch) neither cut nor stall the connection."""
    proxy.update([(await backend("echo", echo)).endpoint])
    port = await proxy.start("127.0.0.1")
    async with asyncio.timeout(GUARD):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"one")
        assert await reader.readexactly(3) == b"one"
        pair = the_pair(proxy)
        everything = select.EPOLLIN | select.EPOLLOUT | select.EPOLLERR | select.EPOLLHUP
        for flow in (pair.up, pair.down):
            assert flow is not None
            flow.ready(everything)
        writer.write(b"two")
        assert await reader.readexactly(3) == b"two"
        writer.close()


async def test_abort_while_dialing_cancels_the_dial(backend: BackendFactory) -> None:
    """Aborting a connection whose endpoint has not answered yet closes the dial and its timer."""
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(full.getsockname())
        fillers.append(filler)
    proxy = ServicePortProxy("default/web:http", connect_timeout=3600, pump="copy")
    proxy.update([full.getsockname()])
    port = await proxy.start("127.0.0.1")
    try:
        async with asyncio.timeout(GUARD):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            await eventually(lambda: len(proxy.forwarder.pairs) == 1)
            pair = the_pair(proxy)
            assert pair.timer is not None and pair.endpoint is not None
            await proxy.stop(abort_connections=True)
            assert pair.closed and pair.timer is None
            assert proxy.stats.active == 0
            try:
                assert await reader.read() == b""
            except ConnectionResetError:
                pass
            writer.close()
    finally:
        for sock in (full, *fillers):
            sock.close()


async def test_a_failing_handler_is_dropped_not_spun_on(proxy: ServicePortProxy,
                                                        backend: BackendFactory,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    """A handler that raises (a bug) is logged and its descriptor no longer watched; the
    reactor goes on serving the other connections."""
    proxy.update([(await backend("echo", echo)).endpoint])
    port = await proxy.start("127.0.0.1")
    reactor = epoll_pump.reactor(asyncio.get_running_loop())
    calls = []
    async with asyncio.timeout(GUARD):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"one")
        assert await reader.readexactly(3) == b"one"
        pair = the_pair(proxy)
        assert pair.up is not None
        fd = pair.up.src

        def broken(events: int) -> None:
            calls.append(events)
            raise RuntimeError("bug")

        reactor.handlers[fd] = broken
        writer.write(b"two")  # makes the client's descriptor readable
        await eventually(lambda: bool(calls))
        await asyncio.sleep(0.05)
        assert len(calls) == 1  # dropped after the first failure, not called again and again
        assert fd not in reactor.handlers
        assert "the handler of descriptor" in caplog.text
        other_reader, other_writer = await asyncio.open_connection("127.0.0.1", port)
        other_writer.write(b"three")
        assert await other_reader.readexactly(5) == b"three"
        other_writer.close()
        pair.abort()
        writer.close()


async def test_a_taken_port_is_an_oserror_naming_the_address(proxy: ServicePortProxy) -> None:
    """Binding a port in use fails with OSError (EADDRINUSE) as asyncio's listener did, so
    the proxier's fall-back to another port still works; nothing is left open."""
    port = await proxy.start("127.0.0.1")
    with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}") as caught:
        await proxy.start("127.0.0.1", port)
    assert caught.value.errno == errno.EADDRINUSE
    assert proxy.addresses == [("127.0.0.1", port)]


@pytest.mark.parametrize("pump", ["splice"])
async def test_no_pipe_to_be_had_cuts_that_connection_only(
        proxy: ServicePortProxy, backend: BackendFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Out of descriptors for a pipe: that client is reset, the listener keeps accepting."""
    proxy.update([(await backend("echo", echo)).endpoint])
    port = await proxy.start("127.0.0.1")
    reactor = epoll_pump.reactor(asyncio.get_running_loop())
    reactor.pipes.clear()
    real_pipe2 = epoll_pump.os.pipe2

    def no_pipe(flags: int) -> tuple[int, int]:
        raise OSError(errno.EMFILE, "Too many open files")

    async with asyncio.timeout(GUARD):
        monkeypatch.setattr(epoll_pump.os, "pipe2", no_pipe)
        try:  # the reset may come before asyncio saw the connect complete
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert await reader.read() == b""
            writer.close()
        except ConnectionResetError:
            pass
        await eventually(lambda: proxy.stats.active == 0)
        monkeypatch.setattr(epoll_pump.os, "pipe2", real_pipe2)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"again")
        assert await reader.readexactly(5) == b"again"
        writer.close()
