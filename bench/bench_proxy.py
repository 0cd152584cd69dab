"""Service proxy data path against the same work done directly to the backend, on loopback.

Figures (each a ratio proxied/direct, measured in the same run, rounds interleaved, median):
bulk throughput through one connection, requests/s over keep-alive connections, requests/s of
short connections (connect, one request, close), and the latency one request/reply adds
(p50/p99, proxied minus direct). Each line also gives the proxy process's CPU time per unit
of work (from /proc), which varies less than the ratios when something else uses the cores.

Three kinds of process, so that the proxy's event loop is measured alone on a 2-core machine:
the backend (epoll servers in plain Python, a thread for bulk), the proxy under test (one
``ServicePortProxy`` per backend port on its own asyncio loop; ``--uvloop`` to try uvloop if it
is installed) and the load generator (a fresh process per measurement, epoll or blocking
sockets). This parent only starts them, collects the figures and stops them.
``--haproxy 1`` measures haproxy (if installed) in the proxy's place, to calibrate.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import select
import socket
import statistics
import struct
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, percentile

sys.path.insert(0, str(ROOT))  # this checkout's package, not an installed one

REQUEST = b"q" * 64
REPLY = b"r" * 256
CHUNK = 1 << 20
CTX = mp.get_context("spawn")


# ---- backend process -------------------------------------------------------------------------

def _listen() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    return sock


def _bulk_server(lsock: socket.socket) -> None:
    """Per connection: read an 8-byte size, send that many bytes, close."""
    data = memoryview(bytes(CHUNK))
    while True:
        sock, _ = lsock.accept()
        with sock:
            header = sock.recv(8, socket.MSG_WAITALL)
            if len(header) < 8:  # a readiness probe
                continue
            (size,) = struct.unpack("!Q", header)
            while size > 0:
                sock.sendall(data[:min(size, CHUNK)])
                size -= CHUNK


def _rr_server(lsock: socket.socket) -> None:
    """Per connection: a REPLY for every REQUEST received, until EOF."""
    ep = select.epoll()
    lsock.setblocking(False)
    lfd = lsock.fileno()
    ep.register(lfd, select.EPOLLIN)
    socks: dict[int, socket.socket] = {}
    partial: dict[int, int] = {}
    while True:
        for fd, _ in ep.poll():
            if fd == lfd:
                _accept_all(lsock, ep, socks, partial)
                continue
            sock = socks[fd]
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            except ConnectionError:
                data = b""
            if not data:
                ep.unregister(fd)
                sock.close()
                del socks[fd], partial[fd]
                continue
            count, partial[fd] = divmod(partial[fd] + len(data), len(REQUEST))
            if count:
                sock.send(REPLY * count)


def _accept_all(lsock: socket.socket, ep: select.epoll, socks: dict[int, socket.socket],
                partial: dict[int, int]) -> None:
    while True:
        try:
            sock, _ = lsock.accept()
        except BlockingIOError:
            return
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socks[sock.fileno()] = sock
        partial[sock.fileno()] = 0
        ep.register(sock.fileno(), select.EPOLLIN)


def backend_main(conn: Connection) -> None:
    bulk, rr = _listen(), _listen()
    threading.Thread(target=_bulk_server, args=(bulk,), daemon=True).start()
    conn.send((bulk.getsockname()[1], rr.getsockname()[1]))
    _rr_server(rr)


# ---- proxy process ---------------------------------------------------------------------------

async def _proxy(conn: Connection, backend_ports: list[int], pump: str | None) -> None:
    from minikube_py.proxy.serviceport import ServicePortProxy

    ports = []
    for i, backend in enumerate(backend_ports):
        proxy = ServicePortProxy(f"bench/p{i}:{backend}", pump=pump)
        proxy.update([("127.0.0.1", backend)])
        ports.append(await proxy.start("127.0.0.1"))
    conn.send(ports)
    await asyncio.Event().wait()  # until terminated


def proxy_main(conn: Connection, backend_ports: list[int], use_uvloop: bool,
               pump: str | None) -> None:
    if use_uvloop:
        import uvloop

        uvloop.install()
    asyncio.run(_proxy(conn, backend_ports, pump))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_haproxy(backend_ports: list[int], threads: int, tuned: bool) -> tuple[Any, list[int]]:
    """haproxy in TCP mode in front of the same backends, to calibrate the figures.

    ``tuned``: 256 KiB buffers and splice(2) (no copy through user space) instead of the
    defaults (16 KiB buffers, recv/send)."""
    import subprocess
    import tempfile

    ports = [_free_port() for _ in backend_ports]
    tuning = ["  tune.bufsize 262144", "  tune.maxrewrite 1024"] if tuned else []
    splice = ["  option splice-auto"] if tuned else []
    lines = ["global", "  maxconn 5000", f"  nbthread {threads}", *tuning, "defaults",
             "  mode tcp", *splice, "  timeout connect 1s", "  timeout client 60s",
             "  timeout server 60s"]
    for i, (port, backend) in enumerate(zip(ports, backend_ports, strict=True)):
        lines += [f"listen p{i}", f"  bind 127.0.0.1:{port}",
                  f"  server b 127.0.0.1:{backend}"]
    config = tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False)
    config.write("\n".join(lines) + "\n")
    config.close()
    proc = subprocess.Popen(["haproxy", "-db", "-f", config.name])
    for port in ports:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except ConnectionRefusedError:
                time.sleep(0.05)
    Path(config.name).unlink()
    return proc, ports


# ---- load generators (each run in a fresh process) ------------------------------------------

def bulk(port: int, size: int) -> tuple[float, int]:
    """(bytes/s, bytes) of one connection receiving ``size`` bytes."""
    buf = bytearray(CHUNK)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        start = time.perf_counter()
        sock.sendall(struct.pack("!Q", size))
        got = 0
        while got < size:
            n = sock.recv_into(buf)
            if not n:
                raise RuntimeError(f"bulk transfer ended after {got} of {size} bytes")
            got += n
        return size / (time.perf_counter() - start), size


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setblocking(False)
    return sock


def keepalive(port: int, conns: int, seconds: float) -> tuple[float, int]:
    """(requests/s, requests) of ``conns`` connections, each sending one request per reply."""
    ep = select.epoll()
    socks = {s.fileno(): s for s in (_connect(port) for _ in range(conns))}
    got = dict.fromkeys(socks, 0)
    for fd, sock in socks.items():
        ep.register(fd, select.EPOLLIN)
        sock.send(REQUEST)
    done, total, start = 0, 0, time.perf_counter()
    warm_until, deadline = start + 0.3, start + 0.3 + seconds
    counting = False
    while True:
        for fd, _ in ep.poll():
            sock = socks[fd]
            replies, got[fd] = divmod(got[fd] + len(sock.recv(65536)), len(REPLY))
            done += replies
            total += replies
            if replies:
                sock.send(REQUEST)
        now = time.perf_counter()
        if not counting and now >= warm_until:
            counting, done, start = True, 0, now
        elif now >= deadline:
            return done / (now - start), total


def short(port: int, conns: int, seconds: float) -> tuple[float, int]:
    """Connections/s: ``conns`` at a time, each connect, send one request, read the reply, close."""
    ep = select.epoll()
    got: dict[int, int] = {}
    socks: dict[int, socket.socket] = {}

    def open_one() -> None:
        sock = socket.socket()
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect_ex(("127.0.0.1", port))
        socks[sock.fileno()], got[sock.fileno()] = sock, -1  # -1: connecting
        ep.register(sock.fileno(), select.EPOLLOUT)

    for _ in range(conns):
        open_one()
    done, start = 0, time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for fd, _ in ep.poll():
            sock = socks[fd]
            if got[fd] < 0:
                sock.send(REQUEST)
                got[fd] = 0
                ep.modify(fd, select.EPOLLIN)
                continue
            got[fd] += len(sock.recv(65536))
            if got[fd] >= len(REPLY):
                ep.unregister(fd)
                sock.close()
                del socks[fd], got[fd]
                done += 1
                open_one()
    return done / (time.perf_counter() - start), done


def latency(port: int, count: int) -> list[float]:
    """Seconds of each of ``count`` request/reply round trips on one connection."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        samples = []
        for i in range(count + 1000):
            start = time.perf_counter()
            sock.sendall(REQUEST)
            need = len(REPLY)
            while need:
                need -= len(sock.recv(need))
            if i >= 1000:
                samples.append(time.perf_counter() - start)
        return samples


def _child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    conn.send(fn(*args))


def run(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in a fresh process; its result."""
    parent, child = CTX.Pipe()
    proc = CTX.Process(target=_child, args=(child, fn, args))
    proc.start()
    result = parent.recv()
    proc.join()
    return result


# ---- parent ----------------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def compare(label: str, unit: str, fn: Callable[..., tuple[float, int]], direct_port: int,
            proxy: tuple[int, int], *args: Any, rounds: int, scale: float = 1.0,
            per: str = "request", per_units: float = 1.0) -> None:
    """Print direct vs proxied (median of the rounds) and the proxy's CPU time per unit."""
    proxy_pid, proxy_port = proxy
    direct, proxied, cpu, units = [], [], 0.0, 0
    for _ in range(rounds):
        direct.append(run(fn, direct_port, *args)[0] * scale)
        before = cpu_seconds(proxy_pid)
        rate, done = run(fn, proxy_port, *args)
        cpu += cpu_seconds(proxy_pid) - before
        proxied.append(rate * scale)
        units += done
    d, p = statistics.median(direct), statistics.median(proxied)
    print(f"{label}: direct {d:,.0f} {unit}, proxied {p:,.0f} {unit}: {p / d:.0%} of direct "
          f"(proxied runs {', '.join(f'{x:,.0f}' for x in proxied)}; proxy CPU "
          f"{cpu / units * per_units * 1e6:,.1f} µs per {per})", flush=True)


def compare_latency(direct_port: int, proxy_port: int, count: int, *, rounds: int) -> None:
    direct, proxied = [], []
    for _ in range(rounds):
        direct += run(latency, direct_port, count)
        proxied += run(latency, proxy_port, count)
    us = {name: (percentile(s, 50) * 1e6, percentile(s, 99) * 1e6)
          for name, s in (("direct", direct), ("proxied", proxied))}
    (d50, d99), (p50, p99) = us["direct"], us["proxied"]
    print(f"latency, one connection, {len(REQUEST)} B request / {len(REPLY)} B reply: "
          f"direct p50 {d50:.0f} µs p99 {d99:.0f} µs, proxied p50 {p50:.0f} µs p99 {p99:.0f} µs: "
          f"added p50 {p50 - d50:.0f} µs, p99 {p99 - d99:.0f} µs", flush=True)


def start(target: Callable[..., None], *args: Any) -> tuple[mp.process.BaseProcess, Any]:
    parent, child = CTX.Pipe()
    proc = CTX.Process(target=target, args=(child, *args), daemon=True)
    proc.start()
    return proc, parent.recv()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uvloop", action="store_true", help="run the proxy on uvloop")
    parser.add_argument("--pump", choices=["copy", "splice", "transport"], default=None,
                        help="the proxy's pump (default: copy on Linux, else transport)")
    parser.add_argument("--haproxy", type=int, default=0, metavar="THREADS",
                        help="measure haproxy (with this many threads) instead, to calibrate")
    parser.add_argument("--haproxy-tuned", action="store_true",
                        help="haproxy with 256 KiB buffers and splice")
    parser.add_argument("--gib", type=float, default=1.0, help="bulk transfer size")
    parser.add_argument("--seconds", type=float, default=2.0, help="per requests/s run")
    parser.add_argument("--rounds", type=int, default=5, help="direct/proxied pairs per figure")
    parser.add_argument("--only", default="bulk,keepalive,short,latency")
    return parser.parse_args()


def start_under_test(opts: argparse.Namespace, backend_ports: list[int]) -> tuple[Any, list[int]]:
    """The proxy to measure (ours, or haproxy to calibrate) and its ports, one per backend."""
    if opts.haproxy:
        tuned = ", 256 KiB buffers, splice" if opts.haproxy_tuned else ""
        print(f"# under test: haproxy, {opts.haproxy} thread(s){tuned}")
        return start_haproxy(backend_ports, opts.haproxy, opts.haproxy_tuned)
    from minikube_py.proxy.tcp import default_pump

    print(f"# under test: minikube_py.proxy, {opts.pump or default_pump()} pump, on the "
          f"{'uvloop' if opts.uvloop else 'stdlib'} event loop")
    return start(proxy_main, backend_ports, opts.uvloop, opts.pump)


def stop(proc: Any) -> None:
    proc.terminate()
    if isinstance(proc, mp.process.BaseProcess):
        proc.join(timeout=5)
    else:
        proc.wait(timeout=5)


def main() -> None:
    opts = parse_args()
    only, rounds = set(opts.only.split(",")), opts.rounds
    print(f"# proxy benchmark on {machine()}; loopback only; median of {rounds} rounds")
    backend, (bulk_port, rr_port) = start(backend_main)
    proxy, (bulk_proxy, rr_proxy) = start_under_test(opts, [bulk_port, rr_port])
    try:
        if "bulk" in only:
            compare(f"bulk, {opts.gib:g} GiB through one connection", "MB/s", bulk, bulk_port,
                    (proxy.pid, bulk_proxy), int(opts.gib * (1 << 30)), rounds=rounds,
                    scale=1e-6, per="MiB", per_units=1 << 20)
        if "keepalive" in only:
            compare("keep-alive requests/s, 16 connections", "req/s", keepalive, rr_port,
                    (proxy.pid, rr_proxy), 16, opts.seconds, rounds=rounds)
        if "short" in only:
            compare("short connections/s (connect, 1 request, close), 16 at a time", "conn/s",
                    short, rr_port, (proxy.pid, rr_proxy), 16, opts.seconds, rounds=rounds,
                    per="connection")
        if "latency" in only:
            compare_latency(rr_port, rr_proxy, 20000, rounds=rounds)
    finally:
        stop(proxy)
        stop(backend)


if __name__ == "__main__":
    main()
