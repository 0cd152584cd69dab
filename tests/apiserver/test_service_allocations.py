"""Service allocations through the REST layer (apiserver/allocators.py): node ports in
30000-32767 without conflicts, kept on update, released on delete and type change; cluster
IPs never duplicated; headless Services get none; ClientIP affinity defaults its timeout."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from minikube_py.apiserver.server import ApiServer
from tests.apiserver.test_verbs import call

SVC = "/api/v1/namespaces/default/services"
MERGE = "application/merge-patch+json"


def svc(name: str, *, kind: str = "NodePort", node_port: int | None = None,
        **spec: Any) -> dict[str, Any]:
    port: dict[str, Any] = {"name": "http", "port": 80}
    if node_port is not None:
        port["nodePort"] = node_port
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"type": kind, "selector": {"app": name}, "ports": [port], **spec}}


def node_port(obj: dict[str, Any]) -> int:
    return int(obj["spec"]["ports"][0]["nodePort"])


async def test_node_port_allocated_in_range(apiserver: ApiServer) -> None:
    """A NodePort Service without a nodePort gets one of 30000-32767."""
    code, obj = await call(apiserver, "POST", SVC, svc("a"))
    assert code == 201 and 30000 <= node_port(obj) <= 32767


async def test_requested_taken_node_port_is_422(apiserver: ApiServer) -> None:
    """A requested port another Service holds is refused with its field cause."""
    code, _ = await call(apiserver, "POST", SVC, svc("a", node_port=30080))
    assert code == 201
    code, status = await call(apiserver, "POST", SVC, svc("b", node_port=30080))
    assert code == 422
    [cause] = status["details"]["causes"]
    assert cause["field"] == "spec.ports[0].nodePort"
    assert "provided port is already allocated" in cause["message"]


async def test_node_port_released_on_delete(apiserver: ApiServer) -> None:
    """Deleting the holder frees its node port for the next Service."""
    await call(apiserver, "POST", SVC, svc("a", node_port=30081))
    code, _ = await call(apiserver, "DELETE", f"{SVC}/a")
    assert code == 200
    code, obj = await call(apiserver, "POST", SVC, svc("b", node_port=30081))
    assert code == 201 and node_port(obj) == 30081


async def test_node_port_kept_on_update_and_released_on_type_change(
        apiserver: ApiServer) -> None:
    """An update that leaves nodePort empty keeps it; a change to ClusterIP releases it."""
    _, created = await call(apiserver, "POST", SVC, svc("a"))
    code, updated = await call(apiserver, "PUT", f"{SVC}/a", svc("a"))
    assert code == 200 and node_port(updated) == node_port(created)
    code, cluster_ip = await call(apiserver, "PATCH", f"{SVC}/a", {"spec": {"type": "ClusterIP"}},
                                  ctype=MERGE)
    assert code == 200 and "nodePort" not in cluster_ip["spec"]["ports"][0]
    code, _ = await call(apiserver, "POST", SVC, svc("b", node_port=node_port(created)))
    assert code == 201


async def test_type_change_to_node_port_allocates(apiserver: ApiServer) -> None:
    """Turning a ClusterIP Service into a NodePort one gives it a node port."""
    await call(apiserver, "POST", SVC, svc("a", kind="ClusterIP"))
    code, obj = await call(apiserver, "PATCH", f"{SVC}/a", {"spec": {"type": "NodePort"}},
                           ctype=MERGE)
    assert code == 200 and 30000 <= node_port(obj) <= 32767


async def test_update_to_taken_node_port_is_422(apiserver: ApiServer) -> None:
    """An update asking for another Service's node port is refused."""
    await call(apiserver, "POST", SVC, svc("a", node_port=30090))
    await call(apiserver, "POST", SVC, svc("b", node_port=30091))
    code, status = await call(apiserver, "PATCH", f"{SVC}/b", {"spec": {"ports": [
        {"name": "http", "port": 80, "nodePort": 30090}]}}, ctype=MERGE)
    assert code == 422 and "already allocated" in status["message"]


async def test_concurrent_node_port_services_distinct(apiserver: ApiServer) -> None:
    """20 NodePort Services created at once get 20 different node ports."""
    results = await asyncio.gather(*(call(apiserver, "POST", SVC, svc(f"s{i}"))
                                     for i in range(20)))
    assert [code for code, _ in results] == [201] * 20
    assert len({node_port(obj) for _, obj in results}) == 20


@pytest.mark.parametrize("port, message", [
    pytest.param(29999, "valid range", id="below-range"),
    pytest.param(32768, "valid range", id="above-range"),
])
async def test_node_port_out_of_range_is_422(apiserver: ApiServer, port: int,
                                             message: str) -> None:
    """A node port outside 30000-32767 is invalid."""
    code, status = await call(apiserver, "POST", SVC, svc("a", node_port=port))
    assert code == 422 and message in status["message"]


async def test_requested_taken_cluster_ip_is_422(apiserver: ApiServer) -> None:
    """Two Services cannot hold one cluster IP."""
    code, _ = await call(apiserver, "POST", SVC, svc("a", kind="ClusterIP",
                                                    clusterIP="10.96.5.5"))
    assert code == 201
    code, status = await call(apiserver, "POST", SVC, svc("b", kind="ClusterIP",
                                                         clusterIP="10.96.5.5"))
    assert code == 422 and "already allocated" in status["message"]


async def test_headless_service_gets_no_cluster_ip(apiserver: ApiServer) -> None:
    """clusterIP: None stays None."""
    code, obj = await call(apiserver, "POST", SVC, svc("h", kind="ClusterIP", clusterIP="None"))
    assert code == 201 and obj["spec"]["clusterIP"] == "None"
    assert obj["spec"]["clusterIPs"] == ["None"]


async def test_client_ip_affinity_timeout_defaults(apiserver: ApiServer) -> None:
    """sessionAffinity ClientIP without a config gets timeoutSeconds 10800."""
    code, obj = await call(apiserver, "POST", SVC, svc("a", kind="ClusterIP",
                                                      sessionAffinity="ClientIP"))
    assert code == 201
    assert obj["spec"]["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}


@pytest.mark.parametrize("ports, field", [
    pytest.param([{"port": 0}], "spec.ports[0].port", id="port-zero"),
    pytest.param([{"port": 70000}], "spec.ports[0].port", id="port-too-big"),
    pytest.param([{"name": "a", "port": 80}, {"port": 81}], "spec.ports[1].name",
                 id="second-port-unnamed"),
    pytest.param([{"name": "a", "port": 80}, {"name": "b", "port": 80}], "spec.ports[1]",
                 id="duplicate-port"),
    pytest.param([{"port": 80, "targetPort": "Bad_Name"}], "spec.ports[0].targetPort",
                 id="bad-target-port-name"),
])
async def test_port_validation(apiserver: ApiServer, ports: list[dict[str, Any]],
                               field: str) -> None:
    """Invalid Service ports are 422 naming the field."""
    body = svc("a", kind="ClusterIP")
    body["spec"]["ports"] = ports
    code, status = await call(apiserver, "POST", SVC, body)
    assert code == 422
    assert field in [c["field"] for c in status["details"]["causes"]]
