"""Every verb of the request pipeline and every error code it answers with, in process.

These go through ``ApiServer.handle`` (the same pipeline HTTP requests reach) on a real SQLite
store; ``test_http.py`` covers what only HTTP adds (TLS, tokens, body limits, streaming).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from minikube_py.api.wire import ApiRequest
from minikube_py.apiserver.server import ApiServer

CM = "/api/v1/namespaces/default/configmaps"
DEPLOY = "/apis/apps/v1/namespaces/default/deployments"


async def lines(stream: Any) -> list[dict[str, Any]]:
    """All watch events of a stream (a chunk may hold several lines)."""
    return [json.loads(x) async for chunk in stream for x in chunk.splitlines() if x]


async def call(server: ApiServer, method: str, path: str, body: Any = None, *,
               ctype: str = "application/json", accept: str = "application/json",
               **query: str) -> tuple[int, Any]:
    raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    resp = await server.handle(ApiRequest(method, path, query=query, body=raw,
                                          content_type=ctype if raw else "", accept=accept))
    if resp.raw is not None:
        return resp.status, json.loads(resp.raw)
    return resp.status, resp.body


def configmap(name: str, labels: dict[str, str] | None = None, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": labels or {}}, "data": data}


def deployment(name: str = "web", replicas: int = 1, image: str = "nginx:1.25") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": image}]}}}}


async def test_create_fills_metadata(apiserver: ApiServer) -> None:
    """Create answers 201 with uid, creationTimestamp, generation 1 and a resourceVersion."""
    code, obj = await call(apiserver, "POST", DEPLOY, deployment())
    assert code == 201
    meta = obj["metadata"]
    assert meta["uid"] and meta["creationTimestamp"].endswith("Z")
    assert meta["generation"] == 1 and int(meta["resourceVersion"]) > 0
    assert obj["spec"]["strategy"]["type"] == "RollingUpdate", "defaults are applied"
    assert "status" not in obj or obj["status"] == {}, "a create cannot set status"


async def test_generate_name(apiserver: ApiServer) -> None:
    """generateName gets a random five-character suffix."""
    body = configmap("")
    body["metadata"] = {"generateName": "cfg-"}
    code, obj = await call(apiserver, "POST", CM, body)
    assert code == 201
    assert obj["metadata"]["name"].startswith("cfg-") and len(obj["metadata"]["name"]) == 9


@pytest.mark.parametrize("path, body, code, reason", [
    pytest.param(CM, configmap("a"), 409, "AlreadyExists", id="already-exists"),
    pytest.param("/api/v1/namespaces/nope/configmaps", configmap("b"), 404, "NotFound",
                 id="missing-namespace"),
    pytest.param(CM, configmap("Bad_Name"), 422, "Invalid", id="invalid-name"),
    pytest.param(CM, b"{not json", 400, "BadRequest", id="malformed-json"),
    pytest.param(CM, {"apiVersion": "apps/v1", "kind": "ConfigMap",
                      "metadata": {"name": "x"}}, 400, "BadRequest", id="wrong-api-version"),
    pytest.param(CM, {"kind": "ConfigMap", "metadata": {"name": "x"}, "data": "text"}, 400,
                 "BadRequest", id="wrong-field-type"),
    pytest.param("/api/v1/namespaces/default/widgets", configmap("c"), 404, "NotFound",
                 id="unknown-resource"),
])
async def test_create_errors(apiserver: ApiServer, path: str, body: Any, code: int,
                             reason: str) -> None:
    """Bad creates answer a Status with the right code and reason, and write nothing."""
    await call(apiserver, "POST", CM, configmap("a"))
    rev = apiserver.store.revision
    got, status = await call(apiserver, "POST", path, body)
    assert got == code
    assert status["kind"] == "Status" and status["reason"] == reason and status["code"] == code
    assert apiserver.store.revision == rev


async def test_invalid_reports_field_causes(apiserver: ApiServer) -> None:
    """422 Invalid lists each bad field in details.causes, as kubectl prints them."""
    bad = deployment()
    bad["spec"]["template"]["spec"]["containers"][0].pop("image")
    bad["spec"]["replicas"] = -1
    code, status = await call(apiserver, "POST", DEPLOY, bad)
    assert code == 422
    fields = {c["field"] for c in status["details"]["causes"]}
    assert {"spec.replicas", "spec.template.spec.containers[0].image"} <= fields
    assert status["details"]["kind"] == "Deployment" and status["details"]["group"] == "apps"
    assert status["message"].startswith('Deployment.apps "web" is invalid')


async def test_unknown_fields_by_field_validation(apiserver: ApiServer) -> None:
    """fieldValidation: Strict rejects unknown fields (400), Warn answers a Warning header,
    Ignore drops them; the stored object never has them."""
    body = configmap("s")
    body["bogus"] = 1
    code, status = await call(apiserver, "POST", CM, body, fieldValidation="Strict")
    assert code == 400 and 'unknown field "bogus"' in status["message"]
    resp = await apiserver.handle(ApiRequest("POST", CM, query={"fieldValidation": "Warn"},
                                             body=json.dumps(body).encode()))
    assert resp.status == 201 and 'unknown field "bogus"' in resp.warnings
    assert "bogus" not in resp.body
    body["metadata"]["name"] = "i"
    code, obj = await call(apiserver, "POST", CM, body, fieldValidation="Ignore")
    assert code == 201 and "bogus" not in obj


async def test_get_and_not_found(apiserver: ApiServer) -> None:
    """Get returns the stored object; a missing one is 404 with kubectl's message."""
    await call(apiserver, "POST", CM, configmap("a", k="v"))
    code, obj = await call(apiserver, "GET", f"{CM}/a")
    assert code == 200 and obj["data"] == {"k": "v"}
    code, status = await call(apiserver, "GET", f"{CM}/zzz")
    assert code == 404 and status["message"] == 'configmaps "zzz" not found'
    assert status["details"] == {"name": "zzz", "kind": "configmaps"}


@pytest.mark.parametrize("selector, expected", [
    pytest.param("tier=web", ["a", "b"], id="equality"),
    pytest.param("tier!=web", ["c", "d"], id="inequality-includes-unlabelled"),
    pytest.param("tier in (db,cache)", ["c"], id="set-in"),
    pytest.param("tier notin (web)", ["c", "d"], id="set-notin"),
    pytest.param("tier", ["a", "b", "c"], id="exists"),
    pytest.param("!tier", ["d"], id="does-not-exist"),
    pytest.param("tier=web,env=prod", ["a"], id="conjunction"),
])
async def test_list_label_selectors(apiserver: ApiServer, selector: str,
                                    expected: list[str]) -> None:
    """labelSelector filters lists with equality and set-based requirements."""
    for name, labels in (("a", {"tier": "web", "env": "prod"}), ("b", {"tier": "web"}),
                         ("c", {"tier": "db"}), ("d", {})):
        await call(apiserver, "POST", CM, configmap(name, labels))
    code, listing = await call(apiserver, "GET", CM, labelSelector=selector)
    assert code == 200
    names = [i["metadata"]["name"] for i in listing["items"]]
    assert names == expected


async def test_list_field_selector_and_bad_selectors(apiserver: ApiServer) -> None:
    """fieldSelector metadata.name selects one object; an unsupported field is 400."""
    for name in ("a", "b"):
        await call(apiserver, "POST", CM, configmap(name))
    code, listing = await call(apiserver, "GET", CM, fieldSelector="metadata.name=b")
    assert [i["metadata"]["name"] for i in listing["items"]] == ["b"]
    code, status = await call(apiserver, "GET", CM, fieldSelector="spec.bogus=1")
    assert code == 400 and status["reason"] == "BadRequest"
    code, status = await call(apiserver, "GET", CM, labelSelector="a in (")
    assert code == 400


async def test_list_all_namespaces_and_pagination(apiserver: ApiServer) -> None:
    """An all-namespaces list sees every namespace; limit/continue pages without loss."""
    await call(apiserver, "POST", "/api/v1/namespaces", {"metadata": {"name": "other"}})
    for i in range(5):
        await call(apiserver, "POST", CM, configmap(f"d{i}"))
        await call(apiserver, "POST", "/api/v1/namespaces/other/configmaps",
                   configmap(f"o{i}"))
    code, listing = await call(apiserver, "GET", "/api/v1/configmaps")
    assert len(listing["items"]) == 10
    seen: list[str] = []
    token = ""
    while True:
        query = {"limit": "3"} | ({"continue": token} if token else {})
        code, page = await call(apiserver, "GET", "/api/v1/configmaps", **query)
        assert code == 200 and len(page["items"]) <= 3
        seen += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue", "")
        if not token:
            break
    assert sorted(seen) == sorted(f"{p}{i}" for p in "do" for i in range(5))
    code, status = await call(apiserver, "GET", "/api/v1/configmaps", limit="2",
                              **{"continue": "garbage!"})
    assert code == 400


async def test_update_conflict_on_stale_resource_version(apiserver: ApiServer) -> None:
    """PUT with a stale resourceVersion is 409 Conflict and changes nothing."""
    _, obj = await call(apiserver, "POST", CM, configmap("a", k="1"))
    stale = json.loads(json.dumps(obj))
    obj["data"]["k"] = "2"
    code, updated = await call(apiserver, "PUT", f"{CM}/a", obj)
    assert code == 200 and updated["data"]["k"] == "2"
    stale["data"]["k"] = "3"
    code, status = await call(apiserver, "PUT", f"{CM}/a", stale)
    assert code == 409 and status["reason"] == "Conflict"
    assert "the object has been modified" in status["message"]
    _, now = await call(apiserver, "GET", f"{CM}/a")
    assert now["data"]["k"] == "2"


async def test_update_of_missing_object_and_name_mismatch(apiserver: ApiServer) -> None:
    """PUT to a missing object is 404; a body naming another object is 400."""
    code, _ = await call(apiserver, "PUT", f"{CM}/ghost", configmap("ghost"))
    assert code == 404
    await call(apiserver, "POST", CM, configmap("a"))
    code, _ = await call(apiserver, "PUT", f"{CM}/a", configmap("b"))
    assert code == 400


async def test_generation_counts_spec_changes_only(apiserver: ApiServer) -> None:
    """generation bumps on a spec change, not on a label change."""
    _, obj = await call(apiserver, "POST", DEPLOY, deployment())
    obj["metadata"]["labels"] = {"x": "y"}
    _, obj = await call(apiserver, "PUT", f"{DEPLOY}/web", obj)
    assert obj["metadata"]["generation"] == 1
    obj["spec"]["replicas"] = 3
    _, obj = await call(apiserver, "PUT", f"{DEPLOY}/web", obj)
    assert obj["metadata"]["generation"] == 2


async def test_status_subresource_separation(apiserver: ApiServer) -> None:
    """A main update cannot change status; a status update cannot change spec."""
    _, obj = await call(apiserver, "POST", DEPLOY, deployment())
    obj["status"] = {"replicas": 5}
    _, after = await call(apiserver, "PUT", f"{DEPLOY}/web", obj)
    assert (after.get("status") or {}).get("replicas") is None
    after["status"] = {"replicas": 1, "observedGeneration": 1}
    after["spec"]["replicas"] = 9
    code, st = await call(apiserver, "PUT", f"{DEPLOY}/web/status", after)
    assert code == 200 and st["status"]["replicas"] == 1 and st["spec"]["replicas"] == 1
    code, st = await call(apiserver, "PATCH", f"{DEPLOY}/web/status",
                          {"status": {"readyReplicas": 1}},
                          ctype="application/merge-patch+json")
    assert code == 200 and st["status"]["readyReplicas"] == 1


async def test_deployment_status_update_takes_annotations_without_a_new_generation(
        apiserver: ApiServer) -> None:
    """Through ``/status`` a Deployment's annotations change too (the controller's revision
    annotation) and the generation stays; labels do not change, and a ReplicaSet's
    ``/status`` keeps its annotations as stored."""
    _, obj = await call(apiserver, "POST", DEPLOY, deployment())
    obj["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "1"}
    obj["metadata"]["labels"] = {"changed": "yes"}
    obj["status"] = {"observedGeneration": 1}
    code, st = await call(apiserver, "PUT", f"{DEPLOY}/web/status", obj)
    assert code == 200
    assert st["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1"}
    assert st["metadata"]["generation"] == 1 and not st["metadata"].get("labels")
    rs_path = "/apis/apps/v1/namespaces/default/replicasets"
    rs = deployment("rs")
    rs["kind"] = "ReplicaSet"
    _, rs = await call(apiserver, "POST", rs_path, rs)
    rs["metadata"]["annotations"] = {"x": "y"}
    code, st = await call(apiserver, "PUT", f"{rs_path}/rs/status", rs)
    assert code == 200 and not st["metadata"].get("annotations")


async def test_immutable_selector(apiserver: ApiServer) -> None:
    """A Deployment's selector cannot change (422, field is immutable)."""
    await call(apiserver, "POST", DEPLOY, deployment())
    patch = {"spec": {"selector": {"matchLabels": {"app": "other"}},
                      "template": {"metadata": {"labels": {"app": "other"}}}}}
    code, status = await call(apiserver, "PATCH", f"{DEPLOY}/web", patch,
                              ctype="application/merge-patch+json")
    assert code == 422
    assert any(c["field"] == "spec.selector" and "immutable" in c["message"]
               for c in status["details"]["causes"])


@pytest.mark.parametrize("ctype, patch", [
    pytest.param("application/merge-patch+json", {"data": {"k": "2", "old": None}},
                 id="merge-patch"),
    pytest.param("application/json-patch+json",
                 [{"op": "replace", "path": "/data/k", "value": "2"},
                  {"op": "remove", "path": "/data/old"}], id="json-patch"),
    pytest.param("application/strategic-merge-patch+json", {"data": {"k": "2", "old": None}},
                 id="strategic-merge-patch"),
])
async def test_patch_types(apiserver: ApiServer, ctype: str, patch: Any) -> None:
    """Each patch type changes the object as its RFC/semantics say."""
    await call(apiserver, "POST", CM, configmap("a", k="1", old="x"))
    code, obj = await call(apiserver, "PATCH", f"{CM}/a", patch, ctype=ctype)
    assert code == 200 and obj["data"] == {"k": "2"}


async def test_patch_errors(apiserver: ApiServer) -> None:
    """An unknown patch type is 415; a failing JSON-patch test is 422; a missing object 404."""
    await call(apiserver, "POST", CM, configmap("a", k="1"))
    code, _ = await call(apiserver, "PATCH", f"{CM}/a", {"data": {}}, ctype="text/plain")
    assert code == 415
    code, _ = await call(apiserver, "PATCH", f"{CM}/a",
                         [{"op": "test", "path": "/data/k", "value": "nope"}],
                         ctype="application/json-patch+json")
    assert code == 422
    code, _ = await call(apiserver, "PATCH", f"{CM}/zz", {"data": {}},
                         ctype="application/merge-patch+json")
    assert code == 404


async def test_strategic_merge_keeps_other_containers(apiserver: ApiServer) -> None:
    """A strategic merge patch merges containers by name."""
    body = deployment()
    body["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "busybox"})
    await call(apiserver, "POST", DEPLOY, body)
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx:2"}]}}}}
    code, obj = await call(apiserver, "PATCH", f"{DEPLOY}/web", patch,
                           ctype="application/strategic-merge-patch+json")
    assert code == 200
    images = {c["name"]: c["image"] for c in obj["spec"]["template"]["spec"]["containers"]}
    assert images == {"c": "nginx:2", "side": "busybox"}


async def test_kinds_with_a_status_have_one_from_their_first_write(
        apiserver: ApiServer) -> None:
    """The empty status of each kind is in the object, as Kubernetes encodes it: a
    Deployment's ``{}``, a Service's ``{"loadBalancer": {}}``, a ReplicaSet's required
    ``replicas: 0``; pods and services come back whole from a DELETE, other kinds as a
    Status."""
    _, svc = await call(apiserver, "POST", "/api/v1/namespaces/default/services",
                        {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}})
    assert svc["status"] == {"loadBalancer": {}}
    _, dep = await call(apiserver, "POST", DEPLOY, deployment())
    assert dep["status"] == {}
    rs = deployment("rs")
    rs["kind"] = "ReplicaSet"
    _, rs = await call(apiserver, "POST", "/apis/apps/v1/namespaces/default/replicasets", rs)
    assert rs["status"] == {"replicas": 0}
    _, cm = await call(apiserver, "POST", CM, configmap("no-status"))
    assert "status" not in cm
    code, gone = await call(apiserver, "DELETE", "/api/v1/namespaces/default/services/s")
    assert code == 200 and gone["kind"] == "Service"
    code, gone = await call(apiserver, "DELETE", f"{DEPLOY}/web")
    assert code == 200 and gone["status"] == "Success"
    assert gone["details"] == {"name": "web", "group": "apps", "kind": "deployments",
                               "uid": dep["metadata"]["uid"]}


async def test_delete_and_preconditions(apiserver: ApiServer) -> None:
    """A delete that removes the object answers with a Success Status naming it (as
    Kubernetes' registry); a precondition that does not hold is 409."""
    _, obj = await call(apiserver, "POST", CM, configmap("a"))
    code, status = await call(apiserver, "DELETE", f"{CM}/a",
                              {"preconditions": {"uid": "not-the-uid"}})
    assert code == 409
    code, gone = await call(apiserver, "DELETE", f"{CM}/a",
                            {"preconditions": {"uid": obj["metadata"]["uid"]}})
    assert code == 200 and gone == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
        "details": {"name": "a", "kind": "configmaps", "uid": obj["metadata"]["uid"]}}
    code, _ = await call(apiserver, "GET", f"{CM}/a")
    assert code == 404
    code, _ = await call(apiserver, "DELETE", f"{CM}/a")
    assert code == 404


async def test_finalizers_hold_deletion(apiserver: ApiServer) -> None:
    """An object with finalizers gets a deletionTimestamp and stays until they are removed."""
    body = configmap("f")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    await call(apiserver, "POST", CM, body)
    code, obj = await call(apiserver, "DELETE", f"{CM}/f")
    assert code == 200 and obj["metadata"]["deletionTimestamp"]
    code, obj = await call(apiserver, "GET", f"{CM}/f")
    assert code == 200
    code, _ = await call(apiserver, "PATCH", f"{CM}/f", {"metadata": {"finalizers": None}},
                         ctype="application/merge-patch+json")
    assert code == 200
    code, _ = await call(apiserver, "GET", f"{CM}/f")
    assert code == 404


@pytest.mark.parametrize("policy, finalizer", [
    pytest.param("Orphan", "orphan", id="orphan"),
    pytest.param("Foreground", "foregroundDeletion", id="foreground"),
])
async def test_propagation_policy_is_recorded(apiserver: ApiServer, policy: str,
                                              finalizer: str) -> None:
    """Orphan and Foreground deletes are recorded as finalizers for the garbage collector."""
    await call(apiserver, "POST", DEPLOY, deployment())
    code, obj = await call(apiserver, "DELETE", f"{DEPLOY}/web", {"propagationPolicy": policy})
    assert code == 200 and finalizer in obj["metadata"]["finalizers"]
    code, status = await call(apiserver, "DELETE", f"{DEPLOY}/web",
                              {"propagationPolicy": "Sideways"})
    assert code == 422 and status["details"]["kind"] == "DeleteOptions"


async def test_pod_graceful_deletion(apiserver: ApiServer) -> None:
    """A pod bound to a node is deleted gracefully; an unbound one at once."""
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    pods = "/api/v1/namespaces/default/pods"
    await call(apiserver, "POST", pods, pod)
    code, status = await call(apiserver, "POST", f"{pods}/p/binding",
                              {"target": {"kind": "Node", "name": "node-1"}})
    assert code == 201
    code, obj = await call(apiserver, "DELETE", f"{pods}/p", {"gracePeriodSeconds": 30})
    assert obj["metadata"]["deletionGracePeriodSeconds"] == 30
    assert (await call(apiserver, "GET", f"{pods}/p"))[0] == 200
    code, _ = await call(apiserver, "DELETE", f"{pods}/p", {"gracePeriodSeconds": 0})
    assert (await call(apiserver, "GET", f"{pods}/p"))[0] == 404
    pod["metadata"]["name"] = "q"
    await call(apiserver, "POST", pods, pod)
    await call(apiserver, "DELETE", f"{pods}/q")
    assert (await call(apiserver, "GET", f"{pods}/q"))[0] == 404


async def test_deletecollection(apiserver: ApiServer) -> None:
    """deletecollection deletes exactly what the selector matches."""
    for name, tier in (("a", "web"), ("b", "web"), ("c", "db")):
        await call(apiserver, "POST", CM, configmap(name, {"tier": tier}))
    code, _ = await call(apiserver, "DELETE", CM, labelSelector="tier=web")
    assert code == 200
    _, listing = await call(apiserver, "GET", CM, labelSelector="tier")
    assert [i["metadata"]["name"] for i in listing["items"]] == ["c"]


async def test_terminating_namespace_refuses_content(apiserver: ApiServer) -> None:
    """A deleted namespace turns Terminating and refuses new objects (403); system namespaces
    cannot be deleted."""
    await call(apiserver, "POST", "/api/v1/namespaces", {"metadata": {"name": "tmp"}})
    code, ns = await call(apiserver, "DELETE", "/api/v1/namespaces/tmp")
    assert code == 200 and ns["status"]["phase"] == "Terminating"
    code, status = await call(apiserver, "POST", "/api/v1/namespaces/tmp/configmaps",
                              configmap("x"))
    assert code == 403 and "being terminated" in status["message"]
    code, _ = await call(apiserver, "DELETE", "/api/v1/namespaces/default")
    assert code == 403


async def test_scale_subresource(apiserver: ApiServer) -> None:
    """scale reads and writes spec.replicas as an autoscaling/v1 Scale."""
    await call(apiserver, "POST", DEPLOY, deployment(replicas=2))
    code, scale = await call(apiserver, "GET", f"{DEPLOY}/web/scale")
    assert code == 200 and scale["kind"] == "Scale" and scale["spec"]["replicas"] == 2
    assert scale["status"]["selector"] == "app=web"
    code, scale = await call(apiserver, "PATCH", f"{DEPLOY}/web/scale",
                             {"spec": {"replicas": 4}}, ctype="application/merge-patch+json")
    assert code == 200 and scale["spec"]["replicas"] == 4
    code, _ = await call(apiserver, "PUT", f"{DEPLOY}/web/scale",
                         {"spec": {"replicas": 1}}, ctype="")
    _, obj = await call(apiserver, "GET", f"{DEPLOY}/web")
    assert obj["spec"]["replicas"] == 1


async def test_watch_from_resource_version(apiserver: ApiServer) -> None:
    """A watch from a list's resourceVersion streams later changes, in order, as JSON lines."""
    _, listing = await call(apiserver, "GET", CM)
    rv = listing["metadata"]["resourceVersion"]
    resp = await apiserver.handle(ApiRequest("GET", CM, query={
        "watch": "true", "resourceVersion": rv, "timeoutSeconds": "5"}))
    assert resp.status == 200 and resp.stream is not None
    await call(apiserver, "POST", CM, configmap("w1"))
    await call(apiserver, "PATCH", f"{CM}/w1", {"data": {"a": "b"}},
               ctype="application/merge-patch+json")
    await call(apiserver, "DELETE", f"{CM}/w1")
    events: list[dict[str, Any]] = []
    async for chunk in resp.stream:
        events += [json.loads(x) for x in chunk.splitlines()]
        if len(events) >= 3:
            break
    await resp.stream.aclose()  # type: ignore[attr-defined]
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert all(e["object"]["metadata"]["name"] == "w1" for e in events)


async def test_watch_compacted_revision_is_gone(apiserver: ApiServer) -> None:
    """A watch from a compacted revision gets one ERROR event with a 410 Expired Status."""
    for i in range(5):
        await call(apiserver, "POST", CM, configmap(f"c{i}"))
    await apiserver.store.compact(apiserver.store.revision - 1)
    resp = await apiserver.handle(ApiRequest("GET", CM, query={"watch": "true",
                                                               "resourceVersion": "1"}))
    events = await lines(resp.stream)
    assert len(events) == 1 and events[0]["type"] == "ERROR"
    assert events[0]["object"]["code"] == 410 and events[0]["object"]["reason"] == "Expired"


async def test_watch_selector_transitions_and_timeout(apiserver: ApiServer) -> None:
    """With a selector, an object that starts matching is ADDED and one that stops matching is
    DELETED; timeoutSeconds ends the stream."""
    await call(apiserver, "POST", CM, configmap("t", {"tier": "db"}))
    _, listing = await call(apiserver, "GET", CM)
    resp = await apiserver.handle(ApiRequest("GET", CM, query={
        "watch": "true", "labelSelector": "tier=web", "timeoutSeconds": "1",
        "resourceVersion": listing["metadata"]["resourceVersion"]}))
    await call(apiserver, "PATCH", f"{CM}/t", {"metadata": {"labels": {"tier": "web"}}},
               ctype="application/merge-patch+json")
    await call(apiserver, "PATCH", f"{CM}/t", {"metadata": {"labels": {"tier": "db"}}},
               ctype="application/merge-patch+json")
    events = await lines(resp.stream)
    assert [e["type"] for e in events] == ["ADDED", "DELETED"]
    deleted = events[1]["object"]["metadata"]
    assert deleted["labels"] == {"tier": "web"}, "DELETED carries the last matching state"
    assert int(deleted["resourceVersion"]) > int(events[0]["object"]["metadata"][
        "resourceVersion"])


async def test_watch_bookmarks(apiserver: ApiServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """allowWatchBookmarks sends BOOKMARK events carrying the current revision."""
    from minikube_py.apiserver import watch

    monkeypatch.setattr(watch, "BOOKMARK_INTERVAL", 0.05)
    resp = await apiserver.handle(ApiRequest("GET", CM, query={
        "watch": "true", "allowWatchBookmarks": "true", "timeoutSeconds": "1",
        "resourceVersion": str(apiserver.store.revision)}))
    first = json.loads(await asyncio.wait_for(resp.stream.__anext__(), 2))  # type: ignore[union-attr]
    await resp.stream.aclose()  # type: ignore[union-attr]
    assert first["type"] == "BOOKMARK"
    assert first["object"]["metadata"]["resourceVersion"] == str(apiserver.store.revision)


async def test_watch_bad_resource_version(apiserver: ApiServer) -> None:
    """A watch from a non-numeric resourceVersion is 400."""
    code, status = await call(apiserver, "GET", CM, watch="true", resourceVersion="abc")
    assert code == 400


async def test_table_output(apiserver: ApiServer) -> None:
    """as=Table answers kubectl-shaped tables with metadata in each row."""
    await call(apiserver, "POST", DEPLOY, deployment(replicas=2))
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    code, table = await call(apiserver, "GET", DEPLOY, accept=accept)
    assert code == 200 and table["kind"] == "Table"
    names = [c["name"] for c in table["columnDefinitions"]]
    assert names[:5] == ["Name", "Ready", "Up-to-date", "Available", "Age"]
    assert table["rows"][0]["cells"][:2] == ["web", "0/2"]
    assert table["rows"][0]["object"]["metadata"]["name"] == "web"


async def test_system_namespaces_and_version(apiserver: ApiServer) -> None:
    """The system namespaces exist from the start; /version reports minor 32."""
    code, listing = await call(apiserver, "GET", "/api/v1/namespaces")
    names = {i["metadata"]["name"] for i in listing["items"]}
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= names
    code, version = await call(apiserver, "GET", "/version")
    assert version["major"] == "1" and version["minor"] == "32"


async def test_health_reports_failed_checks(apiserver: ApiServer) -> None:
    """/healthz answers ok; a failing check makes it 500 naming the check and the reason."""
    resp = await apiserver.handle(ApiRequest("GET", "/healthz"))
    assert resp.status == 200 and resp.raw == b"ok"
    apiserver.health_checks["background-tasks"] = lambda: "daemon/compactor: boom"
    resp = await apiserver.handle(ApiRequest("GET", "/readyz"))
    assert resp.status == 500 and resp.raw is not None
    assert b"[-]background-tasks failed: daemon/compactor: boom" in resp.raw
    resp = await apiserver.handle(ApiRequest("GET", "/livez", query={"verbose": "1"}))
    assert resp.status == 500 and b"[+]ping ok" in (resp.raw or b"")


async def test_yaml_with_integer_keys_is_400_and_store_keeps_working(
        apiserver: ApiServer) -> None:
    """A YAML body with a non-string map key is 400; writes after it still succeed."""
    body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n  labels:\n    1: a\n"
    code, status = await call(apiserver, "POST", CM, body, ctype="application/yaml")
    assert code == 400 and "map keys must be strings" in status["message"]
    code, _ = await call(apiserver, "POST", CM, configmap("after"))
    assert code == 201


async def test_watch_from_a_future_revision_is_504(apiserver: ApiServer,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A watch from a revision the store has not reached is refused with 504 Timeout
    (ResourceVersionTooLarge), not left to skip events silently."""
    from minikube_py.apiserver import freshness

    monkeypatch.setattr(freshness, "TOO_LARGE_WAIT", 0.1)
    code, status = await call(apiserver, "GET", CM, watch="true",
                              resourceVersion=str(apiserver.store.revision + 100))
    assert code == 504 and status["reason"] == "Timeout"
    assert status["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"


async def test_watch_ends_when_the_client_is_gone(apiserver: ApiServer,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A quiet watch whose client disconnected ends and frees its subscription."""
    from minikube_py.apiserver import watch

    monkeypatch.setattr(watch, "LIVENESS_INTERVAL", 0.05)
    gone = False
    others = apiserver.store.broadcaster.watchers  # the apiserver's own (webhook configs)
    resp = await apiserver.handle(ApiRequest(
        "GET", CM, query={"watch": "true", "resourceVersion": str(apiserver.store.revision)},
        disconnected=lambda: gone))
    assert apiserver.store.broadcaster.watchers == others + 1
    gone = True
    events = await asyncio.wait_for(lines(resp.stream), 2)
    assert events == [] and apiserver.store.broadcaster.watchers == others
