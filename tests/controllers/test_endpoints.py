"""The Endpoints and EndpointSlice controllers, sample-controller style: seed the informer
caches of a fake clientset, run ``reconcile`` once, assert the writes it made."""

from __future__ import annotations

from typing import Any

import pytest

from minikube_py.api.kinds.discovery.endpointslice import MANAGED_BY_LABEL, SERVICE_NAME_LABEL
from minikube_py.controllers.base import Requeue
from minikube_py.controllers.endpoints import ENDPOINTS, PODS, SERVICES, EndpointsController
from minikube_py.controllers.endpointslice import ENDPOINT_SLICES, EndpointSliceController
from tests.controllers.fakes import FakeCluster

Object = dict[str, Any]


def service(name: str = "web", *, selector: dict[str, str] | None = None,
            ports: list[Object] | None = None, **spec: Any) -> Object:
    body: Object = {"ports": ports if ports is not None else
                    [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
                    **spec}
    if selector is not False:  # type: ignore[comparison-overlap]
        body["selector"] = selector if selector is not None else {"app": "web"}
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}",
                         "labels": {"team": "a"}},
            "spec": body}


def pod(name: str, ip: str, *, ready: bool = True, labels: dict[str, str] | None = None,
        deleting: bool = False, phase: str = "Running", ports: list[Object] | None = None,
        restart: str = "Always") -> Object:
    meta: Object = {"name": name, "namespace": "default", "uid": f"uid-{name}",
                    "labels": labels if labels is not None else {"app": "web"}}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    status: Object = {"phase": phase, "conditions": [
        {"type": "Ready", "status": "True" if ready else "False"}]}
    if ip:
        status["podIP"] = ip
    container: Object = {"name": "c", "image": "busybox"}
    if ports:
        container["ports"] = ports
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"nodeName": "n1", "restartPolicy": restart, "containers": [container]},
            "status": status}


def ref(name: str) -> Object:
    return {"kind": "Pod", "namespace": "default", "name": name, "uid": f"uid-{name}"}


def address(name: str, ip: str) -> Object:
    return {"ip": ip, "targetRef": ref(name), "nodeName": "n1"}


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def endpoints(cluster: FakeCluster) -> EndpointsController:
    return EndpointsController(cluster.client, cluster.informers)


@pytest.fixture
def slices(cluster: FakeCluster) -> EndpointSliceController:
    return EndpointSliceController(cluster.client, cluster.informers)


# --- Endpoints ------------------------------------------------------------------------------

async def test_ready_and_not_ready_addresses(cluster: FakeCluster,
                                             endpoints: EndpointsController) -> None:
    """Ready pods are addresses, unready ones notReadyAddresses; others are left out."""
    cluster.seed(SERVICES, service())
    cluster.seed(PODS, pod("b", "10.1.0.2"), pod("a", "10.1.0.1"),
                 pod("u", "10.1.0.3", ready=False), pod("noip", ""),
                 pod("gone", "10.1.0.4", deleting=True),
                 pod("done", "10.1.0.5", phase="Succeeded", restart="Never"),
                 pod("other", "10.1.0.6", labels={"app": "db"}))
    await endpoints.reconcile("default/web")
    [write] = cluster.writes(resource="endpoints")
    assert write.verb == "create"
    ep = cluster.get("endpoints", "web")
    assert ep["metadata"]["labels"] == {"team": "a"}
    assert ep["subsets"] == [{
        "addresses": [address("a", "10.1.0.1"), address("b", "10.1.0.2")],
        "notReadyAddresses": [address("u", "10.1.0.3")],
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]


async def test_publish_not_ready_addresses(cluster: FakeCluster,
                                           endpoints: EndpointsController) -> None:
    """publishNotReadyAddresses puts unready and terminating pods among the addresses."""
    cluster.seed(SERVICES, service(publishNotReadyAddresses=True))
    cluster.seed(PODS, pod("u", "10.1.0.3", ready=False), pod("t", "10.1.0.4", deleting=True))
    await endpoints.reconcile("default/web")
    [subset] = cluster.get("endpoints", "web")["subsets"]
    assert [a["ip"] for a in subset["addresses"]] == ["10.1.0.3", "10.1.0.4"]
    assert "notReadyAddresses" not in subset


async def test_named_target_port_resolved_per_pod(cluster: FakeCluster,
                                                  endpoints: EndpointsController) -> None:
    """A named targetPort is each pod's own container port: different numbers, subsets."""
    cluster.seed(SERVICES, service(ports=[{"port": 80, "targetPort": "web", "protocol": "TCP"}]))
    cluster.seed(PODS, pod("a", "10.1.0.1", ports=[{"name": "web", "containerPort": 8080}]),
                 pod("b", "10.1.0.2", ports=[{"name": "web", "containerPort": 9090}]),
                 pod("c", "10.1.0.3", ports=[{"name": "other", "containerPort": 1}]))
    await endpoints.reconcile("default/web")
    subsets = cluster.get("endpoints", "web")["subsets"]
    assert [(s["addresses"][0]["ip"], s["ports"][0]["port"]) for s in subsets] == [
        ("10.1.0.1", 8080), ("10.1.0.2", 9090)]


async def test_unchanged_endpoints_are_not_written(cluster: FakeCluster,
                                                   endpoints: EndpointsController) -> None:
    """A second reconcile over the same state writes nothing; a pod change updates."""
    cluster.seed(SERVICES, service())
    cluster.seed(PODS, pod("a", "10.1.0.1"))
    await endpoints.reconcile("default/web")
    cluster.sync_caches()
    cluster.clear()
    await endpoints.reconcile("default/web")
    assert cluster.writes() == []
    cluster.seed(PODS, pod("a", "10.1.0.1", ready=False))
    await endpoints.reconcile("default/web")
    [write] = cluster.writes()
    assert write.verb == "update"
    assert cluster.get("endpoints", "web")["subsets"][0]["notReadyAddresses"][0]["ip"] == \
        "10.1.0.1"


async def test_selectorless_service_keeps_user_endpoints(
        cluster: FakeCluster, endpoints: EndpointsController) -> None:
    """A Service without a selector never has its Endpoints touched."""
    cluster.seed(SERVICES, service(selector=False))  # type: ignore[arg-type]
    cluster.seed(ENDPOINTS, {"metadata": {"name": "web", "namespace": "default"},
                             "subsets": [{"addresses": [{"ip": "127.0.0.1"}]}]})
    cluster.seed(PODS, pod("a", "10.1.0.1"))
    await endpoints.reconcile("default/web")
    assert cluster.writes() == []


async def test_deleted_service_deletes_endpoints(cluster: FakeCluster,
                                                 endpoints: EndpointsController) -> None:
    """Once its Service is gone, the Endpoints go; an absent one is no error."""
    cluster.seed(ENDPOINTS, {"metadata": {"name": "web", "namespace": "default"}})
    await endpoints.reconcile("default/web")
    assert [a.verb for a in cluster.writes()] == ["delete"]
    await endpoints.reconcile("default/web")


async def test_pod_events_enqueue_matching_services(cluster: FakeCluster,
                                                    endpoints: EndpointsController) -> None:
    """A pod's add enqueues the Services selecting it; a label change both old and new."""
    cluster.seed(SERVICES, service("web"), service("db", selector={"app": "db"}),
                 service("ext", selector=False))  # type: ignore[arg-type]
    pods = endpoints.informer(PODS)  # the handlers the controller registered on it
    pods._notify_add(pod("a", "10.1.0.1"))
    assert len(endpoints.queue) == 1
    pods._notify_update(pod("a", "10.1.0.1"), pod("a", "10.1.0.1", labels={"app": "db"}))
    assert len(endpoints.queue) == 2
    endpoints.queue.shut_down()


async def test_heartbeat_updates_enqueue_nothing(cluster: FakeCluster,
                                                 endpoints: EndpointsController) -> None:
    """A pod update that changes nothing endpoints show enqueues nothing."""
    cluster.seed(SERVICES, service("web"))
    old = pod("a", "10.1.0.1")
    new = {**old, "metadata": {**old["metadata"], "annotations": {"x": "y"}}}
    endpoints.informer(PODS)._notify_update(old, new)
    assert len(endpoints.queue) == 0


# --- EndpointSlices -------------------------------------------------------------------------

async def test_slice_created_with_conditions(cluster: FakeCluster,
                                             slices: EndpointSliceController) -> None:
    """One slice per Service, owned by it, labelled, with ready/serving/terminating."""
    cluster.seed(SERVICES, service())
    cluster.seed(PODS, pod("a", "10.1.0.1"), pod("u", "10.1.0.2", ready=False),
                 pod("t", "10.1.0.3", deleting=True), pod("noip", ""))
    await slices.reconcile("default/web")
    [write] = cluster.writes()
    assert write.verb == "create"
    [got] = cluster.of("endpointslices")
    assert got["metadata"]["name"].startswith("web-")
    assert got["metadata"]["labels"] == {"team": "a", SERVICE_NAME_LABEL: "web",
                                         MANAGED_BY_LABEL: "endpointslice-controller.k8s.io"}
    assert got["metadata"]["ownerReferences"][0]["uid"] == "uid-web"
    assert got["addressType"] == "IPv4"
    assert got["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    conditions = {e["addresses"][0]: e["conditions"] for e in got["endpoints"]}
    assert conditions == {
        "10.1.0.1": {"ready": True, "serving": True, "terminating": False},
        "10.1.0.2": {"ready": False, "serving": False, "terminating": False},
        "10.1.0.3": {"ready": False, "serving": True, "terminating": True}}


async def test_slice_reused_and_written_only_on_change(cluster: FakeCluster,
                                                       slices: EndpointSliceController) -> None:
    """The managed slice is updated in place when pods change, untouched when not."""
    cluster.seed(SERVICES, service())
    cluster.seed(PODS, pod("a", "10.1.0.1"))
    await slices.reconcile("default/web")
    cluster.sync_caches()
    cluster.clear()
    await slices.reconcile("default/web")
    assert cluster.writes() == []
    cluster.seed(PODS, pod("b", "10.1.0.2"))
    await slices.reconcile("default/web")
    assert [a.verb for a in cluster.writes()] == ["update"]
    [got] = cluster.of("endpointslices")
    assert [e["addresses"] for e in got["endpoints"]] == [["10.1.0.1"], ["10.1.0.2"]]


async def test_slice_cache_behind_own_create_waits(cluster: FakeCluster,
                                                   slices: EndpointSliceController) -> None:
    """A reconcile before the cache shows the slice it created waits instead of doubling."""
    cluster.seed(SERVICES, service())
    await slices.reconcile("default/web")
    with pytest.raises(Requeue):
        await slices.reconcile("default/web")
    cluster.sync_caches()
    await slices.reconcile("default/web")
    assert len(cluster.of("endpointslices")) == 1


async def test_named_ports_split_slices_and_stale_deleted(
        cluster: FakeCluster, slices: EndpointSliceController) -> None:
    """Pods serving a named port under different numbers get a slice each; a slice whose
    port set no pod serves any more is deleted."""
    cluster.seed(SERVICES, service(ports=[{"port": 80, "targetPort": "web", "protocol": "TCP"}]))
    cluster.seed(PODS, pod("a", "10.1.0.1", ports=[{"name": "web", "containerPort": 8080}]),
                 pod("b", "10.1.0.2", ports=[{"name": "web", "containerPort": 9090}]))
    await slices.reconcile("default/web")
    assert sorted(s["ports"][0]["port"] for s in cluster.of("endpointslices")) == [8080, 9090]
    cluster.sync_caches()
    cluster.seed(PODS, pod("b", "10.1.0.2", ports=[{"name": "web", "containerPort": 8080}]))
    cluster.clear()
    await slices.reconcile("default/web")
    assert sorted(a.verb for a in cluster.writes()) == ["delete", "update"]
    [got] = cluster.of("endpointslices")
    assert len(got["endpoints"]) == 2


async def test_selectorless_service_slices_left_alone(cluster: FakeCluster,
                                                      slices: EndpointSliceController) -> None:
    """Without a selector no slice is written (the user's are theirs)."""
    cluster.seed(SERVICES, service(selector=False))  # type: ignore[arg-type]
    await slices.reconcile("default/web")
    assert cluster.writes() == []
    assert ENDPOINT_SLICES.plural == "endpointslices"
