"""The event recorder: Events as client-go writes them, repeats aggregated into count, and
recording that never raises or blocks; verified by listing Events through the apiserver."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import TYPE_CHECKING, Any

import pytest

from minikube_py.api.registry import REGISTRY
from minikube_py.apiserver.server import ApiServer
from minikube_py.client.base import Client
from minikube_py.client.events import NORMAL, WARNING, EventRecorder
from minikube_py.client.local import LocalTransport

if TYPE_CHECKING:
    from conftest import FlakyTransport

EVENTS = REGISTRY.resolve("events")
CONFIGMAPS = REGISTRY.resolve("configmaps")
NAMESPACES = REGISTRY.resolve("namespaces")


async def events(client: Client, namespace: str = "default") -> list[dict[str, Any]]:
    assert EVENTS is not None
    items = (await client.list(EVENTS, namespace))["items"]
    return sorted(items, key=lambda e: e["metadata"]["name"])


async def configmap(client: Client, name: str = "web") -> dict[str, Any]:
    assert CONFIGMAPS is not None
    return await client.create(CONFIGMAPS, {"metadata": {"name": name, "namespace": "default"}})


class Clock:
    """Nanoseconds since the epoch, moved by the test."""

    def __init__(self) -> None:
        self.ns = 1_800_000_000 * 10**9

    def __call__(self) -> int:
        return self.ns


async def test_event_fields_are_client_gos(client: Client) -> None:
    """One Event with the involved object's reference, source, reporting fields and count 1."""
    cm = await configmap(client)
    recorder = EventRecorder(client, "test-controller", "node-1")
    recorder.event(cm, NORMAL, "Synced", "configmap synced")
    await recorder.flush()
    [event] = await events(client)
    meta = cm["metadata"]
    assert event["involvedObject"] == {
        "kind": "ConfigMap", "apiVersion": "v1", "namespace": "default", "name": "web",
        "uid": meta["uid"], "resourceVersion": meta["resourceVersion"]}
    assert re.fullmatch(r"web\.[0-9a-f]+", event["metadata"]["name"])
    assert (event["reason"], event["message"], event["type"]) == ("Synced", "configmap synced",
                                                                  "Normal")
    assert event["source"] == {"component": "test-controller", "host": "node-1"}
    assert event["reportingComponent"] == "test-controller"
    assert event["reportingInstance"] == "node-1"
    assert event["count"] == 1 and event["firstTimestamp"] == event["lastTimestamp"]
    await recorder.shutdown()


async def test_repeated_event_increments_count_on_the_same_event(client: Client) -> None:
    """The same event again within the window patches count and lastTimestamp of the Event
    already written instead of creating another."""
    cm = await configmap(client)
    clock = Clock()
    recorder = EventRecorder(client, "test-controller", clock=clock)
    recorder.event(cm, WARNING, "FailedSync", "boom")
    await recorder.flush()
    [first] = await events(client)
    clock.ns += 5 * 10**9
    recorder.event(cm, WARNING, "FailedSync", "boom")
    recorder.eventf(cm, WARNING, "FailedSync", "%s", "boom")
    await recorder.flush()
    [event] = await events(client)
    assert event["metadata"]["name"] == first["metadata"]["name"]
    assert event["metadata"]["uid"] == first["metadata"]["uid"]
    assert event["count"] == 3
    assert event["firstTimestamp"] == first["firstTimestamp"]
    assert event["lastTimestamp"] > first["lastTimestamp"]
    await recorder.shutdown()


@pytest.mark.parametrize(("second", "advance"), [
    pytest.param({"message": "other"}, 1, id="different-message"),
    pytest.param({"reason": "Other"}, 1, id="different-reason"),
    pytest.param({"event_type": NORMAL}, 1, id="different-type"),
    pytest.param({}, 601, id="outside-the-window"),
])
async def test_different_events_are_not_aggregated(client: Client, second: dict[str, str],
                                                   advance: int) -> None:
    """Another message, reason or type, or the same event after the window: a new Event."""
    cm = await configmap(client)
    clock = Clock()
    recorder = EventRecorder(client, "test-controller", clock=clock)
    base = {"event_type": WARNING, "reason": "FailedSync", "message": "boom"}
    recorder.event(cm, **base)
    clock.ns += advance * 10**9
    recorder.event(cm, **{**base, **second})
    await recorder.flush()
    assert [e["count"] for e in await events(client)] == [1, 1]
    await recorder.shutdown()


async def test_cluster_scoped_object_events_go_to_default(client: Client) -> None:
    """An event about a Namespace (cluster-scoped) is written in the default namespace."""
    assert NAMESPACES is not None
    ns = await client.get(NAMESPACES, "default")
    recorder = EventRecorder(client, "test-controller")
    recorder.event(ns, NORMAL, "Seen", "namespace seen")
    await recorder.flush()
    [event] = await events(client)
    assert event["involvedObject"]["kind"] == "Namespace"
    assert "namespace" not in event["involvedObject"]
    await recorder.shutdown()


async def test_recording_never_raises_when_the_server_is_down(
        client: Client, flaky: FlakyTransport, caplog: pytest.LogCaptureFixture) -> None:
    """With the apiserver gone, event() returns normally and the failure is logged."""
    cm = await configmap(client)
    recorder = EventRecorder(Client(flaky), "test-controller")
    flaky.go_down()
    with caplog.at_level(logging.WARNING):
        recorder.event(cm, NORMAL, "Synced", "lost")
        await recorder.flush()
    assert any("not written" in r.getMessage() for r in caplog.records)
    flaky.go_up()
    recorder.event(cm, NORMAL, "Synced", "kept")
    await recorder.flush()
    assert [e["message"] for e in await events(client)] == ["kept"]
    await recorder.shutdown()


async def test_full_queue_drops_with_a_log_line(client: Client,
                                                caplog: pytest.LogCaptureFixture) -> None:
    """Past the queue bound, events are dropped (and logged); the caller never waits."""
    cm = await configmap(client)
    recorder = EventRecorder(client, "test-controller", queue_size=2)
    with caplog.at_level(logging.WARNING):
        for i in range(5):
            recorder.event(cm, NORMAL, "Burst", f"event {i}")  # no await: the writer waits
    assert recorder.dropped == 3
    assert sum("dropped" in r.getMessage() for r in caplog.records) == 3
    await recorder.flush()
    assert [e["message"] for e in await events(client)] == ["event 0", "event 1"]
    await recorder.shutdown()


async def test_unsupported_type_is_dropped(client: Client) -> None:
    """Only Normal and Warning are recorded."""
    cm = await configmap(client)
    recorder = EventRecorder(client, "test-controller")
    recorder.event(cm, "Error", "Bad", "not a type")
    await recorder.flush()
    assert await events(client) == []
    await recorder.shutdown()


class SlowTransport:
    """The in-process transport with a delay on Event writes, counting how many are in
    flight at once, overall and per involved object."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.in_flight = 0
        self.most = 0
        self.per_name: dict[str, int] = {}
        self.most_for: dict[str, int] = {}

    async def send(self, req: Any) -> Any:
        if "/events" not in req.path or req.method == "GET":
            return await self.inner.send(req)
        body = json.loads(req.body) if req.method == "POST" else {}
        name = (body.get("involvedObject") or {}).get("name") or req.path.rsplit("/", 1)[1]
        name = name.split(".")[0]
        self.in_flight += 1
        self.per_name[name] = self.per_name.get(name, 0) + 1
        self.most = max(self.most, self.in_flight)
        self.most_for[name] = max(self.most_for.get(name, 0), self.per_name[name])
        try:
            await asyncio.sleep(0.01)
            return await self.inner.send(req)
        finally:
            self.in_flight -= 1
            self.per_name[name] -= 1

    async def close(self) -> None:
        await self.inner.close()


async def test_a_burst_is_written_concurrently_and_each_key_in_order(
        apiserver: ApiServer) -> None:
    """A burst of events about many objects is written by several writers at once (it does
    not overflow the queue behind one slow write at a time), while the repeats of one event
    are written one after another, so their count is exact."""
    transport = SlowTransport(LocalTransport(apiserver.handle))
    client = Client(transport)
    cms = [await configmap(Client(LocalTransport(apiserver.handle)), f"cm{i}")
           for i in range(40)]
    recorder = EventRecorder(client, "test-controller", queue_size=200)
    for i, cm in enumerate(cms[1:]):
        recorder.event(cm, NORMAL, "Burst", "one each")
        if i % 4 == 0:  # the repeats of one event, interleaved with the burst
            recorder.event(cms[0], WARNING, "Again", "the same")
    await recorder.flush()
    assert recorder.dropped == 0
    assert transport.most > 1, "events of different objects go out concurrently"
    assert transport.most_for["cm0"] == 1, "one event's repeats are written one at a time"
    written = await events(Client(LocalTransport(apiserver.handle)))
    again = [e for e in written if e["reason"] == "Again"]
    assert len(again) == 1 and again[0]["count"] == 10
    assert len([e for e in written if e["reason"] == "Burst"]) == 39
    await recorder.shutdown()
