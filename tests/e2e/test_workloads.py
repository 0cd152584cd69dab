"""The workload controllers in a started daemon, driven through its API over HTTPS: a
Deployment reaches its pods through one ReplicaSet, an image change rolls over within
maxSurge/maxUnavailable (checked on every pod watch event), a deleted pod is replaced, and
a Deployment scales to 0 and back. A fake kubelet (``tests/helpers/fake_kubelet.py``) makes
pods Running and Ready as they appear.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from minikube_py.api.registry import REGISTRY
from minikube_py.client import kubeconfig
from minikube_py.client.base import Client
from minikube_py.client.http import HttpTransport
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.controllers.controller_utils import controller_ref, is_pod_ready
from tests.conftest import RunningDaemon
from tests.helpers.fake_kubelet import FakeKubelet

pytestmark = [pytest.mark.e2e]

Object = dict[str, Any]
DEPLOYMENTS = REGISTRY.by_path("apps", "v1", "deployments")
REPLICA_SETS = REGISTRY.by_path("apps", "v1", "replicasets")
PODS = REGISTRY.by_path("", "v1", "pods")
NAMESPACES = REGISTRY.by_path("", "v1", "namespaces")
assert DEPLOYMENTS and REPLICA_SETS and PODS and NAMESPACES


@pytest.fixture
async def api(daemon: RunningDaemon) -> AsyncIterator[Client]:
    client = Client(HttpTransport(kubeconfig.load(daemon.kubeconfig)))
    yield client
    await client.close()
    await asyncio.sleep(0.25)  # aiohttp's graceful close: SSL transports end a moment later


@pytest.fixture
async def kubelet(api: Client) -> AsyncIterator[FakeKubelet]:
    fake = FakeKubelet(api)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def ns(api: Client) -> AsyncIterator[str]:
    name = f"wl-{uuid.uuid4().hex[:8]}"
    await api.create(NAMESPACES, {"metadata": {"name": name}})
    yield name
    await api.delete(NAMESPACES, name)


def web(ns: str, *, replicas: int = 5, image: str = "nginx:1", surge: Any = 1,
        unavailable: Any = 1) -> Object:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "strategy": {"type": "RollingUpdate", "rollingUpdate": {
                         "maxSurge": surge, "maxUnavailable": unavailable}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                         "containers": [{"name": "web", "image": image}]}}}}


async def until(check: Callable[[], Any], *, within: float = 30.0, what: str = "") -> None:
    """Poll an async or plain predicate until true (a bound on waiting, not a timing)."""
    async def poll() -> None:
        while True:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            await asyncio.sleep(0.05)

    try:
        await asyncio.wait_for(poll(), within)
    except TimeoutError:
        raise AssertionError(f"not reached within {within} s: {what}") from None


async def rolled_out(api: Client, ns: str, replicas: int) -> bool:
    """What ``kubectl rollout status`` waits for."""
    d = await api.get(DEPLOYMENTS, "web", ns)
    st = d.get("status") or {}
    return bool(st.get("observedGeneration", 0) >= d["metadata"]["generation"]
                and st.get("updatedReplicas", 0) == replicas
                and st.get("replicas", 0) == replicas
                and st.get("availableReplicas", 0) == replicas)


async def live_pods(api: Client, ns: str) -> list[Object]:
    items = (await api.list(PODS, ns))["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


async def test_a_deployment_of_5_gets_5_pods_of_one_replica_set(
        api: Client, kubelet: FakeKubelet, ns: str) -> None:
    """5 replicas: 5 pods, all controlled by one ReplicaSet that the Deployment controls."""
    await api.create(DEPLOYMENTS, web(ns))
    await until(lambda: rolled_out(api, ns, 5), what="5 available replicas")
    [rs] = (await api.list(REPLICA_SETS, ns))["items"]
    assert controller_ref(rs)["name"] == "web"  # type: ignore[index]
    pods = await live_pods(api, ns)
    assert len(pods) == 5
    assert {controller_ref(p)["uid"] for p in pods} == {rs["metadata"]["uid"]}  # type: ignore[index]
    assert all(p["metadata"]["name"].startswith(rs["metadata"]["name"] + "-") for p in pods)


@pytest.mark.parametrize("surge, unavailable, bounds", [
    pytest.param(1, 1, (1, 1), id="surge-1-unavailable-1"),
    pytest.param("40%", 0, (2, 0), id="surge-40%-unavailable-0"),
])
async def test_an_image_change_rolls_over_within_the_bounds(
        api: Client, kubelet: FakeKubelet, ns: str, surge: Any, unavailable: Any,
        bounds: tuple[int, int]) -> None:
    """On every pod watch event during the rollout: at most replicas+maxSurge pods and at
    least replicas-maxUnavailable available ones; in the end all 5 run the new image."""
    await api.create(DEPLOYMENTS, web(ns, surge=surge, unavailable=unavailable))
    await until(lambda: rolled_out(api, ns, 5), what="first rollout")
    max_pods, min_available = 5 + bounds[0], 5 - bounds[1]
    informers = SharedInformerFactory(api, name="watcher")
    informer = informers.informer_for(PODS, namespace=ns)
    seen: list[tuple[int, int]] = []
    violations: list[str] = []

    def check(*_args: Any) -> None:
        if not informer.has_synced:
            return  # the first list fills the cache one pod at a time
        pods = [p for p in informer.indexer.list() if not p["metadata"].get("deletionTimestamp")]
        total, ready = len(pods), sum(1 for p in pods if is_pod_ready(p))
        seen.append((total, ready))
        if total > max_pods or ready < min_available:
            violations.append(f"{total} pods, {ready} available")

    informer.add_event_handler(on_add=check, on_update=check, on_delete=check)
    informers.start()
    await informers.wait_for_cache_sync()
    assert len(informer.indexer.list()) == 5
    try:
        await api.patch(DEPLOYMENTS, "web", {"spec": {"template": {"spec": {"containers": [
            {"name": "web", "image": "nginx:2"}]}}}}, ns)
        await until(lambda: rolled_out(api, ns, 5), what="second rollout")
        await until(lambda: len(informer.indexer.list()) == 5, what="old pods gone")
    finally:
        await informers.shutdown()
    assert violations == []
    assert len(seen) > 10  # the check ran on the rollout's events
    images = {p["spec"]["containers"][0]["image"] for p in await live_pods(api, ns)}
    assert images == {"nginx:2"}
    assert len((await api.list(REPLICA_SETS, ns))["items"]) == 2


async def test_a_deleted_pod_is_replaced(api: Client, kubelet: FakeKubelet, ns: str) -> None:
    """Deleting one of the pods makes the ReplicaSet create another."""
    await api.create(DEPLOYMENTS, web(ns, replicas=3))
    await until(lambda: rolled_out(api, ns, 3), what="rollout")
    victim = (await live_pods(api, ns))[0]["metadata"]["name"]
    await api.delete(PODS, victim, ns)

    async def replaced() -> bool:
        names = {p["metadata"]["name"] for p in await live_pods(api, ns)}
        return len(names) == 3 and victim not in names

    await until(replaced, what="a replacement pod")


async def test_scale_to_zero_and_back(api: Client, kubelet: FakeKubelet, ns: str) -> None:
    """Scaling to 0 removes every pod (the ReplicaSet stays); scaling back to 4 makes 4."""
    await api.create(DEPLOYMENTS, web(ns, replicas=2))
    await until(lambda: rolled_out(api, ns, 2), what="rollout")
    await api.patch(DEPLOYMENTS, "web", {"spec": {"replicas": 0}}, ns, subresource="scale")

    async def pods_are(n: int) -> bool:
        return len(await live_pods(api, ns)) == n

    await until(lambda: pods_are(0), what="no pods")
    await until(lambda: rolled_out(api, ns, 0), what="status at 0")
    assert len((await api.list(REPLICA_SETS, ns))["items"]) == 1
    await api.patch(DEPLOYMENTS, "web", {"spec": {"replicas": 4}}, ns, subresource="scale")
    await until(lambda: rolled_out(api, ns, 4), what="back at 4")
    assert await pods_are(4)


async def test_a_replication_controller_adopts_an_orphan_and_fills_up(
        api: Client, kubelet: FakeKubelet, ns: str) -> None:
    """A v1 ReplicationController of 3 adopts the matching orphan pod that was there first
    and creates the 2 others; all 3 are controlled by it; readyReplicas reaches 3."""
    rcs = REGISTRY.by_path("", "v1", "replicationcontrollers")
    assert rcs is not None
    await api.create(PODS, {"metadata": {"name": "orphan", "namespace": ns,
                                         "labels": {"app": "legacy"}},
                            "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}})
    await api.create(rcs, {"metadata": {"name": "legacy", "namespace": ns}, "spec": {
        "replicas": 3, "selector": {"app": "legacy"},
        "template": {"metadata": {"labels": {"app": "legacy"}},
                     "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}}})

    async def ready() -> bool:
        rc = await api.get(rcs, "legacy", ns)
        return bool((rc.get("status") or {}).get("readyReplicas") == 3)

    await until(ready, what="3 ready replicas")
    pods = await live_pods(api, ns)
    assert len(pods) == 3 and "orphan" in {p["metadata"]["name"] for p in pods}
    refs = [controller_ref(p) for p in pods]
    assert {(r["kind"], r["name"]) for r in refs if r} == {("ReplicationController", "legacy")}
    assert all(refs)


async def test_recreate_never_runs_old_and_new_pods_together(
        api: Client, kubelet: FakeKubelet, ns: str) -> None:
    """Recreate: on every pod watch event, the pods present are all of one template; the
    rollout ends with 3 new pods."""
    d = web(ns, replicas=3)
    d["spec"]["strategy"] = {"type": "Recreate"}
    await api.create(DEPLOYMENTS, d)
    await until(lambda: rolled_out(api, ns, 3), what="first rollout")
    informers = SharedInformerFactory(api, name="watcher")
    informer = informers.informer_for(PODS, namespace=ns)
    mixed: list[set[str]] = []
    seen = 0

    def check(*_args: Any) -> None:
        nonlocal seen
        if not informer.has_synced:
            return
        seen += 1
        images = {p["spec"]["containers"][0]["image"] for p in informer.indexer.list()
                  if not p["metadata"].get("deletionTimestamp")}
        if len(images) > 1:
            mixed.append(images)

    informer.add_event_handler(on_add=check, on_update=check, on_delete=check)
    informers.start()
    await informers.wait_for_cache_sync()
    try:
        await api.patch(DEPLOYMENTS, "web", {"spec": {"template": {"spec": {"containers": [
            {"name": "web", "image": "nginx:2"}]}}}}, ns)
        await until(lambda: rolled_out(api, ns, 3), what="second rollout")
    finally:
        await informers.shutdown()
    assert mixed == []
    assert seen >= 6  # three deletes and three adds at least
    assert {p["spec"]["containers"][0]["image"] for p in await live_pods(api, ns)} == {
        "nginx:2"}


async def test_metrics_count_the_controllers_reconciles(
        api: Client, kubelet: FakeKubelet, ns: str) -> None:
    """/metrics reports reconciles per controller: a new Deployment raises the deployment
    and replicaset counters."""
    def counts(text: str) -> dict[str, int]:
        return {m[1]: int(m[2]) for m in re.finditer(
            r'^controller_runtime_reconcile_total\{controller="([^"]+)"\} (\d+)$', text, re.M)}

    before = counts((await api.request("GET", "/metrics", accept="text/plain")).decode())
    await api.create(DEPLOYMENTS, web(ns, replicas=1))
    await until(lambda: rolled_out(api, ns, 1), what="rollout")
    after = counts((await api.request("GET", "/metrics", accept="text/plain")).decode())
    assert {"deployment", "replicaset", "replicationcontroller"} <= set(after)
    assert after["deployment"] > before["deployment"]
    assert after["replicaset"] > before["replicaset"]
