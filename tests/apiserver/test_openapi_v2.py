"""``/openapi/v2`` (apiserver/openapi_v2.py, gnostic.py): the Swagger 2.0 document derived from
the v3 schemas, its protobuf form read back by an independent decoder (Google's runtime over
gnostic's numbering, tests/helpers/protobuf_reference.py), ETags and the per-registry cache.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from minikube_py.api.registry import REGISTRY, Registry, ResourceType
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver.openapi_v2 import PROTOBUF, OpenAPIV2, build_v2, install_openapi_v2
from minikube_py.apiserver.server import ApiServer
from minikube_py.store.sqlite import SqliteStorage as Store
from tests.helpers import protobuf_reference as ref

PB_ACCEPT = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"  # client-go's


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return build_v2(REGISTRY)


@pytest.fixture
async def server(store: Store) -> tuple[ApiServer, OpenAPIV2]:
    srv = ApiServer(store, registry=Registry(list(REGISTRY)))
    return srv, install_openapi_v2(srv)


async def fetch(server: ApiServer, accept: str = "application/json", method: str = "GET",
                if_none_match: str = "") -> ApiResponse:
    return await server.handle(ApiRequest(method, "/openapi/v2", accept=accept,
                                          if_none_match=if_none_match))


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node).union(*(_keys(v) for k, v in node.items() if k != "properties"),
                               *(_keys(v) for v in (node.get("properties") or {}).values()))
    if isinstance(node, list):
        return set().union(*(_keys(v) for v in node))
    return set()


def test_definitions_are_named_and_tagged_as_kubernetes_does(doc: dict[str, Any]) -> None:
    """Definitions under Kubernetes' names with their group-version-kinds, strategic merge
    extensions on lists, and nothing of OpenAPI 3 left (allOf wrappers, oneOf, nullable)."""
    assert doc["swagger"] == "2.0"
    defs = doc["definitions"]
    assert defs["io.k8s.api.core.v1.Pod"]["x-kubernetes-group-version-kind"] == [
        {"group": "", "kind": "Pod", "version": "v1"}]
    assert defs["io.k8s.api.apps.v1.DeploymentList"]["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "DeploymentList", "version": "v1"}]
    containers = defs["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["items"] == {"$ref": "#/definitions/io.k8s.api.core.v1.Container"}
    selector = defs["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["selector"]
    assert selector["$ref"] == "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"
    assert selector["description"]
    assert defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["type"] == "string"
    assert defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"] == "int-or-string"
    assert defs["io.k8s.apimachinery.pkg.api.resource.Quantity"]["type"] == "string"
    keys = _keys(defs)
    assert not keys & {"allOf", "oneOf", "anyOf", "nullable"}, keys
    unresolved = {r for r in _refs(doc) if r.removeprefix("#/definitions/") not in defs}
    assert not unresolved


def test_paths_have_swagger_2_operations(doc: dict[str, Any]) -> None:
    """An item path's PATCH: the body parameter, patch media types in consumes, the query
    parameters as plain types, the action and group-version-kind extensions."""
    item = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
    assert {p["name"] for p in item["parameters"]} == {"name", "namespace", "pretty"}
    patch = item["patch"]
    assert patch["x-kubernetes-action"] == "patch"
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "kind": "Deployment",
                                                        "version": "v1"}
    assert "application/strategic-merge-patch+json" in patch["consumes"]
    body = patch["parameters"][0]
    assert (body["in"], body["name"], body["required"]) == ("body", "body", True)
    validation = next(p for p in patch["parameters"] if p["name"] == "fieldValidation")
    assert (validation["in"], validation["type"]) == ("query", "string")
    assert patch["responses"]["200"]["schema"] == {
        "$ref": "#/definitions/io.k8s.api.apps.v1.Deployment"}
    watch = doc["paths"]["/api/v1/watch/namespaces/{namespace}/pods"]["get"]
    assert watch["x-kubernetes-action"] == "watchlist"
    assert "application/json;stream=watch" in watch["produces"]


def _schema_json(message: Any) -> dict[str, Any]:
    """A gnostic Schema message back in Swagger's JSON shape (the fields our documents use)."""
    out: dict[str, Any] = {}
    if message._ref:
        out["$ref"] = message._ref
    for field in ("format", "description"):
        if getattr(message, field):
            out[field] = getattr(message, field)
    if message.required:
        out["required"] = list(message.required)
    if message.enum:
        out["enum"] = [yaml.safe_load(a.yaml) for a in message.enum]
    if message.HasField("additional_properties"):
        out["additionalProperties"] = _schema_json(message.additional_properties.schema)
    if message.type.value:
        out["type"] = message.type.value[0]
    if message.items.schema:
        out["items"] = _schema_json(message.items.schema[0])
    if message.HasField("properties"):
        out["properties"] = {p.name: _schema_json(p.value)
                             for p in message.properties.additional_properties}
    for ext in message.vendor_extension:
        out[ext.name] = yaml.safe_load(ext.value.yaml)
    return out


async def test_protobuf_document_reads_back_as_the_json_one(
        server: tuple[ApiServer, OpenAPIV2]) -> None:
    """The protobuf answer, parsed with gnostic's numbering by Google's runtime, holds every
    definition of the JSON answer unchanged, and the paths with their operations."""
    srv, _ = server
    as_json = await fetch(srv)
    as_pb = await fetch(srv, accept=f"{PB_ACCEPT},application/json")
    assert as_json.content_type == "application/json" and as_pb.content_type == PROTOBUF
    want = json.loads(as_json.raw or b"")
    got = ref.gnostic_document(as_pb.raw)
    assert (got.swagger, got.info.title) == ("2.0", "Kubernetes")
    definitions = {d.name: _schema_json(d.value) for d in got.definitions.additional_properties}
    assert definitions == want["definitions"]
    paths = {p.name: p.value for p in got.paths.path}
    assert set(paths) == set(want["paths"])
    patch = paths["/api/v1/namespaces/{namespace}/pods/{name}"].patch
    assert patch.operation_id == want["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"][
        "patch"]["operationId"]
    assert patch.parameters[0].parameter.body_parameter.name == "body"
    extensions = {e.name: yaml.safe_load(e.value.yaml) for e in patch.vendor_extension}
    assert extensions["x-kubernetes-action"] == "patch"


async def test_etag_and_conditional_get(server: tuple[ApiServer, OpenAPIV2]) -> None:
    """Each encoding has its ETag; If-None-Match with it is 304 without a body; HEAD sends
    the headers only; the caching headers are Kubernetes'."""
    srv, _ = server
    first = await fetch(srv)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and len(etag) == 130
    assert first.headers["Cache-Control"] == "no-cache, private"
    assert first.headers["Last-Modified"].endswith("GMT")
    pb = await fetch(srv, accept=PB_ACCEPT)
    assert pb.headers["ETag"] != etag
    again = await fetch(srv, if_none_match=etag)
    assert again.status == 304 and again.raw == b""
    head = await fetch(srv, method="HEAD")
    assert head.status == 200 and head.raw == b"" and head.headers["ETag"] == etag
    stale = await fetch(srv, if_none_match='"0"')
    assert stale.status == 200 and stale.raw == first.raw


async def test_built_once_per_registry_generation(server: tuple[ApiServer, OpenAPIV2]) -> None:
    """Repeated GETs in both encodings build the document once; a new served type, or a bump
    of the registry's change counter, builds it again."""
    srv, docs = server
    await fetch(srv)
    await fetch(srv, accept=PB_ACCEPT)
    await fetch(srv)
    assert docs.builds == 1
    etag = (await fetch(srv)).headers["ETag"]
    srv.registry.add(ResourceType("example.com", "v1", "Widget", "widgets", True))
    changed = await fetch(srv)
    assert docs.builds == 2 and changed.headers["ETag"] != etag
    assert "/apis/example.com/v1/namespaces/{namespace}/widgets" in json.loads(changed.raw or b"")[
        "paths"]
    srv.registry.generation = 7  # type: ignore[attr-defined]  # the CRD registry's counter
    await fetch(srv)
    assert docs.builds == 3
