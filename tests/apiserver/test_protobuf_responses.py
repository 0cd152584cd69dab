"""Protobuf answers of the request pipeline, in process: objects, lists, watches, Status
objects and 406 (apiserver/protobuf_responses.py, negotiation.py).

Bodies are read with our decoder and with the independent one of
tests/helpers/protobuf_reference.py (Google's runtime over Kubernetes' numbering).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from minikube_py.api.codecs.protobuf import decode_protobuf
from minikube_py.api.errors import Gone
from minikube_py.api.registry import REGISTRY, Registry, ResourceType
from minikube_py.api.schemas import autoscaling, core
from minikube_py.api.wire import ApiRequest
from minikube_py.apiserver import protobuf_responses as pbr
from minikube_py.apiserver.server import ApiServer
from minikube_py.store.sqlite import SqliteStorage as Store
from tests.apiserver.test_verbs import CM, DEPLOY, call, configmap, deployment
from tests.helpers import protobuf_reference as ref

PROTOBUF = "application/vnd.kubernetes.protobuf"
TYPED = f"{PROTOBUF},application/json"  # what client-go's typed clients send


async def get(server: ApiServer, method: str, path: str, accept: str = TYPED,
              body: Any = None, **query: str) -> Any:
    raw = None if body is None else json.dumps(body).encode()
    return await server.handle(ApiRequest(method, path, query=query, accept=accept, body=raw,
                                          content_type="application/json" if raw else ""))


def status_of(raw: bytes) -> dict[str, Any]:
    api_version, kind, message = ref.unwrap(raw)
    assert (api_version, kind) == ("v1", "Status")
    return ref.to_dict(ref.parse(f"{ref.META}.Status", message))


@pytest.mark.parametrize(("accept", "want"), [
    pytest.param(TYPED, PROTOBUF, id="typed-client"),
    pytest.param(PROTOBUF, PROTOBUF, id="protobuf-only"),
    pytest.param(f"application/json,{PROTOBUF}", "application/json", id="json-first"),
    pytest.param(f"application/json;q=0.5,{PROTOBUF};q=0.9", PROTOBUF, id="by-q"),
])
async def test_get_answers_the_preferred_encoding(apiserver: ApiServer, accept: str,
                                                  want: str) -> None:
    """A GET in protobuf when the client prefers it, and the same object as in JSON."""
    await call(apiserver, "POST", CM, configmap("p", {"l": "1"}, k="v"))
    resp = await get(apiserver, "GET", f"{CM}/p", accept=accept)
    assert resp.status == 200 and resp.content_type == want
    if want == PROTOBUF:
        _, as_json = await call(apiserver, "GET", f"{CM}/p")
        assert decode_protobuf(resp.raw, core.CONFIG_MAP) == as_json


async def test_create_answers_protobuf(apiserver: ApiServer) -> None:
    """A create from a typed client is answered 201 in protobuf."""
    resp = await get(apiserver, "POST", CM, body=configmap("c", a="1"))
    assert resp.status == 201 and resp.content_type == PROTOBUF
    created = decode_protobuf(resp.raw, core.CONFIG_MAP)
    assert created["data"] == {"a": "1"} and created["metadata"]["uid"]


async def test_list_is_an_xlist_and_items_are_encoded_once(apiserver: ApiServer) -> None:
    """A list is a ConfigMapList with ListMeta; listing again takes every item from the
    cache of encoded messages."""
    for name in ("a", "b", "c"):
        await call(apiserver, "POST", CM, configmap(name, i=name))
    resp = await get(apiserver, "GET", CM, limit="2")
    assert resp.status == 200 and resp.content_type == PROTOBUF
    api_version, kind, raw = ref.unwrap(resp.raw)
    assert (api_version, kind) == ("v1", "ConfigMapList")
    listed = ref.to_dict(ref.parse("k8s.io.api.core.v1.ConfigMapList", raw))
    assert [i["metadata"]["name"] for i in listed["items"]] == ["a", "b"]
    assert listed["metadata"]["continue"] and int(listed["metadata"]["resourceVersion"]) > 0
    cache = apiserver.handlers.protobuf_cache
    hits = cache.hits
    await get(apiserver, "GET", CM, limit="2")
    assert cache.hits == hits + 2


async def test_watch_streams_length_prefixed_frames(apiserver: ApiServer) -> None:
    """A watch answers ``;stream=watch`` with WatchEvent frames: the initial state as ADDED,
    then MODIFIED and DELETED, each object a whole protobuf body."""
    await call(apiserver, "POST", CM, configmap("w", v="1"))
    resp = await get(apiserver, "GET", CM, watch="true", resourceVersion="0",
                     timeoutSeconds="5")
    assert resp.status == 200 and resp.content_type == f"{PROTOBUF};stream=watch"
    stream = resp.stream
    buffer = b""
    frames: list[tuple[str, bytes]] = []

    async def until(count: int) -> None:
        nonlocal buffer, frames
        while len(frames) < count:
            buffer += await asyncio.wait_for(anext(stream), 5)
            complete = _complete_prefix(buffer)
            frames = ref.watch_frames(buffer[:complete])

    await until(1)
    await call(apiserver, "PATCH", f"{CM}/w", {"data": {"v": "2"}},
               ctype="application/merge-patch+json")
    await call(apiserver, "DELETE", f"{CM}/w")
    await until(3)
    await stream.aclose()
    assert [t for t, _ in frames] == ["ADDED", "MODIFIED", "DELETED"]
    objects = [decode_protobuf(body, core.CONFIG_MAP) for _, body in frames]
    assert [o["data"]["v"] for o in objects] == ["1", "2", "2"]
    assert ref.unwrap(frames[0][1])[:2] == ("v1", "ConfigMap")


def _complete_prefix(buffer: bytes) -> int:
    pos = 0
    while pos + 4 <= len(buffer):
        size = int.from_bytes(buffer[pos:pos + 4], "big")
        if pos + 4 + size > len(buffer):
            break
        pos += 4 + size
    return pos


async def test_errors_and_success_status_are_protobuf(apiserver: ApiServer) -> None:
    """404 and 409 come back as protobuf Status objects with their details; a DELETE that
    removes the object at once answers a Success Status with the uid."""
    resp = await get(apiserver, "GET", f"{CM}/nope")
    assert resp.status == 404 and resp.content_type == PROTOBUF
    assert status_of(resp.raw) == {"metadata": {}, "status": "Failure",
                                   "message": 'configmaps "nope" not found',
                                   "reason": "NotFound", "code": 404,
                                   "details": {"name": "nope", "kind": "configmaps"}}
    await call(apiserver, "POST", CM, configmap("dup"))
    resp = await get(apiserver, "POST", CM, body=configmap("dup"))
    assert resp.status == 409 and status_of(resp.raw)["reason"] == "AlreadyExists"
    _, cm = await call(apiserver, "GET", f"{CM}/dup")
    resp = await get(apiserver, "DELETE", f"{CM}/dup")
    assert resp.status == 200
    assert status_of(resp.raw) == {"metadata": {}, "status": "Success", "details": {
        "name": "dup", "kind": "configmaps", "uid": cm["metadata"]["uid"]}}


@pytest.fixture
async def widgets(store: Store) -> ApiServer:
    """An apiserver that also serves a kind without a protobuf form (as custom resources)."""
    registry = Registry(list(REGISTRY))
    registry.add(ResourceType("example.com", "v1", "Widget", "widgets", True))
    return ApiServer(store, registry=registry)


async def test_kind_without_protobuf_is_406_or_json(widgets: ApiServer) -> None:
    """Protobuf alone for a kind that has no protobuf form is 406 NotAcceptable (in JSON);
    a client that also accepts JSON gets JSON."""
    path = "/apis/example.com/v1/namespaces/default/widgets"
    resp = await get(widgets, "GET", path, accept=PROTOBUF)
    assert resp.status == 406 and resp.content_type == "application/json"
    assert resp.body["reason"] == "NotAcceptable"
    assert resp.body["message"] == ("only the following media types are accepted: "
                                    "application/json, application/yaml")
    resp = await get(widgets, "GET", path)
    assert resp.status == 200 and resp.content_type == "application/json"
    resp = await get(widgets, "GET", f"{path}/nope")
    assert resp.status == 404 and resp.content_type == "application/json"


async def test_scale_subresource_answers_protobuf(apiserver: ApiServer) -> None:
    """``deployments/scale`` read and patched by a typed client (the HPA's and kubectl's
    scale clients) is an autoscaling/v1 Scale in protobuf."""
    await call(apiserver, "POST", DEPLOY, deployment("s", replicas=2))
    resp = await get(apiserver, "GET", f"{DEPLOY}/s/scale")
    assert resp.status == 200 and resp.content_type == PROTOBUF
    assert ref.unwrap(resp.raw)[:2] == ("autoscaling/v1", "Scale")
    scale = decode_protobuf(resp.raw, autoscaling.SCALE)
    assert scale["spec"] == {"replicas": 2} and scale["status"]["selector"] == "app=s"
    resp = await apiserver.handle(ApiRequest(
        "PATCH", f"{DEPLOY}/s/scale", accept=TYPED, body=b'{"spec":{"replicas":0}}',
        content_type="application/merge-patch+json"))
    assert resp.status == 200
    # A zero non-pointer int32 is not sent (Go's JSON of a Scale omits it too).
    assert decode_protobuf(resp.raw, autoscaling.SCALE)["spec"].get("replicas", 0) == 0
    _, deploy = await call(apiserver, "GET", f"{DEPLOY}/s")
    assert deploy["spec"]["replicas"] == 0


async def test_an_object_protobuf_cannot_carry_falls_back_to_json(
        apiserver: ApiServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Should an object have something its definition cannot carry (a bug, logged), a client
    that also accepts JSON gets JSON rather than an error; one that accepts only protobuf
    gets 500."""
    from minikube_py.api.codecs import protobuf_encode

    await call(apiserver, "POST", CM, configmap("odd", k="v"))

    def refuse(*args: Any, **kwargs: Any) -> bytes:
        raise protobuf_encode.EncodeError("no field for it")

    monkeypatch.setattr(protobuf_encode, "encode_object", refuse)
    monkeypatch.setattr(protobuf_encode, "encode_message", refuse)
    resp = await get(apiserver, "GET", f"{CM}/odd")
    assert resp.status == 200 and resp.content_type == "application/json"
    resp = await get(apiserver, "GET", CM)
    assert resp.status == 200 and b'"kind":"ConfigMapList"' in resp.raw
    resp = await get(apiserver, "GET", f"{CM}/odd", accept=PROTOBUF)
    assert resp.status == 500


async def test_watch_bookmarks_and_errors_are_frames(apiserver: ApiServer) -> None:
    """The initial-events-end BOOKMARK of a watch-list is a frame whose object carries only
    metadata (with the annotation); an ERROR event's object is a protobuf Status."""
    await call(apiserver, "POST", CM, configmap("b"))
    resp = await get(apiserver, "GET", CM, watch="true", sendInitialEvents="true",
                     resourceVersionMatch="NotOlderThan", allowWatchBookmarks="true",
                     timeoutSeconds="5")
    assert resp.status == 200
    buffer = b""
    while True:
        buffer += await asyncio.wait_for(anext(resp.stream), 5)
        frames = ref.watch_frames(buffer[:_complete_prefix(buffer)])
        if frames and frames[-1][0] == "BOOKMARK":
            break
    await resp.stream.aclose()
    assert [t for t, _ in frames] == ["ADDED", "BOOKMARK"]
    bookmark = decode_protobuf(frames[-1][1], core.CONFIG_MAP)
    assert bookmark["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert int(bookmark["metadata"]["resourceVersion"]) > 0

    rt = REGISTRY.require("", "v1", "configmaps")
    frame = pbr.ProtobufFrames(rt, pbr.MessageCache()).error(Gone("too old resource version"))
    [(event_type, body)] = ref.watch_frames(frame)
    assert event_type == "ERROR"
    assert status_of(body) == {"metadata": {}, "status": "Failure",
                               "message": "too old resource version", "reason": "Expired",
                               "code": 410}


def metadata_accept(shape: str) -> str:
    """The Accept header of client-go's metadata client."""
    return (f"{PROTOBUF};as={shape};g=meta.k8s.io;v=v1,"
            f"application/json;as={shape};g=meta.k8s.io;v=v1,application/json")


async def test_metadata_clients_get_partial_object_metadata_in_protobuf(
        apiserver: ApiServer) -> None:
    """client-go's metadata informers (garbage collectors, operators) list and watch
    PartialObjectMetadata(List) in protobuf: metadata only, under meta.k8s.io/v1."""
    await call(apiserver, "POST", CM, configmap("m", {"app": "m"}, k="v"))
    resp = await get(apiserver, "GET", CM, accept=metadata_accept("PartialObjectMetadataList"))
    assert resp.status == 200 and resp.content_type == PROTOBUF
    api_version, kind, raw = ref.unwrap(resp.raw)
    assert (api_version, kind) == ("meta.k8s.io/v1", "PartialObjectMetadataList")
    listed = ref.to_dict(ref.parse("k8s.io.api.core.v1.ConfigMapList", raw))  # same numbering
    [item] = [i for i in listed["items"] if i["metadata"]["name"] == "m"]
    assert item == {"metadata": item["metadata"]} and item["metadata"]["labels"] == {"app": "m"}

    resp = await get(apiserver, "GET", f"{CM}/m", accept=metadata_accept("PartialObjectMetadata"))
    assert ref.unwrap(resp.raw)[:2] == ("meta.k8s.io/v1", "PartialObjectMetadata")

    resp = await get(apiserver, "GET", CM, accept=metadata_accept("PartialObjectMetadata"),
                     watch="true", resourceVersion="0", timeoutSeconds="5")
    assert resp.content_type == f"{PROTOBUF};stream=watch"
    buffer = b""
    while not _complete_prefix(buffer):
        buffer += await asyncio.wait_for(anext(resp.stream), 5)
    await resp.stream.aclose()
    event_type, body = ref.watch_frames(buffer[:_complete_prefix(buffer)])[0]
    api_version, kind, raw = ref.unwrap(body)
    assert (event_type, api_version, kind) == ("ADDED", "meta.k8s.io/v1", "PartialObjectMetadata")
    assert set(ref.to_dict(ref.parse("k8s.io.api.core.v1.ConfigMap", raw))) == {"metadata"}


async def test_tables_stay_json(apiserver: ApiServer) -> None:
    """A Table asked for in protobuf first falls to the JSON Table offered next (kubectl
    asks for tables in JSON only)."""
    accept = (f"{PROTOBUF};as=Table;v=v1;g=meta.k8s.io,"
              "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
    resp = await get(apiserver, "GET", CM, accept=accept)
    assert resp.status == 200 and resp.content_type == "application/json"
    assert resp.body["kind"] == "Table"
