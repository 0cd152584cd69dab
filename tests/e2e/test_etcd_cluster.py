"""Two daemons on one real etcd (``up --storage etcd://``): the API through either, watches
that see the other's writes in order, Service allocations that never collide, a watch
resumed after 410, the real kubectl's apply and rollout, and leader election moving the
controllers when the leader dies.

Daemon A runs everything (sim runtime kubelet); daemon B runs the controllers and scheduler
under leader election but no node. Both compact the etcd history to 200 revisions each second,
so an old resourceVersion soon is 410.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import signal
import ssl
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import RunningDaemon, start_daemon
from tests.e2e.test_kubectl import kubectl
from tests.helpers.etcd import EtcdProcess, start_etcd

pytestmark = [pytest.mark.e2e]

LEASE = 4.0
COMMON = ("--without", "proxy", "--history", "200", "--compaction-interval", "1",
          "--leader-elect-lease-duration", str(LEASE))


@pytest.fixture(scope="module")
def etcd() -> Iterator[EtcdProcess]:
    running = start_etcd()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def pair(etcd: EtcdProcess, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[RunningDaemon, RunningDaemon]]:
    a = start_daemon(tmp_path_factory.mktemp("a"), kubelet=True,
                     extra=("--storage", etcd.url, "--runtime", "sim", *COMMON))
    b_dir = tmp_path_factory.mktemp("b")
    for name in ("ca.crt", "ca.key", "token"):  # one cluster identity: A's CA and token
        shutil.copy2(a.data_dir / name, b_dir / name)
    try:
        b = start_daemon(b_dir, extra=("--storage", etcd.url, "--without", "nodes", *COMMON))
    except BaseException:
        a.stop()
        raise
    yield a, b
    b.stop()
    a.stop()


class Api:
    """Raw HTTPS to one daemon with its token, trusting A's CA (both daemons share it)."""

    def __init__(self, daemon: RunningDaemon, session: aiohttp.ClientSession,
                 ca: Path) -> None:
        self.daemon = daemon
        self.session = session
        self.ssl = ssl.create_default_context(cafile=str(ca))
        self.headers = {"Authorization": f"Bearer {daemon.token}"}

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.session.request(method, self.daemon.url + path, json=body,
                                        ssl=self.ssl, headers=self.headers) as resp:
            return resp.status, await resp.json()

    @contextlib.asynccontextmanager
    async def watch(self, path: str, rv: str
                    ) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """A watch's events. Leaving the block closes its connection and waits for the TLS
        shutdown to finish: an unfinished watch is dropped from aiohttp's pool, so nothing
        else would wait for it, and a test's loop may close first (an unclosed socket)."""
        async with self.session.get(f"{self.daemon.url}{path}?watch=1&resourceVersion={rv}",
                                    ssl=self.ssl, headers=self.headers) as resp:
            # None when the whole (short) answer has been read: back in the pool already.
            protocol = resp.connection.protocol if resp.connection else None
            closed = protocol.closed if protocol else None

            async def events() -> AsyncGenerator[dict[str, Any], None]:
                async for line in resp.content:
                    if line.strip():
                        yield json.loads(line)
            async with contextlib.aclosing(events()) as stream:
                yield stream
        if closed is not None:
            await asyncio.wait_for(asyncio.shield(closed), 10)


@pytest.fixture
async def apis(pair: tuple[RunningDaemon, RunningDaemon]) -> AsyncIterator[tuple[Api, Api]]:
    async with aiohttp.ClientSession() as session:
        ca = pair[0].data_dir / "ca.crt"
        yield Api(pair[0], session, ca), Api(pair[1], session, ca)


async def namespace(api: Api) -> str:
    name = f"e-{uuid.uuid4().hex[:6]}"
    code, _ = await api.call("POST", "/api/v1/namespaces",
                             {"metadata": {"name": name}})
    assert code == 201
    return name


def cm(name: str, value: str = "v") -> dict[str, Any]:
    return {"metadata": {"name": name}, "data": {"k": value}}


# Every namespace gets this ConfigMap from the root-CA publisher; the tests count their own.
ROOT_CA = "kube-root-ca.crt"


def ours(listed: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in listed["items"] if o["metadata"]["name"] != ROOT_CA]


async def test_watch_on_one_sees_writes_through_the_other_in_order(apis: tuple[Api, Api]
                                                                  ) -> None:
    """A watch on B gets every write made through A, in A's order, with A's
    resourceVersions (increasing)."""
    a, b = apis
    assert b.daemon.token == a.daemon.token  # A's kubeconfig serves for B too
    ns = await namespace(a)
    path = f"/api/v1/namespaces/{ns}/configmaps"
    _, listed = await b.call("GET", path)
    got: list[tuple[str, str, str]] = []

    async def consume() -> None:
        async with b.watch(path, listed["metadata"]["resourceVersion"]) as events:
            async for event in events:
                obj = event["object"]
                if obj["metadata"]["name"] == ROOT_CA:  # the namespace's own, not ours
                    continue
                got.append((event["type"], obj["metadata"]["name"],
                            obj["metadata"]["resourceVersion"]))
                if len(got) == 30:
                    return

    task = asyncio.create_task(consume())
    wrote: list[tuple[str, str, str]] = []
    for i in range(10):
        code, obj = await a.call("POST", path, cm(f"c{i}"))
        assert code == 201
        wrote.append(("ADDED", f"c{i}", obj["metadata"]["resourceVersion"]))
        code, obj = await a.call("PUT", f"{path}/c{i}", {**obj, "data": {"k": "2"}})
        assert code == 200
        wrote.append(("MODIFIED", f"c{i}", obj["metadata"]["resourceVersion"]))
        code, _ = await a.call("DELETE", f"{path}/c{i}")
        assert code == 200
        wrote.append(("DELETED", f"c{i}", ""))  # (a delete answers with a Status)
    await asyncio.wait_for(task, 20)
    assert [(t, n) for t, n, _ in got] == [(t, n) for t, n, _ in wrote]
    assert [rv for _, _, rv in got if rv] == sorted((rv for _, _, rv in got), key=int)
    assert all(g[2] == w[2] for g, w in zip(got, wrote, strict=True) if w[2])
    code, through_b = await b.call("GET", f"{path}")
    assert code == 200 and ours(through_b) == []


async def test_parallel_services_across_both_never_share_an_allocation(
        apis: tuple[Api, Api]) -> None:
    """200 NodePort Services created at once, half through each apiserver, get 200 cluster
    IPs and 200 node ports, none twice."""
    a, b = apis
    ns = await namespace(a)
    path = f"/api/v1/namespaces/{ns}/services"

    async def make(i: int) -> dict[str, Any]:
        code, obj = await (a if i % 2 else b).call("POST", path, {
            "metadata": {"name": f"s{i}"},
            "spec": {"type": "NodePort", "selector": {"app": "x"}, "ports": [{"port": 80}]}})
        assert code == 201, obj
        return obj

    made = await asyncio.gather(*(make(i) for i in range(200)))
    ips = [s["spec"]["clusterIP"] for s in made]
    ports = [s["spec"]["ports"][0]["nodePort"] for s in made]
    assert len(set(ips)) == 200 and len(set(ports)) == 200
    _, listed = await a.call("GET", path)
    assert sorted(s["spec"]["clusterIP"] for s in listed["items"]) == sorted(ips)


async def test_watch_from_a_compacted_revision_is_410_then_resumes(apis: tuple[Api, Api]
                                                                   ) -> None:
    """Once compaction passes a resourceVersion a watch from it ends in a 410 Expired
    ERROR; a relist gives a revision to watch from that sees the next change."""
    a, b = apis
    ns = await namespace(a)
    path = f"/api/v1/namespaces/{ns}/configmaps"
    _, listed = await a.call("GET", path)
    old = listed["metadata"]["resourceVersion"]
    for i in range(250):
        await a.call("POST", path, cm(f"c{i}"))
    deadline = time.monotonic() + 15
    first: dict[str, Any] = {}
    while time.monotonic() < deadline:
        async with b.watch(path, old) as events:
            async for event in events:
                first = event
                break
        if first.get("type") == "ERROR":
            break
        await asyncio.sleep(0.5)
    assert first["type"] == "ERROR" and first["object"]["code"] == 410
    assert first["object"]["reason"] == "Expired"
    _, relisted = await b.call("GET", path)
    assert len(ours(relisted)) == 250

    async def next_event() -> dict[str, Any]:
        async with b.watch(path, relisted["metadata"]["resourceVersion"]) as events:
            async for event in events:
                return event
        raise AssertionError("watch ended")

    task = asyncio.create_task(next_event())
    await a.call("POST", path, cm("after"))
    event = await asyncio.wait_for(task, 10)
    assert event["type"] == "ADDED" and event["object"]["metadata"]["name"] == "after"


def endpoint_ports(api_daemon: RunningDaemon) -> set[int]:
    result = kubectl(api_daemon, "get", "endpoints", "kubernetes", "-o", "json")
    assert result.returncode == 0, result.stderr
    return {p["port"] for s in json.loads(result.stdout).get("subsets") or []
            for p in s["ports"]}


def test_the_kubernetes_endpoints_list_every_apiserver(
        pair: tuple[RunningDaemon, RunningDaemon]) -> None:
    """The ``kubernetes`` Service's Endpoints hold both apiservers (one subset per port),
    through either of them."""
    a, b = pair
    deadline = time.monotonic() + 15
    while endpoint_ports(a) != {a.port, b.port}:
        assert time.monotonic() < deadline, endpoint_ports(a)
        time.sleep(0.3)
    assert endpoint_ports(b) == {a.port, b.port}


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "minikube-py/web:1"}]
"""


def test_kubectl_apply_and_rollout_through_either_apiserver(
        pair: tuple[RunningDaemon, RunningDaemon]) -> None:
    """kubectl applies through B; the rollout (controllers on the leader, pods on A's sim
    kubelet) completes, and a new image rolls out too."""
    _, b = pair
    ns = f"k-{uuid.uuid4().hex[:6]}"
    for args in (("create", "namespace", ns), ("-n", ns, "apply", "-f", "-")):
        result = kubectl(b, *args, input=DEPLOYMENT)
        assert result.returncode == 0, result.stderr
    for image in ("", "minikube-py/web:2"):
        if image:
            result = kubectl(b, "-n", ns, "set", "image", "deploy/web", f"web={image}")
            assert result.returncode == 0, result.stderr
        result = kubectl(b, "-n", ns, "rollout", "status", "deploy/web", "--timeout=60s")
        assert result.returncode == 0 and "successfully rolled out" in result.stdout, \
            result.stderr


def holder(api_daemon: RunningDaemon) -> str:
    result = kubectl(api_daemon, "-n", "kube-system", "get", "lease",
                     "kube-controller-manager", "-o", "jsonpath={.spec.holderIdentity}")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_killing_the_leader_moves_the_controllers(
        pair: tuple[RunningDaemon, RunningDaemon]) -> None:
    """SIGKILL the daemon that holds the controller manager's Lease: the other takes it
    within the lease duration (plus a retry period) and its controllers act; the dead one
    leaves the ``kubernetes`` Endpoints when its apiserver Lease expires."""
    a, b = pair
    leader_id = holder(a)
    leader, survivor = (a, b) if f"_{a.proc.pid}_" in leader_id else (b, a)
    assert f"_{leader.proc.pid}_" in leader_id
    leader.stop(signal.SIGKILL)
    killed = time.monotonic()
    while holder(survivor) == leader_id:
        assert time.monotonic() - killed < LEASE * 2.5, "no new leader"
        time.sleep(0.2)
    assert f"_{survivor.proc.pid}_" in holder(survivor)
    ns = f"l-{uuid.uuid4().hex[:6]}"
    assert kubectl(survivor, "create", "namespace", ns).returncode == 0
    assert kubectl(survivor, "-n", ns, "apply", "-f", "-", input=DEPLOYMENT).returncode == 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        result = kubectl(survivor, "-n", ns, "get", "rs", "-o", "name")
        if result.stdout.strip():
            break
        time.sleep(0.3)
    else:
        raise AssertionError("the new leader's deployment controller made no ReplicaSet")
    # The dead apiserver leaves the kubernetes Endpoints once its Lease expires.
    deadline = time.monotonic() + LEASE * 3
    while endpoint_ports(survivor) != {survivor.port}:
        assert time.monotonic() < deadline, endpoint_ports(survivor)
        time.sleep(0.5)


CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{v: '1'}}\n"


def test_snapshot_moves_a_cluster_from_sqlite_to_etcd_and_back(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """``snapshot save`` on SQLite, ``snapshot restore --storage etcd://`` and ``up`` on etcd
    serve the same objects (a restore while an apiserver runs on that etcd is refused); a
    snapshot saved on etcd restores into SQLite."""
    etcd = start_etcd()
    try:
        data = tmp_path_factory.mktemp("sqlite")
        first = start_daemon(data, extra=("--without", "proxy"))
        try:
            first.cli("apply", "-f", "-", check=True, input=CONFIGMAP.format(name="keep"))
            snap = data / "snap.db"
            first.cli("snapshot", "save", str(snap), check=True)
        finally:
            first.stop()
        restored = first.cli("snapshot", "restore", str(snap), "--data-dir", str(data),
                             "--storage", etcd.url, check=True)
        assert etcd.url in restored.stdout
        on_etcd = start_daemon(data, extra=("--storage", etcd.url, "--without", "proxy"))
        try:
            got = json.loads(on_etcd.cli("get", "cm", "keep", "-o", "json", check=True).stdout)
            assert got["data"] == {"v": "1"}
            other = tmp_path_factory.mktemp("other")  # no daemon of its own, but etcd is used
            refused = on_etcd.cli("snapshot", "restore", str(snap), "--data-dir", str(other),
                                  "--storage", etcd.url)
            assert refused.returncode == 1 and "apiservers are running" in refused.stderr
            on_etcd.cli("apply", "-f", "-", check=True, input=CONFIGMAP.format(name="later"))
            back = data / "back.db"
            on_etcd.cli("snapshot", "save", str(back), check=True)
        finally:
            on_etcd.stop()
        again = tmp_path_factory.mktemp("sqlite-again")
        first.cli("snapshot", "restore", str(back), "--data-dir", str(again), check=True)
        on_sqlite = start_daemon(again, extra=("--without", "proxy"))
        try:
            names = on_sqlite.cli("get", "cm", "-o", "name", check=True).stdout.split()
            assert {"configmap/keep", "configmap/later"} <= set(names)
        finally:
            on_sqlite.stop()
    finally:
        etcd.stop()


def test_up_on_an_etcd_that_requires_client_certificates(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """``up --storage etcd://... --etcd-cafile/--etcd-certfile/--etcd-keyfile`` serves over
    an etcd that refuses clients without a certificate; ``--role apiserver`` runs no
    component (no controller manager or scheduler Lease, no node)."""
    etcd = start_etcd(tls=True)
    try:
        assert etcd.tls is not None
        tls = etcd.tls
        daemon = start_daemon(tmp_path_factory.mktemp("tls"), extra=(
            "--storage", etcd.url, "--etcd-cafile", str(tls.ca), "--etcd-certfile",
            str(tls.client_cert), "--etcd-keyfile", str(tls.client_key), "--role", "apiserver"))
        try:
            names = daemon.cli("get", "ns", "-o", "name", check=True).stdout.split()
            assert "namespace/kube-system" in names
            time.sleep(1)
            leases = daemon.cli("get", "leases", "-A", "-o", "name", check=True).stdout.split()
            assert len(leases) == 1 and leases[0].startswith("lease.coordination.k8s.io/"
                                                             "apiserver-"), leases  # its own
            nodes = daemon.cli("get", "nodes", "-o", "name", check=True)
            assert nodes.stdout.strip() == "", nodes.stdout
        finally:
            daemon.stop()
    finally:
        etcd.stop()
