"""APIServices in process: one Local APIService per served group-version, and an
aggregated one whose requests and discovery go to a real HTTPS server behind a Service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from minikube_py.api.registry import REGISTRY, Registry, ResourceType
from minikube_py.apiserver.aggregation.local import LocalAPIServices
from minikube_py.apiserver.aggregation.openapi import install_aggregated_openapi
from minikube_py.apiserver.discovery import install_discovery
from minikube_py.apiserver.openapi import install_openapi
from minikube_py.apiserver.server import ApiServer
from tests.apiserver.test_verbs import call
from tests.helpers.webhook_server import GROUP, WebhookServer

APISERVICES = "/apis/apiregistration.k8s.io/v1/apiservices"
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


@pytest.fixture(scope="module")
def extension(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookServer]:
    server = WebhookServer(tmp_path_factory.mktemp("extension")).start()
    yield server
    server.stop()


async def test_one_local_apiservice_per_group_version(apiserver: ApiServer) -> None:
    """sync() stores a Local, Available APIService for every served group-version, with
    Kubernetes' priorities; a second sync writes nothing."""
    await apiserver.local_apiservices.sync()
    code, listed = await call(apiserver, "GET", APISERVICES)
    names = {i["metadata"]["name"] for i in listed["items"]}
    wanted = {f"{v}.{g}" for g, vs in REGISTRY.groups().items() for v in vs}
    assert names == wanted and "v1." in names and "v1.apps" in names
    apps = next(i for i in listed["items"] if i["metadata"]["name"] == "v1.apps")
    assert apps["spec"] == {"group": "apps", "version": "v1", "groupPriorityMinimum": 17800,
                            "versionPriority": 15}
    assert apps["status"]["conditions"][0]["reason"] == "Local"
    revision = apiserver.store.revision
    await apiserver.local_apiservices.sync()
    assert apiserver.store.revision == revision


async def test_group_added_at_runtime_gets_one(apiserver: ApiServer) -> None:
    """The Local APIServices follow the registry: a group-version added later gets one (with
    the priorities of custom resources), and loses it when it is no longer served."""
    registry = Registry(list(REGISTRY.types))
    local = LocalAPIServices(apiserver.rest, registry)
    await local.sync()
    registry.add(ResourceType("stable.example.com", "v1", "CronTab", "crontabs", True))
    await local.sync()
    code, got = await call(apiserver, "GET", f"{APISERVICES}/v1.stable.example.com")
    assert code == 200
    assert got["spec"]["groupPriorityMinimum"] == 1000 and got["spec"]["versionPriority"] == 100
    registry.types.pop()
    await local.sync()
    code, _ = await call(apiserver, "GET", f"{APISERVICES}/v1.stable.example.com")
    assert code == 404


async def test_invalid_apiservice(apiserver: ApiServer) -> None:
    """Kubernetes' APIService validation: the name is version.group, priorities in range."""
    code, status = await call(apiserver, "POST", APISERVICES, {
        "metadata": {"name": "v1.wrong.example.com"},
        "spec": {"group": "example.com", "version": "v1", "groupPriorityMinimum": 0,
                 "versionPriority": 15, "insecureSkipTLSVerify": True}})
    assert code == 422
    assert {c["field"] for c in status["details"]["causes"]} == {
        "metadata.name", "spec.groupPriorityMinimum", "spec.insecureSkipTLSVerify"}


async def test_aggregated_apiservice(apiserver: ApiServer, extension: WebhookServer) -> None:
    """An APIService with a Service: Available after the health check, its group in
    discovery, its requests proxied with the caller's name."""
    await call(apiserver, "POST", "/api/v1/namespaces/default/services", {
        "metadata": {"name": "wardle"}, "spec": {"ports": [{"port": 443}]}})
    await call(apiserver, "POST", "/api/v1/namespaces/default/endpoints", {
        "metadata": {"name": "wardle"},
        "subsets": [{"addresses": [{"ip": "127.0.0.1"}],
                     "ports": [{"port": extension.port}]}]})
    code, created = await call(apiserver, "POST", APISERVICES, {
        "metadata": {"name": f"v1.{GROUP}"},
        "spec": {"group": GROUP, "version": "v1", "groupPriorityMinimum": 1000,
                 "versionPriority": 15, "caBundle": extension.ca_bundle,
                 "service": {"namespace": "default", "name": "wardle"}}})
    assert code == 201, created
    assert created["spec"]["service"]["port"] == 443
    await apiserver.aggregator.check_all(force=True)
    code, got = await call(apiserver, "GET", f"{APISERVICES}/v1.{GROUP}")
    available = got["status"]["conditions"][0]
    assert (available["type"], available["status"], available["reason"]) == \
        ("Available", "True", "Passed")
    install_discovery(apiserver)
    code, groups = await call(apiserver, "GET", "/apis")
    assert GROUP in [g["name"] for g in groups["groups"]]
    code, aggregated = await call(apiserver, "GET", "/apis", accept=AGGREGATED)
    item = next(i for i in aggregated["items"] if i["metadata"]["name"] == GROUP)
    assert item["versions"][0]["resources"][0]["resource"] == "flunders"
    install_openapi(apiserver)
    install_aggregated_openapi(apiserver)
    code, index = await call(apiserver, "GET", "/openapi/v3")
    url = index["paths"][f"apis/{GROUP}/v1"]["serverRelativeURL"]
    assert "apis/apps/v1" in index["paths"]
    path, _, digest = url.partition("?hash=")
    code, document = await call(apiserver, "GET", path, hash=digest)
    assert code == 200 and "com.example.wardle.v1.Flunder" in document["components"]["schemas"]
    code, local = await call(apiserver, "GET", "/openapi/v3/apis/apps/v1")
    assert code == 200 and local["info"]["title"]
    code, flunders = await call(apiserver, "GET", f"/apis/{GROUP}/v1/namespaces/ns1/flunders")
    assert code == 200, flunders
    assert flunders["items"][0]["metadata"] == {"name": "for-system-admin", "namespace": "ns1"}


async def test_unreachable_aggregated_apiservice(apiserver: ApiServer) -> None:
    """Without the Service the APIService is not Available, and its requests are 503."""
    await call(apiserver, "POST", APISERVICES, {
        "metadata": {"name": "v1.gone.example.com"},
        "spec": {"group": "gone.example.com", "version": "v1", "groupPriorityMinimum": 1000,
                 "versionPriority": 15, "insecureSkipTLSVerify": True,
                 "service": {"namespace": "default", "name": "nothing"}}})
    await apiserver.aggregator.check_all(force=True)
    code, got = await call(apiserver, "GET", f"{APISERVICES}/v1.gone.example.com")
    condition = got["status"]["conditions"][0]
    assert (condition["status"], condition["reason"]) == ("False", "ServiceNotFound")
    code, status = await call(apiserver, "GET", "/apis/gone.example.com/v1/things")
    assert code == 503, status
