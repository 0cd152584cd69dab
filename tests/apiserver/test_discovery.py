"""Discovery (legacy and aggregated) and OpenAPI v3, as kubectl reads them.

Requests go through ``ApiServer.handle`` on a real SQLite store with the handlers of
``apiserver/discovery.py`` and ``apiserver/openapi.py`` installed, the way the daemon wires them.
The shapes follow what kubectl 1.27-1.33 needs (``/work/shared/KUBECTL-WIRE.md``) and what
Kubernetes serves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver.discovery import install_discovery
from minikube_py.apiserver.openapi import install_openapi
from minikube_py.apiserver.server import ApiServer
from minikube_py.store.sqlite import SqliteStorage as Store

AGG_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGG_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
REF = "#/components/schemas/"
GROUP_VERSIONS = sorted({(rt.group, rt.version) for rt in REGISTRY})


def kind_id(rt: ResourceType) -> str:
    return f"{rt.group or 'core'}/{rt.version}/{rt.kind}"


def gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


@pytest.fixture
async def server(store: Store) -> ApiServer:
    srv = ApiServer(store)
    install_discovery(srv)
    install_openapi(srv)
    return srv


async def fetch(server: ApiServer, path: str, accept: str = "application/json",
                **query: str) -> tuple[ApiResponse, Any]:
    resp = await server.handle(ApiRequest("GET", path, query=query, accept=accept))
    body = json.loads(resp.raw) if resp.raw is not None else resp.body
    return resp, body


async def openapi_doc(server: ApiServer, group: str, version: str) -> dict[str, Any]:
    resp, doc = await fetch(server, f"/openapi/v3/{gv_path(group, version)}")
    assert resp.status == 200
    return doc


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def kind_gvk(rt: ResourceType) -> dict[str, str]:
    return {"group": rt.group, "version": rt.version, "kind": rt.kind}


# -- legacy discovery ------------------------------------------------------------------------

async def test_api_versions(server: ApiServer) -> None:
    """/api answers APIVersions with v1 and the server address by client CIDR."""
    resp, body = await fetch(server, "/api")
    assert resp.status == 200 and resp.content_type == "application/json"
    assert body == {"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                    "serverAddress": "127.0.0.1:6443"}]}


async def test_api_group_list(server: ApiServer) -> None:
    """/apis lists every named group with its versions and preferred version, core excluded."""
    _, body = await fetch(server, "/apis")
    assert body["kind"] == "APIGroupList" and body["apiVersion"] == "v1"
    groups = {g["name"]: g for g in body["groups"]}
    assert set(groups) == {rt.group for rt in REGISTRY if rt.group}
    assert groups["apps"]["versions"] == [{"groupVersion": "apps/v1", "version": "v1"}]
    assert groups["apps"]["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    assert groups["autoscaling"]["preferredVersion"]["groupVersion"] == "autoscaling/v2"


@pytest.mark.parametrize(("path", "code"), [
    pytest.param("/apis/apps", 200, id="served-group"),
    pytest.param("/apis/apps/", 200, id="trailing-slash"),
    pytest.param("/apis/nope.example.com", 404, id="unknown-group"),
    pytest.param("/apis/apps/v2", 404, id="unknown-version"),
    pytest.param("/api/v2", 404, id="unknown-core-version"),
])
async def test_group_and_unknown_paths(server: ApiServer, path: str, code: int) -> None:
    """/apis/{group} answers APIGroup; unknown groups and versions are 404 NotFound Status."""
    resp, body = await fetch(server, path)
    assert resp.status == code
    if code == 200:
        assert body["kind"] == "APIGroup" and body["name"] == "apps"
        assert body["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    else:
        assert body["kind"] == "Status" and body["reason"] == "NotFound"


async def test_discovery_rejects_writes(server: ApiServer) -> None:
    """Discovery is read-only: a POST to /apis answers 405."""
    resp = await server.handle(ApiRequest("POST", "/apis", body=b"{}",
                                          content_type="application/json"))
    assert resp.status == 405 and resp.body["reason"] == "MethodNotAllowed"


@pytest.mark.parametrize("rt", [pytest.param(rt, id=kind_id(rt)) for rt in REGISTRY])
async def test_resource_list_has_every_kind(server: ApiServer, rt: ResourceType) -> None:
    """Each kind appears in its group-version's APIResourceList with names, scope, verbs,
    short names and categories from the registry."""
    _, body = await fetch(server, "/" + gv_path(rt.group, rt.version))
    assert body["kind"] == "APIResourceList"
    assert body["groupVersion"] == rt.api_version
    entry = next(r for r in body["resources"] if r["name"] == rt.plural)
    assert entry["singularName"] == rt.singular and entry["kind"] == rt.kind
    assert entry["namespaced"] is rt.namespaced
    assert entry["verbs"] == list(rt.verbs)
    assert entry.get("shortNames", []) == list(rt.short_names)
    assert entry.get("categories", []) == list(rt.categories)
    assert entry["storageVersionHash"]
    subs = {r["name"] for r in body["resources"] if r["name"].startswith(rt.plural + "/")}
    assert subs == {f"{rt.plural}/{s}" for s in rt.subresources}


@pytest.mark.parametrize(("gv", "name", "group", "version", "kind", "verbs"), [
    pytest.param("/api/v1", "pods/log", None, None, "Pod", ["get"], id="pods-log"),
    pytest.param("/api/v1", "pods/exec", None, None, "PodExecOptions", ["create", "get"],
                 id="pods-exec"),
    pytest.param("/api/v1", "pods/status", None, None, "Pod", ["get", "patch", "update"],
                 id="pods-status"),
    pytest.param("/api/v1", "pods/binding", None, None, "Binding", ["create"], id="pods-binding"),
    pytest.param("/api/v1", "pods/eviction", "policy", "v1", "Eviction", ["create"],
                 id="pods-eviction"),
    pytest.param("/api/v1", "namespaces/finalize", None, None, "Namespace", ["update"],
                 id="namespaces-finalize"),
    pytest.param("/apis/apps/v1", "deployments/scale", "autoscaling", "v1", "Scale",
                 ["get", "patch", "update"], id="deployments-scale"),
])
async def test_legacy_subresources(server: ApiServer, gv: str, name: str, group: str | None,
                                   version: str | None, kind: str, verbs: list[str]) -> None:
    """Subresources are listed as ``plural/sub`` with their kind; group and version are set
    only when they differ from the list's (Scale, Eviction)."""
    _, body = await fetch(server, gv)
    entry = next(r for r in body["resources"] if r["name"] == name)
    assert entry["kind"] == kind and entry["verbs"] == verbs
    assert entry.get("group") == group and entry.get("version") == version
    assert entry["singularName"] == ""


async def test_short_names_and_categories_kubectl_needs(server: ApiServer) -> None:
    """``po``, ``deploy`` and the ``all`` category (``kubectl get all``) are discoverable."""
    _, core = await fetch(server, "/api/v1")
    _, apps = await fetch(server, "/apis/apps/v1")
    pods = next(r for r in core["resources"] if r["name"] == "pods")
    deployments = next(r for r in apps["resources"] if r["name"] == "deployments")
    assert "po" in pods["shortNames"] and pods["categories"] == ["all"]
    assert "deploy" in deployments["shortNames"] and "all" in deployments["categories"]


# -- aggregated discovery --------------------------------------------------------------------

@pytest.mark.parametrize(("accept", "version"), [
    pytest.param(f"{AGG_V2},{AGG_V2BETA1},application/json", "v2", id="kubectl-1.30"),
    pytest.param(f"{AGG_V2BETA1},application/json", "v2beta1", id="kubectl-1.27"),
    pytest.param(f"{AGG_V2BETA1}, {AGG_V2}", "v2beta1", id="first-offered-wins"),
    pytest.param(AGG_V2.replace(";", "; "), "v2", id="spaces-in-parameters"),
    pytest.param("application/json", None, id="legacy"),
    pytest.param("", None, id="no-accept"),
    pytest.param(AGG_V2.replace("v=v2", "v=v3"), None, id="unknown-version-is-legacy"),
])
@pytest.mark.parametrize("path", ["/api", "/apis"])
async def test_aggregated_negotiation(server: ApiServer, path: str, accept: str,
                                      version: str | None) -> None:
    """The first aggregated version the client offers is answered, with a Content-Type that
    echoes it; anything else gets legacy discovery."""
    resp, body = await fetch(server, path, accept=accept)
    assert resp.status == 200 and resp.headers.get("Vary") == "Accept"
    if version is None:
        assert resp.content_type == "application/json"
        assert body["kind"] == ("APIVersions" if path == "/api" else "APIGroupList")
        return
    assert resp.content_type == (f"application/json;g=apidiscovery.k8s.io;v={version};"
                                 "as=APIGroupDiscoveryList")
    assert body["kind"] == "APIGroupDiscoveryList"
    assert body["apiVersion"] == f"apidiscovery.k8s.io/{version}"


async def test_aggregated_core_and_named_groups(server: ApiServer) -> None:
    """/api holds only the core group (name ""), /apis every other group, versions fresh."""
    _, core = await fetch(server, "/api", accept=AGG_V2)
    _, named = await fetch(server, "/apis", accept=AGG_V2)
    assert [g["metadata"]["name"] for g in core["items"]] == [""]
    names = [g["metadata"]["name"] for g in named["items"]]
    assert "" not in names and set(names) == {rt.group for rt in REGISTRY if rt.group}
    for group in core["items"] + named["items"]:
        assert group["versions"], group["metadata"]
        assert all(v["freshness"] == "Current" for v in group["versions"])


@pytest.mark.parametrize("rt", [pytest.param(rt, id=kind_id(rt)) for rt in REGISTRY])
async def test_aggregated_has_every_kind(server: ApiServer, rt: ResourceType) -> None:
    """Each kind appears in aggregated discovery with scope, responseKind, verbs, short names,
    categories and subresources that each name their kind."""
    _, body = await fetch(server, "/apis" if rt.group else "/api", accept=AGG_V2BETA1)
    group = next(g for g in body["items"] if g["metadata"]["name"] == rt.group)
    version = next(v for v in group["versions"] if v["version"] == rt.version)
    entry = next(r for r in version["resources"] if r["resource"] == rt.plural)
    assert entry["singularResource"] == rt.singular
    assert entry["scope"] == ("Namespaced" if rt.namespaced else "Cluster")
    assert entry["responseKind"] == kind_gvk(rt)
    assert entry["verbs"] == list(rt.verbs)
    assert entry.get("shortNames", []) == list(rt.short_names)
    assert entry.get("categories", []) == list(rt.categories)
    subs = entry.get("subresources", [])
    assert {s["subresource"] for s in subs} == set(rt.subresources)
    assert all(s["responseKind"]["kind"] and s["verbs"] for s in subs)


async def test_aggregated_scale_and_eviction(server: ApiServer) -> None:
    """deployments/scale speaks autoscaling/v1 Scale; pods/eviction policy/v1 Eviction."""
    _, named = await fetch(server, "/apis", accept=AGG_V2)
    _, core = await fetch(server, "/api", accept=AGG_V2)

    def sub(items: list[dict[str, Any]], resource: str, name: str) -> dict[str, Any]:
        resources = [r for g in items for v in g["versions"] for r in v["resources"]]
        entry = next(r for r in resources if r["resource"] == resource)
        return next(s for s in entry["subresources"] if s["subresource"] == name)

    scale = sub(named["items"], "deployments", "scale")
    assert scale["responseKind"] == {"group": "autoscaling", "version": "v1", "kind": "Scale"}
    assert scale["verbs"] == ["get", "patch", "update"]
    eviction = sub(core["items"], "pods", "eviction")
    assert eviction["responseKind"] == {"group": "policy", "version": "v1", "kind": "Eviction"}


# -- OpenAPI v3 ------------------------------------------------------------------------------

async def test_openapi_index_and_hashes(server: ApiServer) -> None:
    """/openapi/v3 lists api/v1, apis/apps/v1 and every other group-version; each URL carries
    the sha256 of the document it serves."""
    resp, index = await fetch(server, "/openapi/v3")
    assert resp.status == 200
    assert set(index["paths"]) == {gv_path(g, v) for g, v in GROUP_VERSIONS}
    assert {"api/v1", "apis/apps/v1"} <= set(index["paths"])
    for key, entry in index["paths"].items():
        url = entry["serverRelativeURL"]
        path, _, digest = url.partition("?hash=")
        assert path == f"/openapi/v3/{key}"
        doc = await server.handle(ApiRequest("GET", path, query={"hash": digest}))
        assert doc.status == 200
        assert hashlib.sha256(doc.raw).hexdigest().upper() == digest
        assert "immutable" in doc.headers["Cache-Control"]


async def test_openapi_documents_are_cached(server: ApiServer) -> None:
    """A document is generated once: later requests get the very same bytes."""
    first = await server.handle(ApiRequest("GET", "/openapi/v3/apis/apps/v1"))
    second = await server.handle(ApiRequest("GET", "/openapi/v3/apis/apps/v1"))
    assert first.raw is not None and first.raw is second.raw
    assert second.headers["Cache-Control"] == "no-cache, private", "no hash: revalidate"


@pytest.mark.parametrize("path", [
    pytest.param("/openapi/v3/apis/nope/v1", id="unknown-group-version"),
    pytest.param("/openapi/v3/apis/apps/v2", id="unknown-version"),
])
async def test_openapi_not_found(server: ApiServer, path: str) -> None:
    """Unknown group-version documents answer 404."""
    resp, body = await fetch(server, path)
    assert resp.status == 404 and body["reason"] == "NotFound"


@pytest.mark.parametrize(("group", "version"),
                         [pytest.param(g, v, id=gv_path(g, v)) for g, v in GROUP_VERSIONS])
async def test_every_ref_resolves(server: ApiServer, group: str, version: str) -> None:
    """Components are complete: every $ref of a document names one of its own schemas."""
    doc = await openapi_doc(server, group, version)
    assert doc["openapi"] == "3.0.0" and doc["info"]["title"] == "Kubernetes"
    schemas = doc["components"]["schemas"]
    dangling = {r for r in refs(doc) if r.removeprefix(REF) not in schemas}
    assert not dangling
    assert all(r.startswith(REF) for r in refs(doc))
    assert all(schemas.values()), "no definition is left empty"


@pytest.mark.parametrize("rt", [pytest.param(rt, id=kind_id(rt)) for rt in REGISTRY])
async def test_every_kind_is_described(server: ApiServer, rt: ResourceType) -> None:
    """Each kind has its schema and list schema tagged with their group-version-kind, and every
    PATCH operation of the kind offers fieldValidation and strategic merge patch (kubectl checks
    whichever one it meets first)."""
    doc = await openapi_doc(server, rt.group, rt.version)
    schemas = doc["components"]["schemas"]
    tagged = {s["kind"]: name for name, d in schemas.items()
              for s in d.get("x-kubernetes-group-version-kind", [])
              if (s["group"], s["version"]) == (rt.group, rt.version)}
    assert rt.kind in tagged
    if "list" in rt.verbs:  # create-only kinds (the reviews) have no list, as in Kubernetes
        assert rt.list_kind in tagged
        assert "items" in schemas[tagged[rt.list_kind]]["properties"]
    patches = [ops["patch"] for ops in doc["paths"].values()
               if "patch" in ops and ops["patch"]["x-kubernetes-group-version-kind"]
               == kind_gvk(rt)]
    # The item's own PATCH and its status (and approval) subresource's speak the kind (scale
    # speaks Scale).
    assert len(patches) == ("patch" in rt.verbs) + ("status" in rt.subresources) + \
        ("approval" in rt.subresources)
    for patch in patches:
        assert "fieldValidation" in {p["name"] for p in patch["parameters"]}
        assert "application/strategic-merge-patch+json" in patch["requestBody"]["content"]


async def test_deployment_paths_and_patch(server: ApiServer) -> None:
    """Deployments have collection, item, all-namespaces, watch and subresource paths; the item
    PATCH carries the group-version-kind, the patch action and the write parameters."""
    doc = await openapi_doc(server, "apps", "v1")
    paths = doc["paths"]
    base = "/apis/apps/v1/namespaces/{namespace}/deployments"
    for path in (base, base + "/{name}", "/apis/apps/v1/deployments", base + "/{name}/status",
                 base + "/{name}/scale", "/apis/apps/v1/watch/namespaces/{namespace}/deployments"):
        assert path in paths, path
    item = paths[base + "/{name}"]
    assert set(item) >= {"get", "put", "patch", "delete", "parameters"}
    patch = item["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "version": "v1",
                                                        "kind": "Deployment"}
    assert patch["x-kubernetes-action"] == "patch"
    assert {p["name"] for p in patch["parameters"]} >= {"fieldValidation", "dryRun",
                                                        "fieldManager", "force"}
    ok = patch["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": REF + "io.k8s.api.apps.v1.Deployment"}
    assert paths[base]["post"]["x-kubernetes-action"] == "post"
    assert paths[base]["delete"]["x-kubernetes-action"] == "deletecollection"
    scale = paths[base + "/{name}/scale"]["patch"]
    assert scale["x-kubernetes-group-version-kind"] == {"group": "autoscaling", "version": "v1",
                                                        "kind": "Scale"}
    assert "io.k8s.api.autoscaling.v1.Scale" in doc["components"]["schemas"]


async def test_pod_connect_and_log_paths(server: ApiServer) -> None:
    """Pod subresources: exec is a connect operation, log a get of text, eviction a post of
    policy/v1 Eviction."""
    paths = (await openapi_doc(server, "", "v1"))["paths"]
    pod = "/api/v1/namespaces/{namespace}/pods/{name}"
    exec_ = paths[pod + "/exec"]
    assert exec_["get"]["x-kubernetes-action"] == "connect"
    assert "command" in {p["name"] for p in exec_["post"]["parameters"]}
    log = paths[pod + "/log"]["get"]
    assert {"follow", "tailLines", "container"} <= {p["name"] for p in log["parameters"]}
    assert log["responses"]["200"]["content"]["text/plain"]["schema"] == {"type": "string"}
    eviction = paths[pod + "/eviction"]["post"]
    assert eviction["x-kubernetes-group-version-kind"]["group"] == "policy"
    assert "/api/v1/nodes/{name}" in paths and "/api/v1/namespaces/{name}/finalize" in paths


async def test_containers_carry_merge_key(server: ApiServer) -> None:
    """PodSpec.containers carries the strategic-merge extensions kubectl apply diffs with."""
    for group, version in (("", "v1"), ("apps", "v1")):
        schemas = (await openapi_doc(server, group, version))["components"]["schemas"]
        containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
        assert containers["x-kubernetes-patch-merge-key"] == "name"
        assert containers["x-kubernetes-patch-strategy"] == "merge"
        assert containers["x-kubernetes-list-type"] == "map"
        assert containers["x-kubernetes-list-map-keys"] == ["name"]
        assert containers["items"] == {"$ref": REF + "io.k8s.api.core.v1.Container"}


async def test_leaf_definitions(server: ApiServer) -> None:
    """Quantity, IntOrString and Time are named definitions shaped as Kubernetes' v3 ones."""
    schemas = (await openapi_doc(server, "", "v1"))["components"]["schemas"]
    quantity = schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"]
    assert quantity["oneOf"] == [{"type": "string"}, {"type": "number"}]
    int_or_string = schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]
    assert int_or_string["format"] == "int-or-string"
    assert int_or_string["oneOf"] == [{"type": "integer"}, {"type": "string"}]
    assert schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]["format"] == "date-time"
    status = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Status"]
    assert {"kind": "Status", "group": "", "version": "v1"} in status[
        "x-kubernetes-group-version-kind"]


class PatchMeta:
    """A Python rendering of how kubectl (strategicpatch.PatchMetaFromOpenAPIV3) walks these
    documents: properties by name, extensions on the property, then ``allOf[0]`` and ``$ref``."""

    def __init__(self, schemas: dict[str, Any], schema: dict[str, Any]) -> None:
        self.schemas, self.schema = schemas, schema

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        if schema.get("allOf"):
            schema = schema["allOf"][0]
        if "$ref" in schema:
            schema = self.schemas[schema["$ref"].removeprefix(REF)]
        return schema

    def lookup(self, key: str, *, slice_: bool) -> tuple[PatchMeta, str | None]:
        prop = self.schema.get("properties", {}).get(key)
        if prop is None:
            raise KeyError(f'unable to find api field "{key}"')
        merge_key = prop.get("x-kubernetes-patch-merge-key")
        if slice_ and "items" in prop:
            prop = prop["items"]
        return PatchMeta(self.schemas, self._resolve(prop)), merge_key

    def walk(self, obj: dict[str, Any], found: dict[str, str | None], path: str = "") -> None:
        for key, value in obj.items():
            if isinstance(value, dict):
                meta, _ = self.lookup(key, slice_=False)
                if "properties" in meta.schema:  # maps (labels, limits) hold scalars here
                    meta.walk(value, found, f"{path}.{key}")
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                meta, merge_key = self.lookup(key, slice_=True)
                found[f"{path}.{key}"] = merge_key
                for item in value:
                    meta.walk(item, found, f"{path}.{key}[]")


async def test_strategic_merge_lookup_of_a_manifest(server: ApiServer) -> None:
    """kubectl's patch-metadata walk finds every field of a typical Deployment manifest (no
    "unable to find api field") and the merge keys of its lists."""
    schemas = (await openapi_doc(server, "apps", "v1"))["components"]["schemas"]
    container = {
        "name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80, "name": "http"}],
        "env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}},
        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 5},
        "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg"}],
    }
    manifest = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"},
                     "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [container],
                                       "tolerations": [{"key": "k", "operator": "Exists"}],
                                       "volumes": [{"name": "cfg",
                                                    "configMap": {"name": "cfg"}}]}}},
    }
    deployment = schemas["io.k8s.api.apps.v1.Deployment"]
    found: dict[str, str | None] = {}
    PatchMeta(schemas, deployment).walk(manifest, found)
    containers = ".spec.template.spec.containers"
    assert found[containers] == "name"
    assert found[containers + "[].ports"] == "containerPort"
    assert found[containers + "[].env"] == "name"
    assert found[containers + "[].volumeMounts"] == "mountPath"
    assert found[".spec.template.spec.volumes"] == "name"
