"""Watch delivery: fan-out latency, and a watcher that never reads.

1. 100 watchers, a writer at 1,000 events/s for 5 s, in one process through the apiserver
   pipeline (``ApiServer.handle``): each watcher is a real watch stream as HTTP clients get
   (encoded JSON lines); latency is from the write call's start to each watcher reading the
   line, and from the commit.
2. The stalled-watcher case, against a real daemon process over HTTPS, twice: ten reading
   watchers, then the same ten plus one watch connection that is opened and never read (its
   TCP window fills, then the daemon's socket buffer, then its per-watcher queue). 20,000
   ConfigMaps of 4 KiB each time. Printed: the daemon's peak RSS in both runs and whether the
   stalled run stayed within the bound (the run without it + the per-watcher byte budget + 16
   MB of slack), whether the stalled watcher was dropped
   (``apiserver_terminated_watchers_total``), and the readers' latency in both runs."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, percentile, rss_mb, start_daemon

from minikube_py.api.wire import ApiRequest
from minikube_py.apiserver.server import ApiServer
from minikube_py.client.base import Client
from minikube_py.client.local import LocalTransport
from minikube_py.daemon import bootstrap
from minikube_py.store.sqlite import SqliteStorage as Store

WATCHERS = 100
RATE = 1000
SECONDS = 5
PATH = "/api/v1/namespaces/default/configmaps"


async def fan_out_case() -> None:
    tmp = tempfile.TemporaryDirectory(prefix="minikube-py-bench-")
    store = await Store.open(Path(tmp.name) / "s.db", synchronous="FULL")
    server = ApiServer(store)
    await bootstrap(Client(LocalTransport(server.handle)))
    sent: dict[str, float] = {}
    committed: dict[str, float] = {}
    latencies: list[float] = []
    after_commit: list[float] = []

    def on_commit(events: list) -> None:  # type: ignore[type-arg]
        now = time.perf_counter()
        for event in events:
            committed[event.key.rsplit("/", 1)[1]] = now

    store.on_commit.append(on_commit)
    total = RATE * SECONDS
    rv = str(store.revision)

    async def watcher() -> None:
        resp = await server.handle(ApiRequest("GET", PATH, query={
            "watch": "true", "resourceVersion": rv, "timeoutSeconds": "60"}))
        assert resp.stream is not None
        seen = 0
        async for chunk in resp.stream:
            now = time.perf_counter()
            for line in chunk.splitlines():
                # A byte scan, not a JSON decode: measure the server, not this client.
                name = line.split(b'"name":"', 1)[1].split(b'"', 1)[0].decode()
                latencies.append(now - sent[name])
                after_commit.append(now - committed[name])
                seen += 1
            if seen >= total:
                break
        await resp.stream.aclose()  # type: ignore[attr-defined]

    watchers = [asyncio.create_task(watcher()) for _ in range(WATCHERS)]
    await asyncio.sleep(0.2)
    start = time.perf_counter()
    pending = set()
    for i in range(total):
        target = start + i / RATE
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        name = f"e{i}"
        sent[name] = time.perf_counter()
        body = json.dumps({"metadata": {"name": name}, "data": {"i": str(i)}}).encode()
        pending.add(asyncio.create_task(server.handle(ApiRequest("POST", PATH, body=body))))
        pending = {t for t in pending if not t.done()}
    await asyncio.gather(*pending)
    achieved = total / (time.perf_counter() - start)
    await asyncio.wait_for(asyncio.gather(*watchers), 120)
    print(f"watch delivery with {WATCHERS} watchers at {achieved:,.0f} events/s offered "
          f"{RATE}: p50 {percentile(latencies, 50) * 1000:.1f} ms, "
          f"p99 {percentile(latencies, 99) * 1000:.1f} ms ({len(latencies):,} deliveries, "
          "from the write request)")
    print(f"watch delivery after commit (same run): p50 {percentile(after_commit, 50) * 1000:.1f}"
          f" ms, p99 {percentile(after_commit, 99) * 1000:.1f} ms")
    await store.close()
    tmp.cleanup()


EVENTS = 20_000
VALUE = "x" * 4096
READERS = int(next((a.split("=")[1] for a in sys.argv if a.startswith("--readers=")), "10"))
BUDGET_MB = 16  # the broadcaster's per-watcher byte budget (store/watch.py)
SLACK_MB = 16


def stalled_watch(port: int, token: str, ca: Path, rv: str) -> ssl.SSLSocket:
    """Open a watch and never read from it."""
    ctx = ssl.create_default_context(cafile=str(ca))
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    tls = ctx.wrap_socket(sock, server_hostname="127.0.0.1")
    tls.sendall(f"GET {PATH}?watch=true&resourceVersion={rv} HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: Bearer {token}\r\n\r\n".encode())
    return tls


async def run(stall: bool) -> tuple[float, float, int, list[float]]:
    """(idle RSS, peak RSS, watchers dropped, delivery latencies) of one run."""
    proc, data, port, _ = start_daemon()
    token = (data / "token").read_text().strip()
    ssl_ctx = ssl.create_default_context(cafile=str(data / "ca.crt"))
    url = f"https://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    peak = idle = rss_mb(proc.pid)
    latencies: list[float] = []
    sent: dict[str, float] = {}
    try:
        async with aiohttp.ClientSession(headers=headers, connector=aiohttp.TCPConnector(
                ssl=ssl_ctx, limit=64)) as session:
            async with session.get(url + PATH) as resp:
                rv = (await resp.json())["metadata"]["resourceVersion"]
            stalled = stalled_watch(port, token, data / "ca.crt", rv) if stall else None

            async def reader() -> None:
                async with session.get(url + PATH, params={
                        "watch": "true", "resourceVersion": rv, "timeoutSeconds": "300"}) as r:
                    seen = 0
                    async for line in r.content:
                        name = line.split(b'"name":"', 1)[1].split(b'"', 1)[0].decode()
                        latencies.append(time.perf_counter() - sent[name])
                        seen += 1
                        if seen >= EVENTS:
                            return

            readers = [asyncio.create_task(reader()) for _ in range(READERS)]
            await asyncio.sleep(0.5)

            async def write(i: int) -> None:
                name = f"s{i}"
                sent[name] = time.perf_counter()
                body = {"metadata": {"name": name}, "data": {"v": VALUE}}
                async with session.post(url + PATH, data=json.dumps(body),
                                        headers={"Content-Type": "application/json"}) as r:
                    assert r.status == 201, await r.text()

            for start in range(0, EVENTS, 200):
                await asyncio.gather(*(write(i) for i in range(start, start + 200)))
                peak = max(peak, rss_mb(proc.pid))
            await asyncio.wait_for(asyncio.gather(*readers), 300)
            peak = max(peak, rss_mb(proc.pid))
            async with session.get(url + "/metrics") as resp:
                metrics = await resp.text()
            dropped = next((line.split()[1] for line in metrics.splitlines()
                            if line.startswith("apiserver_terminated_watchers_total")), "0")
            if stalled is not None:
                stalled.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    return idle, peak, int(dropped), latencies


async def stalled_case() -> None:
    idle, base_peak, _, base_lat = await run(stall=False)
    _, peak, dropped, lat = await run(stall=True)
    bound = base_peak + BUDGET_MB + SLACK_MB
    print(f"watch, {EVENTS:,} events of 4 KiB, {READERS} readers: daemon RSS idle {idle:.0f} MB,"
          f" peak {base_peak:.0f} MB; readers' delivery p50 {percentile(base_lat, 50) * 1e3:.0f}"
          f" ms, p99 {percentile(base_lat, 99) * 1e3:.0f} ms from the write request")
    print(f"same with one watcher that never reads: peak {peak:.0f} MB (bound {bound:.0f} MB: "
          f"{'within' if peak <= bound else 'EXCEEDED'}); stalled watcher dropped: "
          f"{'yes' if dropped >= 1 else 'no'}; readers' delivery p50 "
          f"{percentile(lat, 50) * 1e3:.0f} ms, p99 {percentile(lat, 99) * 1e3:.0f} ms")


async def main() -> None:
    print(f"# watch benchmark on {machine()}")
    await fan_out_case()
    await stalled_case()


if __name__ == "__main__":
    asyncio.run(main())
