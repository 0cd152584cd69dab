"""What the RBAC authorizer costs: HTTPS requests/s and daemon CPU per request with
``--authorization-mode RBAC`` against ``AlwaysAllow``, in the same run.

Two daemons are started (one per mode), each with the same static-token user ``bench``
(groups ``bench-team``, ``qa``) bound through a RoleBinding to a Role on ConfigMaps in
``default``, plus 300 RoleBindings and 100 ClusterRoleBindings for other users and groups
(so the index has something to skip). The admin's ``system:masters`` short-circuit is not
used: every request is the bench user's. Rounds alternate between the daemons so that both
see the same machine state; the figures are each mode's median round (the daemon's CPU per
request, read from /proc, is steadier than a rate on a shared machine). Last, the
authorizer's own cost per decision, in process (no HTTP).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_http import cpu_seconds
from common import machine, start_daemon

CONCURRENCY = 32
GETS = 4000
CREATES = 1000
ROUNDS = 6
TOKEN = "bench-user-token-0123456789"
RBAC = "/apis/rbac.authorization.k8s.io/v1"


async def seed(session: aiohttp.ClientSession, base: str) -> None:
    """The Role and RoleBinding of the bench user, other users' bindings, objects to get."""
    role = {"metadata": {"name": "cm-writer"}, "rules": [
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "create"]}]}
    bindings = [{"metadata": {"name": "bench"}, "roleRef": {"kind": "Role", "name": "cm-writer"},
                 "subjects": [{"kind": "User", "name": "bench"}]}]
    bindings += [{"metadata": {"name": f"other-{i}"},
                  "roleRef": {"kind": "Role", "name": "cm-writer"},
                  "subjects": [{"kind": "User", "name": f"user-{i}"},
                               {"kind": "Group", "name": f"group-{i}"}]} for i in range(300)]
    cluster = [{"metadata": {"name": f"view-{i}"},
                "roleRef": {"kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "Group", "name": f"viewers-{i}"}]} for i in range(100)]
    ns = f"{base}{RBAC}/namespaces/default"
    async with session.post(f"{ns}/roles", json=role) as resp:
        assert resp.status == 201, await resp.text()
    for body in bindings:
        async with session.post(f"{ns}/rolebindings", json=body) as resp:
            assert resp.status == 201, await resp.text()
    for body in cluster:
        async with session.post(f"{base}{RBAC}/clusterrolebindings", json=body) as resp:
            assert resp.status == 201, await resp.text()
    for i in range(100):
        async with session.post(f"{base}/api/v1/namespaces/default/configmaps",
                                json={"metadata": {"name": f"g{i}"}, "data": {"k": "v"}}) as r:
            assert r.status == 201, await r.text()


async def run(session: aiohttp.ClientSession, base: str, pid: int, what: str, n: int,
              offset: int) -> tuple[float, float]:
    """Requests/s and daemon CPU µs per request of ``n`` gets or creates."""
    queue = iter(range(n))
    url = f"{base}/api/v1/namespaces/default/configmaps"

    async def worker() -> None:
        for i in queue:
            if what == "gets":
                request = session.get(f"{url}/g{i % 100}")
            else:
                request = session.post(url, json={"metadata": {"name": f"c{offset + i}"},
                                                  "data": {"k": "v" * 100}})
            async with request as resp:
                await resp.read()
                assert resp.status < 300, (resp.status, await resp.text())

    start, cpu = time.perf_counter(), cpu_seconds(pid)
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return n / (time.perf_counter() - start), (cpu_seconds(pid) - cpu) / n * 1e6


async def drive(daemons: dict[str, tuple[int, Path, int]]) -> None:
    sessions: dict[str, aiohttp.ClientSession] = {}
    try:
        for mode, (port, data, _pid) in daemons.items():
            ctx = ssl.create_default_context(cafile=str(data / "ca.crt"))
            admin = (data / "token").read_text().strip()
            base = f"https://127.0.0.1:{port}"
            async with aiohttp.ClientSession(
                    headers={"Authorization": f"Bearer {admin}"},
                    connector=aiohttp.TCPConnector(ssl=ctx)) as session:
                await seed(session, base)
            sessions[mode] = aiohttp.ClientSession(
                headers={"Authorization": f"Bearer {TOKEN}"},
                connector=aiohttp.TCPConnector(ssl=ctx, limit=CONCURRENCY))
        results: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for round_ in range(ROUNDS):
            for what, n in (("gets", GETS), ("creates", CREATES)):
                # Alternate which mode goes first, so neither always runs on a warmer machine.
                order = list(daemons.items())[::1 if round_ % 2 == 0 else -1]
                for mode, (port, _data, pid) in order:
                    got = await run(sessions[mode], f"https://127.0.0.1:{port}", pid, what, n,
                                    round_ * n)
                    results.setdefault((what, mode), []).append(got)
        for what in ("gets", "creates"):
            line = []
            for mode in daemons:
                rates = [r for r, _ in results[(what, mode)]]
                cpus = [c for _, c in results[(what, mode)]]
                line.append(f"{mode} {statistics.median(rates):,.0f}/s "
                            f"({statistics.median(cpus):.0f} µs CPU)")
            on = statistics.median(r for r, _ in results[(what, "RBAC")])
            off = statistics.median(r for r, _ in results[(what, "AlwaysAllow")])
            cpu_on = statistics.median(c for _, c in results[(what, "RBAC")])
            cpu_off = statistics.median(c for _, c in results[(what, "AlwaysAllow")])
            print(f"https {what} as a RoleBinding user ({CONCURRENCY} clients): "
                  f"{' vs '.join(line)}; RBAC {100 * (off - on) / off:+.1f}% slower by rate, "
                  f"{100 * (cpu_on - cpu_off) / cpu_off:+.1f}% by CPU per request")
    finally:
        for session in sessions.values():
            await session.close()


def decision_cost() -> None:
    """The authorizer alone: µs per decision for the bench user, allowed and refused."""
    from minikube_py.api.access import Attributes
    from minikube_py.api.wire import UserInfo
    from minikube_py.apiserver.authorization.policy import PolicyIndex
    from minikube_py.apiserver.authorization.rbac import RBACAuthorizer
    from minikube_py.store.memory import MemoryStorage

    async def measure() -> None:
        store = await MemoryStorage.open()
        index = PolicyIndex(store)
        for i in range(400):
            index._apply(f"/registry/rolebindings/ns{i % 40}/b{i}", {
                "metadata": {"name": f"b{i}", "namespace": f"ns{i % 40}"},
                "roleRef": {"kind": "Role", "name": "r"},
                "subjects": [{"kind": "User", "name": f"u{i}"}]})
        index._apply("/registry/roles/default/r", {"rules": [
            {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]})
        index._apply("/registry/rolebindings/default/mine", {
            "metadata": {"name": "mine", "namespace": "default"},
            "roleRef": {"kind": "Role", "name": "r"},
            "subjects": [{"kind": "User", "name": "bench"}]})
        authz = RBACAuthorizer(index)
        user = UserInfo("bench", ("bench-team", "qa", "system:authenticated"))
        for verb, allowed in (("get", True), ("delete", False)):
            attrs = Attributes(user=user, verb=verb, resource_request=True,
                               namespace="default", resource="configmaps", name="x")
            assert authz.authorize(attrs).allowed is allowed
            n = 100_000
            start = time.perf_counter()
            for _ in range(n):
                authz.authorize(attrs)
            print(f"RBAC decision in process ({verb}, {'allowed' if allowed else 'refused'}): "
                  f"{(time.perf_counter() - start) / n * 1e6:.2f} µs")
        await store.close()

    asyncio.run(measure())


def pipeline_cost() -> None:
    """The whole request pipeline in process (no HTTP or TLS, so no client shares the CPU):
    CPU µs per get and per create as the bench user, RBAC against AlwaysAllow, interleaved."""
    from minikube_py.api.wire import ApiRequest, UserInfo
    from minikube_py.apiserver.server import ApiServer
    from minikube_py.client.base import Client
    from minikube_py.client.local import LocalTransport
    from minikube_py.daemon import bootstrap, bootstrap_policy
    from minikube_py.store.memory import MemoryStorage

    user = UserInfo("bench", ("bench-team", "qa", "system:authenticated"))
    path = "/api/v1/namespaces/default/configmaps"

    async def measure() -> None:
        servers = {}
        for mode in ("RBAC", "AlwaysAllow"):
            server = ApiServer(await MemoryStorage.open())
            server.enable_authorization(mode)
            await server.start()
            admin = Client(LocalTransport(server.handle))
            await bootstrap(admin)
            await bootstrap_policy(admin)
            for body in ({"metadata": {"name": "cm-writer"}, "rules": [
                    {"apiGroups": [""], "resources": ["configmaps"],
                     "verbs": ["get", "list", "create"]}]},):
                await admin.request("POST", f"{RBAC}/namespaces/default/roles", body=body)
            for i in range(300):
                await admin.request("POST", f"{RBAC}/namespaces/default/rolebindings", body={
                    "metadata": {"name": f"other-{i}"},
                    "roleRef": {"kind": "Role", "name": "cm-writer"},
                    "subjects": [{"kind": "Group", "name": f"group-{i}"}]})
            await admin.request("POST", f"{RBAC}/namespaces/default/rolebindings", body={
                "metadata": {"name": "bench"}, "roleRef": {"kind": "Role", "name": "cm-writer"},
                "subjects": [{"kind": "User", "name": "bench"}]})
            await admin.request("POST", path, body={"metadata": {"name": "g"}, "data": {}})
            servers[mode] = server
        costs: dict[tuple[str, str], list[float]] = {}
        for round_ in range(5):
            for mode, server in servers.items():
                for what in ("gets", "creates"):
                    n = 2000 if what == "gets" else 500
                    start = time.process_time()
                    for i in range(n):
                        if what == "gets":
                            req = ApiRequest("GET", f"{path}/g", user=user)
                        else:
                            req = ApiRequest("POST", path, user=user,
                                             content_type="application/json",
                                             body=json.dumps({"metadata": {
                                                 "name": f"{mode.lower()}-{round_}-{i}"}}).encode())
                        answer = await server.handle(req)
                        assert answer.status < 300, answer.body
                    costs.setdefault((what, mode), []).append(
                        (time.process_time() - start) / n * 1e6)
        for what in ("gets", "creates"):
            on = statistics.median(costs[(what, "RBAC")])
            off = statistics.median(costs[(what, "AlwaysAllow")])
            print(f"in-process {what} as a RoleBinding user: RBAC {on:.0f} µs vs AlwaysAllow "
                  f"{off:.0f} µs CPU per request ({100 * (on - off) / off:+.1f}%)")
        for server in servers.values():
            await server.stop()
            await server.store.close()

    asyncio.run(measure())


def main() -> None:
    print(f"# authorization benchmark on {machine()}")
    procs = []
    daemons: dict[str, tuple[int, Path, int]] = {}
    try:
        for mode in ("RBAC", "AlwaysAllow"):
            data = Path(tempfile.mkdtemp(prefix=f"minikube-py-bench-{mode.lower()}-"))
            (data / "tokens.csv").write_text(f'{TOKEN},bench,,"bench-team,qa"\n')
            proc, data, port, _ = start_daemon(data, "--authorization-mode", mode,
                                               "--without", "controller-manager")
            procs.append((proc, data))
            daemons[mode] = (port, data, proc.pid)
        asyncio.run(drive(daemons))
    finally:
        for proc, data in procs:
            proc.terminate()
            proc.wait(timeout=15)
            shutil.rmtree(data, ignore_errors=True)
    pipeline_cost()
    decision_cost()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
