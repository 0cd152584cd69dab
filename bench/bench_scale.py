"""Scale: what the cluster costs as it grows (issue 9's table), side by side per size.

For each size (default 1,000, 10,000 and 50,000 ConfigMaps of ~1 KiB over 10 namespaces) a
fresh daemon over HTTPS, and in this order:

- 50 watchers from ``resourceVersion=0`` (10 at 50,000): seconds until every one has the
  whole initial state, and the daemon's peak RSS while they are open;
- a full LIST (seconds, response MB, peak RSS above the idle daemon) and the paged LIST
  (``limit=500``, all pages);
- a 1% label-selector LIST in one namespace (median of 20);
- ``--rounds`` update rounds over every object (fewer where rounds x size would pass
  ``--max-updates``), then compaction (``--history 10000``,
  compaction every 2 s): DB and WAL size;
- ``down`` (SIGTERM to exit) and restart to ready; idle RSS after the restart.

Then 5,000 Pods of ~3 KiB with 50 rv=0 watchers, and growth exponents between sizes
(figure ~ size^k). With ``--etcd`` the same fill, 50 whole-prefix reads (what an rv=0 watch
costs etcd: a range, then a watch) and the paged range run against Debian's etcd on this
machine (``apt-get install etcd-server``) through its JSON gateway, printed as ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, rss_mb, start_daemon, start_etcd, stop_etcd

NAMESPACES = 10
CONCURRENCY = 64
CONTINUE = re.compile(rb'"continue":"([^"]*)"')
PAYLOAD = "x" * 900  # with metadata, ~1 KiB stored


class Sampler:
    """Peak RSS of a pid, sampled every 10 ms while running."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mb(self.pid))
            await asyncio.sleep(0.01)

    def __enter__(self) -> Sampler:
        self.peak = rss_mb(self.pid)
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        self.peak = max(self.peak, rss_mb(self.pid))


async def bounded(n: int, work: Callable[[int], Awaitable[None]]) -> None:
    next_i = 0

    async def worker() -> None:
        nonlocal next_i
        while next_i < n:
            i = next_i
            next_i += 1
            await work(i)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


def configmap(i: int) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": f"cm-{i:06d}", "labels": {"bucket": str(i // NAMESPACES % 100),
                                                            "app": f"app-{i % 10}"}},
            "data": {"payload": PAYLOAD, "round": "0"}}


def pod(i: int) -> dict[str, Any]:
    env = [{"name": f"VAR_{k}", "value": "v" * 40} for k in range(30)]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"pod-{i:05d}", "labels": {"app": f"app-{i % 10}"}},
            "spec": {"containers": [{"name": "app", "image": "minikube-py/busybox:local",
                                     "command": ["sleep", "3600"], "env": env,
                                     "resources": {"requests": {"cpu": "10m"}}}]}}


class Cluster:
    """One daemon and an HTTPS session to it."""

    def __init__(self, data: Path, proc: subprocess.Popen[bytes], port: int) -> None:
        self.data, self.proc, self.port = data, proc, port
        token = (data / "token").read_text().strip()
        self.base = f"https://127.0.0.1:{port}"
        self.ssl = ssl.create_default_context(cafile=str(data / "ca.crt"))
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.session = aiohttp.ClientSession(
            headers=self.headers, connector=aiohttp.TCPConnector(ssl=self.ssl, limit=200),
            timeout=aiohttp.ClientTimeout(total=None, sock_read=600))

    async def call(self, method: str, path: str, body: Any = None,
                   ctype: str = "application/json") -> bytes:
        data = json.dumps(body).encode() if body is not None else None
        async with self.session.request(method, self.base + path, data=data,
                                        headers={"Content-Type": ctype}) as resp:
            raw = await resp.read()
            if resp.status >= 300:
                raise RuntimeError(f"{method} {path}: {resp.status} {raw[:200]!r}")
            return raw

    async def metrics(self) -> dict[str, float]:
        text = (await self.call("GET", "/metrics")).decode()
        out = {}
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 2 and not line.startswith("#"):
                out[parts[0]] = float(parts[1])
        return out

    async def close(self) -> None:
        await self.session.close()


async def fill(c: Cluster, n: int, kind: str = "configmaps") -> None:
    for ns in range(NAMESPACES):
        try:
            await c.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                        "metadata": {"name": f"ns-{ns}"}})
        except RuntimeError as exc:
            if "409" not in str(exc):
                raise
    make = configmap if kind == "configmaps" else pod

    async def create(i: int) -> None:
        await c.call("POST", f"/api/v1/namespaces/ns-{i % NAMESPACES}/{kind}", make(i))

    await bounded(n, create)


async def watch_from_zero(c: Cluster, watchers: int, kind: str, expect: int) -> tuple[float, float]:
    """Seconds until every watcher has ``expect`` initial events; peak RSS meanwhile."""
    url = f"{c.base}/api/v1/{kind}?watch=true&resourceVersion=0&timeoutSeconds=600"

    async def one() -> float:
        seen = 0
        async with c.session.get(url) as resp:
            buf = b""
            async for chunk in resp.content.iter_any():
                buf += chunk
                lines = buf.split(b"\n")
                buf = lines.pop()
                seen += len(lines)
                if seen >= expect:
                    return time.perf_counter()
        raise RuntimeError(f"watch ended after {seen} of {expect} events")

    with Sampler(c.proc.pid) as rss:
        started = time.perf_counter()
        ends = await asyncio.gather(*(one() for _ in range(watchers)))
        elapsed = max(ends) - started
    return elapsed, rss.peak


async def lists(c: Cluster, expect: int) -> dict[str, float]:
    idle = rss_mb(c.proc.pid)
    with Sampler(c.proc.pid) as rss:
        t0 = time.perf_counter()
        body = await c.call("GET", "/api/v1/configmaps")
        full = time.perf_counter() - t0
    items = len(json.loads(body)["items"])
    assert items >= expect, (items, expect)
    t0 = time.perf_counter()
    token, pages = "", 0
    while True:  # the token from the list's metadata (first in the answer), not a decode:
        page = await c.call(  # the figure is the server's, as for the full LIST
            "GET", f"/api/v1/configmaps?limit=500&continue={token}")
        pages += 1
        found = CONTINUE.search(page, 0, 4096)
        token = found.group(1).decode() if found else ""
        if not token:
            break
    paged = time.perf_counter() - t0
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        selected = json.loads(await c.call(
            "GET", "/api/v1/namespaces/ns-3/configmaps?labelSelector=bucket%3D7"))
        times.append(time.perf_counter() - t0)
    times.sort()
    return {"full_s": full, "response_mb": len(body) / 1e6, "list_peak_over_idle_mb":
            rss.peak - idle, "paged_s": paged, "pages": pages,
            "selector_ms": times[len(times) // 2] * 1000,
            "selector_items": len(selected["items"])}


async def churn(c: Cluster, n: int, rounds: int) -> dict[str, float]:
    for r in range(1, rounds + 1):
        async def update(i: int, r: int = r) -> None:
            await c.call("PATCH", f"/api/v1/namespaces/ns-{i % NAMESPACES}/configmaps/"
                         f"cm-{i:06d}", {"data": {"round": str(r)}},
                         "application/merge-patch+json")
        await bounded(n, update)
    m = await c.metrics()
    target = m["etcd_current_revision"] - 10_000
    deadline = time.monotonic() + 120
    while m["etcd_compact_revision"] < target and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        m = await c.metrics()
    await asyncio.sleep(5)  # a compaction or two more: pages given back, WAL truncated
    m = await c.metrics()
    return {"db_mb": m["apiserver_storage_size_bytes"] / 1e6,
            "wal_mb": m["store_wal_size_bytes"] / 1e6, "revision": m["etcd_current_revision"]}


def stop(proc: subprocess.Popen[bytes]) -> float:
    t0 = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    return time.perf_counter() - t0


# The apiserver and store alone: no component writes while the figures are taken.
UP = ("--history", "10000", "--compaction-interval", "2", "--without", "controller-manager",
      "--without", "scheduler", "--without", "nodes", "--without", "proxy")


async def run_size(n: int, rounds: int, max_updates: int) -> dict[str, float]:
    watchers = 50 if n <= 10_000 else 10
    proc, data, port, _ = start_daemon(None, *UP)
    c = Cluster(data, proc, port)
    out: dict[str, float] = {"watchers": watchers}
    try:
        t0 = time.perf_counter()
        await fill(c, n)
        out["fill_per_s"] = n / (time.perf_counter() - t0)
        expect = json.loads(await c.call("GET", "/api/v1/configmaps?limit=1"))
        total = int(expect["metadata"].get("remainingItemCount", 0)) + 1
        out["watch0_s"], out["watch0_rss_mb"] = await watch_from_zero(c, watchers, "configmaps",
                                                                     total)
        out.update(await lists(c, n))
        out["rounds"] = max(1, min(rounds, max_updates // n))
        out.update(await churn(c, n, int(out["rounds"])))
    finally:
        await c.close()
    out["down_s"] = stop(proc)
    proc, data, port, ready = start_daemon(data, *UP)
    out["restart_s"] = ready
    await asyncio.sleep(2)
    out["idle_rss_mb"] = rss_mb(proc.pid)
    stop(proc)
    shutil.rmtree(data, ignore_errors=True)
    return out


async def run_pods(n: int) -> dict[str, float]:
    proc, data, port, _ = start_daemon(None, *UP)
    c = Cluster(data, proc, port)
    try:
        await fill(c, n, "pods")
        out = {"pods": n}
        out["watch0_s"], out["watch0_rss_mb"] = await watch_from_zero(c, 50, "pods", n)
    finally:
        await c.close()
        stop(proc)
        shutil.rmtree(data, ignore_errors=True)
    return out


# -- etcd, the anchor ------------------------------------------------------------------------

async def run_etcd(n: int, watchers: int) -> dict[str, float] | None:
    etcd = start_etcd()  # on free loopback ports, in a temp dir (common.py)
    if etcd is None:
        return None
    proc, address, _ = etcd
    url = "http://" + address.split("://", 1)[1]
    b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
    value = json.dumps(configmap(0))
    async with aiohttp.ClientSession() as s:
        for _ in range(200):
            try:
                async with s.post(url + "/v3/kv/range", json={"key": b64("x")}) as r:
                    if r.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)

        async def put(i: int) -> None:
            key = f"/registry/configmaps/ns-{i % NAMESPACES}/cm-{i:06d}"
            async with s.post(url + "/v3/kv/put", json={"key": b64(key), "value": b64(value)}):
                pass

        await bounded(n, put)
        prefix, end = b64("/registry/configmaps/"), b64("/registry/configmaps0")
        peak = 0.0

        async def whole() -> None:
            nonlocal peak
            async with s.post(url + "/v3/kv/range", json={"key": prefix, "range_end": end}) as r:
                got = await r.json()
                assert int(got["count"]) == n
            peak = max(peak, rss_mb(proc.pid))

        t0 = time.perf_counter()
        await asyncio.gather(*(whole() for _ in range(watchers)))
        reads = time.perf_counter() - t0
        t0 = time.perf_counter()
        key = prefix
        while True:
            async with s.post(url + "/v3/kv/range", json={"key": key, "range_end": end,
                                                          "limit": 500}) as r:
                got = await r.json()
            kvs = got.get("kvs", [])
            if not got.get("more"):
                break
            key = b64(base64.b64decode(kvs[-1]["key"]).decode() + "\0")
        paged = time.perf_counter() - t0
    stop_etcd(etcd)
    return {"watch0_s": reads, "watch0_rss_mb": peak, "paged_s": paged}


ROWS = [
    ("rv=0 watchers (count)", "watchers", "{:.0f}"),
    ("rv=0 watchers: all have the initial state (s)", "watch0_s", "{:.2f}"),
    ("daemon peak RSS meanwhile (MB)", "watch0_rss_mb", "{:.0f}"),
    ("full LIST (s)", "full_s", "{:.3f}"),
    ("full LIST response (MB)", "response_mb", "{:.1f}"),
    ("full LIST peak RSS above idle (MB)", "list_peak_over_idle_mb", "{:.0f}"),
    ("paged LIST limit=500, all pages (s)", "paged_s", "{:.3f}"),
    ("1% selector LIST in one namespace (ms)", "selector_ms", "{:.2f}"),
    ("update rounds (every object once a round)", "rounds", "{:.0f}"),
    ("DB after rounds + compaction (MB)", "db_mb", "{:.1f}"),
    ("WAL after rounds + compaction (MB)", "wal_mb", "{:.1f}"),
    ("down (s)", "down_s", "{:.2f}"),
    ("restart to ready (s)", "restart_s", "{:.2f}"),
    ("idle RSS after restart (MB)", "idle_rss_mb", "{:.0f}"),
    ("creates/s while filling", "fill_per_s", "{:.0f}"),
]


def table(sizes: list[int], results: dict[int, dict[str, float]]) -> None:
    head = "| figure | " + " | ".join(f"{n:,}" for n in sizes)
    if len(sizes) > 1:
        head += f" | k ({sizes[-2]:,}→{sizes[-1]:,})"
    print(head + " |")
    print("|---" * (len(sizes) + 1 + (len(sizes) > 1)) + "|")
    for label, key, fmt in ROWS:
        cells = [fmt.format(results[n][key]) if key in results[n] else "—" for n in sizes]
        row = f"| {label} | " + " | ".join(cells)
        if len(sizes) > 1:
            a, b = results[sizes[-2]].get(key), results[sizes[-1]].get(key)
            k = (math.log(b / a) / math.log(sizes[-1] / sizes[-2])
                 if a and b and a > 0 and b > 0 else float("nan"))
            row += f" | {k:.2f}"
        print(row + " |")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--max-updates", type=int, default=100_000,
                        help="fewer rounds at sizes where rounds x size would pass this")
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--etcd", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"scale benchmark on {machine()}; {args.rounds} update rounds")
    results: dict[int, dict[str, float]] = {}
    for n in sizes:
        results[n] = await run_size(n, args.rounds, args.max_updates)
        print(f"{n:,} objects: " + ", ".join(f"{k}={v:.3g}" for k, v in results[n].items()),
              flush=True)
    table(sizes, results)
    if args.pods:
        p = await run_pods(args.pods)
        print(f"{args.pods:,} Pods (~3 KiB), 50 rv=0 watchers: all have the initial state in "
              f"{p['watch0_s']:.2f} s, daemon peak RSS {p['watch0_rss_mb']:.0f} MB")
    if args.etcd:
        for n in sizes:
            e = await run_etcd(n, int(results[n]["watchers"]))
            if e is None:
                break
            ours = results[n]
            print(f"etcd {n:,}: {int(ours['watchers'])} whole-prefix reads {e['watch0_s']:.2f} s "
                  f"(ours/etcd {ours['watch0_s'] / e['watch0_s']:.2f}), peak RSS "
                  f"{e['watch0_rss_mb']:.0f} MB; paged range {e['paged_s']:.3f} s (ours/etcd "
                  f"{ours['paged_s'] / e['paged_s']:.2f})")


if __name__ == "__main__":
    asyncio.run(main())
