"""The proxier's sync against an in-process apiserver: listeners created, updated and closed
as Services and Endpoints change; backends are ready addresses; ClientIP affinity; the port
annotation the CLI reads; NodePorts; the iptables rule text."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from minikube_py.client.base import Client
from minikube_py.proxy.iptables import Redirect, ServiceRules
from minikube_py.proxy.proxier import (
    ENDPOINTS,
    PORTS_ANNOTATION,
    SERVICES,
    Proxier,
    ready_endpoints,
)
from tests.proxy.conftest import Backend, BackendFactory, eventually

Object = dict[str, Any]


def service(name: str = "web", **spec: Any) -> Object:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"ports": [{"name": "http", "port": 80}], **spec}}


def endpoints(name: str, backends: list[Backend], *,
              not_ready: tuple[Backend, ...] = ()) -> Object:
    # Each backend has its own port: one subset per backend, as Endpoints allow.
    subsets = [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "http", "port": b.port}]}
               for b in backends]
    subsets += [{"notReadyAddresses": [{"ip": "127.0.0.1"}],
                 "ports": [{"name": "http", "port": b.port}]} for b in not_ready]
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name},
            "subsets": subsets}


async def fetch(port: int) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return (await reader.read()).decode()
    finally:
        writer.close()


@pytest.fixture
async def proxier(client: Client) -> AsyncIterator[Proxier]:
    running = Proxier(client)
    await running.start()
    yield running
    await running.stop()


def host_port(proxier: Proxier, key: str = "default/web", port: str = "http") -> int:
    return proxier.serving[(key, port)].port


async def test_listener_round_robin_over_ready_endpoints(
        client: Client, proxier: Proxier, backend: BackendFactory) -> None:
    """A Service with Endpoints gets a listener; connections go round robin to the ready
    addresses only; the port is published in the annotation."""
    a, b, c, unready = [await backend(n) for n in "abcu"]
    await client.create(SERVICES, service(), "default")
    await client.create(ENDPOINTS, endpoints("web", [a, b, c], not_ready=(unready,)), "default")
    await eventually(lambda: ("default/web", "http") in proxier.serving and
                     len(proxier.serving[("default/web", "http")].proxy.endpoints) == 3)
    port = host_port(proxier)
    answers = [await fetch(port) for _ in range(6)]
    assert sorted(answers) == ["a", "a", "b", "b", "c", "c"]
    svc = await client.get(SERVICES, "web", "default")
    assert json.loads(svc["metadata"]["annotations"][PORTS_ANNOTATION]) == {"http": port}


async def test_endpoint_change_keeps_listener(client: Client, proxier: Proxier,
                                              backend: BackendFactory) -> None:
    """New Endpoints reach new connections on the same listener."""
    a, b = await backend("a"), await backend("b")
    await client.create(SERVICES, service(), "default")
    await client.create(ENDPOINTS, endpoints("web", [a]), "default")
    await eventually(lambda: ("default/web", "http") in proxier.serving and
                     bool(proxier.serving[("default/web", "http")].proxy.endpoints))
    port = host_port(proxier)
    assert await fetch(port) == "a"
    await client.update(ENDPOINTS, {**endpoints("web", [b]),
                                    "metadata": {"name": "web", "namespace": "default"}})
    await eventually(lambda: [e.port for e in proxier.serving[("default/web", "http")]
                              .proxy.endpoints] == [b.port])
    assert host_port(proxier) == port
    assert await fetch(port) == "b"


async def test_deleting_service_closes_listener(client: Client, proxier: Proxier,
                                                backend: BackendFactory) -> None:
    """Deleting the Service closes its listener: connecting is refused."""
    a = await backend("a")
    await client.create(SERVICES, service(), "default")
    await client.create(ENDPOINTS, endpoints("web", [a]), "default")
    await eventually(lambda: ("default/web", "http") in proxier.serving)
    port = host_port(proxier)
    await client.delete(SERVICES, "web", "default")
    await eventually(lambda: ("default/web", "http") not in proxier.serving)
    with pytest.raises(ConnectionRefusedError):
        await fetch(port)


async def test_client_ip_affinity_pins_one_endpoint(client: Client, proxier: Proxier,
                                                    backend: BackendFactory) -> None:
    """sessionAffinity ClientIP sends every connection from 127.0.0.1 to one endpoint."""
    backends = [await backend(n) for n in "abc"]
    await client.create(SERVICES, service(sessionAffinity="ClientIP"), "default")
    await client.create(ENDPOINTS, endpoints("web", backends), "default")
    await eventually(lambda: ("default/web", "http") in proxier.serving and
                     len(proxier.serving[("default/web", "http")].proxy.endpoints) == 3)
    assert proxier.serving[("default/web", "http")].proxy.balancer.affinity_timeout == 10800
    answers = {await fetch(host_port(proxier)) for _ in range(10)}
    assert len(answers) == 1


async def test_headless_and_external_name_get_no_listener(client: Client, proxier: Proxier
                                                          ) -> None:
    """Headless and ExternalName Services are not proxied."""
    await client.create(SERVICES, service("headless", clusterIP="None"), "default")
    await client.create(SERVICES, {"apiVersion": "v1", "kind": "Service",
                                   "metadata": {"name": "ext"},
                                   "spec": {"type": "ExternalName",
                                            "externalName": "example.com"}}, "default")
    await client.create(SERVICES, service("plain"), "default")
    await eventually(lambda: ("default/plain", "http") in proxier.serving)
    assert not any(key in ("default/headless", "default/ext") for key, _ in proxier.serving)


async def test_node_port_listens_on_loopback(client: Client, proxier: Proxier,
                                             backend: BackendFactory) -> None:
    """A NodePort Service also answers on 127.0.0.1:<nodePort>."""
    a = await backend("a")
    created = await client.create(SERVICES, service(type="NodePort"), "default")
    node_port = created["spec"]["ports"][0]["nodePort"]
    await client.create(ENDPOINTS, endpoints("web", [a]), "default")
    await eventually(lambda: ("default/web", "http") in proxier.serving and
                     bool(proxier.serving[("default/web", "http")].proxy.endpoints))
    assert ("127.0.0.1", node_port) in proxier.serving[("default/web", "http")].listeners
    assert await fetch(node_port) == "a"


async def test_removed_port_closes_and_restart_reuses_port(client: Client,
                                                           backend: BackendFactory) -> None:
    """A port removed from the spec closes; a new proxier reuses the published port."""
    a = await backend("a")
    await client.create(SERVICES, service(ports=[{"name": "http", "port": 80},
                                                 {"name": "alt", "port": 81}]), "default")
    await client.create(ENDPOINTS, endpoints("web", [a]), "default")
    first = Proxier(client)
    await first.start()
    try:
        await eventually(lambda: ("default/web", "alt") in first.serving)
        port = host_port(first)
        await client.patch(SERVICES, "web", {"spec": {"ports": [{"name": "http", "port": 80}]}},
                           "default")
        await eventually(lambda: ("default/web", "alt") not in first.serving)
    finally:
        await first.stop()
    second = Proxier(client)
    await second.start()
    try:
        assert host_port(second) == port
        assert await fetch(port) == "a"
    finally:
        await second.stop()


def test_ready_endpoints_match_port_by_name() -> None:
    """Only ready addresses, under the subset port of the Service port's name."""
    ep = {"subsets": [
        {"addresses": [{"ip": "10.0.0.1"}], "notReadyAddresses": [{"ip": "10.0.0.9"}],
         "ports": [{"name": "http", "port": 8080}, {"name": "metrics", "port": 9090}]},
        {"addresses": [{"ip": "10.0.0.2"}], "ports": [{"name": "http", "port": 8081}]}]}
    assert ready_endpoints(ep, {"name": "http", "port": 80}) == [("10.0.0.1", 8080),
                                                                 ("10.0.0.2", 8081)]
    assert ready_endpoints(ep, {"name": "metrics", "port": 90}) == [("10.0.0.1", 9090)]
    assert ready_endpoints(None, {"port": 80}) == []


def test_service_rules_restore_text() -> None:
    """One DNAT per Service port to the bridge listener, and the range rejected."""
    rules = ServiceRules(service_cidr="10.96.0.0/16", gateway="172.17.0.1")
    text = rules.restore_input([Redirect("10.96.0.10", 80, 41000)])
    assert ("-A MINIKUBE-PY-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j DNAT "
            "--to-destination 172.17.0.1:41000") in text
    assert "-A MINIKUBE-PY-REJECT -d 10.96.0.0/16 -j REJECT" in text
    assert text.startswith("*nat\n:MINIKUBE-PY-SERVICES - [0:0]")


async def test_published_pod_network_dials_the_published_address(
        client: Client, backend: BackendFactory) -> None:
    """On a published pod network the Endpoints' pod IP:port is dialled through the pod's
    published-ports annotation (the pod IPs here, on the Docker bridge, belong to no container
    and are never dialled); an endpoint not published yet is left out, and joins when the
    kubelet's annotation arrives."""
    from minikube_py.api import podnetwork
    from minikube_py.proxy.proxier import PODS

    a, b = await backend("a"), await backend("b")
    running = Proxier(client, pod_network=podnetwork.PUBLISHED)
    await running.start()
    try:
        for name, ip, target in (("pa", "172.17.255.250", a), ("pb", "172.17.255.251", None)):
            pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                   "spec": {"containers": [{"name": "c", "image": "i"}]}}
            if target is not None:
                pod["metadata"]["annotations"] = {
                    podnetwork.PUBLISHED_PORTS: podnetwork.encode({8080: target.endpoint})}
            await client.create(PODS, pod, "default")
            await client.patch(PODS, name, {"status": {"podIP": ip}}, "default",
                               subresource="status")
        await client.create(SERVICES, service(), "default")
        await client.create(ENDPOINTS, {
            "apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web"},
            "subsets": [{"addresses": [{"ip": "172.17.255.250"}, {"ip": "172.17.255.251"}],
                         "ports": [{"name": "http", "port": 8080}]}]}, "default")
        await eventually(lambda: ("default/web", "http") in running.serving and
                         len(running.serving[("default/web", "http")].proxy.endpoints) == 1)
        port = host_port(running)
        assert {await fetch(port) for _ in range(4)} == {"a"}
        await client.patch(PODS, "pb", {"metadata": {"annotations": {
            podnetwork.PUBLISHED_PORTS: podnetwork.encode({8080: b.endpoint})}}}, "default")
        await eventually(lambda: len(running.serving[("default/web", "http")].proxy.endpoints)
                         == 2)
        assert {await fetch(port) for _ in range(4)} == {"a", "b"}
    finally:
        await running.stop()
