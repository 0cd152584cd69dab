"""Custom resources served from CRDs, in process: ``ApiServer.handle`` on a real SQLite store
with the custom resource serving started, as the daemon wires it.

What Kubernetes' apiextensions-apiserver does, seen through requests: a CRD is validated,
gets ``NamesAccepted``/``Established`` and ``acceptedNames``; its kind is then served with
pruning, defaulting and validation from the schema, several versions (stored in the storage
version), status and scale subresources, merge and JSON patches (strategic merge: 415),
server-side apply by list-map keys; deleting the CRD deletes its objects and unserves it.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from minikube_py.api.errors import StatusError
from minikube_py.api.wire import ApiRequest
from minikube_py.apiserver.discovery import install_discovery
from minikube_py.apiserver.openapi import install_openapi
from minikube_py.apiserver.server import ApiServer
from minikube_py.client.base import Client
from minikube_py.client.local import LocalTransport
from minikube_py.daemon import bootstrap
from minikube_py.store.sqlite import SqliteStorage as Store

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
WIDGETS = "/apis/example.com/v1/namespaces/default/widgets"
MERGE = "application/merge-patch+json"

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["size"],
            "properties": {
                "size": {"type": "integer", "minimum": 1, "maximum": 10},
                "color": {"type": "string", "enum": ["red", "blue"], "default": "red"},
                "replicas": {"type": "integer", "default": 1},
                "ports": {"type": "array", "x-kubernetes-list-type": "map",
                          "x-kubernetes-list-map-keys": ["name"],
                          "items": {"type": "object", "required": ["name"],
                                    "properties": {"name": {"type": "string"},
                                                   "port": {"type": "integer"}}}},
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        },
        "status": {"type": "object", "properties": {
            "replicas": {"type": "integer"}, "selector": {"type": "string"}}},
    },
}


def widget_crd(*, versions: tuple[str, ...] = ("v1",), storage: str = "v1") -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget",
                      "shortNames": ["wd"], "categories": ["all"]},
            "versions": [{
                "name": v, "served": True, "storage": v == storage,
                "schema": {"openAPIV3Schema": copy.deepcopy(SCHEMA)},
                "subresources": {"status": {}, "scale": {
                    "specReplicasPath": ".spec.replicas", "statusReplicasPath":
                    ".status.replicas", "labelSelectorPath": ".status.selector"}},
                "additionalPrinterColumns": [
                    {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                    {"name": "Color", "type": "string", "jsonPath": ".spec.color"}],
            } for v in versions],
        },
    }


def widget(name: str = "w1", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": name}, "spec": {"size": 3, **spec}}


@pytest.fixture
async def server(store: Store) -> AsyncIterator[ApiServer]:
    srv = ApiServer(store)
    install_discovery(srv)
    install_openapi(srv)
    await srv.custom_resources.start()
    await bootstrap(Client(LocalTransport(srv.handle)))
    yield srv
    await srv.custom_resources.stop()


@pytest.fixture
def client(server: ApiServer) -> Client:
    return Client(LocalTransport(server.handle))


async def established(client: Client, crd: dict[str, Any]) -> dict[str, Any]:
    await client.request("POST", CRDS, body=crd)
    name = crd["metadata"]["name"]
    for _ in range(100):
        got: dict[str, Any] = await client.request("GET", f"{CRDS}/{name}")
        conditions = {c["type"]: c["status"] for c in got["status"].get("conditions", [])}
        if conditions.get("Established") == "True":
            return got
        await asyncio.sleep(0.02)
    raise AssertionError(f"CRD {name} not established: {got['status']}")


async def error_of(coro: Any) -> StatusError:
    with pytest.raises(StatusError) as info:
        await coro
    return info.value


async def test_crd_gets_conditions_and_accepted_names(client: Client) -> None:
    """An accepted CRD: NamesAccepted and Established True, acceptedNames, storedVersions."""
    crd = await established(client, widget_crd())
    conditions = {c["type"]: c for c in crd["status"]["conditions"]}
    assert conditions["NamesAccepted"]["status"] == "True"
    assert conditions["NamesAccepted"]["reason"] == "NoConflicts"
    assert crd["status"]["acceptedNames"]["kind"] == "Widget"
    assert crd["status"]["acceptedNames"]["listKind"] == "WidgetList"
    assert crd["status"]["storedVersions"] == ["v1"]


@pytest.mark.parametrize(("change", "field"), [
    pytest.param(lambda c: c["metadata"].update(name="other.example.com"), "metadata.name",
                 id="name-not-plural-dot-group"),
    pytest.param(lambda c: c["spec"].update(group="example"), "spec.group", id="group-no-dot"),
    pytest.param(lambda c: c["spec"]["versions"][0].update(storage=False), "spec.versions",
                 id="no-storage-version"),
    pytest.param(lambda c: c["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
                 ["properties"]["spec"]["properties"].update(bad={"properties": {}}),
                 "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[bad]"
                 ".type", id="untyped-node"),
    pytest.param(lambda c: c["spec"].update(scope="Galaxy"), "spec.scope", id="bad-scope"),
    pytest.param(lambda c: (c["spec"].update(group="apps.k8s.io"),
                            c["metadata"].update(name="widgets.apps.k8s.io")),
                 "metadata.annotations[api-approved.kubernetes.io]",
                 id="protected-group-unapproved"),
])
async def test_invalid_crds_are_refused(client: Client, change: Any, field: str) -> None:
    """CRD validation answers 422 naming the field."""
    crd = widget_crd()
    change(crd)
    err = await error_of(client.request("POST", CRDS, body=crd))
    assert err.code == 422
    assert field in [c.field for c in err.causes], err.causes


async def test_custom_resource_pruned_defaulted_validated(client: Client) -> None:
    """Unknown fields pruned (a warning), defaults filled, bad values 422 with paths."""
    await established(client, widget_crd())
    body = widget(unknown=1, extra={"kept": True})
    created = await client.request("POST", WIDGETS, body=body)
    assert "unknown" not in created["spec"]
    assert created["spec"]["extra"] == {"kept": True}
    assert created["spec"]["color"] == "red" and created["spec"]["replicas"] == 1
    assert created["metadata"]["generation"] == 1
    assert "status" not in created
    err = await error_of(client.request("POST", WIDGETS, body=widget(
        "w2", size="big", color="green")))
    assert err.code == 422
    fields = {c.field: c.message for c in err.causes}
    assert "must be of type integer" in fields["spec.size"]
    assert 'supported values: "red", "blue"' in fields["spec.color"]
    err = await error_of(client.request("POST", WIDGETS, body={
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w3"},
        "spec": {"size": 11}}))
    assert [c.field for c in err.causes] == ["spec.size"]
    assert "less than or equal to 10" in err.causes[0].message
    err = await error_of(client.request("POST", WIDGETS, body={
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w4"},
        "spec": {}}))
    assert [(c.field, c.reason) for c in err.causes] == [("spec.size", "FieldValueRequired")]


async def test_strict_field_validation_rejects_unknown(client: Client) -> None:
    """fieldValidation=Strict (kubectl's default) refuses what would be pruned."""
    await established(client, widget_crd())
    err = await error_of(client.request("POST", WIDGETS, query={"fieldValidation": "Strict"},
                                        body=widget(bogus=1)))
    assert err.code == 400 and 'unknown field "spec.bogus"' in err.message


async def test_status_and_scale_subresources(client: Client) -> None:
    """Status only through /status, spec kept by it; /scale reads and writes the paths."""
    await established(client, widget_crd())
    await client.request("POST", WIDGETS, body=widget())
    obj = await client.request("GET", f"{WIDGETS}/w1")
    obj["status"] = {"replicas": 2, "selector": "app=w"}
    await client.request("PUT", f"{WIDGETS}/w1", body=obj)
    assert "status" not in await client.request("GET", f"{WIDGETS}/w1")
    await client.request("PATCH", f"{WIDGETS}/w1/status", content_type=MERGE,
                         body={"status": {"replicas": 2, "selector": "app=w"},
                               "spec": {"size": 9}})
    obj = await client.request("GET", f"{WIDGETS}/w1")
    assert obj["status"]["replicas"] == 2 and obj["spec"]["size"] == 3
    scale = await client.request("GET", f"{WIDGETS}/w1/scale")
    assert scale["kind"] == "Scale"
    assert scale["spec"] == {"replicas": 1}
    assert scale["status"] == {"replicas": 2, "selector": "app=w"}
    await client.request("PATCH", f"{WIDGETS}/w1/scale", content_type=MERGE,
                         body={"spec": {"replicas": 5}})
    obj = await client.request("GET", f"{WIDGETS}/w1")
    assert obj["spec"]["replicas"] == 5 and obj["metadata"]["generation"] == 2


async def test_patches_and_apply(client: Client) -> None:
    """Merge and JSON patch work, strategic merge is 415, apply merges list-map items."""
    await established(client, widget_crd())
    await client.request("POST", WIDGETS, body=widget(ports=[{"name": "a", "port": 1}]))
    await client.request("PATCH", f"{WIDGETS}/w1", content_type=MERGE,
                         body={"spec": {"size": 4}})
    await client.request("PATCH", f"{WIDGETS}/w1", content_type="application/json-patch+json",
                         body=[{"op": "replace", "path": "/spec/color", "value": "blue"}])
    err = await error_of(client.request(
        "PATCH", f"{WIDGETS}/w1", content_type="application/strategic-merge-patch+json",
        body={"spec": {"size": 5}}))
    assert err.code == 415
    applied = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"},
               "spec": {"size": 4, "ports": [{"name": "b", "port": 2}]}}
    obj = await client.request("PATCH", f"{WIDGETS}/w1",
                               content_type="application/apply-patch+yaml",
                               query={"fieldManager": "tester", "force": "true"}, body=applied)
    assert obj["spec"]["color"] == "blue"
    assert sorted(p["name"] for p in obj["spec"]["ports"]) == ["a", "b"]


async def test_versions_share_storage(client: Client, server: ApiServer) -> None:
    """Every served version reads the same objects (apiVersion rewritten); the storage
    version's apiVersion is what is stored."""
    await established(client, widget_crd(versions=("v1", "v1beta1"), storage="v1"))
    beta = WIDGETS.replace("/v1/", "/v1beta1/")
    body = widget()
    body["apiVersion"] = "example.com/v1beta1"
    created = await client.request("POST", beta, body=body)
    assert created["apiVersion"] == "example.com/v1beta1"
    stored = server.store.get("/registry/example.com/widgets/default/w1")
    assert stored is not None and stored.decode()["apiVersion"] == "example.com/v1"
    assert (await client.request("GET", f"{WIDGETS}/w1"))["apiVersion"] == "example.com/v1"
    listed = await client.request("GET", beta)
    assert [i["apiVersion"] for i in listed["items"]] == ["example.com/v1beta1"]
    assert listed["kind"] == "WidgetList" and listed["apiVersion"] == "example.com/v1beta1"
    patched = await client.request("PATCH", f"{beta}/w1", content_type=MERGE,
                                   body={"spec": {"size": 2}})
    assert patched["apiVersion"] == "example.com/v1beta1"


async def test_discovery_and_openapi_follow_crds(client: Client) -> None:
    """The group appears in discovery and OpenAPI once established, and goes with the CRD."""
    await established(client, widget_crd())
    resources = await client.request("GET", "/apis/example.com/v1")
    widgets = next(r for r in resources["resources"] if r["name"] == "widgets")
    assert widgets["shortNames"] == ["wd"] and widgets["categories"] == ["all"]
    assert {r["name"] for r in resources["resources"]} >= {"widgets/status", "widgets/scale"}
    index = await client.request("GET", "/openapi/v3")
    assert "apis/example.com/v1" in index["paths"]
    doc = await client.request("GET", "/openapi/v3/apis/example.com/v1")
    spec = doc["components"]["schemas"]["com.example.v1.Widget"]["properties"]["spec"]
    assert spec["properties"]["size"]["type"] == "integer"
    # kubectl apply sends a strategic merge patch only where PATCH lists it: not for CRs.
    patch = doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]["patch"]
    assert "application/strategic-merge-patch+json" not in patch["requestBody"]["content"]
    assert "application/merge-patch+json" in patch["requestBody"]["content"]
    await client.request("POST", WIDGETS, body=widget())
    await client.request("DELETE", f"{CRDS}/widgets.example.com")
    for _ in range(200):
        groups = await client.request("GET", "/apis")
        if "example.com" not in [g["name"] for g in groups["groups"]]:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("example.com still served after its CRD was deleted")
    assert "apis/example.com/v1" not in (await client.request("GET", "/openapi/v3"))["paths"]
    err = await error_of(client.request("GET", f"{CRDS}/widgets.example.com"))
    assert err.code == 404


async def test_restart_serves_stored_crds(store: Store, tmp_path: Any) -> None:
    """A CRD and its objects written before a restart are served by a new apiserver."""
    first = ApiServer(store)
    await first.custom_resources.start()
    c1 = Client(LocalTransport(first.handle))
    await bootstrap(c1)
    await established(c1, widget_crd())
    await c1.request("POST", WIDGETS, body=widget())
    await first.custom_resources.stop()
    second = ApiServer(store)
    await second.custom_resources.start()
    try:
        got = await Client(LocalTransport(second.handle)).request("GET", f"{WIDGETS}/w1")
        assert got["spec"]["size"] == 3
    finally:
        await second.custom_resources.stop()


async def test_name_conflict_is_not_accepted(client: Client) -> None:
    """A second CRD of the group claiming a taken name gets NamesAccepted False."""
    await established(client, widget_crd())
    other = widget_crd()
    other["metadata"]["name"] = "gadgets.example.com"
    other["spec"]["names"] = {"plural": "gadgets", "singular": "gadget", "kind": "Widget"}
    await client.request("POST", CRDS, body=other)
    for _ in range(100):
        got = await client.request("GET", f"{CRDS}/gadgets.example.com")
        conditions = {c["type"]: c for c in got["status"].get("conditions", [])}
        if "NamesAccepted" in conditions:
            break
        await asyncio.sleep(0.02)
    assert conditions["NamesAccepted"]["status"] == "False"
    assert conditions["NamesAccepted"]["reason"] == "KindConflict"
    assert conditions["Established"]["status"] == "False"


async def test_cluster_scoped_custom_resource(client: Client) -> None:
    """A Cluster-scoped CRD serves its kind without namespaces; field selectors by name."""
    crd = widget_crd()
    crd["spec"]["scope"] = "Cluster"
    await established(client, crd)
    path = "/apis/example.com/v1/widgets"
    created = await client.request("POST", path, body=widget())
    assert "namespace" not in created["metadata"]
    await client.request("POST", path, body=widget("w2"))
    listed = await client.request("GET", path, query={"fieldSelector": "metadata.name=w2"})
    assert [i["metadata"]["name"] for i in listed["items"]] == ["w2"]
    err = await error_of(client.request("GET", path, query={
        "fieldSelector": "metadata.namespace=default"}))
    assert err.code == 400


async def test_crd_deletion_waits_for_object_finalizers(client: Client) -> None:
    """While its objects go (one held by a finalizer) the CRD is Terminating and refuses
    creates; once the last is gone the CRD goes too."""
    await established(client, widget_crd())
    held = widget("held")
    held["metadata"]["finalizers"] = ["example.com/hold"]
    await client.request("POST", WIDGETS, body=held)
    await client.request("DELETE", f"{CRDS}/widgets.example.com")
    for _ in range(100):
        obj = await client.request("GET", f"{WIDGETS}/held")
        if obj["metadata"].get("deletionTimestamp"):
            break
        await asyncio.sleep(0.02)
    crd = await client.request("GET", f"{CRDS}/widgets.example.com")
    assert {c["type"]: c["status"] for c in crd["status"]["conditions"]}["Terminating"] == \
        "True"
    assert crd["metadata"]["finalizers"] == ["customresourcecleanup.apiextensions.k8s.io"]
    err = await error_of(client.request("POST", WIDGETS, body=widget("late")))
    assert err.code == 405
    await client.request("PATCH", f"{WIDGETS}/held", content_type=MERGE,
                         body={"metadata": {"finalizers": None}})
    for _ in range(200):
        try:
            await client.request("GET", f"{CRDS}/widgets.example.com")
        except StatusError as exc:
            assert exc.code == 404
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the CRD stayed after its last object went")


async def test_objects_follow_a_new_storage_version(client: Client, server: ApiServer) -> None:
    """Objects stored in an old storage version are served in the version asked for, and a
    new storage version joins status.storedVersions."""
    await established(client, widget_crd(versions=("v1", "v2"), storage="v1"))
    await client.request("POST", WIDGETS, body=widget())
    crd = await client.request("GET", f"{CRDS}/widgets.example.com")
    for version in crd["spec"]["versions"]:
        version["storage"] = version["name"] == "v2"
    updated = await client.request("PUT", f"{CRDS}/widgets.example.com", body=crd)
    assert updated["status"]["storedVersions"] == ["v1", "v2"]
    v2 = WIDGETS.replace("/v1/", "/v2/")
    for _ in range(100):
        got = await client.request("GET", f"{v2}/w1")
        if server.registry.by_path("example.com", "v2", "widgets").strategy \
                .storage_api_version == "example.com/v2":
            break
        await asyncio.sleep(0.02)
    assert got["apiVersion"] == "example.com/v2"
    assert (await client.request("GET", f"{WIDGETS}/w1"))["apiVersion"] == "example.com/v1"


async def test_defaults_added_later_apply_when_read(client: Client) -> None:
    """A default the CRD gains after an object was stored shows when the object is read,
    as Kubernetes defaults what it reads from storage."""
    await established(client, widget_crd())
    await client.request("POST", WIDGETS, body=widget())
    crd = await client.request("GET", f"{CRDS}/widgets.example.com")
    spec_schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec_schema["properties"]["shape"] = {"type": "string", "default": "round"}
    await client.request("PUT", f"{CRDS}/widgets.example.com", body=crd)
    for _ in range(100):
        got = await client.request("GET", f"{WIDGETS}/w1")
        if "shape" in got["spec"]:
            break
        await asyncio.sleep(0.02)
    assert got["spec"]["shape"] == "round"
    listed = await client.request("GET", WIDGETS)
    assert listed["items"][0]["spec"]["shape"] == "round"


async def test_deprecated_version_warns(server: ApiServer, client: Client) -> None:
    """Every request of a deprecated version carries its deprecation warning."""
    crd = widget_crd(versions=("v1", "v1beta1"), storage="v1")
    crd["spec"]["versions"][1]["deprecated"] = True
    await established(client, crd)
    beta = WIDGETS.replace("/v1/", "/v1beta1/")
    response = await server.handle(ApiRequest(method="GET", path=beta, query={}))
    assert response.status == 200
    assert response.warnings == ["example.com/v1beta1 Widget is deprecated"]
    response = await server.handle(ApiRequest(method="GET", path=WIDGETS, query={}))
    assert response.warnings == []


async def test_selectable_fields(client: Client) -> None:
    """A version's selectableFields are field selectors; other paths are refused."""
    crd = widget_crd()
    crd["spec"]["versions"][0]["selectableFields"] = [{"jsonPath": ".spec.color"}]
    await established(client, crd)
    await client.request("POST", WIDGETS, body=widget("red"))
    await client.request("POST", WIDGETS, body=widget("blue", color="blue"))
    listed = await client.request("GET", WIDGETS, query={"fieldSelector": "spec.color=blue"})
    assert [i["metadata"]["name"] for i in listed["items"]] == ["blue"]
    err = await error_of(client.request("GET", WIDGETS, query={"fieldSelector": "spec.size=3"}))
    assert err.code == 400


async def test_cel_rules_on_create_and_update(client: Client) -> None:
    """x-kubernetes-validations: a rule on create, a transition rule on update (422 at the
    field, with the rule's message)."""
    crd = widget_crd()
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["x-kubernetes-validations"] = [
        {"rule": "self.replicas <= self.size", "message": "replicas must not exceed size"}]
    spec["properties"]["color"]["x-kubernetes-validations"] = [
        {"rule": "self == oldSelf", "message": "color is immutable"}]
    await established(client, crd)
    err = await error_of(client.request("POST", WIDGETS, body=widget(replicas=5)))
    assert [(c.field, c.message) for c in err.causes] == [
        ("spec", 'Invalid value: "object": replicas must not exceed size')]
    await client.request("POST", WIDGETS, body=widget())
    await client.request("PATCH", f"{WIDGETS}/w1", content_type=MERGE,
                         body={"spec": {"size": 4}})
    err = await error_of(client.request("PATCH", f"{WIDGETS}/w1", content_type=MERGE,
                                        body={"spec": {"color": "blue"}}))
    assert err.code == 422
    assert [(c.field, c.message) for c in err.causes] == [
        ("spec.color", 'Invalid value: "string": color is immutable')]
    bad = widget_crd()
    bad["metadata"]["name"] = "widgets.example.com"
    bad["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["x-kubernetes-validations"] = [
        {"rule": "self.("}]
    err = await error_of(client.request("POST", CRDS, body=bad))
    assert err.code == 422


async def test_watch_of_another_version_converts_events(server: ApiServer,
                                                       client: Client) -> None:
    """A watch of a non-storage version gets each event in its version, as rows of a Table
    when asked (kubectl get -w), and with a selector."""
    await established(client, widget_crd(versions=("v1", "v1beta1"), storage="v1"))
    beta = WIDGETS.replace("/v1/", "/v1beta1/")
    plain = await server.handle(ApiRequest(method="GET", path=beta, query={
        "watch": "true", "labelSelector": "app=w"}))
    table = await server.handle(ApiRequest(
        method="GET", path=beta, query={"watch": "true"},
        accept="application/json;as=Table;v=v1;g=meta.k8s.io"))
    assert plain.stream is not None and table.stream is not None
    body = widget()
    body["metadata"]["labels"] = {"app": "w"}
    await client.request("POST", WIDGETS, body=body)
    event = json.loads((await asyncio.wait_for(anext(plain.stream), 5)).splitlines()[0])
    assert event["type"] == "ADDED"
    assert event["object"]["apiVersion"] == "example.com/v1beta1"
    row = json.loads((await asyncio.wait_for(anext(table.stream), 5)).splitlines()[0])
    assert row["object"]["kind"] == "Table"
    assert row["object"]["rows"][0]["cells"][:3] == ["w1", 3, "red"]
    for stream in (plain.stream, table.stream):
        await stream.aclose()  # type: ignore[attr-defined]


async def test_versions_prune_by_their_own_schema(client: Client) -> None:
    """A field only the storage version's schema knows is not served by a version whose
    schema lacks it (pruned on read, as Kubernetes' storage codec prunes)."""
    crd = widget_crd(versions=("v1", "v1beta1"), storage="v1")
    beta_spec = crd["spec"]["versions"][1]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    del beta_spec["properties"]["extra"]
    await established(client, crd)
    await client.request("POST", WIDGETS, body=widget(extra={"k": 1}))
    assert (await client.request("GET", f"{WIDGETS}/w1"))["spec"]["extra"] == {"k": 1}
    beta = WIDGETS.replace("/v1/", "/v1beta1/")
    assert "extra" not in (await client.request("GET", f"{beta}/w1"))["spec"]
