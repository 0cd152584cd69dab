"""What service account tokens cost: signing and checking one token in process, and HTTPS
GETs/s with a TokenRequest token against the same with the static admin token, same daemon.

The in-process figures are the JWT work alone (ES256 with PyJWT over ``cryptography``); the
HTTPS figures include the authenticator's look-ups of the account (and the daemon CPU per
request, read from /proc, the steadier figure on a shared machine)."""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import sys
import time
from pathlib import Path

import aiohttp
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_http import cpu_seconds
from common import machine, percentile, start_daemon

from minikube_py.apiserver.serviceaccount.authenticator import ServiceAccountTokenAuthenticator
from minikube_py.apiserver.serviceaccount.tokens import ISSUER, TokenIssuer

CONCURRENCY = 32
GETS = 6000
ROUNDS = 3000


def in_process() -> None:
    issuer = TokenIssuer(ec.generate_private_key(ec.SECP256R1()))
    account = {"metadata": {"name": "robot", "uid": "u"}}
    auth = ServiceAccountTokenAuthenticator(issuer, lambda rt, ns, name: account)
    start = time.perf_counter()
    tokens = [issuer.issue(namespace="ns", name="robot", uid="u", audiences=[ISSUER],
                           expiration_seconds=3600) for _ in range(ROUNDS)]
    issue = (time.perf_counter() - start) / ROUNDS
    start = time.perf_counter()
    for token in tokens:
        assert auth.authenticate("Bearer " + token) is not None
    check = (time.perf_counter() - start) / ROUNDS
    start = time.perf_counter()
    for _ in range(ROUNDS):
        assert auth.authenticate("Bearer " + tokens[0]) is not None
    again = (time.perf_counter() - start) / ROUNDS
    print(f"in process: issue {issue * 1e6:.0f} us/token, authenticate a new token "
          f"{check * 1e6:.0f} us, a token seen before {again * 1e6:.0f} us "
          f"({ROUNDS} tokens)")


async def gets(port: int, ctx: ssl.SSLContext, token: str, pid: int) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    url = f"https://127.0.0.1:{port}/api/v1/namespaces/default/serviceaccounts/default"
    connector = aiohttp.TCPConnector(ssl=ctx, limit=CONCURRENCY)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        queue = iter(range(GETS))
        lat: list[float] = []

        async def worker() -> None:
            for _ in queue:
                t = time.perf_counter()
                async with session.get(url) as resp:
                    await resp.read()
                    assert resp.status == 200, resp.status
                lat.append(time.perf_counter() - t)

        start, cpu = time.perf_counter(), cpu_seconds(pid)
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        rate = GETS / (time.perf_counter() - start)
        per = (cpu_seconds(pid) - cpu) / GETS
    return (f"{rate:,.0f}/s (p50 {percentile(lat, 50) * 1000:.1f} ms, p99 "
            f"{percentile(lat, 99) * 1000:.1f} ms); daemon CPU {per * 1e6:.0f} us per request")


async def over_https(port: int, data: Path, pid: int) -> None:
    admin = (data / "token").read_text().strip()
    ctx = ssl.create_default_context(cafile=str(data / "ca.crt"))
    url = f"https://127.0.0.1:{port}/api/v1/namespaces/default/serviceaccounts/default/token"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {admin}"},
                                     connector=aiohttp.TCPConnector(ssl=ctx)) as session:
        async with session.post(url, data=json.dumps({"spec": {}}),
                                headers={"Content-Type": "application/json"}) as resp:
            sa_token = (await resp.json())["status"]["token"]
    for label, token in (("admin token", admin), ("service account token", sa_token),
                         ("admin token again", admin)):
        print(f"https gets ({CONCURRENCY} clients), {label}: "
              f"{await gets(port, ctx, token, pid)}")


def main() -> None:
    print(f"# service account token benchmark on {machine()}")
    in_process()
    proc, data, port, _ = start_daemon()
    try:
        asyncio.run(over_https(port, data, proc.pid))
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
