"""events.k8s.io/v1 Events are the core/v1 Events of the store in another version: what is
written through one version is read, listed, watched and updated through the other."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from minikube_py.api.wire import ApiRequest
from minikube_py.apiserver.server import ApiServer
from tests.apiserver.test_verbs import call

CORE = "/api/v1/namespaces/default/events"
NEW = "/apis/events.k8s.io/v1/namespaces/default/events"


def new_event(name: str, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": name, "namespace": "default"},
            "eventTime": "2026-12-04T10:00:00.000000Z", "reportingController": "example.com/ctl",
            "reportingInstance": "ctl-1", "action": "Scale", "reason": "Scaled",
            "note": "scaled to 3", "type": "Normal",
            "regarding": {"kind": "Deployment", "name": "web", "namespace": "default",
                          "apiVersion": "apps/v1"}, **extra}


async def test_create_new_read_core(apiserver: ApiServer) -> None:
    """An Event created through events.k8s.io/v1 is a core/v1 Event with the fields renamed."""
    code, created = await call(apiserver, "POST", NEW, new_event("e1"))
    assert code == 201, created
    assert created["apiVersion"] == "events.k8s.io/v1" and created["note"] == "scaled to 3"
    code, core = await call(apiserver, "GET", f"{CORE}/e1")
    assert code == 200
    assert core["apiVersion"] == "v1" and core["message"] == "scaled to 3"
    assert core["involvedObject"]["name"] == "web"
    assert core["reportingComponent"] == "example.com/ctl"
    assert core["metadata"]["uid"] == created["metadata"]["uid"]
    code, listed = await call(apiserver, "GET", CORE)
    assert [e["metadata"]["name"] for e in listed["items"]] == ["e1"]


async def test_create_core_list_new(apiserver: ApiServer) -> None:
    """A core/v1 Event lists through events.k8s.io/v1 converted (deprecated* fields)."""
    core = {"metadata": {"name": "c1"}, "involvedObject": {"kind": "Pod", "name": "p",
                                                             "namespace": "default"},
            "reason": "Started", "message": "started", "count": 2, "type": "Normal",
            "source": {"component": "kubelet"}}
    code, _ = await call(apiserver, "POST", CORE, core)
    assert code == 201
    code, listed = await call(apiserver, "GET", NEW)
    item = next(i for i in listed["items"] if i["metadata"]["name"] == "c1")
    assert listed["kind"] == "EventList" and listed["apiVersion"] == "events.k8s.io/v1"
    assert item["note"] == "started" and item["deprecatedCount"] == 2
    assert item["deprecatedSource"] == {"component": "kubelet"}
    assert item["regarding"]["kind"] == "Pod" and "message" not in item
    code, selected = await call(apiserver, "GET", NEW, fieldSelector="regarding.kind=Pod")
    assert code == 200 and [i["metadata"]["name"] for i in selected["items"]] == ["c1"]


async def test_invalid_new_style_event(apiserver: ApiServer) -> None:
    """events.k8s.io/v1 enforces new-style rules with Kubernetes' (core) field paths."""
    bad = new_event("bad", reportingController="", type="Odd", deprecatedCount=3)
    del bad["action"]
    code, status = await call(apiserver, "POST", NEW, bad)
    assert code == 422, status
    fields = {c["field"] for c in status["details"]["causes"]}
    assert {"reportingController", "action", "type", "count"} <= fields
    code, status = await call(apiserver, "POST", NEW, {k: v for k, v in new_event("x").items()
                                                       if k != "eventTime"})
    assert code == 422 and status["details"]["causes"][0]["field"] == "eventTime"


async def test_update_and_watch_across_versions(apiserver: ApiServer) -> None:
    """A patch through core/v1 is seen by an events.k8s.io/v1 watch, converted."""
    await call(apiserver, "POST", NEW, new_event("w1"))
    _, listed = await call(apiserver, "GET", NEW)
    resp = await apiserver.handle(_watch(NEW, listed["metadata"]["resourceVersion"]))
    assert resp.stream is not None
    code, _ = await call(apiserver, "PATCH", f"{CORE}/w1",
                         {"series": {"count": 2, "lastObservedTime": "2026-12-04T10:01:00Z"}},
                         ctype="application/merge-patch+json")
    assert code == 200
    chunk = await asyncio.wait_for(resp.stream.__anext__(), 5)
    event = json.loads(chunk.splitlines()[0])
    assert event["type"] == "MODIFIED"
    assert event["object"]["apiVersion"] == "events.k8s.io/v1"
    assert event["object"]["series"]["count"] == 2 and event["object"]["note"] == "scaled to 3"
    await resp.stream.aclose()
    code, status = await call(apiserver, "PATCH", f"{NEW}/w1", {"note": "changed"},
                              ctype="application/merge-patch+json")
    assert code == 422 and status["details"]["causes"][0]["field"] == "message"
    code, _ = await call(apiserver, "DELETE", f"{NEW}/w1")
    assert code == 200
    code, _ = await call(apiserver, "GET", f"{CORE}/w1")
    assert code == 404


def _watch(path: str, rv: str) -> ApiRequest:
    return ApiRequest("GET", path, query={"watch": "true", "resourceVersion": rv},
                      accept="application/json")


async def test_selector_through_the_stored_index(apiserver: ApiServer) -> None:
    """regarding.uid / regarding.name select through core's involvedObject indexes: only
    the matches are read (the conversion view sees the index's candidates)."""
    for i in range(20):
        body = new_event(f"ix{i}")
        body["regarding"] = {**body["regarding"], "uid": f"uid-{i}", "name": f"web-{i}"}
        code, _ = await call(apiserver, "POST", NEW, body)
        assert code == 201
    view = apiserver.rest.storage_for(apiserver.registry.require("events.k8s.io", "v1",
                                                                 "events"))
    seen: list[int] = []
    lookup = view.lookup

    def counting(prefix: str, index: str, values: Any) -> Any:
        found = lookup(prefix, index, values)
        seen.append(len(found or []))
        return found

    view.lookup = counting  # type: ignore[method-assign]
    code, listed = await call(apiserver, "GET", NEW, fieldSelector="regarding.uid=uid-7")
    assert code == 200 and [i["metadata"]["name"] for i in listed["items"]] == ["ix7"]
    assert seen == [1], "one candidate, from the index"
