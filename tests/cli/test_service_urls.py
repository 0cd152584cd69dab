"""``minikube-py service --url``: which URL a Service answers on from the host."""

from __future__ import annotations

from typing import Any

import pytest

from minikube_py.cli.context import CliError
from minikube_py.cli.service_cmds import service_urls
from minikube_py.proxy.proxier import PORTS_ANNOTATION


def svc(annotation: str | None = None, **spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "web", "namespace": "default"}
    if annotation is not None:
        meta["annotations"] = {PORTS_ANNOTATION: annotation}
    return {"metadata": meta, "spec": {"clusterIP": "10.96.0.10",
                                       "ports": [{"name": "http", "port": 80}], **spec}}


def test_cluster_ip_service_uses_the_published_port() -> None:
    """A ClusterIP Service answers on the port the proxy published."""
    assert service_urls(svc('{"http": 41000}')) == ["http://127.0.0.1:41000"]


def test_unpublished_service_is_not_ready() -> None:
    """Before the proxy publishes the port there is no URL yet (the command waits)."""
    assert service_urls(svc()) is None


def test_node_port_service_uses_the_node_port() -> None:
    """NodePort Services answer on 127.0.0.1:<nodePort>, as minikube prints the node's."""
    got = service_urls(svc(type="NodePort", ports=[{"name": "http", "port": 80,
                                                    "nodePort": 30080}]), scheme="https")
    assert got == ["https://127.0.0.1:30080"]


@pytest.mark.parametrize("spec", [
    pytest.param({"clusterIP": "None"}, id="headless"),
    pytest.param({"type": "ExternalName", "externalName": "example.com"}, id="external-name"),
])
def test_unproxied_services_are_an_error(spec: dict[str, Any]) -> None:
    """Headless and ExternalName Services have no proxy address: a clear error."""
    with pytest.raises(CliError):
        service_urls(svc(**spec))
