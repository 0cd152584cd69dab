"""HTTPS throughput of a real daemon: creates/s and gets/s with 32 concurrent clients, on
SQLite and on etcd (``--storage etcd://``, Debian's etcd started on loopback) side by side,
with raw etcd's creates (the same transaction through its JSON gateway, 32 clients) as the
anchor: what our apiserver adds over etcd alone; then full LISTs of the created objects in
JSON and in protobuf (as client-go's typed clients ask).

Starts ``minikube-py up`` on a free port in a temp dir, drives it over TLS with the admin
token from the generated kubeconfig, prints the figures, stops the daemon.

Besides the rates (which the benchmark's own clients, on the same two cores, bound) it prints
the daemon's CPU time per request, read from /proc: the cost of the server's path, steadier
from run to run than a rate on a shared machine."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import ssl
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, percentile, start_daemon, start_etcd, stop_etcd

from minikube_py.store.etcd_client import EtcdClient, b64, parse_endpoints

CONCURRENCY = 32
CREATES = 4000
GETS = 8000
LISTS = 30  # full lists of the CREATES objects, per encoding
LIST_CONCURRENCY = 4
PROTOBUF = "application/vnd.kubernetes.protobuf"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(port: int, data: Path, pid: int) -> dict[str, str]:
    token = (data / "token").read_text().strip()
    ctx = ssl.create_default_context(cafile=str(data / "ca.crt"))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    base = f"https://127.0.0.1:{port}/api/v1/namespaces/default/configmaps"
    connector = aiohttp.TCPConnector(ssl=ctx, limit=CONCURRENCY)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        async def run(n: int, make: object) -> tuple[float, list[float]]:
            queue = iter(range(n))
            lat: list[float] = []

            async def worker() -> None:
                for i in queue:
                    t = time.perf_counter()
                    async with make(i) as resp:  # type: ignore[operator]
                        await resp.read()
                        assert resp.status < 300, resp.status
                    lat.append(time.perf_counter() - t)

            start, cpu = time.perf_counter(), cpu_seconds(pid)
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            rate = n / (time.perf_counter() - start)
            lat.append(-(cpu_seconds(pid) - cpu) / n)  # smuggled out: daemon CPU per request
            return rate, lat

        def create(i: int) -> object:
            body = {"metadata": {"name": f"b{i}"}, "data": {"k": "v" * 100}}
            return session.post(base, data=json.dumps(body))

        def get(i: int) -> object:
            return session.get(f"{base}/b{i % CREATES}")

        out: dict[str, str] = {}
        for what, n, make in (("creates", CREATES, create), ("gets", GETS, get)):
            rate, lat = await run(n, make)
            cpu = -lat.pop()
            out[what] = (f"{rate:,.0f}/s (p50 {percentile(lat, 50) * 1000:.1f}, "
                         f"p99 {percentile(lat, 99) * 1000:.1f} ms; "
                         f"CPU {cpu * 1e6:.0f} us/req)")
        await lists(session, base, pid)
        return out



async def lists(session: aiohttp.ClientSession, base: str, pid: int) -> None:
    """Full lists in JSON, then protobuf: the first protobuf list encodes every object
    (cold), the others take the encoded messages from the apiserver's cache (warm)."""
    async def one(accept: str) -> int:
        async with session.get(base, headers={"Accept": accept}) as resp:
            body = await resp.read()
            assert resp.status == 200 and resp.content_type == accept.split(",")[0], resp
            return len(body)

    for label, accept in (("json", "application/json"), ("protobuf", PROTOBUF)):
        cold = ""
        if accept == PROTOBUF:
            start, cpu = time.perf_counter(), cpu_seconds(pid)
            await one(accept)
            cold = (f"; first (cold cache) {(time.perf_counter() - start) * 1000:.0f} ms, "
                    f"daemon CPU {(cpu_seconds(pid) - cpu) * 1000:.0f} ms")
        queue = iter(range(LISTS))
        sizes: list[int] = []
        start, cpu = time.perf_counter(), cpu_seconds(pid)
        await asyncio.gather(*(_list_worker(queue, sizes, one, accept)
                               for _ in range(LIST_CONCURRENCY)))
        elapsed, cpu = time.perf_counter() - start, cpu_seconds(pid) - cpu
        print(f"https list of {CREATES} configmaps, {label} ({LIST_CONCURRENCY} clients): "
              f"{LISTS / elapsed:.1f} lists/s ({CREATES * LISTS / elapsed:,.0f} items/s), "
              f"{sizes[0] / 1024:.0f} KiB each; daemon CPU {cpu / LISTS * 1000:.1f} ms per "
              f"list{cold}")


async def _list_worker(queue: Iterator[int], sizes: list[int],
                       one: Callable[[str], Awaitable[int]], accept: str) -> None:
    for _ in queue:
        sizes.append(await one(accept))

async def raw_etcd(url: str) -> dict[str, str]:
    """etcd alone: 32 clients sending the create transaction our store sends."""
    client = EtcdClient(parse_endpoints(url, tls=False))
    value = b64(json.dumps({"metadata": {"name": "x"}, "data": {"k": "v" * 100}}))
    queue = iter(range(CREATES))
    lat: list[float] = []

    async def worker() -> None:
        for i in queue:
            key = b64(f"/registry/configmaps/raw/b{i}")
            t = time.perf_counter()
            await client.txn([{"target": "CREATE", "key": key, "create_revision": "0"}],
                             [{"request_put": {"key": key, "value": value}}], [])
            lat.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    rate = CREATES / (time.perf_counter() - start)
    await client.close()
    return {"creates": f"{rate:,.0f}/s (p50 {percentile(lat, 50) * 1000:.1f}, "
                       f"p99 {percentile(lat, 99) * 1000:.1f} ms)", "gets": "—"}


def run_daemon(*extra: str) -> dict[str, str]:
    proc, data, port, _ = start_daemon(None, *extra)
    try:
        return asyncio.run(drive(port, data, proc.pid))
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    print(f"# https benchmark on {machine()} ({CONCURRENCY} clients)")
    columns = {"sqlite": run_daemon()}
    etcd = start_etcd()
    if etcd is not None:
        try:
            columns["etcd"] = run_daemon("--storage", etcd[1])
            columns["raw etcd (anchor)"] = asyncio.run(raw_etcd(etcd[1]))
        finally:
            stop_etcd(etcd)
    print("| figure | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for what in ("creates", "gets"):
        print(f"| https {what} | " + " | ".join(c[what] for c in columns.values()) + " |")


if __name__ == "__main__":
    main()
