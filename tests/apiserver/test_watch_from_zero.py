"""A watch from ``resourceVersion=0`` (what every informer without a list does, and what
``kubectl get -w`` starts with): exactly the objects a list shows, as ADDED, then the live
events after them, each once; the same with selectors; and a large initial state reaches
many watchers from bytes encoded once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from minikube_py.api.wire import ApiRequest
from minikube_py.apiserver.server import ApiServer
from tests.apiserver.test_verbs import call, configmap

MERGE = "application/merge-patch+json"
ALL = "/api/v1/configmaps"


async def seed(server: ApiServer) -> None:
    for ns in ("ns1", "ns2", "ns3"):
        await call(server, "POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
    for i in range(150):
        ns = f"ns{i % 3 + 1}"
        await call(server, "POST", f"/api/v1/namespaces/{ns}/configmaps",
                   configmap(f"c{i:03d}", {"app": "a" if i % 2 else "b"}, v="1"))
    for i in range(0, 150, 7):  # history the watch must not replay: updates and deletes
        ns = f"ns{i % 3 + 1}"
        await call(server, "PATCH", f"/api/v1/namespaces/{ns}/configmaps/c{i:03d}",
                   {"data": {"v": "2"}}, ctype=MERGE)
    for i in range(3, 150, 11):
        await call(server, "DELETE", f"/api/v1/namespaces/ns{i % 3 + 1}/configmaps/c{i:03d}")


class Stream:
    """A watch stream read event by event."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.pending: list[dict[str, Any]] = []

    async def take(self, n: int) -> list[dict[str, Any]]:
        while len(self.pending) < n:
            chunk = await asyncio.wait_for(anext(self.stream), 5)
            self.pending += [json.loads(x) for x in chunk.splitlines() if x]
        taken, self.pending = self.pending[:n], self.pending[n:]
        return taken

    async def close(self) -> None:
        await self.stream.aclose()


async def open_watch(server: ApiServer, path: str, **query: str) -> Stream:
    resp = await server.handle(ApiRequest("GET", path, query={
        "watch": "true", "resourceVersion": "0", "timeoutSeconds": "30", **query}))
    assert resp.status == 200 and resp.stream is not None
    return Stream(resp.stream)


def ident(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj["metadata"]
    return meta["namespace"], meta["name"], meta["resourceVersion"]


@pytest.mark.parametrize(("path", "query"), [
    pytest.param(ALL, {}, id="all-namespaces"),
    pytest.param("/api/v1/namespaces/ns2/configmaps", {}, id="one-namespace"),
    pytest.param(ALL, {"labelSelector": "app=a"}, id="label-selector"),
    pytest.param(ALL, {"fieldSelector": "metadata.namespace=ns3"}, id="field-selector"),
])
async def test_initial_state_is_the_list_then_live_events(apiserver: ApiServer, path: str,
                                                          query: dict[str, str]) -> None:
    await seed(apiserver)
    code, listed = await call(apiserver, "GET", path, **query)
    assert code == 200
    expected = sorted(ident(o) for o in listed["items"])
    watch = await open_watch(apiserver, path, **query)
    try:
        initial = await watch.take(len(expected))
        assert {e["type"] for e in initial} == {"ADDED"}
        assert sorted(ident(e["object"]) for e in initial) == expected
        # Live: a change to a listed object, a new object, a delete; each once, in order.
        target = listed["items"][0]["metadata"]
        await call(apiserver, "PATCH", f"/api/v1/namespaces/{target['namespace']}/configmaps/"
                   f"{target['name']}", {"data": {"v": "3"}}, ctype=MERGE)
        ns = target["namespace"]
        await call(apiserver, "POST", f"/api/v1/namespaces/{ns}/configmaps",
                   configmap("late", dict(target.get("labels") or {}), v="1"))
        await call(apiserver, "DELETE", f"/api/v1/namespaces/{ns}/configmaps/late")
        live = await watch.take(3)
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in live] == [
            ("MODIFIED", target["name"]), ("ADDED", "late"), ("DELETED", "late")]
        revs = [int(e["object"]["metadata"]["resourceVersion"]) for e in live]
        assert revs == sorted(revs) and revs[0] > int(listed["metadata"]["resourceVersion"])
        assert watch.pending == []
    finally:
        await watch.close()


async def test_writes_during_the_initial_state_come_once(apiserver: ApiServer) -> None:
    """Writes racing the start of many rv=0 watches: each watcher ends with exactly the
    final state (no event lost, none doubled)."""
    await seed(apiserver)
    watches = [await open_watch(apiserver, ALL) for _ in range(5)]

    async def writes() -> None:
        for i in range(30):
            await call(apiserver, "POST", "/api/v1/namespaces/ns1/configmaps",
                       configmap(f"racing{i}", v="1"))

    await writes()
    code, final = await call(apiserver, "GET", ALL)
    want = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in final["items"]}
    for watch in watches:
        state: dict[tuple[str, str], str] = {}
        events = await watch.take(len(want))
        while len(state) < len(want) or events:
            for event in events:
                key = (event["object"]["metadata"]["namespace"],
                       event["object"]["metadata"]["name"])
                assert event["type"] == "ADDED" and key not in state, key
                state[key] = event["object"]["metadata"]["resourceVersion"]
            events = await watch.take(len(want) - len(state)) if len(state) < len(want) else []
        assert set(state) == want
        await watch.close()
